/*
 * dev/rtc.h - wall-clock time from the PL031 real-time clock.
 *
 * The RTC counts whole seconds; the kernel reads it once at boot and adds
 * the monotonic clock to it from then on (clock_wall), so wall time never
 * jumps backwards within a boot.
 */
#pragma once

struct fdt;

/* Find an arm,pl031 in the DTB and read it; without one clock_wall is NOT_SUPPORTED. */
void rtc_init(const struct fdt *fdt);
