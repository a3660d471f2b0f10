/*
 * panic.c - the end of the line for a broken kernel invariant: a report a
 * student can act on, then power-off so nobody waits on a hung machine.
 * A panic while panicking (a fault inside the report) skips the report.
 */
#include <stdarg.h>
#include "arch/cpu.h"
#include "arch/psci.h"
#include "arch/trap.h"
#include "dev/console.h"
#include "kernel/log.h"
#include "lib/format.h"

static int panicking;

static void console_sink(void *ctx, char c)
{
    (void)ctx;
    console_putc(c);
}

_Noreturn void panic(const char *fmt, ...)
{
    arch_irq_disable();
    log_panic_mode();
    if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST)) {
        static const char msg[] = "\npanic: nested panic, giving up\n";
        console_write(msg, sizeof msg - 1);
        psci_system_off();
    }
    va_list ap;
    va_start(ap, fmt);
    console_write("\npanic: ", 8);
    format_v(console_sink, NULL, fmt, ap);
    va_end(ap);
    kprintf("\n  on cpu %u\n", arch_cpu_index());
    arch_backtrace_here();
    psci_system_off();
}

_Noreturn void assert_failed(const struct assert_site *site)
{
    panic("assertion failed: %s (%s:%d)", site->cond, site->file, site->line);
}

_Noreturn void fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    console_write("fatal: ", 7);
    format_v(console_sink, NULL, fmt, ap);
    console_putc('\n');
    va_end(ap);
    psci_system_off();
}
