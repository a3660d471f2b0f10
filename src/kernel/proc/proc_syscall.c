/*
 * proc_syscall.c - the process and thread system calls: argument
 * checking and copying in, then the calls in process.c, thread.c, exec.c.
 */
#include "arch/cpu.h"
#include "mm/slab.h"
#include "mm/vm.h"
#include "proc_priv.h"
#include "sched/sched.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"
#include "viper/errors.h"
#include "viper/types.h"

#define PATH_MAX_LEN 256

/* Copy a NULL-terminated user array of strings into the block. */
static int copy_strv(struct arg_block *a, uint64_t uvec, char **out, int *count)
{
    *count = 0;
    if (!uvec)
        return VIPER_OK;
    for (;;) {
        uint64_t p;
        int err = copy_from_user(&p, uvec + 8 * (uint64_t)*count, sizeof p);
        if (err)
            return err;
        if (!p)
            return VIPER_OK;
        if (*count == ARG_COUNT_MAX - 1)
            return VIPER_ERR_INVALID;
        int64_t n = copy_string_from_user(a->buf + a->used, p, ARG_BYTES_MAX - a->used);
        if (n < 0)
            return (int)n;
        out[(*count)++] = a->buf + a->used;
        a->used += (size_t)n + 1;
    }
}

/* path, argv and envp from a spawn/exec call, copied into a fresh block. */
static int copy_exec_args(struct trap_frame *tf, char *path, struct arg_block **out)
{
    int64_t n = copy_string_from_user(path, tf->x[0], PATH_MAX_LEN);
    if (n < 0)
        return (int)n;
    struct arg_block *a = kmalloc(sizeof *a);
    if (!a)
        return VIPER_ERR_NO_MEMORY;
    a->used = 0;
    a->nhandles = 0;
    int err = copy_strv(a, tf->x[1], a->argv, &a->argc);
    if (!err)
        err = copy_strv(a, tf->x[2], a->envp, &a->envc);
    if (err) {
        kfree(a);
        return err;
    }
    *out = a;
    return VIPER_OK;
}

/* A new handle (READ, TRANSFER, DERIVE) to process p for the caller. */
static int process_handle(struct process *p, uint64_t *out)
{
    obj_get(&p->obj);
    return handle_give(&proc_current()->handles, &p->obj, PROCESS_RIGHTS, out);
}

/* The caps for the handles a spawn passes on: each with TRANSFER, no repeats. */
static int spawn_caps(struct arg_block *a, uint64_t uhandles, uint64_t n)
{
    uint32_t hv[SPAWN_HANDLES_MAX];
    if (n > SPAWN_HANDLES_MAX)
        return VIPER_ERR_INVALID;
    int err = n ? copy_from_user(hv, uhandles, n * sizeof hv[0]) : VIPER_OK;
    for (uint64_t i = 0; !err && i < n; i++) {
        err = handle_lookup(&proc_current()->handles, hv[i], 0, VIPER_RIGHT_TRANSFER, &a->caps[i]);
        for (uint64_t j = 0; !err && j < i; j++)
            if (a->caps[j] == a->caps[i])
                err = VIPER_ERR_INVALID;
    }
    a->nhandles = err ? 0 : (int)n;
    return err;
}

int64_t sys_spawn(struct trap_frame *tf)
{
    char path[PATH_MAX_LEN];
    struct arg_block *a;
    int err = copy_exec_args(tf, path, &a);
    if (err)
        return err;
    err = spawn_caps(a, tf->x[3], tf->x[4]);
    struct process *child;
    if (!err)
        err = proc_spawn_args(proc_current(), path, a, &child);
    kfree(a);
    if (!err)
        tf->x[1] = (uint64_t)child->pid;
    return err;
}

int64_t sys_exec(struct trap_frame *tf)
{
    char path[PATH_MAX_LEN];
    struct arg_block *a;
    int err = copy_exec_args(tf, path, &a);
    if (err)
        return err;
    err = proc_exec_args(path, a);
    kfree(a);
    return err;   /* on success the frame now starts the new program: x0 = argc */
}

int64_t sys_fork(struct trap_frame *tf)
{
    int64_t pid;
    struct process *child;
    int err = proc_fork(tf, &pid, &child);
    if (err)
        return err;
    (void)child;
    tf->x[1] = (uint64_t)pid;
    return VIPER_OK;
}

