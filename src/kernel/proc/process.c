/*
 * process.c - the process tree: fork, exit, wait, kill, and the path
 * back to user space.
 *
 * Invariants: every process but init has a parent that is alive or a
 * zombie being reaped; a zombie holds no address space and no running
 * threads, only its exit status and thread structs until wait() frees it;
 * `live_children` counts unreaped children (the VIPER_LIMIT_PROCS limit).
 */
#include "arch/cpu.h"
#include "arch/fpu.h"
#include "arch/psci.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/vm.h"
#include "proc_priv.h"
#include "sched/sched.h"
#include "syscall/uaccess.h"
#include "viper/errors.h"
#include "viper/types.h"

static struct list all_procs = LIST_INIT(all_procs);
static uint64_t nprocs;
static int64_t next_pid = 1;
static struct process *init_proc;

uint64_t proc_count(void)
{
    return nprocs;
}

struct process *proc_current(void)
{
    return sched_current()->proc;
}

static struct process *proc_find(int64_t pid)
{
    struct list *pos;
    list_for_each(pos, &all_procs) {
        struct process *p = container_of(pos, struct process, all_node);
        if (p->pid == pid)
            return p;
    }
    return NULL;
}

/* What proc_list reports about p: its first live thread's state and priority. */
static void proc_describe(const struct process *p, struct viper_proc_info *out)
{
    static const uint32_t states[] = {
        [THREAD_RUNNABLE] = VIPER_PROC_READY,
        [THREAD_RUNNING] = VIPER_PROC_RUNNING,
        [THREAD_BLOCKED] = VIPER_PROC_BLOCKED,
        [THREAD_ZOMBIE] = VIPER_PROC_ZOMBIE,
    };
    memset(out, 0, sizeof *out);
    out->pid = p->pid;
    out->parent_pid = p->parent ? p->parent->pid : 0;
    out->state = VIPER_PROC_ZOMBIE;
    out->threads = p->live_threads;
    out->handles = p->handles.used;
    out->pages = p->vm ? p->vm->pages : 0;
    strlcpy(out->name, p->name, sizeof out->name);
    struct list *pos;
    list_for_each(pos, &p->threads) {
        struct thread *t = container_of(pos, struct thread, proc_node);
        if (t->state != THREAD_ZOMBIE) {
            out->state = states[t->state];
            out->priority = t->priority;
            break;
        }
    }
}

int proc_list(uint64_t uaddr, uint64_t max, uint64_t *count)
{
    struct list *pos;
    uint64_t i = 0;
    list_for_each(pos, &all_procs) {
        if (i < max) {
            struct viper_proc_info info;
            proc_describe(container_of(pos, struct process, all_node), &info);
            int err = copy_to_user(uaddr + i * sizeof info, &info, sizeof info);
            if (err)
                return err;
        }
        i++;
    }
    *count = i;
    return VIPER_OK;
}

struct process *proc_alloc(struct process *parent, const char *name)
{
    if (nprocs >= PROC_MAX || (parent && parent->live_children >= parent->children_limit))
        return NULL;
    struct process *p = kzalloc(sizeof *p);
    if (!p)
        return NULL;
    obj_init(&p->obj, OBJ_PROCESS);   /* this reference is the process tree's */
    handle_table_init(&p->handles, VIPER_HANDLES_MAX_DEFAULT);
    p->pid = next_pid++;
    strlcpy(p->name, name, sizeof p->name);
    list_init(&p->children);
    list_init(&p->threads);
    wq_init(&p->child_exit);
    p->parent = parent;
    p->children_limit = parent ? parent->children_limit : PROC_DEFAULT_CHILDREN;
    if (parent) {
        list_push_back(&parent->children, &p->sibling_node);
        parent->live_children++;
        p->exe = parent->exe;
        p->exe_size = parent->exe_size;
    } else {
        init_proc = p;
    }
    list_push_back(&all_procs, &p->all_node);
    nprocs++;
    return p;
}

/* Undo proc_alloc for a process that never ran. */
void proc_free_unstarted(struct process *p)
{
    if (p->vm)
        vm_destroy(p->vm);
    if (p->parent) {
        list_remove(&p->sibling_node);
        p->parent->live_children--;
    }
    list_remove(&p->all_node);
    nprocs--;
    handle_table_destroy(&p->handles);
    obj_put(&p->obj);
}

void proc_obj_destroy(struct object *o)
{
    kfree(container_of(o, struct process, obj));
}

uint32_t proc_obj_signals(struct object *o)
{
    return container_of(o, struct process, obj)->zombie ? VIPER_SIGNAL_PROCESS_EXITED : 0;
}

