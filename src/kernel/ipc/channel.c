/*
 * channel.c - endpoint queues: the core of the channels lab.
 *
 * A message is queued at the receiving endpoint.  Peer links are weak
 * (no references, or two endpoints would keep each other alive): an
 * endpoint being destroyed clears its peer's link and wakes everyone
 * waiting on the peer.  Callers hold a reference on the endpoint they
 * operate on for the whole call, so it cannot vanish while they sleep.
 * Single scheduling CPU with IRQs masked in the kernel: no locks.
 */
#include "ipc/channel.h"
#include "kernel/lab.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "proc/thread.h"
#include "sched/sched.h"
#include "viper/errors.h"

static struct slab_cache *msg_cache;

struct chan_msg *chan_msg_alloc(void)
{
    if (!msg_cache)
        msg_cache = slab_cache_create("chan_msg", sizeof(struct chan_msg), 16);
    struct chan_msg *msg = msg_cache ? slab_alloc(msg_cache) : NULL;
    if (msg) {
        msg->nhandles = 0;
        msg->home = NULL;
    }
    return msg;
}

void chan_msg_free_slow(struct chan_msg *msg)
{
    for (uint32_t i = 0; i < msg->nhandles; i++)
        if (msg->caps[i])
            cap_destroy(msg->caps[i]);
    if (msg->home)
        msg->home->inline_busy = false;
    else
        slab_free(msg_cache, msg);
}

/*
 * A channel's two endpoints are one allocation, freed when the second one
 * goes: chan_call's fast path touches both, and a pair never straddles a
 * page (its cache aligns it to PAIR_ALIGN; under QEMU each page touched
 * after an address-space switch costs a TLB refill: docs/bench.md).
 */
struct endpoint_pair {
    struct endpoint end[2];
    unsigned live;               /* endpoints not destroyed yet */
};

#define PAIR_ALIGN 1024u
_Static_assert(sizeof(struct endpoint_pair) <= PAIR_ALIGN, "a pair fits its alignment: one page");

static struct slab_cache *pair_cache;

static void endpoint_init(struct endpoint *ep, uint8_t side)
{
    obj_init(&ep->obj, OBJ_CHANNEL);
    ep->side = side;
    ep->inline_msg.home = ep;
    list_init(&ep->queue);
    wq_init(&ep->readers);
    wq_init(&ep->writers);
}

int chan_create_pair(struct endpoint **a, struct endpoint **b)
{
    if (!pair_cache)
        pair_cache = slab_cache_create("chan_pair", sizeof(struct endpoint_pair), PAIR_ALIGN);
    struct endpoint_pair *pair = pair_cache ? slab_alloc(pair_cache) : NULL;
    if (!pair)
        return VIPER_ERR_NO_MEMORY;
    memset(pair, 0, sizeof *pair);
    struct endpoint *x = &pair->end[0], *y = &pair->end[1];
    endpoint_init(x, 0);
    endpoint_init(y, 1);
    pair->live = 2;
    x->peer = y;
    y->peer = x;
    *a = x;
    *b = y;
    return VIPER_OK;
}

/* LAB channels BEGIN enqueue: queue msg at ep's peer (PEER_CLOSED if there is none); when the peer's queue holds VIPER_CHAN_QUEUE_MAX messages, WOULD_BLOCK if nonblock, else wait on the peer's writers and retry; wake one reader and the peer's observers */
int chan_enqueue(struct endpoint *ep, struct chan_msg *msg, bool nonblock)
{
    for (;;) {
        struct endpoint *peer = ep->peer;
        if (!peer)
            return VIPER_ERR_PEER_CLOSED;
        if (peer->queued < VIPER_CHAN_QUEUE_MAX) {
            list_push_back(&peer->queue, &msg->node);
            peer->queued++;
            wq_wake_one(&peer->readers);
            obj_signal(&peer->obj);
            return VIPER_OK;
        }
        if (nonblock)
            return VIPER_ERR_WOULD_BLOCK;
        int err = wq_wait(&peer->writers, WAIT_FOREVER);
        if (err)
            return err;
    }
}
/* LAB channels STUB
int chan_enqueue(struct endpoint *ep, struct chan_msg *msg, bool nonblock)
{
    (void)ep;
    (void)msg;
    (void)nonblock;
    LAB_NOT_IMPLEMENTED("channels", "enqueue");
    return VIPER_ERR_NOT_SUPPORTED;
}
LAB channels END */

