/*
 * bench.c - /bench/bench: the ViperOS benchmark figures (`make bench`).
 *
 * Booted as init (kernel argument init=/bench/bench) so nothing else is
 * runnable.  Every figure is taken as tests/bench/linux/bench_linux.c takes
 * it on Linux, with the helpers of bench_util.h: CNTVCT_EL0 read at EL0,
 * BENCH_BATCHES batches after a warm-up, the median batch divided by the
 * operations in it.
 *
 *   null_syscall       viper_getpid()
 *   thread_switch      two threads of this process calling viper_yield(), n each
 *   process_switch     the same between two processes (fork; equal priority)
 *   fork_exit_wait     fork, the child exits, the parent waits
 *   demand_zero_fault  first write to each page of a fresh mmap
 *   spawn              spawn /bench/true and wait for it
 *   ipc_roundtrip      chan_call with 8 bytes to a server process (this program
 *                      spawned with --ipc-server: it replies and takes the next
 *                      request with one chan_call);
 *                      one figure = one request and its reply
 *
 * The switch figures assume strict alternation (each yield is one switch,
 * 2n switches per batch); kstat's context-switch counter checks it and a
 * `bench-note:` line says when it disagrees.  tools/bench parses the
 * `bench:` lines.
 */
#include "bench_util.h"

#include <stdlib.h>
#include <string.h>
#include <viper/handles.h>
#include <viper/sys.h>

#define PAGE        4096
#define FAULT_PAGES 256
#define STACK_SIZE  16384

static void check(int64_t rc, const char *what)
{
    if (rc != VIPER_OK) {
        printf("bench: error: %s failed (%lld)\n", what, (long long)rc);
        exit(1);
    }
}

static uint64_t context_switches(void)
{
    struct viper_kstat ks;
    if (viper_kstat(&ks) != VIPER_OK)
        return 0;
    return ks.context_switches;
}

static uint64_t b_null_syscall(uint64_t n)
{
    int64_t pid;
    uint64_t t0 = bench_ticks();
    for (uint64_t i = 0; i < n; i++)
        viper_getpid(&pid, NULL);
    return bench_ticks() - t0;
}

static uint64_t yields_each;
static uint64_t switch_mismatch;    /* batches whose kstat count disagreed */

static void yield_thread(uint64_t arg)
{
    (void)arg;
    for (uint64_t i = 0; i < yields_each; i++)
        viper_yield();
    viper_thread_exit(0);
}

/* Note a batch in which the kernel counted far from n switches. */
static void check_switches(uint64_t before, uint64_t n)
{
    uint64_t sw = context_switches() - before;
    if (before && (sw < n * 9 / 10 || sw > n * 11 / 10))
        switch_mismatch++;
}

/* n one-way switches: each side yields n/2 times. */
static uint64_t b_thread_switch(uint64_t n)
{
    static uint8_t stack[STACK_SIZE] __attribute__((aligned(16)));
    int64_t tid;
    yields_each = n / 2;
    check(viper_thread_create((uint64_t)(uintptr_t)yield_thread,
                              (uint64_t)(uintptr_t)(stack + STACK_SIZE), 0, &tid),
          "thread_create");
    uint64_t sw0 = context_switches();
    uint64_t t0 = bench_ticks();
    for (uint64_t i = 0; i < n / 2; i++)
        viper_yield();
    uint64_t dt = bench_ticks() - t0;
    check_switches(sw0, n);
    check(viper_thread_join(tid, NULL), "thread_join");
    return dt;
}

static uint64_t b_process_switch(uint64_t n)
{
    int64_t pid;
    fflush(stdout);
    check(viper_fork(&pid), "fork");
    if (pid == 0) {
        for (uint64_t i = 0; i < n / 2; i++)
            viper_yield();
        viper_exit(0);
    }
    uint64_t sw0 = context_switches();
    uint64_t t0 = bench_ticks();
    for (uint64_t i = 0; i < n / 2; i++)
        viper_yield();
    uint64_t dt = bench_ticks() - t0;
    check_switches(sw0, n);
    check(viper_wait(pid, 0, NULL, NULL, NULL), "wait");
    return dt;
}

static uint64_t b_fork_exit_wait(uint64_t n)
{
    fflush(stdout);
    uint64_t t0 = bench_ticks();
    for (uint64_t i = 0; i < n; i++) {
        int64_t pid;
        check(viper_fork(&pid), "fork");
        if (pid == 0)
            viper_exit(0);
        check(viper_wait(pid, 0, NULL, NULL, NULL), "wait");
    }
    return bench_ticks() - t0;
}

/* n pages of one fresh mapping; only the touching is timed. */
static uint64_t b_demand_zero_fault(uint64_t n)
{
    uint64_t addr;
    check(viper_mmap(0, n * PAGE, VIPER_PROT_READ | VIPER_PROT_WRITE, 0, &addr), "mmap");
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)addr;
    uint64_t t0 = bench_ticks();
    for (uint64_t i = 0; i < n; i++)
        p[i * PAGE] = 1;
    uint64_t dt = bench_ticks() - t0;
    check(viper_munmap(addr, n * PAGE), "munmap");
    return dt;
}

