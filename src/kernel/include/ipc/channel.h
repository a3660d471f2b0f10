/*
 * ipc/channel.h - channel endpoints and messages.  Design: docs/ipc.md.
 */
#pragma once
#include "kernel/hot.h"
#include <stdbool.h>
#include <stdint.h>
#include "cap/handle.h"
#include "cap/object.h"
#include "mm/pagetable.h"
#include "sched/wait.h"
#include "viper/types.h"

struct endpoint;

struct chan_msg {
    struct list node;                        /* in the receiving endpoint's queue */
    struct endpoint *home;                   /* the endpoint it is built into, or NULL (slab) */
    uint32_t len;
    uint32_t nhandles;
    struct cap *caps[VIPER_MSG_MAX_HANDLES]; /* in flight: in no table */
    uint8_t data[VIPER_MSG_MAX_BYTES];
};

struct endpoint {
    struct object obj;
    struct endpoint *peer;       /* NULL once the peer is gone (a weak link: no reference) */
    struct list queue;           /* messages waiting to be received here */
    uint32_t queued;
    struct wait_queue readers;   /* blocked in receive on this endpoint */
    struct wait_queue writers;   /* blocked sending to this endpoint (queue full) */
    struct chan_msg inline_msg;  /* a message for this queue that needs no allocation */
    bool inline_busy;            /* inline_msg is queued here or being sent or received */
    /*
     * The last reader to park here, while it stays parked (chan_syscall.c),
     * and what a switch to it needs: chan_call's fast path reads these
     * instead of the reader's own page before the address-space switch.
     */
    struct thread *parked;
    struct vm_space *parked_vm;
    struct pt_ttbr parked_ttbr0;
    struct thread *notify;       /* chan_notify's thread (a reference), or NULL */
    uint8_t side;                /* which of its pair's two (channel.c) */
};

/* Two connected endpoints, each with one reference (for the caller's caps). */
int chan_create_pair(struct endpoint **a, struct endpoint **b);

/*
 * Queue msg at ep's peer.  The caps in msg are already detached from the
 * sender's table; on failure the caller still owns msg.  May block unless
 * nonblock.
 */
int chan_enqueue(struct endpoint *ep, struct chan_msg *msg, bool nonblock);

/* Every send's way in: chan_enqueue, then the news for the receiving endpoint (chan_notify). */
int chan_post(struct endpoint *ep, struct chan_msg *msg, bool nonblock);

/* Take the next message for ep, waiting until deadline (VIPER_DEADLINE_*). */
int chan_dequeue(struct endpoint *ep, uint64_t deadline, struct chan_msg **out);

/* Put a message back at the head of ep's queue (it could not be delivered). */
void chan_requeue(struct endpoint *ep, struct chan_msg *msg);

/*
 * Notification (chan_notify, docs/ipc.md): news at ep (a message queued, or
 * its peer gone) ends its notify thread's interruptible wait on another
 * endpoint with VIPER_ERR_INTERRUPTED, or, when that thread is not in one,
 * is remembered in its `notified` for its next.  A server waiting for one
 * client's next request so hears of the others' without a timer.
 */
#define CHAN_NOTIFIED_MANY ((struct endpoint *)1)
void chan_notify_fire(struct endpoint *ep);

/* A message from the slab (NULL when out of memory). */
struct chan_msg *chan_msg_alloc(void);

/*
 * A message for to's queue.  Every endpoint has one built in (inline_msg),
 * taken when it is free and the queue has room: then the send cannot
 * block while the message is in hand, which matters because the sender
 * holds no reference on to.  A request/reply exchange so never enters the
 * slab allocator, whose code, caches and page bookkeeping would be that
 * many more pages to walk after each address-space switch (docs/bench.md).
 * Inline, like chan_msg_free: every request and reply runs both.
 */
static HOT_INLINE struct chan_msg *chan_msg_alloc_to(struct endpoint *to)
{
    if (to && !to->inline_busy && to->queued < VIPER_CHAN_QUEUE_MAX) {
        to->inline_busy = true;
        to->inline_msg.nhandles = 0;
        return &to->inline_msg;
    }
    return chan_msg_alloc();
}

void chan_msg_free_slow(struct chan_msg *msg);

/* Free a message and every cap still in it. */
static HOT_INLINE void chan_msg_free(struct chan_msg *msg)
{
    if (msg->home && !msg->nhandles)
        msg->home->inline_busy = false;
    else
        chan_msg_free_slow(msg);
}

/* chan_calls that took the fast path (chan_syscall.c), for kstat. */
extern uint64_t chan_fast_calls;

void chan_destroy(struct object *o);
uint32_t chan_signals(struct object *o);