int proc_fork(struct trap_frame *tf, int64_t *pid, struct process **out)
{
    struct thread *self = sched_current();
    struct process *parent = self->proc;
    struct process *child = proc_alloc(parent, parent->name);
    if (!child)
        return VIPER_ERR_LIMIT;
    child->vm = vm_fork(parent->vm);
    struct thread *t;
    if (!child->vm || thread_create_user(child, 0, 0, 0, &t) != VIPER_OK) {
        proc_free_unstarted(child);
        return VIPER_ERR_NO_MEMORY;
    }
    *t->tf = *tf;            /* the child resumes where the parent called fork */
    t->tf->x[0] = VIPER_OK;
    t->tf->x[1] = 0;         /* fork() is 0 in the child */
    t->priority = self->priority;
    fpu_flush(self);
    if (self->fp_valid) {
        t->fp = self->fp;
        t->fp_valid = true;
    }
    *pid = child->pid;
    *out = child;
    uint64_t flags = arch_irq_save();
    sched_make_runnable(t);
    arch_irq_restore(flags);
    return VIPER_OK;
}

void proc_set_vm(struct process *p, struct vm_space *vm)
{
    p->vm = vm;
    struct list *pos;
    list_for_each(pos, &p->threads) {
        struct thread *t = container_of(pos, struct thread, proc_node);
        t->vm = vm;
        t->ttbr0.gen = 0;   /* the kept value was the old space's */
    }
}

/* The last thread of p has exited: release what a zombie does not need. */
void proc_thread_died(struct process *p)
{
    if (p->vm) {
        vm_destroy(p->vm);
        proc_set_vm(p, NULL);
    }
    handle_table_destroy(&p->handles);   /* endpoints close: peers see PEER_CLOSED */
    if (!p->parent) {   /* init is gone: nothing is left to run user space */
        kprintf("init: exited (reason %d, code %ld); powering off\n", p->exit_reason,
                (long)p->exit_code);
        psci_system_off();
    }
    while (!list_empty(&p->children)) {   /* orphans go to init */
        struct process *c = container_of(list_pop_front(&p->children), struct process, sibling_node);
        c->parent = init_proc;
        list_push_back(&init_proc->children, &c->sibling_node);
        init_proc->live_children++;
        if (c->zombie)
            wq_wake_all(&init_proc->child_exit);
    }
    p->zombie = true;
    obj_signal(&p->obj);
    wq_wake_all(&p->parent->child_exit);
}

/* Mark p as dying: every thread ends on its way back to user space. */
static void proc_mark_killed(struct process *p, int reason, int64_t code)
{
    if (p->killed)
        return;
    p->killed = true;
    p->exit_reason = reason;
    p->exit_code = code;
    struct list *pos;
    list_for_each(pos, &p->threads) {
        struct thread *t = container_of(pos, struct thread, proc_node);
        t->dying = true;
        if (t != sched_current())
            sched_interrupt(t, VIPER_ERR_PEER_CLOSED);
    }
}

_Noreturn void proc_exit(int reason, int64_t code)
{
    proc_mark_killed(proc_current(), reason, code);
    thread_exit(0);
}

int proc_find_descendant(int64_t pid, struct process **out)
{
    struct process *self = proc_current();
    struct process *p = proc_find(pid);
    if (!p)
        return VIPER_ERR_NOT_FOUND;
    struct process *a = p;
    while (a && a != self)
        a = a->parent;
    if (!a)
        return VIPER_ERR_ACCESS_DENIED;
    *out = p;
    return VIPER_OK;
}

int proc_kill(int64_t pid)
{
    struct process *self = proc_current();
    struct process *p;
    int err = proc_find_descendant(pid, &p);
    if (err)
        return err;
    if (p->zombie)
        return VIPER_ERR_NOT_FOUND;
    if (p == self)
        proc_exit(VIPER_EXIT_KILLED, self->pid);
    proc_mark_killed(p, VIPER_EXIT_KILLED, self->pid);
    return VIPER_OK;
}

/* Free a reaped zombie and its thread structs. */
static void proc_reap(struct process *c)
{
    while (!list_empty(&c->threads)) {
        struct thread *t = container_of(list_pop_front(&c->threads), struct thread, proc_node);
        obj_put(&t->obj);
    }
    list_remove(&c->sibling_node);
    c->parent->live_children--;
    list_remove(&c->all_node);
    nprocs--;
    obj_put(&c->obj);   /* freed now, or when the last process handle closes */
}

int proc_wait(int64_t pid, bool nohang, int64_t *out_pid, int64_t *reason, int64_t *code)
{
    struct process *self = proc_current();
    for (;;) {
        bool found = false;
        struct list *pos;
        list_for_each(pos, &self->children) {
            struct process *c = container_of(pos, struct process, sibling_node);
            if (pid != -1 && c->pid != pid)
                continue;
            found = true;
            if (c->zombie) {
                *out_pid = c->pid;
                *reason = c->exit_reason;
                *code = c->exit_code;
                proc_reap(c);
                return VIPER_OK;
            }
        }
        if (!found)
            return VIPER_ERR_NOT_FOUND;
        if (nohang)
            return VIPER_ERR_WOULD_BLOCK;
        int err = wq_wait(&self->child_exit, WAIT_FOREVER);
        if (err)
            return err;
    }
}

void proc_return_to_user(void)
{
    struct thread *t = sched_current();
    if (t->dying)
        thread_exit(0);
    if (sched_need_resched())
        sched_yield();
    if (t->dying)   /* killed while we were off the CPU */
        thread_exit(0);
}
