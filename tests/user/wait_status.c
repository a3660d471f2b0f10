/*
 * wait_status.c - what wait() reports: exit codes as full int64 values,
 * VIPER_EXIT_KILLED with the killer's pid (for a child and a grandchild),
 * VIPER_EXIT_FAULT with the exception class, waiting for one pid out of
 * several, WNOHANG, no children, bad flags, reaping only once, orphans
 * handed to init (this program runs as pid 1), exit with other threads
 * alive, and the last thread's thread_exit ending the process; kill's
 * errors.  Every case checks the kernel counters afterwards.
 */
#include "utest.h"

#define MS 1000000ull
#define EC_DATA_ABORT_LOWER 0x24

static int64_t self_pid;

static int64_t child_exit_with(int64_t code)
{
    viper_exit(code);
}

static void case_exit_codes(void)
{
    static const int64_t codes[] = { 0, 1, 255, -1, 256, 1ll << 40, INT64_MAX, INT64_MIN };
    struct viper_kstat before = ut_kstat();
    for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        int64_t pid = ut_fork(child_exit_with, codes[i]);
        UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, codes[i]);
    }
    UT_CHECK_NO_LEAK(&before);
}

/* Returning from main goes through libc exit(). */
static void case_return_from_main(void)
{
    struct viper_kstat before = ut_kstat();
    static const char *const argv[] = { "exec_helper", "exit", "-7", NULL };
    int64_t pid = -1;
    UT_CHECK_EQ(viper_spawn("/tests/exec_helper", argv, NULL, NULL, 0, &pid), VIPER_OK);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, -7);
    UT_CHECK_NO_LEAK(&before);
}

static int64_t child_sleep_forever(int64_t unused)
{
    for (uint64_t i = 0; i < (uint64_t)unused + 1; i++)
        viper_sleep_ns(1000 * MS);   /* killed long before */
    return 1;
}

static void case_killed(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t pid = ut_fork(child_sleep_forever, 0);
    viper_sleep_ns(5 * MS);
    UT_CHECK_EQ(viper_kill(pid), VIPER_OK);
    UT_CHECK_EXIT(pid, VIPER_EXIT_KILLED, self_pid);
    UT_CHECK_NO_LEAK(&before);
}

/* kill before the child ever ran. */
static void case_killed_at_once(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t pid = ut_fork(child_sleep_forever, 0);
    UT_CHECK_EQ(viper_kill(pid), VIPER_OK);
    UT_CHECK_EXIT(pid, VIPER_EXIT_KILLED, self_pid);
    UT_CHECK_NO_LEAK(&before);
}

/* The child forks a sleeper and reports how its wait ended: reason << 32 | code. */
static int64_t child_with_grandchild(int64_t unused)
{
    (void)unused;
    int64_t gpid = ut_fork(child_sleep_forever, 0);
    int64_t got = -1, reason = -1, code = -1;
    if (viper_wait(gpid, 0, &got, &reason, &code) != VIPER_OK || got != gpid)
        return -1;
    return reason << 32 | code;
}

/* Killing a grandchild (a descendant, not a child) is allowed; its parent sees our pid. */
static void case_kill_grandchild(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t pid = ut_fork(child_with_grandchild, 0);
    viper_sleep_ns(10 * MS);
    int64_t gpid = pid + 1;    /* pids are handed out in order; nothing else forks here */
    UT_CHECK_EQ(viper_kill(gpid), VIPER_OK);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, (int64_t)VIPER_EXIT_KILLED << 32 | self_pid);
    UT_CHECK_NO_LEAK(&before);
}

/* A child may not kill its parent. */
static int64_t child_kill_parent(int64_t parent)
{
    return viper_kill(parent);
}

static void case_kill_errors(void)
{
    struct viper_kstat before = ut_kstat();
    UT_CHECK_EQ(viper_kill(999999), VIPER_ERR_NOT_FOUND);
    UT_CHECK_EQ(viper_kill(0), VIPER_ERR_NOT_FOUND);
    UT_CHECK_EQ(viper_kill(-5), VIPER_ERR_NOT_FOUND);
    int64_t pid = ut_fork(child_kill_parent, self_pid);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, VIPER_ERR_ACCESS_DENIED);
    pid = ut_fork(child_exit_with, 4);
    viper_sleep_ns(10 * MS);            /* now a zombie: nothing left to kill */
    UT_CHECK_EQ(viper_kill(pid), VIPER_ERR_NOT_FOUND);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 4);
    UT_CHECK_NO_LEAK(&before);
}

