/*
 * fork_bomb.c - a fork bomb held by the limits.  Every process of the bomb
 * forks until fork fails (VIPER_ERR_LIMIT or VIPER_ERR_NO_MEMORY), then
 * reaps its own children and exits with the number of processes in its
 * subtree, so the top of the bomb reports how many there were.  Run once
 * against the system-wide process table (default limits) and once with
 * VIPER_LIMIT_PROCS lowered to 3 (inherited: every process of the bomb may
 * have at most 3 live children).  This process survives, can still fork
 * afterwards, and kstat's processes, threads, free pages and heap come
 * back to where they were.
 */
#include "utest.h"

#define MAX_FORKS_EACH 400     /* a bound on one process's attempts */
#define MS             1000000ull

/* Returns the number of processes in this subtree (itself included). */
static int64_t bomb(int64_t unused)
{
    (void)unused;
    int64_t total = 1;
    int64_t err = VIPER_OK;
    for (int i = 0; i < MAX_FORKS_EACH; i++) {
        int64_t pid = -1;
        err = viper_fork(&pid);
        if (err != VIPER_OK)
            break;
        if (pid == 0) {          /* the child starts its own bomb */
            total = 1;
            i = -1;
            continue;
        }
    }
    if (err != VIPER_ERR_LIMIT && err != VIPER_ERR_NO_MEMORY)
        return -1000000;         /* fork failed with the wrong error, or never failed */
    int64_t code = 0;
    while (viper_wait(-1, 0, NULL, NULL, &code) == VIPER_OK)
        total += code < 0 ? -1000000 : code;
    return total;
}

static int64_t bomb_with_limit(int64_t limit)
{
    if (viper_set_limit(VIPER_LIMIT_PROCS, (uint64_t)limit) != VIPER_OK)
        return -1;
    return bomb(0);
}

static void run_bomb(int64_t (*fn)(int64_t), int64_t arg, int64_t min_total)
{
    struct viper_kstat before = ut_kstat();
    uint64_t t0 = viper_now_ns();
    int64_t pid = ut_fork(fn, arg);
    int64_t got = -1, reason = -1, total = -1;
    UT_CHECK_EQ(viper_wait(pid, 0, &got, &reason, &total), VIPER_OK);
    UT_CHECK_EQ(reason, VIPER_EXIT_NORMAL);
    UT_INFO("%lld processes in the bomb, %llu ms", (long long)total,
            (unsigned long long)((viper_now_ns() - t0) / MS));
    UT_CHECK(total >= min_total);
    UT_CHECK_EQ(viper_wait(-1, VIPER_WAIT_NOHANG, NULL, NULL, NULL), VIPER_ERR_NOT_FOUND);
    UT_CHECK_NO_LEAK(&before);
    int64_t after = ut_fork(bomb_with_limit, 0);   /* we can still fork: a bomb of one */
    UT_CHECK_EXIT(after, VIPER_EXIT_NORMAL, 1);
}

static void case_system_limit(void)
{
    run_bomb(bomb, 0, 64);
}

static void case_procs_limit(void)
{
    run_bomb(bomb_with_limit, 3, 4);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    UT_RUN_LEAK(case_system_limit);
    UT_RUN_LEAK(case_procs_limit);
    return ut_done();
}
