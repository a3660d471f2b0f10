/*
 * chan_syscall.c - chan_create/send/recv/call: checking and copying the
 * user's message, moving handles between tables, all or nothing.
 */
#include "cap/handle.h"
#include "ipc/channel.h"
#include "kernel/hot.h"
#include "kernel/lab.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"
#include "viper/errors.h"
#include "viper/types.h"

#define CHANNEL_RIGHTS (VIPER_RIGHT_READ | VIPER_RIGHT_WRITE | VIPER_RIGHT_TRANSFER | VIPER_RIGHT_DERIVE)

static struct handle_table *table(void)
{
    return &sched_current()->proc->handles;
}

int64_t sys_chan_create(struct trap_frame *tf)
{
    struct endpoint *a, *b;
    int err = chan_create_pair(&a, &b);
    if (err)
        return err;
    struct cap *ca = cap_create(&a->obj, CHANNEL_RIGHTS);
    struct cap *cb = cap_create(&b->obj, CHANNEL_RIGHTS);
    uint32_t ha, hb;
    if (!ca || !cb) {
        if (ca)
            cap_destroy(ca);
        if (cb)
            cap_destroy(cb);
        return VIPER_ERR_NO_MEMORY;
    }
    err = handle_install(table(), ca, &ha);
    if (!err) {
        err = handle_install(table(), cb, &hb);
        if (err)
            handle_detach(ca);
    }
    if (err) {
        cap_destroy(ca);
        cap_destroy(cb);
        return err;
    }
    tf->x[1] = ha;
    tf->x[2] = hb;
    return VIPER_OK;
}

/* The memo missed: the table, and the memo remembers the answer (off the hot path). */
static __attribute__((noinline)) int endpoint_lookup(struct thread *self, uint64_t h,
                                                     uint32_t rights, struct object **out)
{
    struct cap *c;
    int err = handle_lookup(&self->proc->handles, h, OBJ_CHANNEL, rights, &c);
    if (err)
        return err;
    handle_memo_set(&self->chan_memo, h, c);
    *out = c->obj;
    return VIPER_OK;
}

/*
 * The endpoint behind h with rights, with a reference the caller must put.
 * The thread's memo answers a repeated handle without the table or the cap.
 */
static HOT_INLINE int endpoint_get(uint64_t h, uint32_t rights, struct endpoint **out)
{
    struct thread *self = sched_current();
    struct object *o = handle_memo_get(&self->chan_memo, h, OBJ_CHANNEL, rights);
    if (unlikely(!o)) {
        int err = endpoint_lookup(self, h, rights, &o);
        if (err)
            return err;
    }
    obj_get(o);
    *out = container_of(o, struct endpoint, obj);
    return VIPER_OK;
}

/* The caps behind the n handles of a message sent from self, all checked (off the hot path). */
static __attribute__((noinline, cold)) int caps_check(struct endpoint *self, const uint32_t *hv,
                                                      uint32_t n, struct cap **caps)
{
    for (uint32_t i = 0; i < n; i++) {
        int err = handle_lookup(table(), hv[i], 0, VIPER_RIGHT_TRANSFER, &caps[i]);
        if (err)
            return err;
        for (uint32_t j = 0; j < i; j++)
            if (caps[j] == caps[i])
                return VIPER_ERR_INVALID;   /* the same handle twice */
        /* Neither end may travel through its own channel: the message would hold
         * the last reference to the queue it sits in, and nothing could free it. */
        if (caps[i]->obj == &self->obj || (self->peer && caps[i]->obj == &self->peer->obj))
            return VIPER_ERR_INVALID;
    }
    return VIPER_OK;
}

/*
 * Build a message from the user's descriptor: bytes copied in, every
 * handle checked (TRANSFER, not the endpoint itself, no duplicates) and
 * only then detached from the table.  On error nothing has changed.
 */