static int64_t child_null_write(int64_t unused)
{
    (void)unused;
    ut_expect_fault("write to NULL");
    *(volatile int *)(uintptr_t)ut_opaque(0) = 1;
    return 0;
}

static void case_fault(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t pid = ut_fork(child_null_write, 0);
    UT_CHECK_EXIT(pid, VIPER_EXIT_FAULT, EC_DATA_ABORT_LOWER);
    UT_CHECK_NO_LEAK(&before);
}

static int64_t child_sleep_then_exit(int64_t ms_and_code)
{
    viper_sleep_ns((uint64_t)(ms_and_code / 100) * MS);
    return ms_and_code % 100;
}

/* Three children end in the order 2, 3, 1; waiting for one pid returns exactly it. */
static void case_specific_pid(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t p1 = ut_fork(child_sleep_then_exit, 30 * 100 + 11);
    int64_t p2 = ut_fork(child_sleep_then_exit, 5 * 100 + 22);
    int64_t p3 = ut_fork(child_sleep_then_exit, 15 * 100 + 33);
    UT_CHECK_EXIT(p1, VIPER_EXIT_NORMAL, 11);
    UT_CHECK_EXIT(p3, VIPER_EXIT_NORMAL, 33);
    UT_CHECK_EXIT(p2, VIPER_EXIT_NORMAL, 22);
    UT_CHECK_EQ(viper_wait(p1, 0, NULL, NULL, NULL), VIPER_ERR_NOT_FOUND);   /* reaped once */
    UT_CHECK_NO_LEAK(&before);
}

static void case_any_child(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t p1 = ut_fork(child_sleep_then_exit, 20 * 100 + 1);
    int64_t p2 = ut_fork(child_sleep_then_exit, 1 * 100 + 2);
    int64_t got = -1, reason = -1, code = -1;
    UT_CHECK_EQ(viper_wait(-1, 0, &got, &reason, &code), VIPER_OK);
    UT_CHECK_EQ(got, p2);
    UT_CHECK_EQ(code, 2);
    UT_CHECK_EQ(viper_wait(-1, 0, &got, &reason, &code), VIPER_OK);
    UT_CHECK_EQ(got, p1);
    UT_CHECK_EQ(code, 1);
    UT_CHECK_EQ(viper_wait(-1, 0, &got, NULL, NULL), VIPER_ERR_NOT_FOUND);
    UT_CHECK_NO_LEAK(&before);
}

static void case_nohang(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t pid = ut_fork(child_sleep_then_exit, 20 * 100 + 9);
    int64_t got = -1;
    UT_CHECK_EQ(viper_wait(pid, VIPER_WAIT_NOHANG, &got, NULL, NULL), VIPER_ERR_WOULD_BLOCK);
    UT_CHECK_EQ(viper_wait(-1, VIPER_WAIT_NOHANG, &got, NULL, NULL), VIPER_ERR_WOULD_BLOCK);
    viper_sleep_ns(60 * MS);
    int64_t reason = -1, code = -1;
    UT_CHECK_EQ(viper_wait(pid, VIPER_WAIT_NOHANG, &got, &reason, &code), VIPER_OK);
    UT_CHECK_EQ(got, pid);
    UT_CHECK_EQ(reason, VIPER_EXIT_NORMAL);
    UT_CHECK_EQ(code, 9);
    UT_CHECK_EQ(viper_wait(-1, VIPER_WAIT_NOHANG, NULL, NULL, NULL), VIPER_ERR_NOT_FOUND);
    UT_CHECK_NO_LEAK(&before);
}

