/*
 * tests/user/utest.h - a tiny harness for the in-OS user-space tests.
 *
 * Each test program is one file under tests/user/ (it becomes /tests/<name>
 * in the initrd) and the grader boots it as init: `init=/tests/<name>`.  The
 * kernel hands the first process `NONCE=<hex>` in its environment; every
 * result line carries that nonce, so only this run's lines are believed
 * (docs/grader.md):
 *
 *     UTEST <nonce> PASS <prog>.<case>
 *     UTEST <nonce> FAIL <prog>.<case>: <file>:<line>: <expr> [(got .., want ..)]
 *     UTEST <nonce> INFO <prog>.<case>: <free text>
 *     UTEST <nonce> DONE passed=N failed=M
 *
 * Usage:
 *     static void case_foo(void) { UT_CHECK(x == 1); UT_CHECK_EQ(rc, VIPER_OK); }
 *     int main(int argc, char **argv, char **envp)
 *     {
 *         ut_init(argc, argv, envp);
 *         UT_RUN(case_foo);          // reported as <prog>.foo
 *         return ut_done();          // 0 when nothing failed
 *     }
 *
 * A case fails on its first failed check (later ones are still evaluated,
 * only the first reason is printed).  Only the main thread of the test
 * process prints: stdio is not thread-safe and children report through
 * their exit status.  ut_fork() flushes stdout first, so a child never
 * repeats buffered output.  Header-only: every function is static inline.
 */
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <viper/sys.h>
#include <viper/time.h>

#define UT_REASON_MAX 240

extern char **environ;   /* libc start.c: the envp main got */

#define UT_UNUSED __attribute__((unused))

static UT_UNUSED const char *ut_nonce = "no-nonce";
static UT_UNUSED const char *ut_prog = "?";
static UT_UNUSED const char *ut_case = "?";
static UT_UNUSED int ut_passed;
static UT_UNUSED int ut_failed;
static UT_UNUSED int ut_case_failures;
static UT_UNUSED char ut_reason[UT_REASON_MAX];
static UT_UNUSED int ut_warmup;   /* in a UT_RUN_LEAK warm-up run: skip leak checks */

/* Record a failed check; only the first reason of a case is kept. */
static inline void ut_fail_at(const char *file, int line, const char *what)
{
    if (ut_case_failures++ == 0)
        snprintf(ut_reason, sizeof ut_reason, "%s:%d: %s", file, line, what);
}

static inline void ut_fail_eq(const char *file, int line, const char *what, int64_t got,
                              int64_t want)
{
    if (ut_case_failures++ == 0)
        snprintf(ut_reason, sizeof ut_reason, "%s:%d: %s (got %lld, want %lld)", file, line,
                 what, (long long)got, (long long)want);
}

