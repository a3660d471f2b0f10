/*
 * sched/wait.h - wait queues, the kernel's one blocking primitive.
 *
 * A thread blocks on a wait queue until another thread (or an interrupt
 * handler) wakes it, or until its deadline passes.  Sleep, wait(), join
 * and IPC are all built on this.  Single CPU for now: the scheduler
 * lock is "IRQs masked" (see docs/locking.md).
 */
#pragma once
#include <stdint.h>
#include "lib/list.h"
#include "viper/types.h"

struct wait_queue {
    struct list waiters;   /* struct thread.wait_node, in arrival order */
};

#define WAIT_QUEUE_INIT(name) { LIST_INIT((name).waiters) }
#define WAIT_FOREVER 0

static inline void wq_init(struct wait_queue *wq)
{
    list_init(&wq->waiters);
}

/* A system call's deadline (VIPER_DEADLINE_INFINITE, or a clock_get time) as a wait's. */
static inline uint64_t wq_deadline(uint64_t deadline)
{
    return deadline == VIPER_DEADLINE_INFINITE ? WAIT_FOREVER : deadline;
}

/*
 * Block the current thread on wq until woken or until deadline_ns
 * (WAIT_FOREVER: no deadline).  Returns VIPER_OK when woken,
 * VIPER_ERR_TIMED_OUT at the deadline, and VIPER_ERR_PEER_CLOSED when the
 * thread's process is being killed (the caller unwinds to user space,
 * where the thread dies).  wq == NULL just sleeps until the deadline.
 */
int wq_wait(struct wait_queue *wq, uint64_t deadline_ns);

/*
 * Wake the longest waiter / every waiter; safe from IRQ handlers.
 * wq_wake_one's test is inline: most wakes on the IPC path find nobody,
 * and only a thread adds itself to a queue, so nothing can slip in
 * between the test and the call on this single CPU.
 */
void wq_wake_first(struct wait_queue *wq);
void wq_wake_all(struct wait_queue *wq);

static inline void wq_wake_one(struct wait_queue *wq)
{
    if (!list_empty(&wq->waiters))
        wq_wake_first(wq);
}
