/*
 * threads.c - threads of one process: create and join, exit values (full
 * int64), distinct tids, shared memory (atomic and plain), FP/SIMD state
 * kept per thread across preemption (all of v0-v31, and double arithmetic
 * that must come out exact), the per-process thread limit, and the errors
 * of thread_join.  Thread stacks are static and touched up front, so the
 * leak checks see only the kernel's side.
 */
#include "utest.h"

#define MS          1000000ull
#define NTHREADS    8
#define STACK_BYTES 8192
#define MAX_TRY     100          /* more than the kernel's per-process thread limit */
#define ADDS        20000
#define SIMD_SPINS  20000000ull  /* tens of ms of TCG time: many time slices */

static uint8_t stacks[MAX_TRY][STACK_BYTES] __attribute__((aligned(16)));
static volatile int release;
static volatile uint64_t slots[NTHREADS];
static uint64_t shared_counter;
static volatile int64_t tids_seen[NTHREADS];

static uint64_t stack_top(int i)
{
    return (uint64_t)(uintptr_t)(stacks[i] + STACK_BYTES);
}

static int64_t start(void (*fn)(uint64_t), int i, uint64_t arg)
{
    int64_t tid = -1;
    int64_t rc = viper_thread_create((uint64_t)(uintptr_t)fn, stack_top(i), arg, &tid);
    UT_CHECK_EQ(rc, VIPER_OK);
    return rc == VIPER_OK ? tid : -1;
}

static void join_expect(int64_t tid, int64_t want)
{
    int64_t v = 0;
    UT_CHECK_EQ(viper_thread_join(tid, &v), VIPER_OK);
    UT_CHECK_EQ(v, want);
}

static void triple_thread(uint64_t arg)
{
    int64_t tid = -1;
    viper_gettid(&tid);
    tids_seen[arg] = tid;
    viper_thread_exit((int64_t)arg * 3);
}

static void case_create_join(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t tid[NTHREADS];
    int64_t self = -1;
    viper_gettid(&self);
    for (int i = 0; i < NTHREADS; i++)
        tid[i] = start(triple_thread, i, (uint64_t)i);
    for (int i = 0; i < NTHREADS; i++) {
        join_expect(tid[i], 3 * i);
        UT_CHECK_EQ(tids_seen[i], tid[i]);
        UT_CHECK(tid[i] != self);
        for (int j = 0; j < i; j++)
            UT_CHECK(tid[i] != tid[j]);
    }
    UT_CHECK_NO_LEAK(&before);
}

static void napping_thread(uint64_t arg)
{
    viper_sleep_ns(arg);
    viper_thread_exit(7);
}

/* thread_open: THREAD_EXITED through wait_many, the thread still joinable, handles outliving it. */
static void case_thread_handles(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t tid = start(napping_thread, 0, 20000000);   /* 20 ms */
    uint64_t h = 0, h2 = 0, type = 0, rights = 0;
    UT_CHECK_EQ(viper_thread_open(tid, &h), VIPER_OK);
    UT_CHECK_EQ(viper_cap_query(h, &type, &rights), VIPER_OK);
    UT_CHECK_EQ(type, VIPER_OBJ_THREAD);
    struct viper_wait_item it = { (uint32_t)h, VIPER_SIGNAL_THREAD_EXITED, 0, 0 };
    UT_CHECK_EQ(viper_wait_many(&it, 1, VIPER_DEADLINE_POLL, NULL), VIPER_ERR_TIMED_OUT);
    UT_CHECK_EQ(it.pending & VIPER_SIGNAL_THREAD_EXITED, 0u);
    UT_CHECK_EQ(viper_wait_many(&it, 1, VIPER_DEADLINE_INFINITE, NULL), VIPER_OK);
    UT_CHECK(it.pending & VIPER_SIGNAL_THREAD_EXITED);
    UT_CHECK_EQ(viper_thread_open(tid, &h2), VIPER_OK);   /* a zombie can still be opened */
    join_expect(tid, 7);
    UT_CHECK_EQ(viper_thread_open(tid, &h), VIPER_ERR_NOT_FOUND);   /* joined: gone by id */
    UT_CHECK_EQ(viper_wait_many(&it, 1, VIPER_DEADLINE_POLL, NULL), VIPER_OK);   /* the handle lives on */
    UT_CHECK_EQ(viper_handle_close(h), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(h2), VIPER_OK);
    UT_CHECK_EQ(viper_thread_open(999999, &h), VIPER_ERR_NOT_FOUND);
    UT_CHECK_NO_LEAK(&before);
}