int64_t sys_process_open(struct trap_frame *tf)
{
    struct process *p;
    int err = proc_find_descendant((int64_t)tf->x[0], &p);
    return err ? err : process_handle(p, &tf->x[1]);
}

int64_t sys_exit(struct trap_frame *tf)
{
    proc_exit(VIPER_EXIT_NORMAL, (int64_t)tf->x[0]);
}

int64_t sys_wait(struct trap_frame *tf)
{
    int64_t pid, reason, code;
    if (tf->x[1] & ~(uint64_t)VIPER_WAIT_NOHANG)
        return VIPER_ERR_INVALID;
    int err = proc_wait((int64_t)tf->x[0], tf->x[1] & VIPER_WAIT_NOHANG, &pid, &reason, &code);
    if (!err) {
        tf->x[1] = (uint64_t)pid;
        tf->x[2] = (uint64_t)reason;
        tf->x[3] = (uint64_t)code;
    }
    return err;
}

int64_t sys_kill(struct trap_frame *tf)
{
    return proc_kill((int64_t)tf->x[0]);
}

int64_t sys_getpid(struct trap_frame *tf)
{
    struct process *p = proc_current();
    tf->x[1] = (uint64_t)p->pid;
    tf->x[2] = p->parent ? (uint64_t)p->parent->pid : 0;
    return VIPER_OK;
}

int64_t sys_gettid(struct trap_frame *tf)
{
    tf->x[1] = (uint64_t)sched_current()->tid;
    return VIPER_OK;
}

int64_t sys_thread_create(struct trap_frame *tf)
{
    uint64_t entry = tf->x[0], sp = tf->x[1];
    if (entry >= VIPER_USER_MAX || (entry & 3) || sp > VIPER_USER_MAX || (sp & 15) ||
        sp < VIPER_USER_MIN)
        return VIPER_ERR_INVALID;
    struct thread *t;
    int err = thread_create_user(proc_current(), entry, sp, tf->x[2], &t);
    if (err)
        return err;
    t->priority = sched_current()->priority;
    tf->x[1] = (uint64_t)t->tid;
    uint64_t flags = arch_irq_save();
    sched_make_runnable(t);
    arch_irq_restore(flags);
    return VIPER_OK;
}

int64_t sys_thread_open(struct trap_frame *tf)
{
    struct thread *t = thread_find(proc_current(), (int64_t)tf->x[0]);
    if (!t)
        return VIPER_ERR_NOT_FOUND;
    obj_get(&t->obj);
    return handle_give(&proc_current()->handles, &t->obj, PROCESS_RIGHTS, &tf->x[1]);
}

int64_t sys_thread_join(struct trap_frame *tf)
{
    int64_t value;
    int err = thread_join((int64_t)tf->x[0], &value);
    if (!err)
        tf->x[1] = (uint64_t)value;
    return err;
}

int64_t sys_thread_exit(struct trap_frame *tf)
{
    thread_exit((int64_t)tf->x[0]);
}

int64_t sys_set_priority(struct trap_frame *tf)
{
    if (tf->x[1] > VIPER_PRIORITY_MAX)
        return VIPER_ERR_INVALID;
    struct thread *t = tf->x[0] ? thread_find(proc_current(), (int64_t)tf->x[0]) : sched_current();
    if (!t || t->state == THREAD_ZOMBIE)
        return VIPER_ERR_NOT_FOUND;
    sched_set_priority(t, (uint8_t)tf->x[1]);
    if (t == sched_current())
        sched_yield();   /* a lower priority may mean someone else should run */
    return VIPER_OK;
}

int64_t sys_proc_list(struct trap_frame *tf)
{
    if ((tf->x[0] & 7) || tf->x[1] > VIPER_PROC_LIST_MAX)
        return VIPER_ERR_INVALID;
    return proc_list(tf->x[0], tf->x[1], &tf->x[1]);
}

int64_t sys_set_limit(struct trap_frame *tf)
{
    struct process *p = proc_current();
    uint64_t value = tf->x[1];
    switch (tf->x[0]) {
    case VIPER_LIMIT_MEMORY:
        if (value > p->vm->mem_limit)
            return VIPER_ERR_ACCESS_DENIED;
        p->vm->mem_limit = value;
        return VIPER_OK;
    case VIPER_LIMIT_PROCS:
        if (value > p->children_limit)
            return VIPER_ERR_ACCESS_DENIED;
        p->children_limit = value;
        return VIPER_OK;
    default:
        return VIPER_ERR_INVALID;
    }
}
