/*
 * bench_linux.c - the ViperOS benchmark figures, taken on Linux.
 *
 * Built static for arm64 (aarch64-linux-gnu-gcc -static -O2) and run as part
 * of a busybox initramfs on Debian's arm64 kernel, in the same QEMU
 * configuration as ViperOS (tests/bench/linux/linux_bench.py).  Every figure
 * is taken as bench.c takes it: same counter (CNTVCT_EL0 from EL0), same
 * batches and medians (../bench_util.h), same loop shapes, so
 * `bench: linux_ratio_<name>` compares like with like.
 *
 *   null_syscall       getppid() through syscall(): no vDSO, no caching
 *   thread_switch      two threads of one process calling sched_yield(), n each
 *   process_switch     the same between two processes (fork)
 *   fork_exit_wait     fork, the child _exit(0)s, the parent waitpid()s
 *   demand_zero_fault  first write to each page of a fresh anonymous mapping
 *   spawn              posix_spawn(/bench/true) + waitpid
 *   ipc_roundtrip      8 bytes there and back over two pipes
 *   fsd_read_4k        pread of 4 KiB from a cached file (the fsd analogue)
 *
 * The switch figures and ipc_roundtrip run under SCHED_FIFO (priority 1,
 * children inherit it), where sched_yield() moves the caller behind the
 * other task of its priority: strict alternation, as ViperOS's yield among
 * equals.  Under CFS a yield does not switch while the other task's
 * vruntime is ahead (a fresh fork starts a slice ahead), so most yields
 * would return at once.
 *
 * The switch figures divide by the number of switches: 2n when the two
 * sides alternate strictly (each yield is one switch), else twice the
 * parent's involuntary-switch count, with a note saying so.
 */
#define _GNU_SOURCE
#include "../bench_util.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define FAULT_PAGES 256

extern char **environ;

static void fail(const char *what)
{
    perror(what);
    exit(1);
}

static long involuntary_switches(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_nivcsw;
}

static uint64_t b_null_syscall(uint64_t n)
{
    uint64_t t0 = bench_ticks();
    for (uint64_t i = 0; i < n; i++)
        syscall(SYS_getppid);
    return bench_ticks() - t0;
}

static uint64_t yields_each;
static long switch_shortfall;    /* yields that did not switch, over the figure's batches */

/*
 * dt ticks for n/2 yields by each side.  If the parent was switched away
 * from fewer than n/2 times (sw, from getrusage: a yield that switches
 * counts as involuntary), some yields returned at once; scale dt so that it
 * is the time of n real switches, and count the shortfall for a note.
 */
static uint64_t per_switch_scaled(uint64_t dt, uint64_t n, long sw)
{
    if (sw <= 0 || (uint64_t)sw >= n / 2)
        return dt;
    switch_shortfall += (long)(n / 2) - sw;
    return dt * (n / 2) / (uint64_t)sw;
}

static void *yield_thread(void *arg)
{
    (void)arg;
    for (uint64_t i = 0; i < yields_each; i++)
        sched_yield();
    return NULL;
}

/* n is the number of one-way switches: each side yields n/2 times. */
static uint64_t b_thread_switch(uint64_t n)
{
    pthread_t t;
    yields_each = n / 2;
    if (pthread_create(&t, NULL, yield_thread, NULL) != 0)
        fail("pthread_create");
    long sw0 = involuntary_switches();
    uint64_t t0 = bench_ticks();
    for (uint64_t i = 0; i < n / 2; i++)
        sched_yield();
    uint64_t dt = bench_ticks() - t0;
    long sw = involuntary_switches() - sw0;
    pthread_join(t, NULL);
    return per_switch_scaled(dt, n, sw);
}

static uint64_t b_process_switch(uint64_t n)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0) {
        for (uint64_t i = 0; i < n / 2; i++)
            sched_yield();
        _exit(0);
    }
    long sw0 = involuntary_switches();
    uint64_t t0 = bench_ticks();
    for (uint64_t i = 0; i < n / 2; i++)
        sched_yield();
    uint64_t dt = bench_ticks() - t0;
    long sw = involuntary_switches() - sw0;
    waitpid(pid, NULL, 0);
    return per_switch_scaled(dt, n, sw);
}

static uint64_t b_fork_exit_wait(uint64_t n)
{
    fflush(stdout);
    uint64_t t0 = bench_ticks();
    for (uint64_t i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            fail("fork");
        if (pid == 0)
            _exit(0);
        if (waitpid(pid, NULL, 0) != pid)
            fail("waitpid");
    }
    return bench_ticks() - t0;
}

