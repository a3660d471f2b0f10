/*
 * libc/start.c - from the kernel's initial stack to main() and back to exit().
 *
 * crt0.S passes the initial SP: argc, then argc argv pointers and a NULL,
 * then the envp pointers and a NULL, then (type, value) auxv pairs ending in
 * VIPER_AT_NULL.  environ and the page size from VIPER_AT_PAGESZ are kept
 * for the rest of libc.
 */
#include <stdint.h>
#include <stdlib.h>
#include <viper/types.h>

char **environ;
uint64_t __libc_page_size = 4096;

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
    }
    environ = envp;
    exit(main(argc, argv, envp));
}
