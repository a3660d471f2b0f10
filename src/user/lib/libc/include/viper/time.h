/*
 * viper/time.h - ViperOS libc: clock helpers over clock_get and sleep_until.
 */
#pragma once
#include <stdint.h>

/* Nanoseconds since boot (viper_clock_get). */
uint64_t viper_now_ns(void);

/* Block for at least ns nanoseconds (viper_sleep_until(now + ns)). */
void viper_sleep_ns(uint64_t ns);
