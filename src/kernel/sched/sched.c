/*
 * sched.c - run queues, picking the next thread, time slices, sleep.
 *
 * Policy (docs/processes.md): eight levels (priority / 32), higher level
 * first, round robin within a level, a slice per level (longer for lower
 * levels), and aging: a thread left runnable for SCHED_STARVATION_NS in a
 * lower level runs next.  There is no periodic tick: one timer deadline
 * covers both the running thread's slice and the earliest sleeper.
 *
 * Locking: one CPU schedules; every function here runs with IRQs masked
 * (callers mask them, or they are called from the timer IRQ).
 * Cost: a switch touches the two threads, the run queue head and, on a
 * process change, TTBR0 (an ASID change flushes QEMU's emulated TLB).
 */
#include "arch/cpu.h"
#include "arch/fpu.h"
#include "arch/timer.h"
#include "kernel/hot.h"
#include "kernel/lab.h"
#include "kernel/log.h"
#include "mm/vm.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "syscall/syscall.h"
#include "viper/errors.h"

static const uint64_t slice_ns[SCHED_LEVELS] HOT_RODATA = {
    20000000, 16000000, 12000000, 10000000, 8000000, 6000000, 4000000, 2000000,
};

static struct list runq[SCHED_LEVELS];
static unsigned runq_mask;                 /* bit L set: runq[L] not empty */
static struct list sleepers = LIST_INIT(sleepers);   /* sorted by deadline */
static struct list ktimers = LIST_INIT(ktimers);     /* armed kernel timers, sorted by deadline */
struct list sched_dead = LIST_INIT(sched_dead);     /* zombies whose stack can go (switch.S reads it) */
static struct thread idle_thread;
struct thread *current = &idle_thread;   /* global: sched.h and vectors.S read it */
static uint64_t slice_end;
bool resched;                             /* global: vectors.S reads it on the way to EL0 */
uint64_t sched_switches;                  /* global: sched.h counts them inline */

static inline unsigned level_of(const struct thread *t)
{
    return t->priority >> 5;
}

uint64_t sched_context_switches(void)
{
    return sched_switches;
}

void sched_init(void)
{
    for (int i = 0; i < SCHED_LEVELS; i++)
        list_init(&runq[i]);
    idle_thread.state = THREAD_RUNNING;
    idle_thread.tid = 0;
    list_init(&idle_thread.run_node);
    list_init(&idle_thread.sleep_node);
}

/* LAB scheduler BEGIN runq: keep runnable threads in one FIFO per level; runq_mask bit L set iff runq[L] is not empty */
static HOT_INLINE void runq_push(struct thread *t)
{
    unsigned l = level_of(t);
    list_push_back(&runq[l], &t->run_node);
    runq_mask |= 1u << l;
}

static HOT_INLINE struct thread *runq_pop(unsigned l)
{
    struct thread *t = container_of(runq[l].next, struct thread, run_node);   /* l is not empty */
    list_remove(&t->run_node);
    runq_mask &= ~((unsigned)list_empty(&runq[l]) << l);   /* no branch: on every switch */
    return t;
}

static inline void runq_remove(struct thread *t)
{
    unsigned l = level_of(t);
    list_remove(&t->run_node);
    if (list_empty(&runq[l]))
        runq_mask &= ~(1u << l);
}
/* LAB scheduler STUB
static HOT_INLINE void runq_push(struct thread *t)
{
    (void)t;
    LAB_NOT_IMPLEMENTED("scheduler", "runq");
}

static HOT_INLINE struct thread *runq_pop(unsigned l)
{
    (void)l;
    LAB_NOT_IMPLEMENTED("scheduler", "runq");
    return &idle_thread;
}

static inline void runq_remove(struct thread *t)
{
    (void)t;
    LAB_NOT_IMPLEMENTED("scheduler", "runq");
}
LAB scheduler END */

/* LAB scheduler BEGIN aging: return the head of a level below best that has waited runnable longer than SCHED_STARVATION_NS (taking it off its queue), or NULL */
static struct thread *take_starved(uint64_t now, unsigned best)
{
    unsigned lower = runq_mask & ((1u << best) - 1);   /* the non-empty levels below best */
    if (likely(!lower))   /* the usual case, tested before the loop */
        return NULL;
    while (lower) {
        unsigned l = (unsigned)__builtin_ctz(lower);
        lower &= lower - 1;
        struct thread *head = container_of(runq[l].next, struct thread, run_node);
        if (now - head->runnable_since > SCHED_STARVATION_NS)
            return runq_pop(l);
    }
    return NULL;
}
/* LAB scheduler STUB
static struct thread *take_starved(uint64_t now, unsigned best)
{
    (void)now;
    (void)best;
    LAB_NOT_IMPLEMENTED("scheduler", "aging");
    return NULL;
}
LAB scheduler END */

