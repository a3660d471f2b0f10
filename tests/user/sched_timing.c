/*
 * sched_timing.c - the scheduler seen from user space (docs/processes.md):
 *   - sleeps of 1, 5 and 20 ms never end early, and the median lateness is
 *     under 5 ms (generous: QEMU's timer is emulated);
 *   - a child that spins forever is preempted: the parent's sleeps still
 *     end and it gets to kill the child;
 *   - priorities: of two spinning threads, the one at priority 224 gets
 *     most of the CPU against one at 96 (levels 7 and 3);
 *   - starvation is bounded: a priority-0 thread makes progress within
 *     500 ms while a priority-255 thread spins (aging after 100 ms).
 * The main thread runs at priority 255 while it measures, so it can stop
 * the spinners.  Only the main thread prints.
 */
#include "utest.h"

#define MS             1000000ull
#define SLEEP_REPS     9
#define LATE_LIMIT_NS  (5 * MS)
#define PRIO_WINDOW_NS (200 * MS)
#define STARVE_LIMIT_NS (500 * MS)
#define STACK_BYTES    16384

static uint8_t stacks[2][STACK_BYTES] __attribute__((aligned(16)));
static volatile int go, stop;
static volatile uint64_t counts[2];
static volatile uint64_t first_run_ns[2];

static int cmp_u64(const uint64_t *a, const uint64_t *b)
{
    return *a < *b ? -1 : *a > *b;
}

static void sort_u64(uint64_t *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && cmp_u64(&v[j - 1], &v[j]) > 0; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

static void sleep_check(uint64_t ns)
{
    uint64_t late[SLEEP_REPS];
    int early = 0;
    for (int i = 0; i < SLEEP_REPS; i++) {
        uint64_t t0 = viper_now_ns();
        UT_CHECK_EQ(viper_sleep_until(t0 + ns), VIPER_OK);
        uint64_t t1 = viper_now_ns();
        if (t1 < t0 + ns)
            early++;
        late[i] = t1 >= t0 + ns ? t1 - (t0 + ns) : 0;
    }
    sort_u64(late, SLEEP_REPS);
    UT_INFO("sleep %llu ms: lateness min %llu us, median %llu us, max %llu us",
            (unsigned long long)(ns / MS), (unsigned long long)late[0] / 1000,
            (unsigned long long)late[SLEEP_REPS / 2] / 1000,
            (unsigned long long)late[SLEEP_REPS - 1] / 1000);
    UT_CHECK_EQ(early, 0);
    UT_CHECK(late[SLEEP_REPS / 2] < LATE_LIMIT_NS);
}

static void case_sleep_accuracy(void)
{
    sleep_check(1 * MS);
    sleep_check(5 * MS);
    sleep_check(20 * MS);
    uint64_t t0 = viper_now_ns();
    UT_CHECK_EQ(viper_sleep_until(0), VIPER_OK);          /* in the past: returns */
    UT_CHECK_EQ(viper_sleep_until(t0 - 1), VIPER_OK);
    UT_CHECK(viper_now_ns() - t0 < 50 * MS);
}

static int64_t child_spin(int64_t unused)
{
    for (volatile uint64_t i = 0;; i++)
        (void)unused;
    return 0;
}

static void case_spinner_preempted(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t self = -1;
    viper_getpid(&self, NULL);
    int64_t pid = ut_fork(child_spin, 0);
    uint64_t t0 = viper_now_ns();
    for (int i = 0; i < 10; i++)
        viper_sleep_ns(5 * MS);      /* each sleep needs the CPU back from the spinner */
    viper_yield();
    uint64_t took = viper_now_ns() - t0;
    UT_INFO("10 sleeps of 5 ms beside a spinner took %llu ms", (unsigned long long)took / MS);
    UT_CHECK(took < 2000 * MS);
    UT_CHECK_EQ(viper_kill(pid), VIPER_OK);
    UT_CHECK_EXIT(pid, VIPER_EXIT_KILLED, self);
    UT_CHECK_NO_LEAK(&before);
}

static void spin_thread(uint64_t which)
{
    while (!go)
        __asm__ volatile("" ::: "memory");
    first_run_ns[which] = viper_now_ns();
    while (!stop)
        counts[which]++;
    viper_thread_exit((int64_t)which);
}

/* Start two spinners at priorities p0 and p1, let them run window_ns, stop them. */
static void race(uint64_t p0, uint64_t p1, uint64_t window_ns, uint64_t *t_go)
{
    int64_t tid[2] = { -1, -1 };
    go = stop = 0;
    counts[0] = counts[1] = 0;
    first_run_ns[0] = first_run_ns[1] = 0;
    UT_CHECK_EQ(viper_set_priority(0, 255), VIPER_OK);
    for (int i = 0; i < 2; i++)
        UT_CHECK_EQ(viper_thread_create((uint64_t)(uintptr_t)spin_thread,
                                        (uint64_t)(uintptr_t)(stacks[i] + STACK_BYTES),
                                        (uint64_t)i, &tid[i]), VIPER_OK);
    UT_CHECK_EQ(viper_set_priority(tid[0], p0), VIPER_OK);
    UT_CHECK_EQ(viper_set_priority(tid[1], p1), VIPER_OK);
    *t_go = viper_now_ns();
    go = 1;
    viper_sleep_ns(window_ns);
    stop = 1;
    for (int i = 0; i < 2; i++) {
        int64_t v = -1;
        UT_CHECK_EQ(viper_thread_join(tid[i], &v), VIPER_OK);
        UT_CHECK_EQ(v, i);
    }
    UT_CHECK_EQ(viper_set_priority(0, VIPER_PRIORITY_DEFAULT), VIPER_OK);
}

static void case_priorities(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t t_go;
    race(224, 96, PRIO_WINDOW_NS, &t_go);
    UT_INFO("loop counts: priority 224: %llu, priority 96: %llu",
            (unsigned long long)counts[0], (unsigned long long)counts[1]);
    UT_CHECK(counts[0] > 0);
    UT_CHECK(counts[0] > 3 * counts[1]);
    UT_CHECK_NO_LEAK(&before);
}

static void case_starvation_bounded(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t t_go;
    race(255, 0, 600 * MS, &t_go);
    uint64_t wait_ns = first_run_ns[1] ? first_run_ns[1] - t_go : UINT64_MAX;
    UT_INFO("priority 0 first ran %llu ms after the start (priority 255 spinning); "
            "counts %llu vs %llu", first_run_ns[1] ? (unsigned long long)(wait_ns / MS) : 999999,
            (unsigned long long)counts[0], (unsigned long long)counts[1]);
    UT_CHECK(first_run_ns[1] != 0);
    UT_CHECK(wait_ns < STARVE_LIMIT_NS);
    UT_CHECK(counts[1] > 0);
    UT_CHECK(counts[0] > counts[1]);
    UT_CHECK_NO_LEAK(&before);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    memset(stacks, 0, sizeof stacks);   /* fault the stacks in now, not inside a leak check */
    UT_RUN(case_sleep_accuracy);
    UT_RUN(case_spinner_preempted);
    UT_RUN(case_priorities);
    UT_RUN(case_starvation_bounded);
    return ut_done();
}