#define UT_CHECK(cond)                                         \
    do {                                                       \
        if (!(cond))                                           \
            ut_fail_at(__FILE__, __LINE__, #cond);             \
    } while (0)

/* a == b as int64_t; the failure shows both values. */
#define UT_CHECK_EQ(a, b)                                                     \
    do {                                                                      \
        int64_t ut_a_ = (int64_t)(a), ut_b_ = (int64_t)(b);                   \
        if (ut_a_ != ut_b_)                                                   \
            ut_fail_eq(__FILE__, __LINE__, #a " == " #b, ut_a_, ut_b_);       \
    } while (0)

/* Extra information for the log (not a result). */
#define UT_INFO(...)                                                          \
    do {                                                                      \
        if (!ut_warmup) {                                                     \
            printf("UTEST %s INFO %s.%s: ", ut_nonce, ut_prog, ut_case);      \
            printf(__VA_ARGS__);                                              \
            printf("\n");                                                     \
        }                                                                     \
    } while (0)

static inline const char *ut_basename(const char *path)
{
    const char *b = path;
    for (const char *p = path; *p; p++)
        if (*p == '/')
            b = p + 1;
    return b;
}

/* Find NONCE= in envp and the program name in argv[0]. */
static inline void ut_init(int argc, char **argv, char **envp)
{
    if (argc > 0 && argv[0] != NULL)
        ut_prog = ut_basename(argv[0]);
    for (char **e = envp; e != NULL && *e != NULL; e++)
        if (strncmp(*e, "NONCE=", 6) == 0)
            ut_nonce = *e + 6;
    printf("UTEST %s START %s\n", ut_nonce, ut_prog);
}

/* passes = 2: a warm-up run without leak checks, then the real one (see UT_RUN_LEAK). */
static inline void ut_run(const char *name, void (*fn)(void), int passes)
{
    ut_case = name;
    ut_case_failures = 0;
    ut_reason[0] = '\0';
    for (int i = 0; i < passes; i++) {
        ut_warmup = i + 1 < passes;
        fn();
    }
    ut_warmup = 0;
    if (ut_case_failures == 0) {
        ut_passed++;
        printf("UTEST %s PASS %s.%s\n", ut_nonce, ut_prog, name);
    } else {
        ut_failed++;
        printf("UTEST %s FAIL %s.%s: %s\n", ut_nonce, ut_prog, name, ut_reason);
    }
    fflush(stdout);
}

/* Run static void case_<name>(void) as <prog>.<name>. */
#define UT_RUN(fn) ut_run(&(#fn)[5], fn, 1)

/*
 * The same, for a case with leak checks: it runs twice and only the second
 * run's UT_CHECK_NO_LEAK counts (every other check counts in both runs).
 * The kernel's slab keeps one empty slab per cache by design (mm/slab.c),
 * so the first time a scenario needs more kernel objects than ever before,
 * free_pages stays lower afterwards; a second identical run must leave
 * every counter exactly as it found it.
 */
#define UT_RUN_LEAK(fn) ut_run(&(#fn)[5], fn, 2)

static inline int ut_done(void)
{
    printf("UTEST %s DONE passed=%d failed=%d\n", ut_nonce, ut_passed, ut_failed);
    fflush(stdout);
    return ut_failed != 0;
}

/* ---- processes -------------------------------------------------------------- */

/* fork; the child runs fn(arg) and exits with its result.  Returns the pid (or <= 0). */
static inline int64_t ut_fork(int64_t (*fn)(int64_t), int64_t arg)
{
    int64_t pid = -1;
    fflush(stdout);
    int64_t rc = viper_fork(&pid);
    if (rc != VIPER_OK) {
        UT_CHECK_EQ(rc, VIPER_OK);
        return rc;
    }
    if (pid == 0)
        viper_exit(fn(arg));
    return pid;
}

/* Wait for pid; check that it ended with (reason, code). */
#define UT_CHECK_EXIT(pid, want_reason, want_code)                            \
    do {                                                                      \
        int64_t ut_p_ = -1, ut_r_ = -1, ut_c_ = -1;                           \
        UT_CHECK_EQ(viper_wait((pid), 0, &ut_p_, &ut_r_, &ut_c_), VIPER_OK);  \
        UT_CHECK_EQ(ut_p_, (pid));                                            \
        UT_CHECK_EQ(ut_r_, (want_reason));                                    \
        UT_CHECK_EQ(ut_c_, (want_code));                                      \
    } while (0)

/* ---- leak checks -------------------------------------------------------------- */

static inline struct viper_kstat ut_kstat(void)
{
    struct viper_kstat k;
    memset(&k, 0, sizeof k);
    UT_CHECK_EQ(viper_kstat(&k), VIPER_OK);
    return k;
}

static inline int ut_kstat_same(const struct viper_kstat *a, const struct viper_kstat *b)
{
    return a->free_pages == b->free_pages && a->heap_bytes == b->heap_bytes &&
           a->processes == b->processes && a->threads == b->threads;
}

/*
 * After every child is reaped, the counters must be back where `before`
 * had them.  Zombie thread stacks are freed at a later context switch, so
 * give the kernel a few short sleeps to settle before failing.
 */
#define UT_CHECK_NO_LEAK(before) ut_check_no_leak(__FILE__, __LINE__, (before))

static inline void ut_check_no_leak(const char *file, int line,
                                    const struct viper_kstat *before)
{
    struct viper_kstat now;
    if (ut_warmup)
        return;
    for (int i = 0; i < 20; i++) {
        viper_yield();
        viper_sleep_ns(1000000);
        now = ut_kstat();
        if (ut_kstat_same(before, &now))
            return;
    }
    char what[160];
    snprintf(what, sizeof what,
             "leak: free_pages %lld->%lld heap_bytes %lld->%lld processes %lld->%lld "
             "threads %lld->%lld",
             (long long)before->free_pages, (long long)now.free_pages,
             (long long)before->heap_bytes, (long long)now.heap_bytes,
             (long long)before->processes, (long long)now.processes,
             (long long)before->threads, (long long)now.threads);
    ut_fail_at(file, line, what);
}

/* x, hidden from the optimizer (so a NULL store stays a store, not a trap). */
static inline uint64_t ut_opaque(uint64_t x)
{
    __asm__ volatile("" : "+r"(x));
    return x;
}

/* Announce a fault a child is about to take, so the grader can match the report. */
static inline void ut_expect_fault(const char *what)
{
    int64_t pid = 0;
    viper_getpid(&pid, NULL);
    printf("UTEST %s EXPECT-FAULT %s.%s pid %lld: %s\n", ut_nonce, ut_prog, ut_case,
           (long long)pid, what);
    fflush(stdout);
}