/* LAB scheduler BEGIN pick: the next thread: a starved one (take_starved), else the head of the highest non-empty level, else the idle thread */
static HOT_INLINE struct thread *pick_next(uint64_t now)
{
    if (unlikely(!runq_mask))
        return &idle_thread;
    unsigned best = 31 - (unsigned)__builtin_clz(runq_mask);
    struct thread *starved = NULL;
    if (unlikely(runq_mask & ((1u << best) - 1)))   /* a lower level waits: maybe starved */
        starved = take_starved(now, best);
    return starved ? starved : runq_pop(best);
}
/* LAB scheduler STUB
static HOT_INLINE struct thread *pick_next(uint64_t now)
{
    (void)now;
    (void)take_starved;
    (void)runq_pop;
    LAB_NOT_IMPLEMENTED("scheduler", "pick");
    return &idle_thread;
}
LAB scheduler END */

static void timer_fired(void *arg);

/*
 * One deadline: the running thread's slice end or the first sleeper,
 * whichever is first.  Once a reschedule is pending the slice no longer
 * counts: the switch happens on the way back to EL0, and re-arming a
 * deadline already past would only storm the CPU with timer interrupts
 * while the kernel finishes a system call.
 *
 * Programming the timer is slow under QEMU (a trip through the emulator's
 * timer code, ~10 us), so it is reprogrammed only to move the deadline
 * earlier.  A deadline that fires before it is needed is harmless:
 * timer_fired() looks at the real state and arms the next one.
 */
static uint64_t armed = UINT64_MAX;   /* the deadline the timer holds now */

static void arm_timer(void)
{
    uint64_t deadline = (current == &idle_thread || resched) ? UINT64_MAX : slice_end;
    if (!list_empty(&sleepers)) {
        struct thread *s = container_of(sleepers.next, struct thread, sleep_node);
        if (s->deadline_ns < deadline)
            deadline = s->deadline_ns;
    }
    if (!list_empty(&ktimers)) {
        struct ktimer *k = container_of(ktimers.next, struct ktimer, node);
        if (k->deadline_ns < deadline)
            deadline = k->deadline_ns;
    }
    if (deadline < armed) {
        armed = deadline;
        timer_arm(deadline, timer_fired, NULL);
    }
}

void sched_make_runnable(struct thread *t)
{
    t->state = THREAD_RUNNABLE;
    t->runnable_since = timer_now_ns();
    runq_push(t);
    if (current == &idle_thread || level_of(t) > level_of(current))
        resched = true;
}

/* End a wait early: off the sleep list and any wait queue, runnable with status. */
static HOT_INLINE void wake(struct thread *t, int status)
{
    sched_cancel_sleep(t);
    if (t->waiting_on) {
        list_remove(&t->run_node);
        t->waiting_on = NULL;
    }
    t->wake_status = status;
    sched_make_runnable(t);
}

static void timer_fired(void *arg)
{
    (void)arg;
    armed = UINT64_MAX;
    uint64_t now = timer_now_ns();
    while (!list_empty(&sleepers)) {
        struct thread *s = container_of(sleepers.next, struct thread, sleep_node);
        if (s->deadline_ns > now)
            break;
        wake(s, VIPER_ERR_TIMED_OUT);
    }
    while (!list_empty(&ktimers)) {
        struct ktimer *k = container_of(ktimers.next, struct ktimer, node);
        if (k->deadline_ns > now)
            break;
        list_remove(&k->node);
        k->armed = false;
        k->fn(k);
    }
    /* LAB scheduler BEGIN slice: when the running thread (not idle) has used up its slice, ask for a reschedule */
    if (current != &idle_thread && now >= slice_end)
        resched = true;
    /* LAB scheduler STUB
    LAB_NOT_IMPLEMENTED("scheduler", "slice");
    LAB scheduler END */
    arm_timer();
}

/*
 * Free the kernel stacks of threads that died before the last switch.
 * arch_switch (switch.S) calls it on its way out, in the thread switched
 * to, when sched_dead is not empty: the zombie is off its stack by then.
 * Returns VIPER_OK, as arch_switch and schedule() do.
 */
