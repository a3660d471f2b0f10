/*
 * proc/process.h - processes: an address space, threads, a place in the
 * process tree, an exit status, and limits.
 *
 * Lifecycle: ALIVE -> (last thread exits) ZOMBIE -> (parent's wait) freed.
 * Orphans are adopted by init.  Single CPU: the process tree is only
 * changed from thread context (never from IRQs).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "cap/handle.h"
#include "cap/object.h"
#include "lib/list.h"
#include "proc/thread.h"
#include "sched/wait.h"

#define PROC_MAX              256                 /* live processes, system-wide */
#define PROC_DEFAULT_MEM      (64ull << 20)       /* VIPER_LIMIT_MEMORY default */
#define PROC_DEFAULT_CHILDREN 128                 /* VIPER_LIMIT_PROCS default */
#define PROC_THREADS_MAX      64
#define PROC_NAME_MAX         32

struct vm_space;

struct process {
    struct object obj;               /* handles to the process hold references */
    int64_t pid;
    char name[PROC_NAME_MAX];
    struct process *parent;
    struct list children;            /* struct process.sibling_node */
    struct list sibling_node;
    struct list all_node;            /* in the global process list */
    struct list threads;             /* struct thread.proc_node, live and zombie */
    unsigned live_threads;
    struct vm_space *vm;
    bool zombie;
    bool killed;                     /* threads die on their way back to EL0 */
    int exit_reason;                 /* VIPER_EXIT_* */
    int64_t exit_code;
    struct wait_queue child_exit;    /* the parent's wait() sleeps here */
    uint64_t live_children;
    uint64_t children_limit;
    struct handle_table handles;
    const void *exe;                 /* the program's ELF in the initrd (fault reports) */
    uint64_t exe_size;
};

/* Find the initrd via /chosen and start the first process (init= or /init). */
struct fdt;
int proc_start_init(const struct fdt *fdt, const char *path);

/* The current thread's process (NULL on an idle thread). */
struct process *proc_current(void);

/* fork the current process (only the calling thread); *pid = the child's pid, *child its object. */
int proc_fork(struct trap_frame *tf, int64_t *pid, struct process **child);

/* End the current process; never returns. */
_Noreturn void proc_exit(int reason, int64_t code);

/* Process pid if it is the caller or a descendant (NOT_FOUND / ACCESS_DENIED otherwise). */
int proc_find_descendant(int64_t pid, struct process **out);

/* Copy a viper_proc_info for each of the first max processes (pid order) to
 * user address uaddr; *count = how many processes there are in all. */
int proc_list(uint64_t uaddr, uint64_t max, uint64_t *count);

/* Kill process pid (must be a descendant of the caller). */
int proc_kill(int64_t pid);

/* Wait for child pid (-1: any); fills reason and code. */
int proc_wait(int64_t pid, bool nohang, int64_t *out_pid, int64_t *reason, int64_t *code);

/* The current thread is going back to EL0: die if killed, yield if preempted. */
void proc_return_to_user(void);

/* Threads. */
int thread_create_user(struct process *p, uint64_t entry, uint64_t sp, uint64_t arg,
                       struct thread **out);
_Noreturn void thread_exit(int64_t value);
int thread_join(int64_t tid, int64_t *value);
struct thread *thread_find(struct process *p, int64_t tid);
void thread_release_stack(struct thread *t);

/* Object hooks (cap/object.c): free a reaped process; its signals. */
void proc_obj_destroy(struct object *o);
uint32_t proc_obj_signals(struct object *o);

/* Live process and thread counts (kstat). */
uint64_t proc_count(void);
uint64_t thread_count(void);

/* Print a fault report for the current user thread and kill its process. */
_Noreturn void proc_fault_kill(struct trap_frame *tf, const char *why);
