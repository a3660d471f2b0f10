/*
 * bad_args.c - every system call with hostile arguments: NULL, unmapped,
 * kernel (0xffff000000000000), read-only, PROT_NONE, misaligned and
 * page-straddling pointers, huge lengths, out-of-range numbers, unknown
 * call numbers.  Each must return an error code (printed as INFO) and the
 * process must live on: no call may kill it.  A few pointers that are
 * legal but unusual (a not-yet-touched page, a copy-on-write page) must
 * work.  The process's own memory is set up first, so the leak check at
 * the end sees only the kernel's side.
 */
#include "utest.h"

#define KPTR        0xffff000000000000ull
#define UNMAPPED    0x0000007000000000ull
#define PAGE        4096ull
#define ARGS_TOO_MANY 300
#define ARG_CHUNK   1000
#define ARG_CHUNKS  100     /* 100 KB of argument strings: over the kernel's 64 KiB */

static char buf[64] = "bad_args: this write is fine\n";
static const struct viper_kstat rodata_kstat = { 0 };   /* read-only */
static uint8_t *area;       /* page 0: R+W, page 1: PROT_NONE, page 2: unmapped */
static uint64_t ro_page;    /* R only */
static char long_path[400];
static char big_arg[ARG_CHUNK];
static const char *many_argv[ARGS_TOO_MANY + 2];
static const char *big_argv[ARG_CHUNKS + 2];

/* rc must be an error (want, or any error when want is 0). */
#define EXPECT_ERR(call, want) expect_err(#call, (call), (want), __FILE__, __LINE__)

static void expect_err(const char *what, int64_t rc, int64_t want, const char *file, int line)
{
    UT_INFO("%s = %lld", what, (long long)rc);
    if (want != 0 && rc != want)
        ut_fail_eq(file, line, what, rc, want);
    else if (rc >= 0)
        ut_fail_eq(file, line, what, rc, -1);
}

static void setup(void)
{
    uint64_t a = 0;
    UT_CHECK_EQ(viper_mmap(0, PAGE, VIPER_PROT_READ | VIPER_PROT_WRITE, 0, &ro_page), VIPER_OK);
    UT_CHECK_EQ(viper_mmap(0, 3 * PAGE, VIPER_PROT_READ | VIPER_PROT_WRITE, 0, &a), VIPER_OK);
    area = (uint8_t *)(uintptr_t)a;
    memset(area, 'a', 2 * PAGE);
    UT_CHECK_EQ(viper_mprotect(a + PAGE, PAGE, VIPER_PROT_NONE), VIPER_OK);
    UT_CHECK_EQ(viper_munmap(a + 2 * PAGE, PAGE), VIPER_OK);
    memset((void *)(uintptr_t)ro_page, 0, PAGE);
    UT_CHECK_EQ(viper_mprotect(ro_page, PAGE, VIPER_PROT_READ), VIPER_OK);
    memset(long_path, 'p', sizeof long_path - 1);
    long_path[0] = '/';
    memset(big_arg, 'b', sizeof big_arg - 1);
    for (int i = 0; i < ARGS_TOO_MANY; i++)
        many_argv[i] = "x";
    for (int i = 0; i < ARG_CHUNKS; i++)
        big_argv[i] = big_arg;
}

static void case_debug_write(void)
{
    UT_CHECK_EQ(viper_debug_write(buf, strlen(buf)), VIPER_OK);
    EXPECT_ERR(viper_debug_write(NULL, 10), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_debug_write((const char *)KPTR, 10), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_debug_write((const char *)UNMAPPED, 10), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_debug_write((const char *)(area + PAGE), 10), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_debug_write((const char *)(area + PAGE - 4), 10), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_debug_write((const char *)(area + 2 * PAGE), 10), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_debug_write((const char *)~15ull, 32), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_debug_write(buf, 1ull << 40), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_debug_write(buf, 4097), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_debug_write(buf, ~0ull), VIPER_ERR_INVALID);
    int64_t rc = viper_debug_write(NULL, 0);
    UT_INFO("viper_debug_write(NULL, 0) = %lld", (long long)rc);
    UT_CHECK(rc == VIPER_OK || rc == VIPER_ERR_FAULT);
}