int64_t sched_reap_dead(void)
{
    while (!list_empty(&sched_dead)) {
        struct thread *t = container_of(list_pop_front(&sched_dead), struct thread, run_node);
        thread_release_stack(t);
    }
    return VIPER_OK;
}

/* next, just picked, becomes current with a fresh slice. */
static HOT_INLINE void run_next(struct thread *next, uint64_t now)
{
    next->state = THREAD_RUNNING;
    slice_end = now + slice_ns[level_of(next)];
    resched = false;
    current = next;   /* arm_timer looks at the thread about to run */
    if (unlikely(slice_end < armed))   /* only the slice changed: the timer need only move earlier */
        arm_timer();
}

/*
 * The first half of every switch: re-queue prev if it is still running,
 * pick the next thread and make it current, with a fresh slice.
 */
static HOT_INLINE struct thread *switch_begin(struct thread *prev)
{
    uint64_t now = timer_ticks_to_ns(timer_ticks_relaxed());
    if (likely(prev->state == THREAD_RUNNING && prev != &idle_thread)) {
        prev->state = THREAD_RUNNABLE;
        prev->runnable_since = now;
        runq_push(prev);
    }
    struct thread *next = pick_next(now);
    run_next(next, now);
    return next;
}

/*
 * Pick and switch to the next thread.  The current one is re-queued if
 * still running.  Always VIPER_OK, so that sys_yield ends in a jump here
 * and this ends in a jump to arch_switch: when this thread runs again,
 * arch_switch returns straight to schedule()'s caller (two returns fewer
 * on every switch; under QEMU each return is a lookup).
 */
static int64_t schedule(void)
{
    struct thread *prev = current;
    struct thread *next = switch_begin(prev);
    if (unlikely(next == prev))
        return VIPER_OK;
    sched_switch_space(prev, next, next->vm, &next->ttbr0);
    return arch_switch(&prev->ctx, &next->ctx);
}

/* A parked thread's deadline onto the sleep list; false if it has passed already. */
static __attribute__((noinline)) bool park_sleep(struct thread *t, uint64_t deadline_ns)
{
    if (deadline_ns <= timer_now_ns())
        return false;
    sched_sleep_until(t, deadline_ns);
    return true;
}

/* The current thread, self, blocks on wq (NULL: a plain sleep), woken with VIPER_OK unless told otherwise. */
static HOT_INLINE void block_on(struct thread *self, struct wait_queue *wq)
{
    self->state = THREAD_BLOCKED;
    self->wake_status = VIPER_OK;
    self->waiting_on = wq;
    if (wq)
        list_push_back(&wq->waiters, &self->run_node);
}

/*
 * Parking (ipc/chan_syscall.c): the current thread blocks on wq, and
 * nothing of it is left on its kernel stack (the caller points its context
 * at where it resumes, before anything can switch to it).  Returns the thread picked to run next, already
 * current; the caller either enters it itself (sched_switch_space, then its
 * own way to EL0) or switches to its saved context (sched_park_resume).
 * NULL, with nothing changed, when the deadline has passed already.
 */
struct thread *sched_park(struct wait_queue *wq, uint64_t deadline_ns)
{
    struct thread *self = current;
    if (deadline_ns != WAIT_FOREVER && !park_sleep(self, deadline_ns))
        return NULL;
    block_on(self, wq);
    return switch_begin(self);   /* never self: it is off the run queue */
}

/*
 * sched_park with the next thread chosen by the caller (sched.h): the
 * caller blocks only when nothing is runnable, so to would have been the
 * only thread in the run queues and the pick could not have chosen
 * otherwise.
 */
bool sched_handoff_park(struct wait_queue *wq, uint64_t deadline_ns)
{
    struct thread *self = current;
    if (runq_mask || (deadline_ns != WAIT_FOREVER && !park_sleep(self, deadline_ns)))
        return false;
    block_on(self, wq);
    return true;
}

void sched_handoff_to(struct thread *to)
{
    if (to->deadline_ns)   /* on the sleep list: a receive with a deadline */
        sched_cancel_sleep(to);
    list_remove(&to->run_node);
    to->waiting_on = NULL;
    run_next(to, timer_ticks_to_ns(timer_ticks_relaxed()));
}

_Noreturn void sched_park_resume(struct thread *parked, struct thread *next)
{
    sched_switch_space(parked, next, next->vm, &next->ttbr0);
    arch_switch_load(&next->ctx);
}

void sched_yield(void)
{
    uint64_t flags = arch_irq_save();
    schedule();
    arch_irq_restore(flags);
}

/* The yield system call: IRQs are masked in every system call already. */
int64_t sys_yield(struct trap_frame *tf)
{
    (void)tf;
    return schedule();
}

