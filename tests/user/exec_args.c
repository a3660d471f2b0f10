/*
 * exec_args.c - spawn and exec: argv, envp and auxv arrive intact (checked by
 * /tests/exec_helper, which answers with its exit code); exec keeps the pid;
 * an empty argv; 200 arguments; exec and spawn of a missing file, of a
 * directory, of an empty path and of an invalid ELF (/tests/exec_badelf)
 * return an error and the caller goes on unchanged; exec with a second
 * thread alive is BUSY; our own auxv; no leaks.
 */
#include "exec_helper.h"
#include "utest.h"

#define MANY_ARGS    200
#define ARG_TEXT_MAX 8

extern char _start[];
static volatile int64_t survivor = 12345;   /* must be intact after a failed exec */

static int64_t child_exec_check(int64_t unused)
{
    (void)unused;
    int64_t rc = viper_exec(EXEC_HELPER_PATH, exec_helper_argv, exec_helper_envp);
    return 1000 + rc;    /* only reached when exec failed */
}

static void case_spawn_args(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t pid = -1;
    UT_CHECK_EQ(viper_spawn(EXEC_HELPER_PATH, exec_helper_argv, exec_helper_envp, NULL, 0, &pid),
                VIPER_OK);
    UT_CHECK(pid > 0);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    UT_CHECK_NO_LEAK(&before);
}

static void case_exec_args(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t pid = ut_fork(child_exec_check, 0);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    UT_CHECK_NO_LEAK(&before);
}

static int64_t child_exec_pid(int64_t unused)
{
    (void)unused;
    static const char *const argv[] = { "exec_helper", "pid", NULL };
    return 1000 + viper_exec(EXEC_HELPER_PATH, argv, NULL);
}

/* exec replaces the image, not the process: the helper exits with its pid. */
static void case_exec_keeps_pid(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t pid = ut_fork(child_exec_pid, 0);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, pid);
    UT_CHECK_NO_LEAK(&before);
}

static void case_empty_argv(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t pid = -1;
    UT_CHECK_EQ(viper_spawn(EXEC_HELPER_PATH, NULL, NULL, NULL, 0, &pid), VIPER_OK);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 42);
    static const char *const empty[] = { NULL };
    UT_CHECK_EQ(viper_spawn(EXEC_HELPER_PATH, empty, empty, NULL, 0, &pid), VIPER_OK);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 42);
    UT_CHECK_NO_LEAK(&before);
}

static void case_many_args(void)
{
    static char text[MANY_ARGS][ARG_TEXT_MAX];
    static const char *argv[MANY_ARGS + 4];
    int n = 0;
    argv[n++] = "exec_helper";
    argv[n++] = "many";
    argv[n++] = "200";
    for (int i = 0; i < MANY_ARGS; i++) {
        snprintf(text[i], sizeof text[i], "arg%d", i);
        argv[n++] = text[i];
    }
    argv[n] = NULL;
    struct viper_kstat before = ut_kstat();
    int64_t pid = -1;
    UT_CHECK_EQ(viper_spawn(EXEC_HELPER_PATH, argv, NULL, NULL, 0, &pid), VIPER_OK);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    UT_CHECK_NO_LEAK(&before);
}

/* exec and spawn of path must fail with want; the caller is unchanged. */
static void refuse(const char *path, int64_t want)
{
    static const char *const argv[] = { "x", NULL };
    int64_t pid = -1;
    int64_t rc = viper_exec(path, argv, NULL);
    UT_CHECK_EQ(rc, want);
    UT_INFO("exec(\"%s\") = %lld", path, (long long)rc);
    rc = viper_spawn(path, argv, NULL, NULL, 0, &pid);
    UT_CHECK_EQ(rc, want);
    UT_INFO("spawn(\"%s\") = %lld", path, (long long)rc);
    UT_CHECK_EQ(survivor, 12345);
}

