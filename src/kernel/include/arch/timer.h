/*
 * arch/timer.h - time from the Arm generic timer: a 64-bit counter at
 * CNTFRQ Hz and one one-shot deadline per CPU (the EL1 physical timer).
 * There is no periodic tick: whoever needs time arms the next deadline.
 */
#pragma once
#include <stdint.h>
#include "lib/fdt.h"

typedef void (*timer_fn)(void *arg);

/* Find the timer interrupt in the DTB and route it; VIPER_ERR_NOT_FOUND if absent. */
int timer_init(const struct fdt *fdt);

uint64_t timer_ticks(void);            /* raw counter (CNTPCT_EL0) */
uint64_t timer_freq(void);             /* counter frequency in Hz */
uint64_t timer_ticks_to_ns(uint64_t ticks);
uint64_t timer_now_ns(void);           /* nanoseconds since the counter started */

/* Call fn(arg) from the timer IRQ at or after deadline_ns; replaces any armed deadline. */
void timer_arm(uint64_t deadline_ns, timer_fn fn, void *arg);
void timer_cancel(void);