/* spawn and exec take the same arguments and must refuse them the same way. */
static void both(const char *what, const char *path, const char *const *argv,
                 const char *const *envp, int64_t want, int line)
{
    int64_t pid = -1;
    char label[96];
    snprintf(label, sizeof label, "spawn(%s)", what);
    expect_err(label, viper_spawn(path, argv, envp, NULL, 0, &pid), want, __FILE__, line);
    snprintf(label, sizeof label, "exec(%s)", what);
    expect_err(label, viper_exec(path, argv, envp), want, __FILE__, line);
}

static void case_spawn_exec(void)
{
    static const char *const ok_argv[] = { "exec_helper", NULL };
    static const char *const unmapped_argv[] = { (const char *)UNMAPPED, NULL };
    static const char *const kernel_argv[] = { "exec_helper", (const char *)KPTR, NULL };
    static const char *const null_area_argv[] = { (const char *)0x20, NULL };
    const char *const *straddle = (const char *const *)(uintptr_t)(area + PAGE - 8);
    const char *path = "/tests/exec_helper";
    memset(area + PAGE - 16, 'q', 16);           /* a string that runs into PROT_NONE */
    both("unterminated path", (const char *)(area + PAGE - 16), ok_argv, NULL, VIPER_ERR_FAULT,
         __LINE__);
    ((const char **)(uintptr_t)(area + PAGE - 8))[0] = path;   /* no NULL before PROT_NONE */

    both("NULL path", NULL, ok_argv, NULL, VIPER_ERR_FAULT, __LINE__);
    both("kernel path", (const char *)KPTR, ok_argv, NULL, VIPER_ERR_FAULT, __LINE__);
    both("400-byte path", long_path, ok_argv, NULL, 0, __LINE__);
    both("argv unmapped", path, (const char *const *)UNMAPPED, NULL, VIPER_ERR_FAULT, __LINE__);
    both("argv kernel", path, (const char *const *)KPTR, NULL, VIPER_ERR_FAULT, __LINE__);
    both("argv[0] unmapped", path, unmapped_argv, NULL, VIPER_ERR_FAULT, __LINE__);
    both("argv[1] kernel", path, kernel_argv, NULL, VIPER_ERR_FAULT, __LINE__);
    both("argv[0] in NULL page", path, null_area_argv, NULL, VIPER_ERR_FAULT, __LINE__);
    both("argv runs into PROT_NONE", path, straddle, NULL, VIPER_ERR_FAULT, __LINE__);
    both("envp unmapped", path, ok_argv, (const char *const *)UNMAPPED, VIPER_ERR_FAULT,
         __LINE__);
    both("envp[0] kernel", path, ok_argv, unmapped_argv, VIPER_ERR_FAULT, __LINE__);
    both("300 arguments", path, many_argv, NULL, 0, __LINE__);
    both("100 KB of arguments", path, big_argv, NULL, 0, __LINE__);
    both("100 KB of environment", path, ok_argv, big_argv, 0, __LINE__);
}

static void never_runs(uint64_t arg)
{
    viper_thread_exit((int64_t)arg);
}

static void case_kstat(void)
{
    struct viper_kstat k;
    EXPECT_ERR(viper_kstat(NULL), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_kstat((struct viper_kstat *)KPTR), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_kstat((struct viper_kstat *)UNMAPPED), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_kstat((struct viper_kstat *)((uintptr_t)&k + 1)), 0);
    EXPECT_ERR(viper_kstat((struct viper_kstat *)(uintptr_t)&rodata_kstat), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_kstat((struct viper_kstat *)(uintptr_t)ro_page), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_kstat((struct viper_kstat *)(uintptr_t)(area + PAGE)), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_kstat((struct viper_kstat *)(uintptr_t)(area + PAGE - 16)),
               VIPER_ERR_FAULT);
    EXPECT_ERR(viper_kstat((struct viper_kstat *)((uintptr_t)never_runs & ~7ul)),
               VIPER_ERR_FAULT);   /* .text, 8-aligned */
    UT_CHECK_EQ(rodata_kstat.free_pages, 0);
    UT_CHECK_EQ(viper_kstat(&k), VIPER_OK);
    UT_CHECK(k.total_pages > 0 && k.free_pages <= k.total_pages);
}

