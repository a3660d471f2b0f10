/*
 * arch/timer.h - time from the Arm generic timer: a 64-bit counter at
 * CNTFRQ Hz and one one-shot deadline per CPU (the EL1 physical timer).
 * There is no periodic tick: whoever needs time arms the next deadline.
 */
#pragma once
#include "kernel/hot.h"
#include <stdint.h>
#include "lib/fdt.h"

typedef void (*timer_fn)(void *arg);

/* Find the timer interrupt in the DTB and route it; VIPER_ERR_NOT_FOUND if absent. */
int timer_init(const struct fdt *fdt);

uint64_t timer_freq(void);             /* counter frequency in Hz */

/* Raw counter (CNTPCT_EL0); the ISB keeps the read from running ahead of earlier instructions. */
static inline uint64_t timer_ticks(void)
{
    uint64_t v;
    __asm__ volatile("isb; mrs %0, cntpct_el0" : "=r"(v) :: "memory");
    return v;
}

/*
 * The counter without the ISB: the read may happen a few instructions
 * early.  For the scheduler's bookkeeping (slice ends, aging), where that
 * does not matter and an ISB, which ends QEMU's translation block, would
 * be paid on every switch.
 */
static HOT_INLINE uint64_t timer_ticks_relaxed(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, cntpct_el0" : "=r"(v));
    return v;
}

/*
 * Ticks to nanoseconds: ticks x ns_per_tick as a 64.64 fixed-point number
 * (timer.c), a multiply instead of two divisions, inline because the
 * scheduler reads the time on every switch.  Rounded down: at most 1 ns
 * low over the counter's whole range (exact at QEMU's 62.5 MHz).
 */
extern uint64_t timer_ns_per_tick, timer_ns_per_tick_frac;
void timer_conversion_init(void);   /* from kmain, before the first timer_ticks_to_ns */

static HOT_INLINE uint64_t timer_ticks_to_ns(uint64_t ticks)
{
    return ticks * timer_ns_per_tick +
           (uint64_t)(((unsigned __int128)ticks * timer_ns_per_tick_frac) >> 64);
}

/* Nanoseconds since the counter started. */
static HOT_INLINE uint64_t timer_now_ns(void)
{
    return timer_ticks_to_ns(timer_ticks());
}

/* Call fn(arg) from the timer IRQ at or after deadline_ns; replaces any armed deadline. */
void timer_arm(uint64_t deadline_ns, timer_fn fn, void *arg);
void timer_cancel(void);