static HOT_INLINE int msg_build(uint64_t umsg, struct endpoint *self, struct chan_msg **out,
                                uint32_t *values)
{
    struct viper_msg m;
    uint32_t hv[VIPER_MSG_MAX_HANDLES];
    int err = copy_from_user(&m, umsg, sizeof m);
    if (err)
        return err;
    if (m.len > VIPER_MSG_MAX_BYTES || m.nhandles > VIPER_MSG_MAX_HANDLES)
        return VIPER_ERR_INVALID;
    if (m.nhandles && (err = copy_from_user(hv, m.handles, m.nhandles * sizeof hv[0])))
        return err;
    struct chan_msg *msg = chan_msg_alloc_to(self->peer);
    if (!msg)
        return VIPER_ERR_NO_MEMORY;
    err = copy_from_user(msg->data, m.data, m.len);
    struct cap *caps[VIPER_MSG_MAX_HANDLES];
    if (!err && m.nhandles)
        err = caps_check(self, hv, m.nhandles, caps);
    if (err) {
        msg->nhandles = 0;
        chan_msg_free(msg);
        return err;
    }
    msg->len = m.len;
    /* LAB channels BEGIN transfer_out: move every checked cap out of the sender's table into the message (remember the old handle values for a failed send) */
    msg->nhandles = m.nhandles;
    for (uint32_t i = 0; i < m.nhandles; i++) {
        handle_detach(caps[i]);
        msg->caps[i] = caps[i];
        values[i] = hv[i];
    }
    /* LAB channels STUB
    (void)values;
    if (m.nhandles) {
        LAB_NOT_IMPLEMENTED("channels", "transfer_out");
        chan_msg_free(msg);
        return VIPER_ERR_NOT_SUPPORTED;
    }
    LAB channels END */
    *out = msg;
    return VIPER_OK;
}

/*
 * A send that failed after blocking (the peer closed, or the process is
 * being killed): the handles go back to the sender, under their old
 * values when those slots are still free.
 */
static void msg_unbuild(struct chan_msg *msg, const uint32_t *values)
{
    for (uint32_t i = 0; i < msg->nhandles; i++) {
        uint32_t h;
        if (handle_reattach(table(), msg->caps[i], values[i], &h) == VIPER_OK)
            msg->caps[i] = NULL;
    }
    chan_msg_free(msg);
}

static HOT_INLINE int do_send(struct endpoint *ep, uint64_t umsg, bool nonblock)
{
    struct chan_msg *msg;
    uint32_t values[VIPER_MSG_MAX_HANDLES] = { 0 };   /* the handles' old values, for msg_unbuild */
    if (!ep->peer)   /* the failures known up front leave the table untouched */
        return VIPER_ERR_PEER_CLOSED;
    if (nonblock && ep->peer->queued >= VIPER_CHAN_QUEUE_MAX)
        return VIPER_ERR_WOULD_BLOCK;
    int err = msg_build(umsg, ep, &msg, values);
    if (err)
        return err;
    err = chan_post(ep, msg, nonblock);
    if (err)
        msg_unbuild(msg, values);
    return err;
}

/* A failed delivery: the n caps installed leave the table again, the message goes back. */
static __attribute__((noinline, cold)) int deliver_undo(struct endpoint *ep, struct chan_msg *msg,
                                                        uint32_t n, int err)
{
    for (uint32_t i = 0; i < n; i++)
        handle_detach(msg->caps[i]);
    chan_requeue(ep, msg);
    return err;
}

/*
 * Hand a received message to the user whose receive descriptor is m:
 * bytes, then handles installed and their values copied out.  If anything
 * fails the message goes back to the head of the queue untouched.
 */
static HOT_INLINE int deliver(struct endpoint *ep, struct chan_msg *msg, const struct viper_msg *m,
                              struct trap_frame *tf)
{
    uint32_t hv[VIPER_MSG_MAX_HANDLES];
    uint32_t n = 0;
    int err = VIPER_OK;
    if (msg->len > m->len)
        err = VIPER_ERR_INVALID;
    if (!err && msg->nhandles > m->nhandles)
        err = VIPER_ERR_LIMIT;
    if (!err)
        err = copy_to_user(m->data, msg->data, msg->len);
    /* LAB channels BEGIN transfer_in: install each cap of the message in the receiver's table (a revoked one arrives as VIPER_HANDLE_INVALID); on failure stop, leaving n = caps installed so far */
    for (; !err && n < msg->nhandles; n++) {
        if (msg->caps[n]->revoked)
            hv[n] = VIPER_HANDLE_INVALID;
        else
            err = handle_install(table(), msg->caps[n], &hv[n]);
    }
    /* LAB channels STUB
    if (!err && msg->nhandles) {
        LAB_NOT_IMPLEMENTED("channels", "transfer_in");
        err = VIPER_ERR_NOT_SUPPORTED;
    }
    LAB channels END */
    if (!err && msg->nhandles)
        err = copy_to_user(m->handles, hv, msg->nhandles * sizeof hv[0]);
    if (err)
        return deliver_undo(ep, msg, n, err);
    for (uint32_t i = 0; i < msg->nhandles; i++)
        if (msg->caps[i]->revoked)
            cap_destroy(msg->caps[i]);
    tf->x[1] = msg->len;
    tf->x[2] = msg->nhandles;
    msg->nhandles = 0;   /* the caps now live in the table */
    chan_msg_free(msg);
    return VIPER_OK;
}

