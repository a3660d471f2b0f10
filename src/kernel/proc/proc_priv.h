/*
 * proc_priv.h - what the files of proc/ share and nobody else needs.
 */
#pragma once
#include "proc/process.h"
#include "viper/types.h"

#define ARG_COUNT_MAX 256          /* argv and envp entries, each */
#define ARG_BYTES_MAX (64 * 1024)  /* all argv and envp strings together */
#define SPAWN_HANDLES_MAX 8        /* handles a parent may pass to spawn */
#define PROCESS_RIGHTS (VIPER_RIGHT_READ | VIPER_RIGHT_TRANSFER | VIPER_RIGHT_DERIVE)

/* Arguments copied into the kernel, ready to go onto a new stack. */
struct arg_block {
    int argc, envc;
    int nhandles;                  /* startup handles (VIPER_AT_HANDLE), values 1..nhandles */
    struct cap *caps[SPAWN_HANDLES_MAX];
    size_t used;                   /* bytes of buf in use */
    char *argv[ARG_COUNT_MAX];
    char *envp[ARG_COUNT_MAX];
    char buf[ARG_BYTES_MAX];
};

struct process *proc_alloc(struct process *parent, const char *name);
void proc_free_unstarted(struct process *p);
void proc_thread_died(struct process *p);

/* Give p the address space vm (or none): p->vm and the copy in each of its threads. */
void proc_set_vm(struct process *p, struct vm_space *vm);

/* Find path in the initrd; VIPER_ERR_NOT_FOUND if absent. */
int initrd_lookup(const char *path, const void **data, uint64_t *size);

/*
 * Build a new address space running the ELF at path with args: segments,
 * stack with argv/envp/auxv.  On success *vm, *entry, *sp and the
 * registers for main (*argc, *argv_va, *envp_va) are set.
 */
struct image {
    struct vm_space *vm;
    uint64_t entry, sp, argc, argv_va, envp_va;
    const void *exe;
    uint64_t exe_size;
};
int image_load(const char *path, const struct arg_block *args, struct image *img);

/* Point a trap frame at a freshly loaded image. */
void image_enter(struct trap_frame *tf, const struct image *img);

/*
 * Spawn path as a child of parent with args; args->caps (detached from
 * nothing yet: still in the parent's table) move to the child.  *child is
 * the new process.
 */
int proc_spawn_args(struct process *parent, const char *path, const struct arg_block *args,
                    struct process **child);

/* Replace the current process's image; on success the caller returns into the new program. */
int proc_exec_args(const char *path, const struct arg_block *args);
