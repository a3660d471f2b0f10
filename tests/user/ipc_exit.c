/*
 * ipc_exit.c - a process's handles go when it ends: a child holding channel
 * ends, shared memory (mapped) and messages with handles in its queues
 * exits normally, is killed (while blocked in chan_recv, in a full-queue
 * chan_send, in wait_many), or faults; the parent's peer ends report
 * PEER_CLOSED (chan_recv, chan_send, wait_many), PROCESS_EXITED is
 * signalled, and kstat.objects (and the other counters) return to the
 * baseline.
 */
#include "ipc_util.h"

#define PROG "ipc_exit"
#define PAGE 4096ull

/*
 * The helper: handles = { ctl, data, shm }.  It maps the shm, writes a
 * mark, creates a channel of its own and sends one end to the parent
 * (keeping the other), then does what `how` says.
 */
static uint64_t ctl, data, shm;

static volatile int side_started;

static void side_waiter(uint64_t arg)
{
    struct viper_wait_item it = { (uint32_t)arg, VIPER_SIGNAL_READABLE, 0, 0 };
    uint64_t ready;
    side_started = 1;
    viper_wait_many(&it, 1, VIPER_DEADLINE_INFINITE, &ready);
    viper_thread_exit(0);
}

static int child_main(const char *how)
{
    uint64_t addr = 0, mine = 0, theirs = 0;
    ctl = viper_startup_handle(0);
    data = viper_startup_handle(1);
    shm = viper_startup_handle(2);
    if (viper_shm_map(shm, 0, VIPER_PROT_READ | VIPER_PROT_WRITE, &addr) != VIPER_OK)
        return 1;
    memcpy((void *)(uintptr_t)addr, "child was here", 15);
    if (viper_chan_create(&mine, &theirs) != VIPER_OK)
        return 2;
    viper_handle_t hv[1] = { (viper_handle_t)theirs };
    if (ipc_send(ctl, "ready", 5, hv, 1, 0) != VIPER_OK)
        return 3;
    /* a message for the parent on the channel we made, still queued when we go */
    if (ipc_send(mine, "kept", 4, NULL, 0, 0) != VIPER_OK)
        return 4;
    uint64_t s2 = 0;   /* a second shm handle, to travel in the blocked send */
    if (viper_handle_dup(shm, &s2) != VIPER_OK)
        return 5;
    hv[0] = (viper_handle_t)s2;
    if (strcmp(how, "exit") == 0)
        return 0;   /* everything still open */
    if (strcmp(how, "recv") == 0 || strcmp(how, "threads") == 0) {
        if (strcmp(how, "threads") == 0) {
            int64_t tid = -1;
            viper_thread_create((uint64_t)(uintptr_t)side_waiter,
                                (uint64_t)(uintptr_t)(ipc_stacks[0] + IPC_STACK_BYTES), ctl,
                                &tid);
        }
        char buf[8];
        ipc_recv_str(ctl, buf, sizeof buf, VIPER_DEADLINE_INFINITE);   /* killed here */
        return 10;
    }
    if (strcmp(how, "send") == 0) {
        /* fill the parent's queue, then block with a handle in the message */
        for (uint32_t i = 0; i < VIPER_CHAN_QUEUE_MAX; i++)
            if (ipc_send(data, &i, sizeof i, NULL, 0, 0) != VIPER_OK)
                return 11;
        ipc_send(data, "blocked", 7, hv, 1, 0);   /* killed here */
        return 12;
    }
    if (strcmp(how, "fault") == 0) {
        ut_nonce = "?";
        for (char **e = environ; e && *e; e++)
            if (strncmp(*e, "NONCE=", 6) == 0)
                ut_nonce = *e + 6;
        /* ut_expect_fault's line, written to the kernel console directly: startup handle 1
         * (data) is a channel, which libc's stdio would take for the console */
        int64_t pid = 0;
        char line[160];
        viper_getpid(&pid, NULL);
        int n = snprintf(line, sizeof line, "UTEST %s EXPECT-FAULT %s.fault pid %lld: %s\n",
                         ut_nonce, PROG, (long long)pid, "NULL write while holding channels and shm");
        viper_debug_write(line, (uint64_t)n);
        *(volatile uint64_t *)(uintptr_t)ut_opaque(0) = 1;
        return 13;
    }
    return 99;
}