/* Take the oldest message queued at ep (waiting until deadline) and hand it to m's owner. */
static HOT_INLINE int take_and_deliver(struct endpoint *ep, uint64_t deadline,
                                       const struct viper_msg *m, struct trap_frame *tf)
{
    struct chan_msg *msg;
    int err = chan_dequeue(ep, deadline, &msg);
    return err ? err : deliver(ep, msg, m, tf);
}

/*
 * Parking: a receive that must wait (until a deadline, or forever)
 * leaves nothing of itself on the kernel stack.  The thread's whole user frame is saved
 * (SYSCALL_CALLEE_MASK, vectors.S), its context points at ret_from_park,
 * and the reference its call holds on ep, with the receive descriptor and
 * the deadline, moves into the thread (park_ep, park_msg, park_deadline).
 *
 * The thread picked next (sched_park) is often another parked receiver,
 * the one this call's send just woke.  Then its receive is finished here,
 * in its stead: the message taken off its queue while still in our
 * address space, then its space loaded, the bytes copied out and the CPU
 * left through its frame (arch_enter_user).  No run-queue trip, and none of
 * the calls a resumed thread would return through; under QEMU each return
 * after the address-space switch is a lookup in a freshly flushed cache.
 *
 * Any other next thread, or a parked one woken by anything else (chan_send,
 * a closed peer, a kill), runs its saved context: a parked thread's is
 * ret_from_park, which finishes the receive in chan_park_resume.
 */
int64_t chan_park_resume(struct trap_frame *tf);   /* ret_from_park's (vectors.S) */

int64_t chan_park_resume(struct trap_frame *tf)
{
    struct thread *self = sched_current();
    struct endpoint *ep = self->park_ep;
    self->park_ep = NULL;
    if (ep->parked == self)
        ep->parked = NULL;
    int err = self->wake_status;   /* TIMED_OUT at the deadline, PEER_CLOSED when killed */
    if (!err)
        err = take_and_deliver(ep, self->park_deadline, &self->park_msg, tf);
    obj_put(&ep->obj);
    return err;
}

/*
 * self has just parked in a receive on ep: the endpoint (with the call's
 * reference), the descriptor and the deadline move into it, and it will
 * resume at ret_from_park on its frame tf.  ep keeps what a switch to self
 * needs, for chan_call's fast path; whoever ends the park clears it.
 */
static HOT_INLINE void park_receive(struct thread *self, struct endpoint *ep,
                                   const struct viper_msg *m, uint64_t deadline,
                                   struct trap_frame *tf)
{
    self->park_ep = ep;
    self->park_msg = *m;
    self->park_deadline = deadline;
    self->ctx.lr = (uint64_t)ret_from_park;
    self->ctx.sp = (uint64_t)tf;
    self->ctx.fp = 0;
    ep->parked = self;
    ep->parked_vm = self->vm;
    ep->parked_ttbr0 = self->ttbr0;
}

static HOT_INLINE void park(struct endpoint *ep, const struct viper_msg *m, uint64_t deadline,
                            struct trap_frame *tf)
{
    struct thread *self = sched_current();
    struct thread *next = sched_park(&ep->readers, wq_deadline(deadline));
    if (unlikely(!next))   /* the deadline has passed: not parked */
        return;
    park_receive(self, ep, m, deadline, tf);
    struct endpoint *nep = next->park_ep;
    struct chan_msg *msg;
    if (!nep || next->wake_status || chan_dequeue(nep, VIPER_DEADLINE_POLL, &msg))
        sched_park_resume(self, next);
    next->park_ep = NULL;
    if (nep->parked == next)
        nep->parked = NULL;
    sched_switch_space(self, next, next->vm, &next->ttbr0);
    struct trap_frame *ntf = next->tf;
    ntf->x[0] = (uint64_t)(int64_t)deliver(nep, msg, &next->park_msg, ntf);
    obj_put(&nep->obj);
    arch_enter_user(ntf);
}

