/*
 * wait_many.c - waiting on many objects: 64 channels with one signalled at
 * random (the right item is pending, the waiter sleeps rather than spins),
 * READABLE / WRITABLE / PEER_CLOSED, PROCESS_EXITED through process_open,
 * deadlines and POLL, and bad arguments (count 0 and 257, bad pointers, bad
 * and rights-less handles).  docs/ipc.md.
 */
#include "ipc_util.h"

#define PROG  "wait_many"
#define NCHAN 64

static uint64_t ends[NCHAN][2];
static struct viper_wait_item items[VIPER_WAIT_MANY_MAX + 1];

static void open_chans(void)
{
    for (int i = 0; i < NCHAN; i++)
        UT_CHECK_EQ(viper_chan_create(&ends[i][0], &ends[i][1]), VIPER_OK);
}

static void close_chans(void)
{
    for (int i = 0; i < NCHAN; i++) {
        UT_CHECK_EQ(viper_handle_close(ends[i][0]), VIPER_OK);
        UT_CHECK_EQ(viper_handle_close(ends[i][1]), VIPER_OK);
    }
}

static void fill_items(uint32_t signals)
{
    for (int i = 0; i < NCHAN; i++)
        items[i] = (struct viper_wait_item){ (uint32_t)ends[i][1], signals, 0xdeadu, 0 };
}

static volatile uint64_t sig_chan;
static volatile uint64_t sig_delay_ms;

static void signaller(uint64_t arg)
{
    (void)arg;
    viper_sleep_ns(sig_delay_ms * IPC_MS);
    ipc_send_str(sig_chan, "wake");
    viper_thread_exit(0);
}