void sched_block(void)
{
    if (current->state == THREAD_ZOMBIE)   /* its stack goes once the switch is done */
        list_push_back(&sched_dead, &current->run_node);
    schedule();
}

bool sched_need_resched(void)
{
    return resched;
}

/* LAB scheduler BEGIN sleep: keep the sleep list sorted by deadline (re-arm the timer when t becomes the first), and take a thread off it */
void sched_sleep_until(struct thread *t, uint64_t deadline_ns)
{
    struct list *pos;
    t->deadline_ns = deadline_ns;
    list_for_each(pos, &sleepers) {
        if (container_of(pos, struct thread, sleep_node)->deadline_ns > deadline_ns)
            break;
    }
    list_push_back(pos, &t->sleep_node);   /* i.e. insert before pos */
    if (sleepers.next == &t->sleep_node)
        arm_timer();
}

void sched_cancel_sleep(struct thread *t)
{
    if (t->deadline_ns) {
        list_remove(&t->sleep_node);
        t->deadline_ns = 0;
    }
}
/* LAB scheduler STUB
void sched_sleep_until(struct thread *t, uint64_t deadline_ns)
{
    (void)t;
    (void)deadline_ns;
    LAB_NOT_IMPLEMENTED("scheduler", "sleep");
}

void sched_cancel_sleep(struct thread *t)
{
    (void)t;
}
LAB scheduler END */

int wq_wait(struct wait_queue *wq, uint64_t deadline_ns)
{
    uint64_t flags = arch_irq_save();
    struct thread *t = current;
    if (t->dying) {
        arch_irq_restore(flags);
        return VIPER_ERR_PEER_CLOSED;
    }
    if (deadline_ns != WAIT_FOREVER && deadline_ns <= timer_now_ns()) {
        arch_irq_restore(flags);
        return VIPER_ERR_TIMED_OUT;
    }
    block_on(t, wq);
    if (deadline_ns != WAIT_FOREVER)
        sched_sleep_until(t, deadline_ns);
    schedule();
    int status = t->wake_status;
    arch_irq_restore(flags);
    return status;
}

void wq_wake_first(struct wait_queue *wq)
{
    uint64_t flags = arch_irq_save();
    if (!list_empty(&wq->waiters))   /* still: an IRQ may have woken it */
        wake(container_of(wq->waiters.next, struct thread, run_node), VIPER_OK);
    arch_irq_restore(flags);
}

void wq_wake_all(struct wait_queue *wq)
{
    uint64_t flags = arch_irq_save();
    while (!list_empty(&wq->waiters))
        wake(container_of(wq->waiters.next, struct thread, run_node), VIPER_OK);
    arch_irq_restore(flags);
}

void ktimer_cancel(struct ktimer *k)
{
    uint64_t flags = arch_irq_save();
    if (k->armed) {
        list_remove(&k->node);
        k->armed = false;
    }
    arch_irq_restore(flags);
}

void ktimer_set(struct ktimer *k, uint64_t deadline_ns)
{
    uint64_t flags = arch_irq_save();
    ktimer_cancel(k);
    struct list *pos;
    k->deadline_ns = deadline_ns;
    list_for_each(pos, &ktimers) {
        if (container_of(pos, struct ktimer, node)->deadline_ns > deadline_ns)
            break;
    }
    list_push_back(pos, &k->node);   /* insert before pos */
    k->armed = true;
    arm_timer();
    arch_irq_restore(flags);
}

void sched_set_priority(struct thread *t, uint8_t priority)
{
    uint64_t flags = arch_irq_save();
    bool queued = t->state == THREAD_RUNNABLE;
    if (queued)
        runq_remove(t);   /* requeue at its new level */
    t->priority = priority;
    if (queued)
        sched_make_runnable(t);
    arch_irq_restore(flags);
}

void sched_wake(struct thread *t)
{
    if (t->state == THREAD_BLOCKED)
        wake(t, VIPER_OK);
}

bool sched_interrupt(struct thread *t, int status)
{
    uint64_t flags = arch_irq_save();
    bool blocked = t->state == THREAD_BLOCKED;
    if (blocked)
        wake(t, status);
    arch_irq_restore(flags);
    return blocked;
}

_Noreturn void sched_idle_loop(void)
{
    for (;;) {
        arch_irq_disable();
        if (runq_mask)
            schedule();
        else
            cpu_wfi();   /* an interrupt ends the WFI even while masked */
        arch_irq_enable();
    }
}