/*
 * Whether an interruptible wait on ep ends before it starts: news at
 * another endpoint that notifies self came since its last one.  The record
 * is used up either way.
 */
static bool notified_elsewhere(struct thread *self, struct endpoint *ep)
{
    struct endpoint *n = self->notified;
    self->notified = NULL;
    return n && n != ep;
}

static HOT_INLINE int do_recv(struct endpoint *ep, uint64_t umsg, uint64_t deadline,
                              struct trap_frame *tf)
{
    struct viper_msg m;
    struct thread *self = sched_current();
    int err = copy_from_user(&m, umsg, sizeof m);
    if (err)
        return err;
    if (!ep->queued && ep->peer && deadline != VIPER_DEADLINE_POLL && !self->dying) {
        if (unlikely(self->park_interruptible) && notified_elsewhere(self, ep))
            return VIPER_ERR_INTERRUPTED;
        park(ep, &m, deadline, tf);   /* the call's reference on ep goes with it; back if
                                         the deadline has passed (chan_dequeue says so) */
    }
    return take_and_deliver(ep, deadline, &m, tf);
}

int64_t sys_chan_send(struct trap_frame *tf)
{
    struct endpoint *ep;
    if (tf->x[2] & ~(uint64_t)VIPER_CHAN_NONBLOCK)
        return VIPER_ERR_INVALID;
    int err = endpoint_get(tf->x[0], VIPER_RIGHT_WRITE, &ep);
    if (err)
        return err;
    err = do_send(ep, tf->x[1], tf->x[2] & VIPER_CHAN_NONBLOCK);
    obj_put(&ep->obj);
    return err;
}

int64_t sys_chan_recv(struct trap_frame *tf)
{
    struct endpoint *ep;
    int err = endpoint_get(tf->x[0], VIPER_RIGHT_READ, &ep);
    if (err)
        return err;
    sched_current()->park_interruptible = false;
    err = do_recv(ep, tf->x[1], tf->x[2], tf);
    obj_put(&ep->obj);
    return err;
}

uint64_t chan_fast_calls;   /* kstat: chan_calls that took the fast path */

/* LAB channels BEGIN fastpath: chan_call's fast path: when a receiver is parked on the peer and the slow path would hand it this message and nothing more, copy the request into the peer's inline message, park the caller (sched_handoff_park), switch to the receiver (sched_handoff_to), copy the request into its buffer and leave through its frame; return VIPER_OK whenever it is not taken */
/*
 * A failed fast delivery (the receiver's buffer is too small or faulted):
 * the request, in the receiver's endpoint's inline message already, is
 * queued there after all, as the slow path would leave it, and the
 * receiver gets the error.
 */
static __attribute__((noinline, cold)) int fast_undo(struct endpoint *peer, int err)
{
    chan_requeue(peer, chan_msg_alloc_to(peer));   /* the inline one: call_fast checked */
    return err;
}

/*
 * The fast path's second half, on the receiver's kernel stack with its
 * address space loaded (arch_run_on_stack): to becomes current, the
 * request waiting in peer's inline message goes into its buffer, and the
 * CPU leaves through its frame.
 */
static _Noreturn __attribute__((noinline)) void fast_deliver(void *to_, void *peer_)
{
    struct thread *to = to_;
    struct endpoint *peer = peer_;
    sched_handoff_to(to);
    to->park_ep = NULL;
    uint32_t len = peer->inline_msg.len;
    int err = len > to->park_msg.len ? VIPER_ERR_INVALID
                                     : copy_to_user(to->park_msg.data, peer->inline_msg.data, len);
    if (unlikely(err))
        err = fast_undo(peer, err);
    obj_put(&peer->obj);   /* to's receive is over: its reference goes */
    struct trap_frame *tf = to->tf;
    tf->x[0] = (uint64_t)(int64_t)err;
    tf->x[1] = len;
    tf->x[2] = 0;
    arch_enter_user(tf);
}

