/*
 * kernel/log.h - kernel console output, log levels and panic.
 *
 * kprintf writes straight to the console.  klog adds a timestamp and is
 * filtered by the level set with the `loglevel=` boot argument (`quiet`
 * means LOG_WARN).  panic prints a report and powers the machine off, so a
 * grader always sees an end instead of a hang.
 */
#pragma once
#include <stdarg.h>

enum log_level {
    LOG_ERR = 3,
    LOG_WARN = 4,
    LOG_INFO = 6,
    LOG_DEBUG = 7,
};

extern int log_level;   /* messages above this level are dropped */

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vkprintf(const char *fmt, va_list ap);
void klog(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_err(...)   klog(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  klog(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  klog(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) klog(LOG_DEBUG, __VA_ARGS__)

/* From now on print without taking the log lock, and drain the console (panic paths). */
void log_panic_mode(void);

/* A broken kernel invariant: print the message and a backtrace, then power off. */
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The machine cannot run the kernel (e.g. the DTB lacks a GIC): say why, power off. */
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Where an ASSERT failed, kept in .rodata: a check costs its compare and one call. */
struct assert_site {
    const char *cond, *file;
    int line;
};
_Noreturn void assert_failed(const struct assert_site *site) __attribute__((cold));

/* Always-on check of a kernel invariant; never use it for user input. */
#define ASSERT(cond)                                                                     \
    do {                                                                                 \
        if (__builtin_expect(!(cond), 0)) {                                              \
            static const struct assert_site assert_site_ = { #cond, __FILE__, __LINE__ }; \
            assert_failed(&assert_site_);                                                \
        }                                                                                \
    } while (0)
