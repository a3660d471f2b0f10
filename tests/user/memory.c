/*
 * memory.c - the address space from user space: mmap (demand-zero, hints,
 * MAP_FIXED replacing), munmap'd memory faults, mprotect (read-only keeps
 * the data but kills a writer; PROT_NONE kills a reader, whether or not
 * the page was touched before; no-exec kills a jump, R+X runs code), brk
 * and malloc growth and shrinking, and the memory limit (a child over it is
 * killed with VIPER_EXIT_OOM, brk over it is refused, the limit is
 * inherited).  Faulting work happens in children; the parent checks how
 * they ended and that the kernel counters come back.
 */
#include "utest.h"

#define PAGE      4096ull
#define MIB       (1ull << 20)
#define RW        (VIPER_PROT_READ | VIPER_PROT_WRITE)
#define EC_IABT_LOWER 0x20
#define EC_DABT_LOWER 0x24

static uint64_t map(uint64_t len, uint64_t prot)
{
    uint64_t a = 0;
    UT_CHECK_EQ(viper_mmap(0, len, prot, 0, &a), VIPER_OK);
    return a;
}

static void case_mmap_basics(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = map(16 * PAGE, RW);
    uint8_t *p = (uint8_t *)(uintptr_t)a;
    int nonzero = 0;
    for (uint64_t i = 0; i < 16 * PAGE; i += 512)
        nonzero += p[i] != 0;
    UT_CHECK_EQ(nonzero, 0);
    UT_CHECK(a >= VIPER_USER_MMAP_BASE && a % PAGE == 0);
    memset(p, 0x77, 16 * PAGE);
    UT_CHECK_EQ(p[16 * PAGE - 1], 0x77);
    uint64_t b = 0;      /* MAP_FIXED over the middle: fresh zero pages there */
    UT_CHECK_EQ(viper_mmap(a + 4 * PAGE, 2 * PAGE, RW, VIPER_MAP_FIXED, &b), VIPER_OK);
    UT_CHECK_EQ(b, a + 4 * PAGE);
    UT_CHECK_EQ(p[4 * PAGE], 0);
    UT_CHECK_EQ(p[6 * PAGE - 1], 0);
    UT_CHECK_EQ(p[3 * PAGE], 0x77);
    UT_CHECK_EQ(p[6 * PAGE], 0x77);
    uint64_t hint = a + 64 * PAGE, c = 0;
    UT_CHECK_EQ(viper_mmap(hint, PAGE, RW, 0, &c), VIPER_OK);
    UT_CHECK_EQ(c, hint);                 /* a free hint is taken */
    UT_CHECK_EQ(viper_munmap(c, PAGE), VIPER_OK);
    UT_CHECK_EQ(viper_munmap(a, 16 * PAGE), VIPER_OK);
    UT_CHECK_EQ(viper_munmap(a, 16 * PAGE), VIPER_OK);   /* nothing there: ignored */
    UT_CHECK_NO_LEAK(&before);
}

/* The child touches touch_addr (read, write or call) and must be killed for it. */
enum touch { TOUCH_READ, TOUCH_WRITE, TOUCH_CALL };
static uint64_t touch_addr;
static enum touch touch_how;

static int64_t child_touch(int64_t unused)
{
    (void)unused;
    uint64_t addr = ut_opaque(touch_addr);
    enum touch how = touch_how;
    ut_expect_fault(how == TOUCH_READ ? "read" : how == TOUCH_WRITE ? "write" : "call");
    if (how == TOUCH_READ)
        return *(volatile uint8_t *)(uintptr_t)addr + 1000;
    if (how == TOUCH_WRITE) {
        *(volatile uint8_t *)(uintptr_t)addr = 1;
        return 1000;
    }
    ((void (*)(void))(uintptr_t)addr)();
    return 1000;
}

static void expect_killed(uint64_t addr, enum touch how, int64_t ec)
{
    touch_addr = addr;     /* the child gets its copy */
    touch_how = how;
    int64_t pid = ut_fork(child_touch, 0);
    UT_CHECK_EXIT(pid, VIPER_EXIT_FAULT, ec);
}

static void case_munmap_faults(void)
{
    uint64_t a = map(4 * PAGE, RW);
    memset((void *)(uintptr_t)a, 1, 4 * PAGE);
    UT_CHECK_EQ(viper_munmap(a + PAGE, 2 * PAGE), VIPER_OK);
    struct viper_kstat before = ut_kstat();
    expect_killed(a + PAGE, TOUCH_READ, EC_DABT_LOWER);
    expect_killed(a + 2 * PAGE + 100, TOUCH_WRITE, EC_DABT_LOWER);
    UT_CHECK_EQ(((volatile uint8_t *)(uintptr_t)a)[0], 1);             /* neighbours intact */
    UT_CHECK_EQ(((volatile uint8_t *)(uintptr_t)a)[3 * PAGE], 1);
    UT_CHECK_NO_LEAK(&before);
    viper_munmap(a, 4 * PAGE);
}

