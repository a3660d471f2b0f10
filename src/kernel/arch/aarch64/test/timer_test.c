/*
 * timer_test.c - suite `timer`: the counter moves, one-shot deadlines fire
 * through the GIC no earlier than asked and not much later, and a
 * cancelled deadline stays quiet, and ticks convert to nanoseconds exactly.
 */
#include "arch/cpu.h"
#include "arch/timer.h"
#include "kernel/ktest.h"
#include "kernel/log.h"

/*
 * The guest counter follows host time, so a host that deschedules QEMU
 * makes a deadline look late.  Early is never allowed; for lateness the
 * median of the runs must be small, which one host hiccup cannot spoil.
 */
#define LATE_MEDIAN_LIMIT_NS 2000000ull   /* 2 ms */
#define RUNS 9

struct tick_log {
    volatile int fired;
    uint64_t at_ns[RUNS];
};

static void record_tick(void *arg)
{
    struct tick_log *log = arg;
    log->at_ns[log->fired] = timer_now_ns();
    log->fired++;
}

/*
 * Wait (sleeping in WFI) until *flag reaches n or limit_ns passes.  Check and
 * sleep with IRQs masked: the deadline's interrupt taken between a check and
 * the WFI would leave us asleep for good, with nothing else to wake us (it
 * did, now and then).  WFI still wakes on the pending interrupt.
 */
static void wait_for(volatile int *flag, int n, uint64_t limit_ns)
{
    uint64_t end = timer_now_ns() + limit_ns;
    for (;;) {
        uint64_t flags = arch_irq_save();
        bool waiting = *flag < n && timer_now_ns() < end;
        if (waiting)
            cpu_wfi();
        arch_irq_restore(flags);
        if (!waiting)
            return;
    }
}

KTEST(timer, counter_advances)
{
    uint64_t a = timer_ticks();
    for (volatile int i = 0; i < 10000; i++)
        ;
    KT_EXPECT(timer_ticks() > a);
    KT_EXPECT(timer_freq() >= 1000000);
}

KTEST(timer, deadlines_fire_in_order)
{
    struct tick_log log = { 0 };
    uint64_t late[RUNS];
    for (int i = 0; i < RUNS; i++) {
        uint64_t deadline = timer_now_ns() + 1000000;   /* 1 ms */
        timer_arm(deadline, record_tick, &log);
        wait_for(&log.fired, i + 1, 1000000000ull);
        KT_ASSERT(log.fired == i + 1);
        KT_EXPECT(log.at_ns[i] >= deadline);
        late[i] = log.at_ns[i] - deadline;
    }
    for (int i = 1; i < RUNS; i++)   /* insertion sort for the median */
        for (int j = i; j > 0 && late[j - 1] > late[j]; j--) {
            uint64_t tmp = late[j];
            late[j] = late[j - 1];
            late[j - 1] = tmp;
        }
    pr_info("timer: %d one-shot deadlines, median %lu us late, worst %lu us", RUNS,
            (unsigned long)(late[RUNS / 2] / 1000), (unsigned long)(late[RUNS - 1] / 1000));
    KT_EXPECT(late[RUNS / 2] < LATE_MEDIAN_LIMIT_NS);
}

KTEST(timer, cancel_stays_quiet)
{
    struct tick_log log = { 0 };
    uint64_t flags = arch_irq_save();   /* a busy host must not let it fire before the cancel */
    timer_arm(timer_now_ns() + 2000000, record_tick, &log);
    timer_cancel();
    arch_irq_restore(flags);
    uint64_t end = timer_now_ns() + 5000000;
    while (timer_now_ns() < end)
        cpu_relax();
    KT_EXPECT(log.fired == 0);
}

/* The fixed-point conversion against the exact one: never above it, at most 1 ns below. */
KTEST(timer, ticks_to_ns_exact)
{
    uint64_t f = timer_freq();
    const uint64_t samples[] = { 0, 1, 15, f - 1, f, f + 1, 1000 * f + 12345, timer_ticks(),
                               (1ull << 40) + 7, UINT64_MAX / 1000000000ull };
    for (unsigned i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        uint64_t n = samples[i];
        uint64_t exact = n / f * 1000000000ull + n % f * 1000000000ull / f;
        uint64_t got = timer_ticks_to_ns(n);
        KT_EXPECT(got <= exact && exact - got <= 1);
    }
}
