/*
 * fork_cow.c - fork and copy-on-write: after fork, parent and child each
 * see only their own writes, on the stack, the heap (malloc) and .data,
 * over one page and over many; a chain of forks; fork's return values; no
 * kernel memory or process leaks once every child is reaped.
 *
 * Parent and child write at the same time on purpose: the child writes its
 * pattern, sleeps so the parent writes its own, then checks its copy; the
 * parent does the mirror image.  A child reports through its exit code
 * (0 = good, otherwise the step that failed).
 */
#include "utest.h"

#define SMALL_BYTES  512
#define MANY_PAGES   512            /* 2 MiB */
#define PAGE_BYTES   4096
#define CHAIN_DEPTH  8
#define SETTLE_NS    10000000ull    /* 10 ms: let the other side write */

static uint8_t data_buf[SMALL_BYTES] = { 1, 2, 3 };   /* .data, not .bss */
static int64_t chain_level = -1;

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 7);
}

static int same(const uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)(seed + i * 7))
            return 0;
    return 1;
}

/* Child side of the two-writer check on buffer `arg` (SMALL_BYTES). */
static int64_t child_writer(int64_t arg)
{
    uint8_t *p = (uint8_t *)(uintptr_t)arg;
    if (!same(p, SMALL_BYTES, 0x10))
        return 1;                       /* did not inherit the parent's data */
    fill(p, SMALL_BYTES, 0x80);
    viper_sleep_ns(SETTLE_NS);
    return same(p, SMALL_BYTES, 0x80) ? 0 : 2;
}

static void two_writers(uint8_t *p)
{
    fill(p, SMALL_BYTES, 0x10);
    int64_t pid = ut_fork(child_writer, (int64_t)(uintptr_t)p);
    fill(p, SMALL_BYTES, 0x40);
    viper_sleep_ns(2 * SETTLE_NS);
    UT_CHECK(same(p, SMALL_BYTES, 0x40));
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    UT_CHECK(same(p, SMALL_BYTES, 0x40));
}

static void case_stack(void)
{
    struct viper_kstat before = ut_kstat();
    volatile uint8_t buf[SMALL_BYTES];
    two_writers((uint8_t *)buf);
    UT_CHECK_NO_LEAK(&before);
}

/* The heap never shrinks, so the counters are taken once the buffer is in place. */
static void case_heap(void)
{
    uint8_t *p = malloc(SMALL_BYTES);
    UT_CHECK(p != NULL);
    if (!p)
        return;
    fill(p, SMALL_BYTES, 0x10);
    struct viper_kstat before = ut_kstat();
    two_writers(p);
    UT_CHECK_NO_LEAK(&before);
    free(p);
}

static void case_data(void)
{
    struct viper_kstat before = ut_kstat();
    two_writers(data_buf);
    UT_CHECK_NO_LEAK(&before);
}

/* Every page: check the inherited contents, then overwrite them all. */
static int64_t child_many(int64_t arg)
{
    uint8_t *p = (uint8_t *)(uintptr_t)arg;
    for (int i = 0; i < MANY_PAGES; i++)
        if (p[i * PAGE_BYTES] != (uint8_t)i || p[i * PAGE_BYTES + PAGE_BYTES - 1] != (uint8_t)~i)
            return 1;
    memset(p, 0xa5, (size_t)MANY_PAGES * PAGE_BYTES);
    viper_sleep_ns(SETTLE_NS);
    for (size_t i = 0; i < (size_t)MANY_PAGES * PAGE_BYTES; i += 64)
        if (p[i] != 0xa5)
            return 2;
    return 0;
}

static void case_many_pages(void)
{
    uint8_t *p = malloc((size_t)MANY_PAGES * PAGE_BYTES);
    UT_CHECK(p != NULL);
    if (!p)
        return;
    for (int i = 0; i < MANY_PAGES; i++) {
        memset(p + i * PAGE_BYTES, i, PAGE_BYTES - 1);
        p[i * PAGE_BYTES + PAGE_BYTES - 1] = (uint8_t)~i;
    }
    struct viper_kstat before = ut_kstat();
    int64_t pid = ut_fork(child_many, (int64_t)(uintptr_t)p);
    for (int i = 0; i < MANY_PAGES; i += 2)        /* the parent writes half the pages */
        p[i * PAGE_BYTES + 1] = 0x5a;
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    int bad = 0;
    for (int i = 0; i < MANY_PAGES; i++) {
        uint8_t want1 = (i % 2 == 0) ? 0x5a : (uint8_t)i;
        if (p[i * PAGE_BYTES] != (uint8_t)i || p[i * PAGE_BYTES + 1] != want1 ||
            p[i * PAGE_BYTES + PAGE_BYTES - 1] != (uint8_t)~i)
            bad++;
    }
    UT_CHECK_EQ(bad, 0);
    UT_CHECK_NO_LEAK(&before);
    free(p);
}

/*
 * Each level forks the next, which overwrites chain_level; each level then
 * checks its own value survived.  Exit code = number of levels below that
 * checked out, so the top sees CHAIN_DEPTH.
 */
static int64_t chain(int64_t level)
{
    chain_level = level;
    if (level == CHAIN_DEPTH)
        return 0;
    int64_t pid = -1;
    if (viper_fork(&pid) != VIPER_OK)
        return 100;
    if (pid == 0)
        viper_exit(chain(level + 1));
    int64_t got = -1, reason = -1, code = -1;
    if (viper_wait(pid, 0, &got, &reason, &code) != VIPER_OK || got != pid ||
        reason != VIPER_EXIT_NORMAL)
        return 101;
    if (chain_level != level)
        return 102;
    return code + 1;
}

static void case_chain(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t got = chain(0);
    UT_CHECK_EQ(got, CHAIN_DEPTH);
    UT_CHECK_EQ(chain_level, 0);
    UT_CHECK_NO_LEAK(&before);
}

static int64_t child_ids(int64_t parent)
{
    int64_t pid = -1, ppid = -1;
    viper_getpid(&pid, &ppid);
    if (ppid != parent)
        return 1;
    if (pid == parent || pid <= 0)
        return 2;
    return 0;
}

static void case_return_values(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t self = -1;
    viper_getpid(&self, NULL);
    int64_t pid = ut_fork(child_ids, self);
    UT_CHECK(pid > 0 && pid != self);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    UT_CHECK_NO_LEAK(&before);
}

/* FP/SIMD registers live across fork: the child sees the parent's values. */
static void case_fp_state(void)
{
    struct viper_kstat before = ut_kstat();
    volatile double seed = 1.0 / 3.0;
    double x = seed * 3.0 + 0.25;
    int64_t pid = -1;
    fflush(stdout);
    int64_t rc = viper_fork(&pid);
    UT_CHECK_EQ(rc, VIPER_OK);
    if (rc == VIPER_OK && pid == 0)
        viper_exit(x == 1.25 ? 0 : 1);
    UT_CHECK(x == 1.25);
    if (rc == VIPER_OK)
        UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    UT_CHECK_NO_LEAK(&before);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    UT_RUN_LEAK(case_return_values);
    UT_RUN_LEAK(case_stack);
    UT_RUN_LEAK(case_heap);
    UT_RUN_LEAK(case_data);
    UT_RUN_LEAK(case_many_pages);
    UT_RUN_LEAK(case_chain);
    UT_RUN_LEAK(case_fp_state);
    return ut_done();
}
