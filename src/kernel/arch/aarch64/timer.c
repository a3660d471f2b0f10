/*
 * timer.c - the Arm generic timer: the counter for time, and the EL1
 * physical timer (CNTP_*) for one-shot deadlines.
 *
 * One deadline per CPU, no periodic tick: the IRQ handler calls the
 * owner's function, which arms the next deadline if it wants one, and masks
 * the timer if it did not.  The counter runs at CNTFRQ (62.5 MHz on QEMU
 * virt), so a tick is 16 ns there.
 *
 * CNTP_CTL is written only when it changes (ctl_set): under QEMU each write
 * of a timer register is a trip through the emulator's timer code, several
 * microseconds, and a server that waits with a deadline (fsd's burst) arms
 * and fires the timer all the time (docs/bench.md).
 */
#include <stdbool.h>
#include "arch/cpu.h"
#include "arch/timer.h"
#include "dev/irq.h"
#include "kernel/log.h"
#include "viper/errors.h"

#define CTL_ENABLE  (1u << 0)
#define CTL_IMASK   (1u << 1)

static timer_fn deadline_fn;
static void *deadline_arg;
static uint32_t ctl_now;   /* what CNTP_CTL holds */

static void ctl_set(uint32_t ctl)
{
    if (ctl != ctl_now) {
        ctl_now = ctl;
        write_sysreg(cntp_ctl_el0, ctl);
    }
}

uint64_t timer_freq(void)
{
    return read_sysreg(cntfrq_el0);
}

/* timer_ticks_to_ns's 64.64 fixed-point factor (arch/timer.h), set first thing in kmain. */
uint64_t timer_ns_per_tick, timer_ns_per_tick_frac;

void timer_conversion_init(void)
{
    uint64_t f = timer_freq(), rem = 1000000000ull % f, frac = 0;
    for (int i = 0; i < 64; i++) {   /* frac = rem * 2^64 / f, one bit at a time */
        bool carry = rem >> 63;
        rem <<= 1;
        frac <<= 1;
        if (carry || rem >= f) {
            rem -= f;
            frac |= 1;
        }
    }
    timer_ns_per_tick_frac = frac;
    timer_ns_per_tick = 1000000000ull / f;
}

static uint64_t ns_to_ticks(uint64_t ns)
{
    uint64_t f = timer_freq();
    return ns / 1000000000ull * f + ns % 1000000000ull * f / 1000000000ull;
}

void timer_arm(uint64_t deadline_ns, timer_fn fn, void *arg)
{
    uint64_t flags = arch_irq_save();
    deadline_fn = fn;
    deadline_arg = arg;
    /* Round up: the callback must never run before its deadline. */
    write_sysreg(cntp_cval_el0, ns_to_ticks(deadline_ns) + 1);
    ctl_set(CTL_ENABLE);
    isb();
    arch_irq_restore(flags);
}

void timer_cancel(void)
{
    ctl_set(CTL_IMASK);
    deadline_fn = NULL;
}

static void timer_irq(unsigned intid, void *arg)
{
    (void)intid;
    (void)arg;
    timer_fn fn = deadline_fn;
    deadline_fn = NULL;
    if (fn)
        fn(deadline_arg);
    if (!deadline_fn)   /* one-shot: not re-armed, so quiet (the condition holds until CVAL moves) */
        ctl_set(CTL_IMASK);
}

int timer_init(const struct fdt *fdt)
{
    int node = fdt_find_compatible(fdt, -1, "arm,armv8-timer");
    unsigned intid;
    if (node < 0)
        return VIPER_ERR_NOT_FOUND;
    /* interrupts: secure phys, non-secure phys, virtual, hypervisor */
    int err = irq_from_fdt(fdt, node, 1, &intid);
    if (err)
        return err;
    ctl_set(CTL_IMASK);   /* ctl_now starts at 0, so this writes */
    /* EL0 may read the counters (benchmarks time themselves); not program the timers. */
    write_sysreg(cntkctl_el1, 3);
    err = irq_register(intid, timer_irq, NULL);
    if (err)
        return err;
    pr_info("timer: %lu Hz, irq %u", (unsigned long)timer_freq(), intid);
    return VIPER_OK;
}