static void case_many_channels(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t ready = 0;
    open_chans();
    for (int round = 0; round < 8; round++) {
        int k = (int)((viper_now_ns() / 1000 + (uint64_t)round * 37) % NCHAN);
        fill_items(VIPER_SIGNAL_READABLE);
        sig_chan = ends[k][0];
        sig_delay_ms = 10;
        int64_t tid = ipc_thread(0, signaller, 0);
        uint64_t t0 = viper_now_ns();
        int64_t rc = viper_wait_many(items, NCHAN, t0 + 5000 * IPC_MS, &ready);
        UT_CHECK_EQ(rc, VIPER_OK);
        UT_CHECK_EQ(ready, 1);
        UT_CHECK(viper_now_ns() - t0 >= 5 * IPC_MS);
        for (int i = 0; i < NCHAN; i++) {
            if (i == k)
                UT_CHECK(items[i].pending & VIPER_SIGNAL_READABLE);
            else
                UT_CHECK(!(items[i].pending & VIPER_SIGNAL_READABLE));
            UT_CHECK(items[i].pending & VIPER_SIGNAL_WRITABLE);   /* reported, not requested */
            UT_CHECK_EQ(items[i].handle, (uint32_t)ends[i][1]);  /* untouched */
            UT_CHECK_EQ(items[i].signals, VIPER_SIGNAL_READABLE);
        }
        if (tid > 0)
            ipc_join(tid);
        char buf[8];
        UT_CHECK_EQ(ipc_recv_str(ends[k][1], buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_OK);
    }
    /* two ready at once: both reported */
    UT_CHECK_EQ(ipc_send_str(ends[3][0], "x"), VIPER_OK);
    UT_CHECK_EQ(ipc_send_str(ends[60][0], "y"), VIPER_OK);
    fill_items(VIPER_SIGNAL_READABLE);
    UT_CHECK_EQ(viper_wait_many(items, NCHAN, VIPER_DEADLINE_INFINITE, &ready), VIPER_OK);
    UT_CHECK_EQ(ready, 2);
    UT_CHECK(items[3].pending & items[60].pending & VIPER_SIGNAL_READABLE);
    close_chans();
    IPC_CHECK_NO_LEAK(&before);
}

static void case_no_spinning(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t ready = 0;
    open_chans();
    fill_items(VIPER_SIGNAL_READABLE | VIPER_SIGNAL_PEER_CLOSED);
    /* nothing happens for 200 ms: the waiter sleeps the whole time */
    uint64_t sw0 = ut_kstat().context_switches, t0 = viper_now_ns();
    UT_CHECK_EQ(viper_wait_many(items, NCHAN, t0 + 200 * IPC_MS, &ready), VIPER_ERR_TIMED_OUT);
    uint64_t dt = viper_now_ns() - t0, sw = ut_kstat().context_switches - sw0;
    UT_INFO("200 ms wait on 64 channels: %llu us, %llu context switches",
            (unsigned long long)(dt / 1000), (unsigned long long)sw);
    UT_CHECK(dt >= 200 * IPC_MS);
    UT_CHECK(dt < 700 * IPC_MS);
    UT_CHECK(sw < 20);
    /* with a busy thread beside it, the waiter still does not take turns */
    sig_chan = ends[17][0];
    sig_delay_ms = 100;
    int64_t tid = ipc_thread(0, signaller, 0);
    sw0 = ut_kstat().context_switches;
    UT_CHECK_EQ(viper_wait_many(items, NCHAN, VIPER_DEADLINE_INFINITE, &ready), VIPER_OK);
    sw = ut_kstat().context_switches - sw0;
    UT_INFO("woken by a message after 100 ms: %llu context switches", (unsigned long long)sw);
    UT_CHECK(sw < 20);
    UT_CHECK(items[17].pending & VIPER_SIGNAL_READABLE);
    if (tid > 0)
        ipc_join(tid);
    close_chans();
    IPC_CHECK_NO_LEAK(&before);
}

static volatile uint64_t drain_chan;

static void drainer(uint64_t arg)
{
    uint32_t v;
    (void)arg;
    viper_sleep_ns(30 * IPC_MS);
    ipc_recv(drain_chan, &v, sizeof v, NULL, 0, VIPER_DEADLINE_POLL, NULL, NULL);
    viper_thread_exit(0);
}

static volatile uint64_t closer_handle;

static void closer(uint64_t arg)
{
    (void)arg;
    viper_sleep_ns(30 * IPC_MS);
    viper_handle_close(closer_handle);
    viper_thread_exit(0);
}

static void case_signals(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = 0, b = 0, ready = 0;
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    struct viper_wait_item it = { (uint32_t)a, VIPER_SIGNAL_WRITABLE, 0, 0 };
    /* a fresh end is writable, not readable, not closed */
    UT_CHECK_EQ(viper_wait_many(&it, 1, VIPER_DEADLINE_POLL, &ready), VIPER_OK);
    UT_CHECK_EQ(ready, 1);
    UT_CHECK_EQ(it.pending, VIPER_SIGNAL_WRITABLE);
    /* a full peer queue: not writable; a drain makes it writable and wakes the waiter */
    for (uint32_t i = 0; i < VIPER_CHAN_QUEUE_MAX; i++)
        UT_CHECK_EQ(ipc_send(a, &i, sizeof i, NULL, 0, VIPER_CHAN_NONBLOCK), VIPER_OK);
    UT_CHECK_EQ(viper_wait_many(&it, 1, VIPER_DEADLINE_POLL, &ready), VIPER_ERR_TIMED_OUT);
    UT_CHECK_EQ(it.pending & VIPER_SIGNAL_WRITABLE, 0);
    drain_chan = b;
    int64_t tid = ipc_thread(0, drainer, 0);
    uint64_t t0 = viper_now_ns();
    UT_CHECK_EQ(viper_wait_many(&it, 1, t0 + 5000 * IPC_MS, &ready), VIPER_OK);
    UT_CHECK(it.pending & VIPER_SIGNAL_WRITABLE);
    UT_CHECK(viper_now_ns() - t0 >= 20 * IPC_MS);
    if (tid > 0)
        ipc_join(tid);
    /* b is readable (63 queued); the peer closes while we wait for PEER_CLOSED */
    struct viper_wait_item ib = { (uint32_t)b, VIPER_SIGNAL_PEER_CLOSED, 0, 0 };
    UT_CHECK_EQ(viper_wait_many(&ib, 1, VIPER_DEADLINE_POLL, &ready), VIPER_ERR_TIMED_OUT);
    UT_CHECK_EQ(ib.pending, VIPER_SIGNAL_READABLE | VIPER_SIGNAL_WRITABLE);
    closer_handle = a;
    tid = ipc_thread(0, closer, 0);
    UT_CHECK_EQ(viper_wait_many(&ib, 1, ipc_after_ms(5000), &ready), VIPER_OK);
    UT_CHECK_EQ(ib.pending, VIPER_SIGNAL_READABLE | VIPER_SIGNAL_PEER_CLOSED);
    if (tid > 0)
        ipc_join(tid);
    /* drained: only PEER_CLOSED remains */
    uint32_t v;
    while (ipc_recv(b, &v, sizeof v, NULL, 0, VIPER_DEADLINE_POLL, NULL, NULL) == VIPER_OK)
        ;
    ib.signals = VIPER_SIGNAL_READABLE | VIPER_SIGNAL_WRITABLE | VIPER_SIGNAL_PEER_CLOSED;
    UT_CHECK_EQ(viper_wait_many(&ib, 1, VIPER_DEADLINE_POLL, &ready), VIPER_OK);
    UT_CHECK_EQ(ib.pending, VIPER_SIGNAL_PEER_CLOSED);
    UT_CHECK_EQ(viper_handle_close(b), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

static int64_t child_sleep_exit(int64_t ms)
{
    viper_sleep_ns((uint64_t)ms * IPC_MS);
    return 42;
}

static void case_process_exited(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t ph = 0, a = 0, b = 0, ready = 0, type = 0, rights = 0;
    int64_t pid = ut_fork(child_sleep_exit, 50);
    UT_CHECK_EQ(viper_process_open(pid, &ph), VIPER_OK);
    UT_CHECK_EQ(viper_cap_query(ph, &type, &rights), VIPER_OK);
    UT_CHECK_EQ(type, VIPER_OBJ_PROCESS);
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    struct viper_wait_item it[2] = {
        { (uint32_t)b, VIPER_SIGNAL_READABLE, 0, 0 },
        { (uint32_t)ph, VIPER_SIGNAL_PROCESS_EXITED, 0, 0 },
    };
    UT_CHECK_EQ(viper_wait_many(it, 2, VIPER_DEADLINE_POLL, &ready), VIPER_ERR_TIMED_OUT);
    UT_CHECK_EQ(it[1].pending, 0);
    uint64_t t0 = viper_now_ns();
    UT_CHECK_EQ(viper_wait_many(it, 2, t0 + 5000 * IPC_MS, &ready), VIPER_OK);
    UT_CHECK_EQ(ready, 1);
    UT_CHECK_EQ(it[1].pending, VIPER_SIGNAL_PROCESS_EXITED);
    UT_CHECK_EQ(it[0].pending & VIPER_SIGNAL_READABLE, 0);
    UT_CHECK(viper_now_ns() - t0 >= 30 * IPC_MS);
    /* still signalled while a zombie, and after it is reaped */
    UT_CHECK_EQ(viper_wait_many(&it[1], 1, VIPER_DEADLINE_POLL, &ready), VIPER_OK);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 42);
    UT_CHECK_EQ(viper_wait_many(&it[1], 1, VIPER_DEADLINE_POLL, &ready), VIPER_OK);
    UT_CHECK_EQ(it[1].pending, VIPER_SIGNAL_PROCESS_EXITED);
    UT_CHECK_EQ(viper_handle_close(ph), VIPER_OK);
    /* a child killed while we wait */
    pid = ut_fork(child_sleep_exit, 100000);
    UT_CHECK_EQ(viper_process_open(pid, &ph), VIPER_OK);
    it[1].handle = (uint32_t)ph;
    UT_CHECK_EQ(viper_wait_many(&it[1], 1, ipc_after_ms(20), &ready), VIPER_ERR_TIMED_OUT);
    UT_CHECK_EQ(viper_kill(pid), VIPER_OK);
    UT_CHECK_EQ(viper_wait_many(&it[1], 1, ipc_after_ms(5000), &ready), VIPER_OK);
    UT_CHECK_EQ(it[1].pending, VIPER_SIGNAL_PROCESS_EXITED);
    int64_t me = 0;
    viper_getpid(&me, NULL);
    UT_CHECK_EXIT(pid, VIPER_EXIT_KILLED, me);
    UT_CHECK_EQ(viper_handle_close(ph), VIPER_OK);
    /* process_open: only self and descendants */
    uint64_t x = 0;
    UT_CHECK_EQ(viper_process_open(pid, &x), VIPER_ERR_NOT_FOUND);   /* reaped */
    UT_CHECK_EQ(viper_process_open(999999, &x), VIPER_ERR_NOT_FOUND);
    int64_t rc = viper_process_open(-1, &x);
    UT_CHECK(rc == VIPER_ERR_NOT_FOUND || rc == VIPER_ERR_ACCESS_DENIED || rc == VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_process_open(me, &x), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(x), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(a), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(b), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

/* A forked child may not open its parent. */
static int64_t child_open_parent(int64_t arg)
{
    uint64_t x = 0;
    int64_t ppid = 0;
    (void)arg;
    viper_getpid(NULL, &ppid);
    int64_t rc = viper_process_open(ppid, &x);
    return rc == VIPER_ERR_ACCESS_DENIED || rc == VIPER_ERR_NOT_FOUND ? 0 : 1;
}

static void case_process_open_parent(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t pid = ut_fork(child_open_parent, 0);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    IPC_CHECK_NO_LEAK(&before);
}

static void case_deadline_poll(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = 0, b = 0, ready = 77;
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    struct viper_wait_item it = { (uint32_t)b, VIPER_SIGNAL_READABLE, 0xdead, 0 };
    /* POLL: nothing ready, at once; pending still reported */
    uint64_t t0 = viper_now_ns();
    UT_CHECK_EQ(viper_wait_many(&it, 1, VIPER_DEADLINE_POLL, &ready), VIPER_ERR_TIMED_OUT);
    UT_CHECK(viper_now_ns() - t0 < 20 * IPC_MS);
    UT_CHECK_EQ(it.pending, VIPER_SIGNAL_WRITABLE);
    /* a deadline */
    t0 = viper_now_ns();
    UT_CHECK_EQ(viper_wait_many(&it, 1, t0 + 40 * IPC_MS, &ready), VIPER_ERR_TIMED_OUT);
    uint64_t dt = viper_now_ns() - t0;
    UT_INFO("deadline 40 ms: %llu us", (unsigned long long)(dt / 1000));
    UT_CHECK(dt >= 40 * IPC_MS && dt < 300 * IPC_MS);
    /* a deadline in the past */
    t0 = viper_now_ns();
    UT_CHECK_EQ(viper_wait_many(&it, 1, 1, &ready), VIPER_ERR_TIMED_OUT);
    UT_CHECK(viper_now_ns() - t0 < 20 * IPC_MS);
    /* already ready: returns at once with any deadline */
    UT_CHECK_EQ(ipc_send_str(a, "r"), VIPER_OK);
    it.pending = 0;
    UT_CHECK_EQ(viper_wait_many(&it, 1, VIPER_DEADLINE_POLL, &ready), VIPER_OK);
    UT_CHECK_EQ(ready, 1);
    UT_CHECK_EQ(it.pending, VIPER_SIGNAL_READABLE | VIPER_SIGNAL_WRITABLE);
    UT_CHECK_EQ(viper_wait_many(&it, 1, VIPER_DEADLINE_INFINITE, &ready), VIPER_OK);
    /* no signals asked: never ready (times out) */
    it.signals = 0;
    UT_CHECK_EQ(viper_wait_many(&it, 1, ipc_after_ms(10), &ready), VIPER_ERR_TIMED_OUT);
    UT_CHECK_EQ(viper_handle_close(a), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(b), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

static void case_bad_args(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = 0, b = 0, ro = 0, s = 0, ready = 0, page = 0;
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(b, VIPER_RIGHT_WRITE, &ro), VIPER_OK);
    UT_CHECK_EQ(viper_shm_create(4096, &s), VIPER_OK);
    for (unsigned i = 0; i <= VIPER_WAIT_MANY_MAX; i++)
        items[i] = (struct viper_wait_item){ (uint32_t)b, VIPER_SIGNAL_WRITABLE, 0, 0 };
    UT_CHECK_EQ(viper_wait_many(items, 0, VIPER_DEADLINE_POLL, &ready), VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_wait_many(items, VIPER_WAIT_MANY_MAX + 1, VIPER_DEADLINE_POLL, &ready),
                VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_wait_many(items, ~0ull, VIPER_DEADLINE_POLL, &ready), VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_wait_many(items, 1ull << 32, VIPER_DEADLINE_POLL, &ready), VIPER_ERR_INVALID);
    /* 256 items (the same handle each time) is fine */
    UT_CHECK_EQ(viper_wait_many(items, VIPER_WAIT_MANY_MAX, VIPER_DEADLINE_POLL, &ready), VIPER_OK);
    UT_CHECK_EQ(ready, VIPER_WAIT_MANY_MAX);
    UT_CHECK_EQ(items[255].pending, VIPER_SIGNAL_WRITABLE);
    /* bad pointers */
    UT_CHECK_EQ(viper_wait_many(NULL, 1, VIPER_DEADLINE_POLL, &ready), VIPER_ERR_FAULT);
    UT_CHECK_EQ(viper_wait_many((struct viper_wait_item *)0xffff000000000000ull, 1,
                                VIPER_DEADLINE_POLL, &ready), VIPER_ERR_FAULT);
    UT_CHECK_EQ(viper_wait_many((struct viper_wait_item *)0x7000000000ull, 4,
                                VIPER_DEADLINE_POLL, &ready), VIPER_ERR_FAULT);
    /* an array that runs off the end of mapped memory */
    UT_CHECK_EQ(viper_mmap(0, 8192, VIPER_PROT_READ | VIPER_PROT_WRITE, 0, &page), VIPER_OK);
    UT_CHECK_EQ(viper_munmap(page + 4096, 4096), VIPER_OK);
    struct viper_wait_item *edge = (struct viper_wait_item *)(uintptr_t)(page + 4096 - 16);
    edge[0] = items[0];
    UT_CHECK_EQ(viper_wait_many(edge, 2, VIPER_DEADLINE_POLL, &ready), VIPER_ERR_FAULT);
    UT_CHECK_EQ(viper_wait_many(edge, 1, VIPER_DEADLINE_POLL, &ready), VIPER_OK);
    /* read-only items: the pending fields cannot be written back */
    UT_CHECK_EQ(viper_mprotect(page, 4096, VIPER_PROT_READ), VIPER_OK);
    int64_t rc = viper_wait_many(edge, 1, VIPER_DEADLINE_POLL, &ready);
    UT_INFO("wait_many on a read-only array = %lld", (long long)rc);
    UT_CHECK_EQ(rc, VIPER_ERR_FAULT);
    UT_CHECK_EQ(viper_munmap(page, 4096), VIPER_OK);
    /* bad handles anywhere in the array; a handle without READ; the wrong kind of object */
    items[100].handle = 0;
    UT_CHECK_EQ(viper_wait_many(items, 200, VIPER_DEADLINE_POLL, &ready), VIPER_ERR_BAD_HANDLE);
    items[100].handle = 0xdead0001u;
    UT_CHECK_EQ(viper_wait_many(items, 200, VIPER_DEADLINE_INFINITE, &ready),
                VIPER_ERR_BAD_HANDLE);
    items[100].handle = (uint32_t)ro;
    UT_CHECK_EQ(viper_wait_many(items, 200, VIPER_DEADLINE_INFINITE, &ready),
                VIPER_ERR_ACCESS_DENIED);
    items[100].handle = (uint32_t)s;   /* shm: no signals, but a valid handle */
    items[100].signals = VIPER_SIGNAL_READABLE;
    rc = viper_wait_many(&items[100], 1, VIPER_DEADLINE_POLL, &ready);
    UT_INFO("wait_many on an shm handle = %lld (pending %u)", (long long)rc, items[100].pending);
    UT_CHECK(rc == VIPER_ERR_TIMED_OUT || rc == VIPER_ERR_BAD_HANDLE || rc == VIPER_ERR_INVALID);
    /* unknown signal bits */
    items[0].signals = 1u << 20;
    rc = viper_wait_many(items, 1, VIPER_DEADLINE_POLL, &ready);
    UT_INFO("wait_many with unknown signal bits = %lld", (long long)rc);
    UT_CHECK(rc == VIPER_ERR_TIMED_OUT || rc == VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_handle_close(a), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(b), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(ro), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(s), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    UT_RUN_LEAK(case_many_channels);
    UT_RUN_LEAK(case_no_spinning);
    UT_RUN_LEAK(case_signals);
    UT_RUN_LEAK(case_process_exited);
    UT_RUN_LEAK(case_process_open_parent);
    UT_RUN_LEAK(case_deadline_poll);
    UT_RUN_LEAK(case_bad_args);
    return ut_done();
}
