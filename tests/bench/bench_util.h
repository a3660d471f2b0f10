/*
 * bench_util.h - what the ViperOS bench (bench.c) and the Linux one
 * (linux/bench_linux.c) share, so both take every figure the same way.
 *
 * Time is the generic timer's virtual counter CNTVCT_EL0, read at EL0 (both
 * kernels allow it), behind an ISB so the read is not hoisted.  A figure is
 * the median over BENCH_BATCHES batches, after one warm-up batch, of
 * (batch ticks / operations in the batch).  Printed as
 * `bench: <name> <value> <unit>` with three decimals; tools/bench parses it.
 * Needs only <stdint.h> and printf.
 */
#pragma once
#include <stdint.h>
#include <stdio.h>

#define BENCH_BATCHES 31

static inline uint64_t bench_ticks(void)
{
    uint64_t v;
    __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v)::"memory");
    return v;
}

static inline uint64_t bench_hz(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

/* Median of v[0..n) (sorts v; n is small). */
static inline uint64_t bench_median(uint64_t *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v[n / 2];
}

/* ticks for `ops` operations -> thousandths of `unit_ns` nanoseconds per operation. */
static inline uint64_t bench_scaled(uint64_t ticks, uint64_t ops, uint64_t unit_ns)
{
    uint64_t hz = bench_hz();
    if (ticks < UINT64_MAX / 1000000000000ull)
        return ticks * 1000000000000ull / hz / ops / unit_ns;
    return ticks * 1000000000ull / hz / ops * 1000 / unit_ns;
}

/*
 * Print the figure from per-batch tick counts t[0..BENCH_BATCHES) of `ops`
 * operations each.  unit is "ns" or "us".
 */
static inline void bench_report(const char *name, uint64_t *t, uint64_t ops, const char *unit)
{
    uint64_t unit_ns = unit[0] == 'u' ? 1000 : 1;
    uint64_t v = bench_scaled(bench_median(t, BENCH_BATCHES), ops, unit_ns);
    printf("bench: %s %lu.%03lu %s\n", name, (unsigned long)(v / 1000),
           (unsigned long)(v % 1000), unit);
}