/* Legal pointers the kernel must handle: an untouched page, a copy-on-write page. */
static struct viper_kstat cow_kstat;

static int64_t child_kstat_cow(int64_t unused)
{
    (void)unused;
    if (viper_kstat(&cow_kstat) != VIPER_OK)
        return 1;
    return cow_kstat.total_pages != 0 ? 0 : 2;
}

static void case_kernel_writes_legal_pages(void)
{
    uint64_t fresh = 0;
    UT_CHECK_EQ(viper_mmap(0, PAGE, VIPER_PROT_READ | VIPER_PROT_WRITE, 0, &fresh), VIPER_OK);
    UT_CHECK_EQ(viper_kstat((struct viper_kstat *)(uintptr_t)fresh), VIPER_OK);
    UT_CHECK(((struct viper_kstat *)(uintptr_t)fresh)->total_pages != 0);
    UT_CHECK_EQ(viper_munmap(fresh, PAGE), VIPER_OK);
    memset(&cow_kstat, 0, sizeof cow_kstat);
    int64_t pid = ut_fork(child_kstat_cow, 0);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    UT_CHECK_EQ(cow_kstat.total_pages, 0);   /* the child's write stayed in the child */
}

static void case_memory_calls(void)
{
    uint64_t a = 0;
    const uint64_t rw = VIPER_PROT_READ | VIPER_PROT_WRITE;
    EXPECT_ERR(viper_mmap(0, 0, rw, 0, &a), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_mmap(0, 1ull << 48, rw, 0, &a), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_mmap(0, ~0ull, rw, 0, &a), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_mmap(0, PAGE, 8, 0, &a), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_mmap(0, PAGE, ~0ull, 0, &a), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_mmap(0, PAGE, rw, 2, &a), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_mmap(0x1000000001ull, PAGE, rw, VIPER_MAP_FIXED, &a), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_mmap(KPTR, PAGE, rw, VIPER_MAP_FIXED, &a), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_mmap(0, PAGE, rw, VIPER_MAP_FIXED, &a), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_mmap(VIPER_USER_MAX - PAGE, 2 * PAGE, rw, VIPER_MAP_FIXED, &a),
               VIPER_ERR_INVALID);
    EXPECT_ERR(viper_munmap((uint64_t)(uintptr_t)area + 1, PAGE), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_munmap(KPTR, PAGE), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_munmap(VIPER_USER_MAX - PAGE, 4 * PAGE), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_mprotect((uint64_t)(uintptr_t)area + 8, PAGE, VIPER_PROT_READ),
               VIPER_ERR_INVALID);
    EXPECT_ERR(viper_mprotect((uint64_t)(uintptr_t)area, PAGE, 16), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_mprotect(UNMAPPED, PAGE, VIPER_PROT_READ), VIPER_ERR_NOT_FOUND);
    EXPECT_ERR(viper_mprotect(KPTR, PAGE, VIPER_PROT_READ), 0);
    uint64_t end = 0;
    EXPECT_ERR(viper_brk(0x20000, &end), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_brk(1ull << 60, &end), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_brk(KPTR, &end), VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_brk(0, &end), VIPER_OK);
    UT_CHECK(end >= VIPER_USER_IMAGE);
    area[0] = 'z';                        /* what we own still works */
    UT_CHECK_EQ(area[0], 'z');
}

static void case_thread_calls(void)
{
    static uint8_t stack[4096] __attribute__((aligned(16)));
    uint64_t entry = (uint64_t)(uintptr_t)never_runs;
    uint64_t top = (uint64_t)(uintptr_t)(stack + sizeof stack);
    int64_t tid = -1;
    EXPECT_ERR(viper_thread_create(KPTR, top, 0, &tid), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_thread_create(entry + 1, top, 0, &tid), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_thread_create(entry + 2, top, 0, &tid), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_thread_create(entry, top - 8, 0, &tid), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_thread_create(entry, top + 1, 0, &tid), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_thread_create(entry, KPTR, 0, &tid), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_thread_create(entry, 0, 0, &tid), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_thread_join(999999, NULL), VIPER_ERR_NOT_FOUND);
    EXPECT_ERR(viper_set_priority(0, 999), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_set_priority(0, 256), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_set_priority(0, ~0ull), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_set_priority(999999, 10), VIPER_ERR_NOT_FOUND);
}