static void case_no_children(void)
{
    UT_CHECK_EQ(viper_wait(-1, 0, NULL, NULL, NULL), VIPER_ERR_NOT_FOUND);
    UT_CHECK_EQ(viper_wait(-1, VIPER_WAIT_NOHANG, NULL, NULL, NULL), VIPER_ERR_NOT_FOUND);
    UT_CHECK_EQ(viper_wait(123456, 0, NULL, NULL, NULL), VIPER_ERR_NOT_FOUND);
    UT_CHECK_EQ(viper_wait(self_pid, 0, NULL, NULL, NULL), VIPER_ERR_NOT_FOUND);
}

static void case_bad_flags(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t pid = ut_fork(child_exit_with, 0);
    UT_CHECK_EQ(viper_wait(-1, 2, NULL, NULL, NULL), VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_wait(pid, ~0ull, NULL, NULL, NULL), VIPER_ERR_INVALID);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    UT_CHECK_NO_LEAK(&before);
}

/* The grandchild outlives its parent and checks that its new parent is init (pid 1). */
static int64_t grandchild_orphan(int64_t unused)
{
    (void)unused;
    viper_sleep_ns(20 * MS);
    int64_t ppid = -1;
    viper_getpid(NULL, &ppid);
    return ppid == 1 ? 77 : 78;
}

static int64_t child_leaves_orphan(int64_t unused)
{
    (void)unused;
    ut_fork(grandchild_orphan, 0);
    return 0;
}

static void case_orphan_to_init(void)
{
    if (self_pid != 1) {
        UT_INFO("not pid 1: skipped");
        return;
    }
    struct viper_kstat before = ut_kstat();
    int64_t pid = ut_fork(child_leaves_orphan, 0);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    int64_t got = -1, reason = -1, code = -1;
    UT_CHECK_EQ(viper_wait(-1, 0, &got, &reason, &code), VIPER_OK);
    UT_CHECK(got != pid && got > 0);
    UT_CHECK_EQ(reason, VIPER_EXIT_NORMAL);
    UT_CHECK_EQ(code, 77);
    UT_CHECK_NO_LEAK(&before);
}

static uint8_t thread_stack[16384] __attribute__((aligned(16)));

static void spinner_thread(uint64_t arg)
{
    (void)arg;
    for (;;)
        __asm__ volatile("" ::: "memory");
}

static void sleeper_thread(uint64_t arg)
{
    viper_sleep_ns(arg * MS);
    viper_thread_exit(1);
}

/* exit() from one thread ends every thread of the process. */
static int64_t child_exit_with_threads(int64_t unused)
{
    (void)unused;
    if (viper_thread_create((uint64_t)(uintptr_t)spinner_thread,
                            (uint64_t)(uintptr_t)(thread_stack + sizeof thread_stack), 0,
                            NULL) != VIPER_OK)
        return 1;
    viper_sleep_ns(5 * MS);
    return 9;
}

/* The main thread leaves with thread_exit; the last thread's exit ends the process, code 0. */
static int64_t child_last_thread(int64_t unused)
{
    (void)unused;
    if (viper_thread_create((uint64_t)(uintptr_t)sleeper_thread,
                            (uint64_t)(uintptr_t)(thread_stack + sizeof thread_stack), 10,
                            NULL) != VIPER_OK)
        return 1;
    viper_thread_exit(5);
}

static void case_threads_and_exit(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t pid = ut_fork(child_exit_with_threads, 0);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 9);
    pid = ut_fork(child_last_thread, 0);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    UT_CHECK_NO_LEAK(&before);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    viper_getpid(&self_pid, NULL);
    UT_RUN(case_no_children);
    UT_RUN_LEAK(case_exit_codes);
    UT_RUN_LEAK(case_return_from_main);
    UT_RUN_LEAK(case_killed);
    UT_RUN_LEAK(case_killed_at_once);
    UT_RUN_LEAK(case_kill_grandchild);
    UT_RUN_LEAK(case_kill_errors);
    UT_RUN_LEAK(case_fault);
    UT_RUN_LEAK(case_specific_pid);
    UT_RUN_LEAK(case_any_child);
    UT_RUN_LEAK(case_nohang);
    UT_RUN_LEAK(case_bad_flags);
    UT_RUN_LEAK(case_orphan_to_init);
    UT_RUN_LEAK(case_threads_and_exit);
    return ut_done();
}