/*
 * Run one scenario: start the helper with `how`, wait for "ready" (its
 * channel end arrives with it), optionally kill it, and check that every
 * end we hold reports PEER_CLOSED and the counters come back.
 */
static void scenario(const char *how, int kill_it, int want_reason, int64_t want_code)
{
    struct viper_kstat before = ut_kstat();
    uint64_t p_ctl = 0, c_ctl = 0, p_data = 0, c_data = 0, s = 0, s_in = 0, addr = 0, ph = 0;
    UT_CHECK_EQ(viper_chan_create(&p_ctl, &c_ctl), VIPER_OK);
    UT_CHECK_EQ(viper_chan_create(&p_data, &c_data), VIPER_OK);
    UT_CHECK_EQ(viper_shm_create(2 * PAGE, &s), VIPER_OK);
    UT_CHECK_EQ(viper_handle_dup(s, &s_in), VIPER_OK);
    UT_CHECK_EQ(viper_shm_map(s, 0, VIPER_PROT_READ, &addr), VIPER_OK);
    /* a message with a handle waiting in the child's data queue, never received */
    viper_handle_t hv[1] = { (viper_handle_t)s_in };
    UT_CHECK_EQ(ipc_send(p_data, "for you", 7, hv, 1, 0), VIPER_OK);
    viper_handle_t start[3] = { (viper_handle_t)c_ctl, (viper_handle_t)c_data, (viper_handle_t)s };
    char path[32];
    snprintf(path, sizeof path, "/tests/%s", PROG);
    const char *const argv[] = { PROG, "--child", how, NULL };
    int64_t pid = -1;
    fflush(stdout);
    UT_CHECK_EQ(viper_spawn(path, argv, (const char *const *)environ, start, 3, &pid), VIPER_OK);
    UT_CHECK_EQ(viper_process_open(pid, &ph), VIPER_OK);
    /* "ready" carries the child's own channel end */
    char buf[16];
    viper_handle_t rh[4];
    uint64_t nh = 0, len = 0, ready = 0, theirs = 0;
    UT_CHECK_EQ(ipc_recv(p_ctl, buf, sizeof buf, rh, 4, ipc_after_ms(5000), &len, &nh), VIPER_OK);
    UT_CHECK_EQ(nh, 1);
    theirs = nh == 1 ? rh[0] : 0;
    UT_CHECK_EQ(strcmp((const char *)(uintptr_t)addr, "child was here"), 0);
    if (kill_it) {
        viper_sleep_ns(20 * IPC_MS);   /* let it block where it blocks */
        UT_CHECK_EQ(viper_kill(pid), VIPER_OK);
    }
    /* the process handle signals the exit, the ends report PEER_CLOSED */
    struct viper_wait_item it[3] = {
        { (uint32_t)ph, VIPER_SIGNAL_PROCESS_EXITED, 0, 0 },
        { (uint32_t)p_ctl, VIPER_SIGNAL_PEER_CLOSED, 0, 0 },
        { (uint32_t)theirs, VIPER_SIGNAL_PEER_CLOSED, 0, 0 },
    };
    UT_CHECK_EQ(viper_wait_many(it, 1, ipc_after_ms(5000), &ready), VIPER_OK);
    UT_CHECK_EQ(it[0].pending, VIPER_SIGNAL_PROCESS_EXITED);
    int64_t me = 0;
    viper_getpid(&me, NULL);
    UT_CHECK_EXIT(pid, want_reason, want_reason == VIPER_EXIT_KILLED ? me : want_code);
    UT_CHECK_EQ(viper_wait_many(it, 3, VIPER_DEADLINE_POLL, &ready), VIPER_OK);
    UT_CHECK_EQ(ready, 3);
    UT_CHECK(it[1].pending & VIPER_SIGNAL_PEER_CLOSED);
    UT_CHECK(it[2].pending & VIPER_SIGNAL_PEER_CLOSED);
    UT_CHECK_EQ(ipc_recv_str(p_ctl, buf, sizeof buf, VIPER_DEADLINE_INFINITE),
                VIPER_ERR_PEER_CLOSED);
    UT_CHECK_EQ(ipc_send_str(p_ctl, "x"), VIPER_ERR_PEER_CLOSED);
    UT_CHECK_EQ(ipc_send_str(p_data, "x"), VIPER_ERR_PEER_CLOSED);
    /* what the child had queued for us is still there, then PEER_CLOSED */
    int got = 0;
    int64_t rc;
    while ((rc = ipc_recv(p_data, buf, sizeof buf, rh, 4, VIPER_DEADLINE_INFINITE, &len, &nh)) ==
           VIPER_OK) {
        got++;
        for (uint64_t i = 0; i < nh; i++)
            UT_CHECK_EQ(viper_handle_close(rh[i]), VIPER_OK);
    }
    UT_CHECK_EQ(rc, VIPER_ERR_PEER_CLOSED);
    if (strcmp(how, "send") == 0)
        UT_CHECK_EQ(got, VIPER_CHAN_QUEUE_MAX);   /* the blocked 65th never arrived */
    UT_CHECK_EQ(ipc_recv_str(theirs, buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_OK);
    UT_CHECK_EQ(strcmp(buf, "kept"), 0);
    UT_CHECK_EQ(ipc_recv_str(theirs, buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_ERR_PEER_CLOSED);
    /* the shm object lives on in our mapping only */
    UT_CHECK_EQ(strcmp((const char *)(uintptr_t)addr, "child was here"), 0);
    UT_CHECK_EQ(viper_munmap(addr, 2 * PAGE), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(ph), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(p_ctl), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(p_data), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(theirs), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

static void case_exit(void)
{
    scenario("exit", 0, VIPER_EXIT_NORMAL, 0);
}

static void case_killed_in_recv(void)
{
    scenario("recv", 1, VIPER_EXIT_KILLED, 0);
}

static void case_killed_in_send(void)
{
    scenario("send", 1, VIPER_EXIT_KILLED, 0);
}

static void case_killed_two_threads(void)
{
    scenario("threads", 1, VIPER_EXIT_KILLED, 0);
}

static void case_fault(void)
{
    scenario("fault", 0, VIPER_EXIT_FAULT, 0x24);
}

/* Many children at once, each holding handles, all exit: the counters come back. */
static void case_many(void)
{
    struct viper_kstat before = ut_kstat();
    enum { N = 16 };
    uint64_t ends[N];
    int64_t pids[N];
    for (int i = 0; i < N; i++) {
        uint64_t c = 0;
        UT_CHECK_EQ(viper_chan_create(&ends[i], &c), VIPER_OK);
        viper_handle_t hv[1] = { (viper_handle_t)c };
        pids[i] = ipc_spawn_self(PROG, "hold", hv, 1);
    }
    for (int i = 0; i < N; i++)
        UT_CHECK_EQ(ipc_send_str(ends[i], "bye"), VIPER_OK);
    for (int i = 0; i < N; i++) {
        char buf[8];
        UT_CHECK_EQ(ipc_recv_str(ends[i], buf, sizeof buf, ipc_after_ms(5000)),
                    VIPER_ERR_PEER_CLOSED);
        if (pids[i] > 0)
            UT_CHECK_EXIT(pids[i], VIPER_EXIT_NORMAL, 0);
        UT_CHECK_EQ(viper_handle_close(ends[i]), VIPER_OK);
    }
    IPC_CHECK_NO_LEAK(&before);
}

static int child_hold(void)
{
    uint64_t h = viper_startup_handle(0), a = 0, b = 0, s = 0;
    char buf[8];
    /* make some objects and leave them all open */
    viper_chan_create(&a, &b);
    viper_shm_create(PAGE, &s);
    viper_handle_t hv[1] = { (viper_handle_t)s };
    ipc_send(a, "x", 1, hv, 1, 0);
    if (ipc_recv_str(h, buf, sizeof buf, VIPER_DEADLINE_INFINITE) != VIPER_OK)
        return 1;
    return 0;
}

int main(int argc, char **argv, char **envp)
{
    const char *role = ipc_child_role(argc, argv);
    if (role)
        return strcmp(role, "hold") == 0 ? child_hold() : child_main(role);
    ut_init(argc, argv, envp);
    UT_RUN_LEAK(case_exit);
    UT_RUN_LEAK(case_killed_in_recv);
    UT_RUN_LEAK(case_killed_in_send);
    UT_RUN_LEAK(case_killed_two_threads);
    UT_RUN_LEAK(case_fault);
    UT_RUN_LEAK(case_many);
    return ut_done();
}
