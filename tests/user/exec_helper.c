/*
 * exec_helper.c - not a test: the program exec_args.c spawns and execs.
 *
 * It checks what it was started with and answers through its exit code
 * (0 = everything as expected, otherwise the number of the first check that
 * failed), so the caller needs no channel but wait().  Modes, by argv[1]:
 *   (argc == 0)   exit 42: started with an empty argv
 *   check         argv and envp are exactly exec_helper_argv/_envp below,
 *                 auxv has AT_PAGESZ = 4096 and AT_ENTRY = _start, the stack
 *                 is 16-byte aligned, environ == envp
 *   many N        argc == N + 2 and argv[2 + i] is "arg<i>"
 *   pid           exit with the caller's own pid (exec keeps the pid)
 *   exit V        exit with strtoll(V)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <viper/sys.h>
#include <viper/types.h>

#include "exec_helper.h"

extern char **environ;
extern char _start[];

static int check_list(char **got, const char *const *want)
{
    int i = 0;
    for (; want[i] != NULL; i++)
        if (got[i] == NULL || strcmp(got[i], want[i]) != 0)
            return 0;
    return got[i] == NULL;
}

/* auxv follows the NULL that ends envp. */
static int check_auxv(char **envp)
{
    char **p = envp;
    while (*p != NULL)
        p++;
    uint64_t pagesz = 0, entry = 0;
    int n = 0;
    for (uint64_t *aux = (uint64_t *)(p + 1); aux[0] != VIPER_AT_NULL && n < 64; aux += 2, n++) {
        if (aux[0] == VIPER_AT_PAGESZ)
            pagesz = aux[1];
        if (aux[0] == VIPER_AT_ENTRY)
            entry = aux[1];
    }
    if (pagesz != 4096)
        return 0;
    return entry == (uint64_t)(uintptr_t)_start;
}

static int64_t mode_check(int argc, char **argv, char **envp)
{
    if (argc != EXEC_HELPER_ARGC)
        return 1;
    if (!check_list(argv, exec_helper_argv))
        return 2;
    if (argv[argc] != NULL)
        return 3;
    if (!check_list(envp, exec_helper_envp))
        return 4;
    if (environ != envp)
        return 5;
    if (!check_auxv(envp))
        return 6;
    if (((uintptr_t)argv & 7) != 0 || ((uintptr_t)(argv - 1) & 15) != 0)
        return 7;    /* sp (pointing at argc, just below argv) is 16-byte aligned */
    return 0;
}

static int64_t mode_many(int argc, char **argv)
{
    if (argc < 3)
        return 1;
    long n = strtol(argv[2], NULL, 10);
    if (argc != n + 3)
        return 2;
    char want[16];
    for (long i = 0; i < n; i++) {
        snprintf(want, sizeof want, "arg%ld", i);
        if (strcmp(argv[3 + i], want) != 0)
            return 3;
    }
    return 0;
}

int main(int argc, char **argv, char **envp)
{
    if (argc == 0)
        return 42;
    if (argc >= 2 && strcmp(argv[1], "check") == 0)
        _Exit((int)mode_check(argc, argv, envp));
    if (argc >= 2 && strcmp(argv[1], "many") == 0)
        _Exit((int)mode_many(argc, argv));
    if (argc >= 2 && strcmp(argv[1], "pid") == 0) {
        int64_t pid = -1;
        viper_getpid(&pid, NULL);
        viper_exit(pid);
    }
    if (argc >= 3 && strcmp(argv[1], "exit") == 0)
        viper_exit(strtoll(argv[2], NULL, 0));
    return 77;
}
