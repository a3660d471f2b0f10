/*
 * tests/user/sh_orphan.c - leaves an orphan for vinit to reap (shell_supervision):
 * forks a child that lives a little longer than its parent, prints the
 * child's pid and exits at once.  The child becomes vinit's; once it ends,
 * vinit must collect it, so Status never shows it as a zombie for long.
 */
#include <stdio.h>
#include <viper/sys.h>
#include <viper/time.h>

#define CHILD_LIFE_NS 200000000ull

int main(void)
{
    int64_t pid;

    if (viper_fork(&pid) != VIPER_OK)
        return 1;
    if (pid == 0) {
        viper_sleep_ns(CHILD_LIFE_NS);
        return 0;
    }
    printf("sh_orphan: child pid %lld\n", (long long)pid);
    return 0;
}
