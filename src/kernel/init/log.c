/*
 * log.c - kprintf and leveled, timestamped kernel logging.
 *
 * Formatting goes through lib/format.c straight into the console, one
 * character at a time; nothing is buffered here, so a message printed just
 * before a crash is not lost.  A lock keeps lines from different CPUs
 * from interleaving mid-line.
 */
#include <stdarg.h>
#include <stdbool.h>
#include "arch/timer.h"
#include "dev/console.h"
#include "kernel/log.h"
#include "kernel/spinlock.h"
#include "lib/format.h"

int log_level = LOG_INFO;
static struct spinlock log_lock = SPINLOCK_INIT;
static bool log_unlocked;   /* set by a panic: the lock's holder may never return */

static uint64_t log_lock_take(void)
{
    return log_unlocked ? arch_irq_save() : spin_lock_irqsave(&log_lock);
}

static void log_lock_give(uint64_t flags)
{
    if (log_unlocked)
        arch_irq_restore(flags);
    else
        spin_unlock_irqrestore(&log_lock, flags);
}

void log_panic_mode(void)
{
    log_unlocked = true;
    console_panic_mode();
}

static void console_sink(void *ctx, char c)
{
    (void)ctx;
    console_putc(c);
}

int vkprintf(const char *fmt, va_list ap)
{
    uint64_t flags = log_lock_take();
    int n = format_v(console_sink, NULL, fmt, ap);
    log_lock_give(flags);
    return n;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vkprintf(fmt, ap);
    va_end(ap);
    return n;
}

static void log_prefix_sink(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    format_v(console_sink, NULL, fmt, ap);
    va_end(ap);
}

void klog(enum log_level level, const char *fmt, ...)
{
    if ((int)level > log_level)
        return;
    uint64_t ns = timer_now_ns();
    va_list ap;
    va_start(ap, fmt);
    uint64_t flags = log_lock_take();
    log_prefix_sink("[%5lu.%06lu] ", (unsigned long)(ns / 1000000000),
                    (unsigned long)(ns / 1000 % 1000000));
    format_v(console_sink, NULL, fmt, ap);
    console_putc('\n');
    log_lock_give(flags);
    va_end(ap);
}