/*
 * chan_call's fast path (docs/ipc.md, "The fast path"): the request goes
 * from the caller's buffer into the peer endpoint's inline message, the
 * caller parks for the reply, and the CPU goes to the receiver parked on
 * the peer with no queue, wake or pick in between.  Taken only when the
 * slow path would do exactly that and nothing more: no handles, nothing
 * queued either way, nobody observing either end, and nothing else
 * runnable (sched_handoff_park).  Before the address-space switch it
 * touches only the caller's and the endpoints' memory (the endpoint keeps
 * what the switch needs), after it only the receiver's and the endpoints'
 * (fast_deliver, on the receiver's stack): under QEMU every page touched
 * on both sides costs a refill.  It returns only when not taken
 * (VIPER_OK: the slow path runs) or when a descriptor or the request
 * faults (that error, as the slow path would); otherwise it leaves through
 * the receiver's frame.
 */
static HOT_INLINE int call_fast(struct endpoint *ep, struct trap_frame *tf)
{
    struct thread *self = sched_current();
    struct endpoint *peer = ep->peer;
    if (!peer || !peer->parked || peer->readers.waiters.next != &peer->parked->run_node ||
        peer->queued || peer->inline_busy || ep->queued || self->dying ||
        !list_empty(&peer->obj.observers) || !list_empty(&ep->obj.observers))
        return VIPER_OK;
    struct viper_msg req, reply;
    int err = copy_from_user(&req, tf->x[1], sizeof req);
    if (!err)
        err = copy_from_user(&reply, tf->x[2], sizeof reply);
    if (err || req.nhandles || req.len > VIPER_MSG_MAX_BYTES)
        return err;   /* a request the slow path refuses, or one with handles, is its own */
    if ((err = copy_from_user(peer->inline_msg.data, req.data, req.len)))   /* free: checked */
        return err;
    peer->inline_msg.len = req.len;
    uint64_t deadline = tf->x[3];
    if (!sched_handoff_park(&ep->readers, wq_deadline(deadline)))
        return VIPER_OK;
    chan_fast_calls++;
    park_receive(self, ep, &reply, deadline, tf);   /* the call's reference on ep goes with it */
    struct thread *to = peer->parked;
    peer->parked = NULL;
    sched_switch_space(self, to, peer->parked_vm, &peer->parked_ttbr0);
    arch_run_on_stack(to->tf, fast_deliver, to, peer);
}
/* LAB channels STUB
static HOT_INLINE int call_fast(struct endpoint *ep, struct trap_frame *tf)
{
    (void)ep;
    (void)tf;
    LAB_NOT_IMPLEMENTED("channels", "fastpath");
    return VIPER_OK;
}
LAB channels END */

/* chan_call the general way: a send, then a receive (off the fast path's page). */
static __attribute__((noinline)) int call_slow(struct endpoint *ep, struct trap_frame *tf)
{
    int err = do_send(ep, tf->x[1], tf->x[4] & VIPER_CHAN_NONBLOCK);
    return err ? err : do_recv(ep, tf->x[2], tf->x[3], tf);
}

int64_t sys_chan_call(struct trap_frame *tf)
{
    struct endpoint *ep;
    uint64_t flags = tf->x[4];
    if (flags & ~(uint64_t)(VIPER_CHAN_NONBLOCK | VIPER_CHAN_INTERRUPTIBLE))
        return VIPER_ERR_INVALID;
    int err = endpoint_get(tf->x[0], VIPER_RIGHT_READ | VIPER_RIGHT_WRITE, &ep);
    if (err)
        return err;
    struct thread *self = sched_current();
    self->park_interruptible = flags & VIPER_CHAN_INTERRUPTIBLE;
    if (likely(!self->park_interruptible || !self->notified))   /* else do_recv looks at it */
        err = call_fast(ep, tf);   /* returns only if not taken, or on a fault */
    if (!err)
        err = call_slow(ep, tf);
    obj_put(&ep->obj);
    return err;
}

/*
 * chan_notify: news at h (a message queued, the peer gone) interrupts the
 * caller's interruptible waits on other endpoints from now on (docs/ipc.md,
 * "Notification").  One thread per endpoint: the last caller's.
 */
int64_t sys_chan_notify(struct trap_frame *tf)
{
    struct endpoint *ep;
    int err = endpoint_get(tf->x[0], VIPER_RIGHT_READ, &ep);
    if (err)
        return err;
    struct thread *self = sched_current();
    if (ep->notify != self) {
        obj_get(&self->obj);
        if (ep->notify)
            obj_put(&ep->notify->obj);
        ep->notify = self;
    }
    obj_put(&ep->obj);
    return VIPER_OK;
}