static void case_mprotect_readonly(void)
{
    struct viper_kstat before = ut_kstat();   /* mprotect splits the VMA until munmap */
    uint64_t a = map(2 * PAGE, RW);
    memset((void *)(uintptr_t)a, 0x42, 2 * PAGE);
    UT_CHECK_EQ(viper_mprotect(a, PAGE, VIPER_PROT_READ), VIPER_OK);
    UT_CHECK_EQ(((volatile uint8_t *)(uintptr_t)a)[10], 0x42);          /* still readable */
    expect_killed(a + 10, TOUCH_WRITE, EC_DABT_LOWER);
    ((volatile uint8_t *)(uintptr_t)a)[PAGE] = 1;                       /* the other page: RW */
    UT_CHECK_EQ(viper_mprotect(a, PAGE, RW), VIPER_OK);
    ((volatile uint8_t *)(uintptr_t)a)[10] = 9;
    UT_CHECK_EQ(((volatile uint8_t *)(uintptr_t)a)[10], 9);
    UT_CHECK_EQ(viper_munmap(a, 2 * PAGE), VIPER_OK);
    UT_CHECK_NO_LEAK(&before);
}

static void case_prot_none_untouched(void)
{
    uint64_t a = map(PAGE, VIPER_PROT_NONE);
    struct viper_kstat before = ut_kstat();
    expect_killed(a, TOUCH_READ, EC_DABT_LOWER);
    expect_killed(a, TOUCH_WRITE, EC_DABT_LOWER);
    UT_CHECK_NO_LEAK(&before);
    viper_munmap(a, PAGE);
}

/* A page with data in it, then PROT_NONE: reading it must fault too. */
static void case_prot_none_touched(void)
{
    uint64_t a = map(PAGE, RW);
    memset((void *)(uintptr_t)a, 0x5a, PAGE);
    UT_CHECK_EQ(viper_mprotect(a, PAGE, VIPER_PROT_NONE), VIPER_OK);
    struct viper_kstat before = ut_kstat();
    expect_killed(a, TOUCH_READ, EC_DABT_LOWER);
    expect_killed(a, TOUCH_WRITE, EC_DABT_LOWER);
    UT_CHECK_NO_LEAK(&before);
    viper_munmap(a, PAGE);
}

/* mov w0, #42; ret */
static const uint32_t ret42[] = { 0x52800540, 0xd65f03c0 };

static void case_exec_permission(void)
{
    uint64_t a = map(PAGE, RW);
    memcpy((void *)(uintptr_t)a, ret42, sizeof ret42);
    /* No cache maintenance: EL0 may not use CTR_EL0/DC CVAU/IC IVAU here (SCTLR_EL1.UCT/UCI
     * are clear), and QEMU keeps instruction fetch coherent with stores anyway. */
    struct viper_kstat before = ut_kstat();
    expect_killed(a, TOUCH_CALL, EC_IABT_LOWER);                        /* RW is not X */
    UT_CHECK_EQ(viper_mprotect(a, PAGE, VIPER_PROT_READ | VIPER_PROT_EXEC), VIPER_OK);
    int (*fn)(void) = (int (*)(void))(uintptr_t)a;
    UT_CHECK_EQ(fn(), 42);
    expect_killed(a, TOUCH_WRITE, EC_DABT_LOWER);                       /* R+X is not W */
    UT_CHECK_NO_LEAK(&before);
    viper_munmap(a, PAGE);
}

static void case_brk_growth(void)
{
    uint64_t end0 = 0, end = 0;
    UT_CHECK_EQ(viper_brk(0, &end0), VIPER_OK);
    UT_CHECK_EQ(viper_brk(end0 + 4 * MIB, &end), VIPER_OK);
    UT_CHECK_EQ(end, end0 + 4 * MIB);
    memset((void *)(uintptr_t)end0, 0x33, 4 * MIB);
    UT_CHECK_EQ(((volatile uint8_t *)(uintptr_t)end0)[4 * MIB - 1], 0x33);
    struct viper_kstat grown = ut_kstat();
    UT_CHECK_EQ(viper_brk(end0 + PAGE, &end), VIPER_OK);                /* give 4 MiB back */
    UT_CHECK_EQ(end, end0 + PAGE);
    struct viper_kstat shrunk = ut_kstat();
    UT_CHECK(shrunk.free_pages >= grown.free_pages + 4 * MIB / PAGE - 2);
    expect_killed((end0 + 2 * MIB) & ~(PAGE - 1), TOUCH_READ, EC_DABT_LOWER);
    UT_CHECK_EQ(viper_brk(end0 + 2 * PAGE, &end), VIPER_OK);
    UT_CHECK_EQ(((volatile uint8_t *)(uintptr_t)(end0 + PAGE))[0], 0);  /* regrown: zero */
    UT_CHECK_EQ(viper_brk(end0, &end), VIPER_OK);
}