/* LAB channels BEGIN dequeue: take the oldest message queued at ep (waking one blocked writer and the peer's observers); if none: PEER_CLOSED when the peer is gone, WOULD_BLOCK for VIPER_DEADLINE_POLL, else wait on ep's readers until the deadline */
int chan_dequeue(struct endpoint *ep, uint64_t deadline, struct chan_msg **out)
{
    for (;;) {
        if (ep->queued) {
            *out = container_of(list_pop_front(&ep->queue), struct chan_msg, node);
            ep->queued--;
            wq_wake_one(&ep->writers);
            if (ep->peer)
                obj_signal(&ep->peer->obj);   /* the peer may be writable again */
            return VIPER_OK;
        }
        if (!ep->peer)
            return VIPER_ERR_PEER_CLOSED;
        if (deadline == VIPER_DEADLINE_POLL)
            return VIPER_ERR_WOULD_BLOCK;
        int err = wq_wait(&ep->readers, wq_deadline(deadline));
        if (err)
            return err;
    }
}
/* LAB channels STUB
int chan_dequeue(struct endpoint *ep, uint64_t deadline, struct chan_msg **out)
{
    (void)ep;
    (void)deadline;
    (void)out;
    LAB_NOT_IMPLEMENTED("channels", "dequeue");
    return VIPER_ERR_NOT_SUPPORTED;
}
LAB channels END */

void chan_requeue(struct endpoint *ep, struct chan_msg *msg)
{
    list_push_front(&ep->queue, &msg->node);
    ep->queued++;
}

uint32_t chan_signals(struct object *o)
{
    struct endpoint *ep = container_of(o, struct endpoint, obj);
    uint32_t s = 0;
    if (ep->queued)
        s |= VIPER_SIGNAL_READABLE;
    if (!ep->peer)
        s |= VIPER_SIGNAL_PEER_CLOSED;
    else if (ep->peer->queued < VIPER_CHAN_QUEUE_MAX)
        s |= VIPER_SIGNAL_WRITABLE;
    return s;
}

void chan_notify_fire(struct endpoint *ep)
{
    struct thread *t = ep->notify;
    if (t->park_ep == ep)
        return;   /* waiting here: the news itself ends the wait */
    if (t->park_ep && t->park_interruptible && sched_interrupt(t, VIPER_ERR_INTERRUPTED))
        return;
    /* not in such a wait, or woken from it already (by its own endpoint's news): its next */
    t->notified = !t->notified || t->notified == ep ? ep : CHAN_NOTIFIED_MANY;
}

int chan_post(struct endpoint *ep, struct chan_msg *msg, bool nonblock)
{
    int err = chan_enqueue(ep, msg, nonblock);
    if (!err && unlikely(ep->peer->notify))   /* (the peer is there: the message went to it) */
        chan_notify_fire(ep->peer);
    return err;
}

void chan_destroy(struct object *o)
{
    struct endpoint *ep = container_of(o, struct endpoint, obj);
    struct endpoint *survivor = ep->peer;   /* hears of this below, as a peer gone */
    while (ep->queued) {
        ep->queued--;
        chan_msg_free(container_of(list_pop_front(&ep->queue), struct chan_msg, node));
    }
    /* LAB channels BEGIN peer_closed: tell the peer (if any) that ep is gone: clear its link and wake its readers, its writers and its observers; wake the senders blocked on ep's own full queue */
    struct endpoint *peer = ep->peer;
    if (peer) {
        peer->peer = NULL;
        wq_wake_all(&peer->readers);   /* they see PEER_CLOSED once drained */
        wq_wake_all(&peer->writers);   /* they see PEER_CLOSED at once */
        obj_signal(&peer->obj);
    }
    wq_wake_all(&ep->writers);         /* senders blocked on our full queue */
    /* LAB channels STUB
    if (ep->peer)
        ep->peer->peer = NULL;
    LAB_NOT_IMPLEMENTED("channels", "peer_closed");
    LAB channels END */
    if (survivor && survivor->notify)
        chan_notify_fire(survivor);
    if (ep->notify)
        obj_put(&ep->notify->obj);
    struct endpoint_pair *pair = container_of(ep - ep->side, struct endpoint_pair, end[0]);
    if (--pair->live == 0)
        slab_free(pair_cache, pair);
}
