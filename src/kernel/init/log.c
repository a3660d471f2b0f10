/*
 * log.c - kprintf and leveled, timestamped kernel logging.
 *
 * Formatting goes through lib/format.c straight into the console, one
 * character at a time; nothing is buffered here, so a message printed just
 * before a crash is not lost.  A lock keeps lines from different CPUs
 * from interleaving mid-line.
 */
#include <stdarg.h>
#include "arch/timer.h"
#include "dev/console.h"
#include "kernel/log.h"
#include "kernel/spinlock.h"
#include "lib/format.h"

int log_level = LOG_INFO;
static struct spinlock log_lock = SPINLOCK_INIT;

static void console_sink(void *ctx, char c)
{
    (void)ctx;
    console_putc(c);
}

int vkprintf(const char *fmt, va_list ap)
{
    uint64_t flags = spin_lock_irqsave(&log_lock);
    int n = format_v(console_sink, NULL, fmt, ap);
    spin_unlock_irqrestore(&log_lock, flags);
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
    uint64_t flags = spin_lock_irqsave(&log_lock);
    log_prefix_sink("[%5lu.%06lu] ", (unsigned long)(ns / 1000000000),
                    (unsigned long)(ns / 1000 % 1000000));
    format_v(console_sink, NULL, fmt, ap);
    console_putc('\n');
    spin_unlock_irqrestore(&log_lock, flags);
    va_end(ap);
}