static void case_malloc_growth(void)
{
    enum { CHUNKS = 24, CHUNK = 512 * 1024 };
    static uint8_t *chunks[CHUNKS];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < CHUNKS; i++) {
            chunks[i] = malloc(CHUNK);
            UT_CHECK(chunks[i] != NULL);
            if (chunks[i])
                memset(chunks[i], i + round, CHUNK);
        }
        int bad = 0;
        for (int i = 0; i < CHUNKS; i++)
            if (chunks[i] && (chunks[i][0] != (uint8_t)(i + round) ||
                              chunks[i][CHUNK - 1] != (uint8_t)(i + round)))
                bad++;
        UT_CHECK_EQ(bad, 0);
        for (int i = 0; i < CHUNKS; i++)
            free(chunks[i]);
    }
}

/* Touch `bytes` of fresh memory after lowering the limit to `limit`. */
static int64_t child_over_limit(int64_t limit)
{
    if (viper_set_limit(VIPER_LIMIT_MEMORY, (uint64_t)limit) != VIPER_OK)
        return 1;
    uint64_t end = 0;
    viper_brk(0, &end);
    if (viper_brk(end + 2 * (uint64_t)limit, NULL) != VIPER_ERR_LIMIT)
        return 2;
    uint64_t a = 0;
    if (viper_mmap(0, 4 * (uint64_t)limit, RW, 0, &a) != VIPER_OK)
        return 3;
    ut_expect_fault("touch 4x the memory limit");
    for (uint64_t off = 0; off < 4 * (uint64_t)limit; off += PAGE)
        ((volatile uint8_t *)(uintptr_t)a)[off] = 1;
    return 4;
}

static void case_memory_limit(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t pid = ut_fork(child_over_limit, (int64_t)MIB);
    UT_CHECK_EXIT(pid, VIPER_EXIT_OOM, 0);
    UT_CHECK_NO_LEAK(&before);
}

static int64_t child_write_one(int64_t addr)
{
    *(volatile uint8_t *)(uintptr_t)addr = 1;
    return 0;
}

/* The limit is inherited: the grandchild is held to it too. */
static int64_t child_limit_inherited(int64_t unused)
{
    (void)unused;
    if (viper_set_limit(VIPER_LIMIT_MEMORY, 2 * MIB) != VIPER_OK)
        return 1;
    int64_t pid = ut_fork(child_over_limit, (int64_t)(4 * MIB));   /* cannot raise: refused */
    int64_t got = -1, reason = -1, code = -1;
    viper_wait(pid, 0, &got, &reason, &code);
    if (reason != VIPER_EXIT_NORMAL || code != 1)
        return 2;
    uint64_t a = 0;
    viper_mmap(0, 8 * MIB, RW, 0, &a);
    pid = ut_fork(child_write_one, (int64_t)(a + 6 * MIB));
    viper_wait(pid, 0, &got, &reason, &code);
    if (reason != VIPER_EXIT_NORMAL || code != 0)
        return 3;                  /* one page is well within 2 MiB */
    ut_expect_fault("touch 8 MiB under an inherited 2 MiB limit");
    for (uint64_t off = 0; off < 8 * MIB; off += PAGE)
        ((volatile uint8_t *)(uintptr_t)a)[off] = 1;
    return 4;
}

static void case_memory_limit_inherited(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t pid = ut_fork(child_limit_inherited, 0);
    UT_CHECK_EXIT(pid, VIPER_EXIT_OOM, 0);
    UT_CHECK_NO_LEAK(&before);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    UT_RUN_LEAK(case_memory_limit);            /* first, while this process is small */
    UT_RUN_LEAK(case_memory_limit_inherited);
    UT_RUN_LEAK(case_mmap_basics);
    UT_RUN_LEAK(case_munmap_faults);
    UT_RUN_LEAK(case_mprotect_readonly);
    UT_RUN_LEAK(case_prot_none_untouched);
    UT_RUN_LEAK(case_prot_none_touched);
    UT_RUN_LEAK(case_exec_permission);
    UT_RUN(case_brk_growth);
    UT_RUN(case_malloc_growth);
    return ut_done();
}