/* n pages of one fresh mapping; only the touching is timed. */
static uint64_t b_demand_zero_fault(uint64_t n)
{
    char *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        fail("mmap");
    madvise(p, n * PAGE, MADV_NOHUGEPAGE);   /* one fault per 4 KiB page, as on ViperOS */
    uint64_t t0 = bench_ticks();
    for (uint64_t i = 0; i < n; i++)
        p[i * PAGE] = 1;
    uint64_t dt = bench_ticks() - t0;
    munmap(p, n * PAGE);
    return dt;
}

static uint64_t b_spawn(uint64_t n)
{
    char *argv[] = { "true", NULL };
    uint64_t t0 = bench_ticks();
    for (uint64_t i = 0; i < n; i++) {
        pid_t pid;
        if (posix_spawn(&pid, "/bench/true", NULL, NULL, argv, environ) != 0)
            fail("posix_spawn /bench/true");
        if (waitpid(pid, NULL, 0) != pid)
            fail("waitpid");
    }
    return bench_ticks() - t0;
}

static uint64_t b_ipc_roundtrip(uint64_t n)
{
    int there[2], back[2];
    uint64_t msg = 0;
    if (pipe(there) != 0 || pipe(back) != 0)
        fail("pipe");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0) {
        for (uint64_t i = 0; i < n; i++) {
            if (read(there[0], &msg, 8) != 8 || write(back[1], &msg, 8) != 8)
                _exit(1);
        }
        _exit(0);
    }
    uint64_t t0 = bench_ticks();
    for (uint64_t i = 0; i < n; i++) {
        msg = i;
        if (write(there[1], &msg, 8) != 8 || read(back[0], &msg, 8) != 8)
            fail("pipe round trip");
    }
    uint64_t dt = bench_ticks() - t0;
    waitpid(pid, NULL, 0);
    close(there[0]);
    close(there[1]);
    close(back[0]);
    close(back[1]);
    return dt;
}

static int read_fd = -1;

static uint64_t b_fsd_read_4k(uint64_t n)
{
    static char buf[PAGE] __attribute__((aligned(PAGE)));   /* as fsbench.c's */
    uint64_t t0 = bench_ticks();
    for (uint64_t i = 0; i < n; i++)
        if (pread(read_fd, buf, PAGE, (off_t)(i % 16) * PAGE) != PAGE)
            fail("pread");
    return bench_ticks() - t0;
}

static void open_read_file(void)
{
    static char buf[16 * PAGE];
    memset(buf, 'v', sizeof(buf));
    read_fd = open("/tmp/bench-4k", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (read_fd < 0 || write(read_fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
        fail("/tmp/bench-4k");
}

static void set_policy(int rt)
{
    struct sched_param sp = { .sched_priority = rt ? 1 : 0 };
    if (sched_setscheduler(0, rt ? SCHED_FIFO : SCHED_OTHER, &sp) != 0)
        fail("sched_setscheduler");
}

struct figure {
    const char *name;
    uint64_t (*batch)(uint64_t ops);
    uint64_t ops;          /* operations per batch */
    const char *unit;
    int rt;                /* run under SCHED_FIFO (see the file comment) */
};

static const struct figure figures[] = {
    { "null_syscall", b_null_syscall, 1000, "ns", 0 },
    { "thread_switch", b_thread_switch, 1000, "ns", 1 },
    { "process_switch", b_process_switch, 1000, "ns", 1 },
    { "fork_exit_wait", b_fork_exit_wait, 10, "us", 0 },
    { "demand_zero_fault", b_demand_zero_fault, FAULT_PAGES, "ns", 0 },
    { "spawn", b_spawn, 10, "us", 0 },
    { "ipc_roundtrip", b_ipc_roundtrip, 1000, "ns", 1 },
    { "fsd_read_4k", b_fsd_read_4k, 1000, "ns", 0 },
};

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    open_read_file();
    printf("bench-linux: counter %lu Hz, median of %d batches\n", (unsigned long)bench_hz(),
           BENCH_BATCHES);
    for (size_t i = 0; i < sizeof(figures) / sizeof(figures[0]); i++) {
        const struct figure *f = &figures[i];
        uint64_t t[BENCH_BATCHES];
        if (only && strcmp(only, f->name) != 0)
            continue;
        switch_shortfall = 0;
        set_policy(f->rt);
        f->batch(f->ops);
        for (int b = 0; b < BENCH_BATCHES; b++)
            t[b] = f->batch(f->ops);
        set_policy(0);
        bench_report(f->name, t, f->ops, f->unit);
        if (switch_shortfall)
            printf("bench-linux: note: %s: %ld yields did not switch (divided by real switches)\n", f->name,
                   switch_shortfall);
        fflush(stdout);
    }
    printf("bench: done\n");
    return 0;
}
