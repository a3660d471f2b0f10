/*
 * thread.c - creating, ending and joining threads.
 *
 * A user thread owns a 16 KiB kernel stack with its trap frame at the
 * top; arch_switch starts a new thread in thread_enter_user, which
 * "returns" to EL0 through that frame.  A thread that exits becomes a
 * ZOMBIE: the scheduler frees its stack after switching away (it is still
 * running on it until then), and the struct goes when it is joined or
 * when its process is reaped.
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
    struct thread *t = kzalloc(sizeof *t);
    if (!t)
        return VIPER_ERR_NO_MEMORY;
    t->kstack_pa = pmm_alloc_pages(KSTACK_ORDER);
    if (!t->kstack_pa) {
        kfree(t);
        return VIPER_ERR_NO_MEMORY;
    }
    obj_init(&t->obj, OBJ_THREAD);   /* this reference is the process's */
    uint8_t *top = (uint8_t *)phys_to_virt(t->kstack_pa) + KSTACK_SIZE;
    t->tf = (struct trap_frame *)(top - sizeof(struct trap_frame));
    memset(t->tf, 0, sizeof *t->tf);
    t->tf->elr = entry;
    t->tf->sp = sp;
    t->tf->x[0] = arg;
    t->tf->spsr = 0;   /* EL0t, interrupts unmasked */
    t->ctx.sp = (uint64_t)t->tf;
    t->ctx.lr = (uint64_t)thread_enter_user;
    t->proc = p;
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

void thread_release_stack(struct thread *t)
{
    if (t->kstack_pa) {
        pmm_free_pages(t->kstack_pa, KSTACK_ORDER);
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
    kfree(container_of(o, struct thread, obj));
}

uint32_t thread_obj_signals(struct object *o)
{
    return container_of(o, struct thread, obj)->state == THREAD_ZOMBIE ? VIPER_SIGNAL_THREAD_EXITED : 0;
}
