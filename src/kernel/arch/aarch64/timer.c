/*
 * timer.c - the Arm generic timer: the counter for time, and the EL1
 * physical timer (CNTP_*) for one-shot deadlines.
 *
 * One deadline per CPU, no periodic tick: the IRQ handler masks the timer
 * and calls the owner's function, which arms the next deadline if it wants
 * one.  The counter runs at CNTFRQ (62.5 MHz on QEMU virt), so a tick is
 * 16 ns there.
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

uint64_t timer_ticks(void)
{
    isb();   /* do not let the read run ahead of earlier instructions */
    return read_sysreg(cntpct_el0);
}

uint64_t timer_freq(void)
{
    return read_sysreg(cntfrq_el0);
}

/*
 * Nanoseconds per tick as a 64.64 fixed-point number, so that converting
 * takes a multiply instead of two divisions: the scheduler reads the time
 * on every switch.  The fraction is rounded down, which makes a result at
 * most 1 ns low over the counter's whole range (exact at 62.5 MHz, 16 ns).
 */
static uint64_t ns_per_tick, ns_per_tick_frac;
static bool conversion_ready;

static void conversion_init(void)
{
    uint64_t f = timer_freq(), rem = 1000000000ull % f;
    ns_per_tick = 1000000000ull / f;
    conversion_ready = true;
    for (int i = 0; i < 64; i++) {   /* frac = rem * 2^64 / f, one bit at a time */
        bool carry = rem >> 63;
        rem <<= 1;
        ns_per_tick_frac <<= 1;
        if (carry || rem >= f) {
            rem -= f;
            ns_per_tick_frac |= 1;
        }
    }
}

uint64_t timer_ticks_to_ns(uint64_t ticks)
{
    if (!conversion_ready)
        conversion_init();
    return ticks * ns_per_tick + (uint64_t)(((unsigned __int128)ticks * ns_per_tick_frac) >> 64);
}

static uint64_t ns_to_ticks(uint64_t ns)
{
    uint64_t f = timer_freq();
    return ns / 1000000000ull * f + ns % 1000000000ull * f / 1000000000ull;
}

uint64_t timer_now_ns(void)
{
    return timer_ticks_to_ns(timer_ticks());
}

void timer_arm(uint64_t deadline_ns, timer_fn fn, void *arg)
{
    uint64_t flags = arch_irq_save();
    deadline_fn = fn;
    deadline_arg = arg;
    /* Round up: the callback must never run before its deadline. */
    write_sysreg(cntp_cval_el0, ns_to_ticks(deadline_ns) + 1);
    write_sysreg(cntp_ctl_el0, CTL_ENABLE);
    isb();
    arch_irq_restore(flags);
}

void timer_cancel(void)
{
    write_sysreg(cntp_ctl_el0, CTL_IMASK);
    deadline_fn = NULL;
}

static void timer_irq(unsigned intid, void *arg)
{
    (void)intid;
    (void)arg;
    write_sysreg(cntp_ctl_el0, CTL_IMASK);   /* one-shot: quiet until re-armed */
    timer_fn fn = deadline_fn;
    deadline_fn = NULL;
    if (fn)
        fn(deadline_arg);
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
    write_sysreg(cntp_ctl_el0, CTL_IMASK);
    /* EL0 may read the counters (benchmarks time themselves); not program the timers. */
    write_sysreg(cntkctl_el1, 3);
    err = irq_register(intid, timer_irq, NULL);
    if (err)
        return err;
    pr_info("timer: %lu Hz, irq %u", (unsigned long)timer_freq(), intid);
    return VIPER_OK;
}