static uint64_t b_spawn(uint64_t n)
{
    const char *const argv[] = { "true", NULL };
    const char *const envp[] = { NULL };
    uint64_t t0 = bench_ticks();
    for (uint64_t i = 0; i < n; i++) {
        int64_t pid;
        check(viper_spawn("/bench/true", argv, envp, NULL, 0, &pid), "spawn /bench/true");
        check(viper_wait(pid, 0, NULL, NULL, NULL), "wait");
    }
    return bench_ticks() - t0;
}

/*
 * The server side of ipc_roundtrip: echo 8-byte messages on startup handle 0
 * until closed.  It answers the way a one-client server should: chan_call
 * sends the reply and waits for the next request in one system call.
 */
static int ipc_server(void)
{
    uint64_t h = viper_startup_handle(0), len = 0;
    uint64_t buf;
    struct viper_msg in = { (uint64_t)(uintptr_t)&buf, sizeof buf, 0, 0 };
    struct viper_msg out = { (uint64_t)(uintptr_t)&buf, sizeof buf, 0, 0 };
    int64_t rc = viper_chan_recv(h, &in, VIPER_DEADLINE_INFINITE, &len, NULL);
    while (rc == VIPER_OK) {
        buf++;
        rc = viper_chan_call(h, &out, &in, VIPER_DEADLINE_INFINITE, 0, &len, NULL);
    }
    return rc == VIPER_ERR_PEER_CLOSED ? 0 : 1;
}

/* n round trips of an 8-byte chan_call to a freshly spawned server (not timed). */
static uint64_t b_ipc_roundtrip(uint64_t n)
{
    const char *const argv[] = { "bench", "--ipc-server", NULL };
    const char *const envp[] = { NULL };
    uint64_t a, b, len, req = 0, rep = 0;
    int64_t pid;
    check(viper_chan_create(&a, &b), "chan_create");
    uint32_t hv[1] = { (uint32_t)b };
    check(viper_spawn("/bench/bench", argv, envp, hv, 1, &pid), "spawn /bench/bench --ipc-server");
    struct viper_msg mq = { (uint64_t)(uintptr_t)&req, sizeof req, 0, 0 };
    struct viper_msg mr = { (uint64_t)(uintptr_t)&rep, sizeof rep, 0, 0 };
    check(viper_chan_call(a, &mq, &mr, VIPER_DEADLINE_INFINITE, 0, &len, NULL), "chan_call");
    uint64_t sw0 = context_switches();
    uint64_t t0 = bench_ticks();
    for (uint64_t i = 0; i < n; i++) {
        req = i;
        viper_chan_call(a, &mq, &mr, VIPER_DEADLINE_INFINITE, 0, &len, NULL);
    }
    uint64_t dt = bench_ticks() - t0;
    check_switches(sw0, 2 * n);   /* a round trip is two switches */
    if (rep != n)   /* the last reply is the last request + 1 */
        printf("bench-note: ipc_roundtrip: last reply %lu, want %lu\n", (unsigned long)rep,
               (unsigned long)n);
    check(viper_handle_close(a), "handle_close");
    check(viper_wait(pid, 0, NULL, NULL, NULL), "wait");
    return dt;
}

struct figure {
    const char *name;
    uint64_t (*batch)(uint64_t ops);
    uint64_t ops;          /* operations per batch */
    const char *unit;
};

static const struct figure figures[] = {
    { "null_syscall", b_null_syscall, 1000, "ns" },
    { "thread_switch", b_thread_switch, 1000, "ns" },
    { "process_switch", b_process_switch, 1000, "ns" },
    { "fork_exit_wait", b_fork_exit_wait, 10, "us" },
    { "demand_zero_fault", b_demand_zero_fault, FAULT_PAGES, "ns" },
    { "spawn", b_spawn, 10, "us" },
    { "ipc_roundtrip", b_ipc_roundtrip, 1000, "ns" },
};

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--ipc-server") == 0)
        return ipc_server();
    const char *only = argc > 1 ? argv[1] : NULL;
    printf("bench-viperos: counter %lu Hz, median of %d batches\n", (unsigned long)bench_hz(),
           BENCH_BATCHES);
    for (size_t i = 0; i < sizeof(figures) / sizeof(figures[0]); i++) {
        const struct figure *f = &figures[i];
        uint64_t t[BENCH_BATCHES];
        if (only && strcmp(only, f->name) != 0)
            continue;
        switch_mismatch = 0;
        f->batch(f->ops);
        for (int b = 0; b < BENCH_BATCHES; b++)
            t[b] = f->batch(f->ops);
        bench_report(f->name, t, f->ops, f->unit);
        if (switch_mismatch)
            printf("bench-note: %s: in %lu batches the kernel counted not ~%lu switches\n",
                   f->name, (unsigned long)switch_mismatch,
                   (unsigned long)(f->batch == b_ipc_roundtrip ? 2 * f->ops : f->ops));
        fflush(stdout);
    }
    printf("bench: done\n");
    fflush(stdout);
    return 0;
}