static void case_exec_missing(void)
{
    struct viper_kstat before = ut_kstat();
    refuse("/tests/no_such_program", VIPER_ERR_NOT_FOUND);
    refuse("/no/such/dir/prog", VIPER_ERR_NOT_FOUND);
    UT_CHECK_NO_LEAK(&before);
}

static void case_exec_directory(void)
{
    struct viper_kstat before = ut_kstat();
    refuse("/tests", VIPER_ERR_NOT_FOUND);
    refuse("", VIPER_ERR_NOT_FOUND);
    UT_CHECK_NO_LEAK(&before);
}

static void case_exec_bad_elf(void)
{
    struct viper_kstat before = ut_kstat();
    refuse("/tests/exec_badelf", VIPER_ERR_BAD_FORMAT);
    UT_CHECK_NO_LEAK(&before);
}

/* A failed exec in a child: the child keeps running its old image. */
static int64_t child_exec_fails(int64_t unused)
{
    (void)unused;
    static const char *const argv[] = { "x", NULL };
    if (viper_exec("/tests/exec_badelf", argv, NULL) != VIPER_ERR_BAD_FORMAT)
        return 1;
    if (viper_exec("/tests/no_such_program", argv, NULL) != VIPER_ERR_NOT_FOUND)
        return 2;
    return survivor == 12345 ? 7 : 3;
}

static void case_child_survives_failed_exec(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t pid = ut_fork(child_exec_fails, 0);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 7);
    UT_CHECK_NO_LEAK(&before);
}

static volatile int sleeper_go;

static void sleeper_thread(uint64_t arg)
{
    (void)arg;
    while (!sleeper_go)
        viper_sleep_ns(1000000);
    viper_thread_exit(5);
}

/* exec with another thread alive: BUSY, and nothing changes. */
static void case_exec_busy(void)
{
    static uint8_t stack[16384] __attribute__((aligned(16)));
    struct viper_kstat before = ut_kstat();
    int64_t tid = -1;
    sleeper_go = 0;
    UT_CHECK_EQ(viper_thread_create((uint64_t)(uintptr_t)sleeper_thread,
                                    (uint64_t)(uintptr_t)(stack + sizeof stack), 0, &tid),
                VIPER_OK);
    static const char *const argv[] = { "exec_helper", "exit", "3", NULL };
    UT_CHECK_EQ(viper_exec(EXEC_HELPER_PATH, argv, NULL), VIPER_ERR_BUSY);
    sleeper_go = 1;
    int64_t value = -1;
    UT_CHECK_EQ(viper_thread_join(tid, &value), VIPER_OK);
    UT_CHECK_EQ(value, 5);
    UT_CHECK_NO_LEAK(&before);
}

/* The kernel gave this process an auxv too. */
static void case_own_auxv(void)
{
    char **p = environ;
    while (*p != NULL)
        p++;
    uint64_t pagesz = 0, entry = 0;
    for (uint64_t *aux = (uint64_t *)(p + 1); aux[0] != VIPER_AT_NULL; aux += 2) {
        if (aux[0] == VIPER_AT_PAGESZ)
            pagesz = aux[1];
        if (aux[0] == VIPER_AT_ENTRY)
            entry = aux[1];
    }
    UT_CHECK_EQ(pagesz, 4096);
    UT_CHECK_EQ(entry, (uint64_t)(uintptr_t)_start);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    UT_RUN(case_own_auxv);
    UT_RUN_LEAK(case_spawn_args);
    UT_RUN_LEAK(case_exec_args);
    UT_RUN_LEAK(case_exec_keeps_pid);
    UT_RUN_LEAK(case_empty_argv);
    UT_RUN_LEAK(case_many_args);
    UT_RUN_LEAK(case_exec_missing);
    UT_RUN_LEAK(case_exec_directory);
    UT_RUN_LEAK(case_exec_bad_elf);
    UT_RUN_LEAK(case_child_survives_failed_exec);
    UT_RUN_LEAK(case_exec_busy);
    return ut_done();
}