static void value_thread(uint64_t arg)
{
    viper_thread_exit((int64_t)arg);
}

static void case_exit_values(void)
{
    static const int64_t values[] = { 0, -1, 255, 1ll << 40, INT64_MIN, INT64_MAX };
    struct viper_kstat before = ut_kstat();
    for (unsigned i = 0; i < sizeof values / sizeof values[0]; i++)
        join_expect(start(value_thread, 0, (uint64_t)values[i]), values[i]);
    UT_CHECK_NO_LEAK(&before);
}

static void adder_thread(uint64_t arg)
{
    for (int i = 0; i < ADDS; i++) {
        __atomic_fetch_add(&shared_counter, 1, __ATOMIC_RELAXED);
        slots[arg]++;
        if (i % 1000 == 0)
            viper_yield();
    }
    viper_thread_exit(0);
}

static void case_shared_memory(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t tid[NTHREADS];
    shared_counter = 0;
    for (int i = 0; i < NTHREADS; i++) {
        slots[i] = 0;
        tid[i] = start(adder_thread, i, (uint64_t)i);
    }
    for (int i = 0; i < NTHREADS; i++)
        join_expect(tid[i], 0);
    UT_CHECK_EQ(__atomic_load_n(&shared_counter, __ATOMIC_RELAXED), NTHREADS * ADDS);
    for (int i = 0; i < NTHREADS; i++)
        UT_CHECK_EQ(slots[i], ADDS);
    UT_CHECK_NO_LEAK(&before);
}

/*
 * Fill v0-v31 with pattern + n (both lanes), spin `spins` times (long
 * enough to be preempted many times), then count the lanes that changed.
 */
