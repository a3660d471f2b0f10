/*
 * chan_notify.c - notification (docs/ipc.md, "Notification"): news at an
 * endpoint that notifies a thread (a message queued, the peer gone) ends
 * that thread's VIPER_CHAN_INTERRUPTIBLE chan_call on another endpoint
 * with INTERRUPTED, at once when it came before the call; its own
 * endpoint's news never does; a plain chan_call is not interrupted; bad
 * handles, missing rights and unknown flags are refused; nothing leaks.
 */
#include "ipc_util.h"

static uint64_t a0, a1, b0, b1;   /* the worker calls on a0 and hears of b0; main holds a1, b1 */
static int64_t res[10];
static char got[4][8];            /* the replies of "block", "self", "q2" and "q3" */

/* One chan_call from the worker: request s on a0, the reply (if any) into out.  (A wait
 * that should have been interrupted ends at the deadline: TIMED_OUT, a failed check.) */
static int64_t call(const char *s, uint64_t flags, char *out)
{
    uint64_t len = 0, nh = 0;
    struct viper_msg mq = ipc_msg(s, (uint32_t)strlen(s), NULL, 0);
    struct viper_msg mr = ipc_msg(out, 7, NULL, 0);
    int64_t rc = viper_chan_call(a0, &mq, &mr, ipc_after_ms(2000), flags, &len, &nh);
    out[rc == VIPER_OK ? len : 0] = '\0';
    return rc;
}

static void worker(uint64_t arg)
{
    (void)arg;
    char scratch[8];
    const uint64_t intr = VIPER_CHAN_INTERRUPTIBLE;
    res[0] = viper_chan_notify(b0);
    res[1] = call("wait", intr, scratch);     /* parked: main queues news at b0 */
    res[2] = call("block", 0, got[0]);        /* not interruptible: news at b0, then "go" */
    res[3] = call("again", intr, scratch);    /* that news came before: at once */
    res[4] = viper_chan_notify(a0);
    res[5] = call("self", intr, got[1]);      /* news at a0 is the reply itself */
    res[6] = call("two", 0, scratch);         /* main replies twice */
    res[7] = call("q2", intr, got[2]);        /* the second reply was waiting */
    res[8] = call("q3", intr, got[3]);        /* a0's news does not interrupt a0's wait */
    res[9] = call("close", intr, scratch);    /* main closes b1: b0's peer is gone */
    viper_thread_exit(0);
}

/* Main's side: the worker's next request must be `want`. */
static void expect(const char *want)
{
    char buf[16];
    UT_CHECK_EQ(ipc_recv_str(a1, buf, sizeof buf, ipc_after_ms(5000)), VIPER_OK);
    UT_CHECK_EQ(strcmp(buf, want), 0);
}

static void case_interrupt(void)
{
    struct viper_kstat before = ut_kstat();
    char buf[16];
    UT_CHECK_EQ(viper_chan_create(&a0, &a1), VIPER_OK);
    UT_CHECK_EQ(viper_chan_create(&b0, &b1), VIPER_OK);
    memset(res, 0x55, sizeof res);
    int64_t tid = ipc_thread(0, worker, 0);
    expect("wait");
    UT_CHECK_EQ(ipc_send_str(b1, "n1"), VIPER_OK);
    expect("block");
    UT_CHECK_EQ(ipc_send_str(b1, "n2"), VIPER_OK);
    UT_CHECK_EQ(ipc_send_str(a1, "go"), VIPER_OK);
    expect("again");
    expect("self");
    UT_CHECK_EQ(ipc_send_str(a1, "r"), VIPER_OK);
    expect("two");
    UT_CHECK_EQ(ipc_send_str(a1, "x1"), VIPER_OK);
    UT_CHECK_EQ(ipc_send_str(a1, "x2"), VIPER_OK);
    expect("q2");
    expect("q3");
    UT_CHECK_EQ(ipc_send_str(a1, "x3"), VIPER_OK);
    expect("close");
    UT_CHECK_EQ(viper_handle_close(b1), VIPER_OK);
    if (tid > 0)
        ipc_join(tid);
    UT_CHECK_EQ(res[0], VIPER_OK);
    UT_CHECK_EQ(res[1], VIPER_ERR_INTERRUPTED);
    UT_CHECK_EQ(res[2], VIPER_OK);
    UT_CHECK_EQ(strcmp(got[0], "go"), 0);
    UT_CHECK_EQ(res[3], VIPER_ERR_INTERRUPTED);
    UT_CHECK_EQ(res[4], VIPER_OK);
    UT_CHECK_EQ(res[5], VIPER_OK);
    UT_CHECK_EQ(strcmp(got[1], "r"), 0);
    UT_CHECK_EQ(res[6], VIPER_OK);
    UT_CHECK_EQ(res[7], VIPER_OK);
    UT_CHECK_EQ(strcmp(got[2], "x2"), 0);
    UT_CHECK_EQ(res[8], VIPER_OK);
    UT_CHECK_EQ(strcmp(got[3], "x3"), 0);
    UT_CHECK_EQ(res[9], VIPER_ERR_INTERRUPTED);
    /* the news itself is untouched: both messages, then the closed peer */
    UT_CHECK_EQ(ipc_recv_str(b0, buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_OK);
    UT_CHECK_EQ(strcmp(buf, "n1"), 0);
    UT_CHECK_EQ(ipc_recv_str(b0, buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_OK);
    UT_CHECK_EQ(strcmp(buf, "n2"), 0);
    UT_CHECK_EQ(ipc_recv_str(b0, buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_ERR_PEER_CLOSED);
    UT_CHECK_EQ(viper_handle_close(a0), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(a1), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(b0), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);   /* the endpoints' references on the worker went with them */
}

static void case_bad_args(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t c0 = 0, c1 = 0, shm = 0, wo = 0, len = 0, nh = 0;
    UT_CHECK_EQ(viper_chan_create(&c0, &c1), VIPER_OK);
    UT_CHECK_EQ(viper_shm_create(4096, &shm), VIPER_OK);
    UT_CHECK_EQ(viper_chan_notify(0), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_chan_notify(0x7fffffff), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_chan_notify(shm), VIPER_ERR_BAD_HANDLE);   /* not a channel */
    UT_CHECK_EQ(viper_cap_derive(c0, VIPER_RIGHT_WRITE, &wo), VIPER_OK);
    UT_CHECK_EQ(viper_chan_notify(wo), VIPER_ERR_ACCESS_DENIED);  /* needs READ */
    uint64_t x = 1;
    struct viper_msg m = ipc_msg(&x, sizeof x, NULL, 0);
    UT_CHECK_EQ(viper_chan_call(c0, &m, &m, VIPER_DEADLINE_POLL, 4, &len, &nh),
                VIPER_ERR_INVALID);   /* an unknown flag */
    UT_CHECK_EQ(viper_chan_notify(c0), VIPER_OK);
    UT_CHECK_EQ(viper_chan_notify(c0), VIPER_OK);   /* again: still one reference */
    uint64_t hs[] = { c0, c1, shm, wo };
    for (int i = 0; i < 4; i++)
        UT_CHECK_EQ(viper_handle_close(hs[i]), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    UT_RUN_LEAK(case_interrupt);
    UT_RUN_LEAK(case_bad_args);
    return ut_done();
}
