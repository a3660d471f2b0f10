/*
 * init/init.c - the first user process (/init in the boot filesystem).
 *
 * The kernel starts it as pid 1.  It announces itself, then reaps children
 * forever: orphans are handed to init, and their exit status must be
 * collected so their process slots are freed.  With no children at all it
 * sleeps a second and looks again.  (Later, vinit starts the servers and the
 * shell from here.)
 */
#include <stdio.h>
#include <viper/sys.h>
#include <viper/time.h>

#define INIT_IDLE_NS 1000000000ull

int main(void)
{
    int64_t pid = 0;

    viper_getpid(&pid, NULL);
    printf("init: ViperOS user space up (pid %lld)\n", (long long)pid);
    for (;;) {
        int64_t rc = viper_wait(-1, 0, NULL, NULL, NULL);
        if (rc != VIPER_OK)
            viper_sleep_ns(INIT_IDLE_NS);
    }
}