static uint64_t simd_hold(uint64_t pattern, uint64_t spins)
{
    uint64_t bad = 0, t, u;
    __asm__ volatile(
        ".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,"
        "16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
        "add %x[t], %x[p], #\\n\n"
        "dup v\\n\\().2d, %x[t]\n"
        ".endr\n"
        "1: subs %x[s], %x[s], #1\n"
        "b.ne 1b\n"
        ".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,"
        "16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
        "mov %x[t], v\\n\\().d[0]\n"
        "mov %x[u], v\\n\\().d[1]\n"
        "sub %x[t], %x[t], %x[p]\n"
        "sub %x[u], %x[u], %x[p]\n"
        "cmp %x[t], #\\n\n"
        "cinc %x[b], %x[b], ne\n"
        "cmp %x[u], #\\n\n"
        "cinc %x[b], %x[b], ne\n"
        ".endr\n"
        : [b] "+r"(bad), [s] "+r"(spins), [t] "=&r"(t), [u] "=&r"(u)
        : [p] "r"(pattern)
        : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10",
          "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22",
          "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
    return bad;
}

static void simd_thread(uint64_t pattern)
{
    viper_thread_exit((int64_t)simd_hold(pattern, SIMD_SPINS));
}

/* Three holders at once (two threads and main): every lane must survive the switches. */
static void case_simd_registers(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t t0 = viper_now_ns();
    uint64_t ctx0 = ut_kstat().context_switches;
    int64_t a = start(simd_thread, 0, 0x1111000000000000ull);
    int64_t b = start(simd_thread, 1, 0x2222000000000000ull);
    UT_CHECK_EQ(simd_hold(0x3333000000000000ull, SIMD_SPINS), 0);
    join_expect(a, 0);
    join_expect(b, 0);
    UT_INFO("%llu ms, %llu context switches", (unsigned long long)((viper_now_ns() - t0) / MS),
            (unsigned long long)(ut_kstat().context_switches - ctx0));
    UT_CHECK_NO_LEAK(&before);
}

/* A long chain of dependent double operations; exact because every step is exact. */
static double fp_work(double seed, int rounds)
{
    double x = seed, acc = 0.0;
    for (int i = 0; i < rounds; i++) {
        x = x * 0.5 + 1.0;          /* converges to 2; all values are dyadic */
        acc += x * 0.25;
        if (i % 4096 == 0)
            viper_yield();
    }
    return acc;
}

#define FP_ROUNDS 200000

static volatile double fp_results[2];

static void fp_thread(uint64_t which)
{
    fp_results[which] = fp_work(which ? 3.0 : 10.0, FP_ROUNDS);
    viper_thread_exit(0);
}

static void case_fp_arithmetic(void)
{
    struct viper_kstat before = ut_kstat();
    double want0 = fp_work(10.0, FP_ROUNDS), want1 = fp_work(3.0, FP_ROUNDS);
    int64_t a = start(fp_thread, 0, 0);
    int64_t b = start(fp_thread, 1, 1);
    join_expect(a, 0);
    join_expect(b, 0);
    UT_CHECK(fp_results[0] == want0);
    UT_CHECK(fp_results[1] == want1);
    UT_CHECK(want0 != want1);
    UT_CHECK_NO_LEAK(&before);
}

static void parked_thread(uint64_t arg)
{
    while (!release)
        viper_sleep_ns(1 * MS);
    viper_thread_exit((int64_t)arg);
}

/* Create threads until the kernel says LIMIT; all of them still run and join. */
static void case_thread_limit(void)
{
    struct viper_kstat before = ut_kstat();
    static int64_t tid[MAX_TRY];
    int n = 0;
    int64_t rc = VIPER_OK;
    release = 0;
    for (; n < MAX_TRY; n++) {
        rc = viper_thread_create((uint64_t)(uintptr_t)parked_thread, stack_top(n), (uint64_t)n,
                                 &tid[n]);
        if (rc != VIPER_OK)
            break;
    }
    UT_INFO("created %d threads, then %lld", n, (long long)rc);
    UT_CHECK(n < MAX_TRY);
    UT_CHECK(n >= 8);
    UT_CHECK(rc == VIPER_ERR_LIMIT || rc == VIPER_ERR_NO_MEMORY);
    release = 1;
    for (int i = 0; i < n; i++)
        join_expect(tid[i], i);
    UT_CHECK_NO_LEAK(&before);
}

static int64_t child_join_foreign(int64_t parent_tid)
{
    int64_t rc = viper_thread_join(parent_tid, NULL);
    return rc;
}

static void case_join_errors(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t self = -1;
    viper_gettid(&self);
    int64_t rc = viper_thread_join(self, NULL);
    UT_INFO("join(self) = %lld", (long long)rc);
    UT_CHECK(rc == VIPER_ERR_INVALID || rc == VIPER_ERR_NOT_FOUND);
    UT_CHECK_EQ(viper_thread_join(999999, NULL), VIPER_ERR_NOT_FOUND);
    UT_CHECK_EQ(viper_thread_join(-1, NULL), VIPER_ERR_NOT_FOUND);
    int64_t tid = start(value_thread, 0, 7);
    join_expect(tid, 7);
    UT_CHECK_EQ(viper_thread_join(tid, NULL), VIPER_ERR_NOT_FOUND);   /* joined once */
    int64_t pid = ut_fork(child_join_foreign, self);                   /* not its thread */
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, VIPER_ERR_NOT_FOUND);
    UT_CHECK_NO_LEAK(&before);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    memset(stacks, 0, sizeof stacks);   /* fault the stacks in now, not inside a leak check */
    UT_RUN_LEAK(case_create_join);
    UT_RUN_LEAK(case_exit_values);
    UT_RUN_LEAK(case_shared_memory);
    UT_RUN(case_simd_registers);
    UT_RUN(case_fp_arithmetic);
    UT_RUN_LEAK(case_thread_limit);
    UT_RUN_LEAK(case_join_errors);
    UT_RUN_LEAK(case_thread_handles);
    return ut_done();
}
