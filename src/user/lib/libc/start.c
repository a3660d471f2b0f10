/*
 * libc/start.c - from the kernel's initial stack to main() and back to exit().
 *
 * crt0.S passes the initial SP: argc, then argc argv pointers and a NULL,
 * then the envp pointers and a NULL, then (type, value) auxv pairs ending in
 * VIPER_AT_NULL.  environ, the page size from VIPER_AT_PAGESZ and the
 * startup handles (VIPER_AT_HANDLE, in order) are kept for the rest of libc.
 */
#include <stdint.h>
#include <stdlib.h>
#include <viper/handles.h>
#include <viper/sys.h>
#include <viper/types.h>

#define STARTUP_HANDLES_MAX 8

char **environ;
uint64_t __libc_page_size = 4096;
static viper_handle_t startup_handles[STARTUP_HANDLES_MAX];
static unsigned nstartup;

viper_handle_t viper_startup_handle(unsigned i)
{
    return i < nstartup ? startup_handles[i] : VIPER_HANDLE_INVALID;
}

viper_handle_t viper_startup_find(unsigned from, uint64_t type)
{
    for (unsigned i = from; i < nstartup; i++) {
        uint64_t t = 0;
        if (viper_cap_query(startup_handles[i], &t, NULL) == VIPER_OK && t == type)
            return startup_handles[i];
    }
    return VIPER_HANDLE_INVALID;
}

int main(int argc, char **argv, char **envp);
_Noreturn void __libc_start(uint64_t *sp);

_Noreturn void __libc_start(uint64_t *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    char **p = envp;

    while (*p != NULL)
        p++;
    for (uint64_t *aux = (uint64_t *)(p + 1); aux[0] != VIPER_AT_NULL; aux += 2) {
        if (aux[0] == VIPER_AT_PAGESZ && aux[1] != 0)
            __libc_page_size = aux[1];
        if (aux[0] == VIPER_AT_HANDLE && nstartup < STARTUP_HANDLES_MAX)
            startup_handles[nstartup++] = (viper_handle_t)aux[1];
    }
    environ = envp;
    exit(main(argc, argv, envp));
}
