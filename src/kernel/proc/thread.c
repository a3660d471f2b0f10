/*
 * thread.c - creating, ending and joining threads.
 *
 * A user thread owns a 16 KiB kernel stack.  Its top page holds, from the
 * top down, the struct thread itself, the trap frame and the first 3 KiB
 * of stack: a switch touches one page per thread instead of two (under
 * QEMU every page touched after an address-space switch costs a TLB fill,
 * docs/bench.md).  arch_switch starts a new thread in ret_to_user
 * (vectors.S), which "returns" to EL0 through the frame.  A thread that exits becomes a
 * ZOMBIE: the scheduler frees the three lower stack pages after switching
 * away (it is still running on them until then), and the top page goes
 * with the struct, when the thread is joined or its process reaped and no
 * handle to it is left.
 */
#include "arch/cpu.h"
#include "arch/fpu.h"
#include "arch/mmu.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "proc_priv.h"
#include "sched/sched.h"
#include "viper/errors.h"
#include "viper/types.h"

static int64_t next_tid = 1;
static uint64_t live_threads;

uint64_t thread_count(void)
{
    return live_threads;
}

int thread_create_user(struct process *p, uint64_t entry, uint64_t sp, uint64_t arg,
                       struct thread **out)
{
    if (p->live_threads >= PROC_THREADS_MAX)
        return VIPER_ERR_LIMIT;
    uint64_t stack_pa = pmm_alloc_pages(KSTACK_ORDER);
    if (!stack_pa)
        return VIPER_ERR_NO_MEMORY;
    uint8_t *top = (uint8_t *)phys_to_virt(stack_pa) + KSTACK_SIZE;
    struct thread *t = (struct thread *)(top - THREAD_TOP_SIZE);
    memset(t, 0, sizeof *t);
    t->kstack_pa = stack_pa;
    obj_init(&t->obj, OBJ_THREAD);   /* this reference is the process's */
    t->tf = (struct trap_frame *)((uint8_t *)t - sizeof(struct trap_frame));
    memset(t->tf, 0, sizeof *t->tf);
    t->tf->elr = entry;
    t->tf->sp = sp;
    t->tf->x[0] = arg;
    t->tf->spsr = 0;   /* EL0t, interrupts unmasked */
    t->ctx.sp = (uint64_t)t->tf;
    t->ctx.lr = (uint64_t)ret_to_user;
    t->proc = p;
    t->vm = p->vm;
    t->dying = p->killed;
    t->tid = next_tid++;
    t->priority = VIPER_PRIORITY_DEFAULT;
    list_init(&t->run_node);
    list_init(&t->sleep_node);
    wq_init(&t->join_wq);
    list_push_back(&p->threads, &t->proc_node);
    p->live_threads++;
    live_threads++;
    *out = t;
    return VIPER_OK;
}

/* The stack below its top page (the buddy allocator takes the block back a page at a time). */
void thread_release_stack(struct thread *t)
{
    if (t->kstack_pa) {
        for (uint64_t off = 0; off < KSTACK_SIZE - PAGE_SIZE; off += PAGE_SIZE)
            pmm_free_pages(t->kstack_pa + off, 0);
        t->kstack_pa = 0;
    }
}

struct thread *thread_find(struct process *p, int64_t tid)
{
    struct list *pos;
    list_for_each(pos, &p->threads) {
        struct thread *t = container_of(pos, struct thread, proc_node);
        if (t->tid == tid)
            return t;
    }
    return NULL;
}


_Noreturn void thread_exit(int64_t value)
{
    struct thread *t = sched_current();
    struct process *p = t->proc;
    t->exit_value = value;
    fpu_forget(t);
    live_threads--;
    if (--p->live_threads == 0)
        proc_thread_died(p);   /* the process becomes a zombie */
    arch_irq_disable();
    t->state = THREAD_ZOMBIE;
    wq_wake_all(&t->join_wq);
    obj_signal(&t->obj);
    sched_block();
    __builtin_unreachable();
}

int thread_join(int64_t tid, int64_t *value)
{
    struct thread *self = sched_current();
    struct thread *t;
    for (;;) {   /* look it up again after every wait: another joiner may have freed it */
        t = thread_find(self->proc, tid);
        if (!t)
            return VIPER_ERR_NOT_FOUND;
        if (t == self)
            return VIPER_ERR_INVALID;
        if (t->state == THREAD_ZOMBIE)
            break;
        int err = wq_wait(&t->join_wq, WAIT_FOREVER);
        if (err)
            return err;
    }
    *value = t->exit_value;
    list_remove(&t->proc_node);
    obj_put(&t->obj);   /* freed now, or when the last handle to it closes */
    return VIPER_OK;
}

void thread_obj_destroy(struct object *o)
{
    struct thread *t = container_of(o, struct thread, obj);
    thread_release_stack(t);   /* a thread that never ran keeps all of it */
    pmm_free_pages(virt_to_phys(t) & PAGE_MASK, 0);
}

uint32_t thread_obj_signals(struct object *o)
{
    return container_of(o, struct thread, obj)->state == THREAD_ZOMBIE ? VIPER_SIGNAL_THREAD_EXITED : 0;
}
