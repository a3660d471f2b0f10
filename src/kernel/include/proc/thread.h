/*
 * proc/thread.h - threads: what the scheduler runs.
 *
 * Fields marked [sched] are guarded by the scheduler (IRQs masked on the
 * single scheduling CPU); the others belong to the thread itself or are
 * fixed at creation.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "arch/trap.h"
#include "cap/handle.h"
#include "cap/object.h"
#include "lib/list.h"
#include "mm/pagetable.h"
#include "sched/wait.h"
#include "viper/types.h"

struct endpoint;

#define KSTACK_ORDER 2                       /* 16 KiB kernel stack per thread */
#define KSTACK_SIZE  (4096ul << KSTACK_ORDER)

enum thread_state {
    THREAD_RUNNABLE,   /* on a run queue */
    THREAD_RUNNING,    /* on a CPU */
    THREAD_BLOCKED,    /* on a wait queue and/or the sleep list */
    THREAD_ZOMBIE,     /* exited; its stack below the top page is freed after the switch away */
};

/* Registers arch_switch saves: callee-saved x19-x28, fp, lr, sp. */
struct arch_context {
    uint64_t x19_x28[10];
    uint64_t fp;
    uint64_t lr;
    uint64_t sp;
};

/* FP/SIMD registers, saved lazily (arch/aarch64/fpu.c). */
struct fp_state {
    uint64_t v[64];    /* q0-q31 */
    uint64_t fpsr;
    uint64_t fpcr;
};

struct process;
struct vm_space;

struct thread {
    struct arch_context ctx;
    struct object obj;            /* the process holds one reference, each handle another */
    struct trap_frame *tf;        /* user registers, at the top of the kernel stack */
    uint64_t kstack_pa;           /* the stack's base (KSTACK_SIZE from pmm; this struct
                                     sits in its top page); 0 once the lower pages are freed */
    struct process *proc;         /* NULL for idle threads */
    struct vm_space *vm;          /* proc->vm, copied here (proc_set_vm), its TTBR0 value */
    struct pt_ttbr ttbr0;         /* (mm/pagetable.h; reset when vm changes) and ... */
    bool dying;                   /* ... proc->killed: a switch and the way back to EL0
                                     read only the thread's own page */
    int64_t tid;
    uint8_t priority;             /* 0-255, higher runs first */
    enum thread_state state;      /* [sched] */
    struct list run_node;         /* [sched] run queue or wait queue link */
    struct list sleep_node;       /* [sched] sleep list link while it has a deadline */
    struct list proc_node;        /* in proc->threads */
    uint64_t deadline_ns;         /* [sched] wake-up time while sleeping, 0 if none */
    uint64_t runnable_since;      /* [sched] when it last became runnable (aging) */
    int wake_status;              /* [sched] what wq_wait returns */
    struct wait_queue *waiting_on;/* [sched] the queue it sleeps on, if any */
    int64_t exit_value;
    struct wait_queue join_wq;    /* joiners wait here for the ZOMBIE state */
    struct handle_memo chan_memo; /* the channel handle it used last (ipc/chan_syscall.c) */
    struct endpoint *park_ep;     /* while parked in a receive: the endpoint (a reference) ... */
    struct viper_msg park_msg;    /* ... the receive descriptor ... */
    uint64_t park_deadline;       /* ... and its deadline (ipc/chan_syscall.c) */
    bool park_interruptible;      /* its call's receive may end early (VIPER_CHAN_INTERRUPTIBLE) */
    struct endpoint *notified;    /* an endpoint that notifies it had news since its last
                                     interruptible wait (CHAN_NOTIFIED_MANY: more than one);
                                     compared, never followed (ipc/channel.h) */
    bool fp_valid;                /* fp holds this thread's live FP state */
    struct fp_state fp;
};

/* The struct's share of the kernel stack's top page (thread.c), 16-byte aligned. */
#define THREAD_TOP_SIZE ((sizeof(struct thread) + 15) & ~15ul)
_Static_assert(THREAD_TOP_SIZE + sizeof(struct trap_frame) <= 2048,
               "the top stack page keeps at least 2 KiB of stack");

/* Object hooks (cap/object.c). */
void thread_obj_destroy(struct object *o);
uint32_t thread_obj_signals(struct object *o);

/*
 * Switch stacks: save callee-saved registers in from, load to's, free the
 * stacks on sched_dead if any, and return VIPER_OK in the thread switched
 * to (switch.S).  A new thread's context has lr = ret_to_user (vectors.S),
 * which restores its trap frame and erets.
 */
int64_t arch_switch(struct arch_context *from, struct arch_context *to);
/* arch_switch's second half: load to's context, saving nothing (a parked thread's is set). */
_Noreturn void arch_switch_load(struct arch_context *to);
void ret_to_user(void);
/*
 * A parked thread's way back (vectors.S, ipc/chan_syscall.c): its context's
 * lr, which finishes its receive; and leaving for EL0 through tf, with
 * nothing else on the stack, for a thread whose receive was finished for it.
 */
void ret_from_park(void);
_Noreturn void arch_enter_user(struct trap_frame *tf);
/* Go on in fn(a0, a1) on the stack ending at sp, for good (switch.S). */
_Noreturn void arch_run_on_stack(void *sp, void (*fn)(void *, void *), void *a0, void *a1);
