/*
 * tests/host/stub_kernel.c - host stand-ins for the kernel's console,
 * panic and ASSERT's failure path (kernel/log.h), for unit tests that link
 * real kernel sources.
 *
 * kprintf and klog go to stdout; panic prints and aborts, or, when a test
 * armed stub_panic_jmp (stub_kernel.h), longjmps back so the test can check
 * that an invariant break was caught.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "kernel/log.h"
#include "stub_kernel.h"

int log_level = LOG_INFO;
jmp_buf *stub_panic_jmp;
int stub_panic_count;
int stub_quiet;

int vkprintf(const char *fmt, va_list ap)
{
    return vprintf(fmt, ap);
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vkprintf(fmt, ap);
    va_end(ap);
    return n;
}

void klog(enum log_level level, const char *fmt, ...)
{
    if (stub_quiet || (int)level > log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    vkprintf(fmt, ap);
    va_end(ap);
    putchar('\n');               /* klog ends each message with a newline */
}

_Noreturn void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf(stub_panic_jmp ? "  panic (expected): " : "panic: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    if (stub_panic_jmp != NULL) {
        jmp_buf *jb = stub_panic_jmp;
        stub_panic_jmp = NULL;
        stub_panic_count++;
        longjmp(*jb, 1);
    }
    abort();
}

_Noreturn void assert_failed(const struct assert_site *site)
{
    panic("assertion failed: %s (%s:%d)", site->cond, site->file, site->line);
}
