/*
 * sched/sched.h - the scheduler: eight priority levels, round robin in a
 * level, a time slice per level, aging against starvation, tickless.
 * Design and policy: docs/processes.md.  Single CPU (the boot CPU).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "arch/fpu.h"
#include "kernel/hot.h"
#include "mm/vm.h"
#include "proc/thread.h"

#define SCHED_LEVELS        8
#define SCHED_STARVATION_NS 100000000ull   /* aging threshold: 100 ms */

/*
 * Kernel timers: a callback at a deadline, run from the timer interrupt
 * (IRQs masked).  They share the scheduler's one hardware deadline.
 */
struct ktimer {
    struct list node;             /* [sched] in the ktimer list while armed */
    uint64_t deadline_ns;
    void (*fn)(struct ktimer *k);
    bool armed;
};

/* Arm k for deadline_ns (re-arming moves it); cancel it. */
void ktimer_set(struct ktimer *k, uint64_t deadline_ns);
void ktimer_cancel(struct ktimer *k);

/* The running thread (sched.c; a global because vectors.S reads it, inline because it is everywhere). */
extern struct thread *current;
static HOT_INLINE struct thread *sched_current(void)
{
    return current;
}

/* Turn the boot path into CPU 0's idle thread and set up the run queues. */
void sched_init(void);

/* Make a new or woken thread runnable. */
void sched_make_runnable(struct thread *t);

/* Give up the CPU to the best runnable thread (the caller stays runnable). */
void sched_yield(void);

/*
 * Switch away from the current thread, which the caller has already
 * marked BLOCKED or ZOMBIE (IRQs masked).  Returns when it runs again.
 */
void sched_block(void);

/*
 * Parking, for a receive that waits with nothing of it on the kernel
 * stack (ipc/chan_syscall.c, docs/ipc.md).  The caller has saved the whole
 * user frame.  sched_park blocks the current thread on wq until
 * deadline_ns (WAIT_FOREVER: none), IRQs masked, and returns the thread
 * picked to run next, already current; the caller then points the parked
 * thread's context at where it resumes, and either loads next's address
 * space and FP state (sched_switch_space) and returns to EL0 through
 * next's frame, or switches to next's saved context without saving the
 * parked one's (sched_park_resume).  A deadline already past parks
 * nothing: NULL.
 */
struct thread *sched_park(struct wait_queue *wq, uint64_t deadline_ns);
_Noreturn void sched_park_resume(struct thread *parked, struct thread *next);

/*
 * sched_park with the next thread named by the caller, for chan_call's fast
 * path (docs/ipc.md), in two halves around the address-space switch, so
 * that the first touches none of the next thread's pages and the second
 * none of the caller's (under QEMU each page touched on both sides of the
 * switch costs a refill: docs/bench.md).
 * sched_handoff_park: the current thread blocks on wq, but only if the
 * scheduler would have picked the caller's choice anyway: nothing else is
 * runnable.  False, with nothing changed, otherwise or when the deadline
 * has passed.
 * sched_handoff_to: then to (blocked on another queue, wake_status
 * VIPER_OK) is taken off it and becomes current, as a wake and a pick would.
 */
bool sched_handoff_park(struct wait_queue *wq, uint64_t deadline_ns);
void sched_handoff_to(struct thread *to);

/*
 * Every switch's second half, up to the stack change: count it, set up
 * next's FP state and load its address space vm (unless prev's is the
 * same) with the TTBR0 value kept for it: next->ttbr0, or the copy kept by
 * the endpoint next is parked on (ipc/channel.h), which spares the caller
 * a read of next's page before the switch.  Inline: the parked receive's
 * hand-offs run it in their own paths.
 */
extern uint64_t sched_switches;
static HOT_INLINE void sched_switch_space(struct thread *prev, struct thread *next,
                                          struct vm_space *vm, struct pt_ttbr *kept)
{
    sched_switches++;
    fpu_switch_to(next);   /* first: what follows an address-space change should touch few pages */
    if (vm != prev->vm)
        vm_activate(vm, kept);
}

/* Add/remove the current thread to/from the sleep list (IRQs masked). */
void sched_sleep_until(struct thread *t, uint64_t deadline_ns);
void sched_cancel_sleep(struct thread *t);

/* Change t's priority, moving it to its new level's queue if it is waiting to run. */
void sched_set_priority(struct thread *t, uint8_t priority);

/* Wake t if it is blocked (wait_many observers); IRQs masked. */
void sched_wake(struct thread *t);

/* Wake a blocked thread early with status: VIPER_ERR_PEER_CLOSED when its process is being
 * killed, VIPER_ERR_INTERRUPTED for news on a channel that notifies it (ipc/channel.h).
 * False if it was not blocked (already woken, say): nothing done. */
bool sched_interrupt(struct thread *t, int status);

/* Zombies whose kernel stack is freed after the next switch (switch.S). */
extern struct list sched_dead;
int64_t sched_reap_dead(void);

/* True when a thread more deserving than the current one is waiting. */
bool sched_need_resched(void);

/* The idle loop: run threads, WFI when there are none.  Never returns. */
_Noreturn void sched_idle_loop(void);

/* Counters for kstat. */
uint64_t sched_context_switches(void);
