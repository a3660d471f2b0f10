/*
 * many_procs.c - 64 processes alive at once: all forked before any may
 * exit (each sleeps until a common deadline), kstat counts them all live,
 * each reports its index through its exit code, all are reaped exactly
 * once, and the counters come back.  The same with spawn.
 */
#include "utest.h"

#define NPROC 64
#define MS    1000000ull
#define HOLD_NS (400 * MS)     /* children stay alive until start + HOLD_NS */

static uint64_t deadline;

static int64_t child_hold(int64_t index)
{
    viper_sleep_until(deadline);
    int64_t ppid = -1;
    viper_getpid(NULL, &ppid);
    return ppid > 0 ? 1000 + index : -1;
}

static void reap_all(const int64_t *pids, int n, int64_t base)
{
    static uint8_t seen[NPROC];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < n; i++) {
        int64_t got = -1, reason = -1, code = -1;
        UT_CHECK_EQ(viper_wait(-1, 0, &got, &reason, &code), VIPER_OK);
        UT_CHECK_EQ(reason, VIPER_EXIT_NORMAL);
        int64_t idx = code - base;
        UT_CHECK(idx >= 0 && idx < n);
        if (idx >= 0 && idx < n) {
            UT_CHECK_EQ(got, pids[idx]);
            UT_CHECK_EQ(seen[idx], 0);
            seen[idx] = 1;
        }
    }
    UT_CHECK_EQ(viper_wait(-1, VIPER_WAIT_NOHANG, NULL, NULL, NULL), VIPER_ERR_NOT_FOUND);
}

static void case_fork_64(void)
{
    int64_t pids[NPROC];
    struct viper_kstat before = ut_kstat();
    deadline = viper_now_ns() + HOLD_NS;
    int n = 0;
    for (; n < NPROC; n++) {
        pids[n] = ut_fork(child_hold, n);
        if (pids[n] <= 0)
            break;
    }
    UT_CHECK_EQ(n, NPROC);
    struct viper_kstat live = ut_kstat();
    UT_CHECK(viper_now_ns() < deadline);   /* else some may have exited already */
    UT_CHECK_EQ(live.processes, before.processes + (uint64_t)n);
    UT_CHECK(live.threads >= before.threads + (uint64_t)n);
    UT_CHECK_EQ(viper_wait(-1, VIPER_WAIT_NOHANG, NULL, NULL, NULL), VIPER_ERR_WOULD_BLOCK);
    reap_all(pids, n, 1000);
    UT_CHECK_NO_LEAK(&before);
}

static void case_spawn_64(void)
{
    int64_t pids[NPROC];
    char arg[24];
    struct viper_kstat before = ut_kstat();
    int n = 0;
    for (; n < NPROC; n++) {
        snprintf(arg, sizeof arg, "%d", 2000 + n);
        const char *argv[] = { "exec_helper", "exit", arg, NULL };
        if (viper_spawn("/tests/exec_helper", argv, NULL, NULL, 0, &pids[n]) != VIPER_OK)
            break;
    }
    UT_CHECK_EQ(n, NPROC);
    reap_all(pids, n, 2000);
    UT_CHECK_NO_LEAK(&before);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    UT_RUN_LEAK(case_fork_64);
    UT_RUN_LEAK(case_spawn_64);
    return ut_done();
}