static int64_t child_limits(int64_t unused)
{
    (void)unused;
    if (viper_set_limit(VIPER_LIMIT_MEMORY, 32ull << 20) != VIPER_OK)
        return 1;
    if (viper_set_limit(VIPER_LIMIT_MEMORY, 33ull << 20) != VIPER_ERR_ACCESS_DENIED)
        return 2;
    if (viper_set_limit(VIPER_LIMIT_PROCS, 1000000) != VIPER_ERR_ACCESS_DENIED)
        return 3;
    if (viper_set_limit(VIPER_LIMIT_PROCS, 4) != VIPER_OK)
        return 4;
    if (viper_set_limit(VIPER_LIMIT_PROCS, 5) != VIPER_ERR_ACCESS_DENIED)
        return 5;
    return 0;
}

static void case_process_calls(void)
{
    EXPECT_ERR(viper_set_limit(99, 0), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_set_limit(~0ull, 0), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_wait(-1, 2, NULL, NULL, NULL), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_wait(-1, ~0ull, NULL, NULL, NULL), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_wait(-1, 0, NULL, NULL, NULL), VIPER_ERR_NOT_FOUND);
    EXPECT_ERR(viper_kill(-1), VIPER_ERR_NOT_FOUND);
    EXPECT_ERR(viper_kill(INT64_MIN), VIPER_ERR_NOT_FOUND);
    int64_t pid = ut_fork(child_limits, 0);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
}

static int64_t raw_syscall(uint64_t nr, uint64_t a0)
{
    register uint64_t x8 __asm__("x8") = nr;
    register uint64_t x0 __asm__("x0") = a0;
    register uint64_t x1 __asm__("x1") = 0;
    register uint64_t x2 __asm__("x2") = 0;
    register uint64_t x3 __asm__("x3") = 0;
    __asm__ volatile("svc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x8) : : "memory");
    return (int64_t)x0;
}

static void case_unknown_syscall(void)
{
    EXPECT_ERR(raw_syscall(VIPER_SYS_COUNT, 0), VIPER_ERR_NOT_SUPPORTED);
    EXPECT_ERR(raw_syscall(999, 0), VIPER_ERR_NOT_SUPPORTED);
    EXPECT_ERR(raw_syscall(1ull << 32, 0), VIPER_ERR_NOT_SUPPORTED);
    EXPECT_ERR(raw_syscall(~0ull, 0), VIPER_ERR_NOT_SUPPORTED);
    EXPECT_ERR(raw_syscall(1ull << 63 | VIPER_SYS_EXIT, 0), VIPER_ERR_NOT_SUPPORTED);
}

static struct viper_kstat start_kstat;

/* Everything above, once more, then the kernel counters must be where they started. */
static void case_no_leak(void)
{
    int failures = ut_case_failures;
    ut_warmup = 1;   /* the repeat's own results were reported already: only the leak counts */
    case_debug_write();
    case_spawn_exec();
    case_kstat();
    case_kernel_writes_legal_pages();
    case_memory_calls();
    case_thread_calls();
    case_process_calls();
    case_unknown_syscall();
    ut_warmup = 0;
    ut_case_failures = failures;
    UT_CHECK_NO_LEAK(&start_kstat);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    setup();
    start_kstat = ut_kstat();
    UT_RUN(case_debug_write);
    UT_RUN(case_spawn_exec);
    UT_RUN(case_kstat);
    UT_RUN(case_kernel_writes_legal_pages);
    UT_RUN(case_memory_calls);
    UT_RUN(case_thread_calls);
    UT_RUN(case_process_calls);
    UT_RUN(case_unknown_syscall);
    UT_RUN(case_no_leak);
    return ut_done();
}
