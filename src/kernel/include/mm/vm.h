/*
 * mm/vm.h - user address spaces: VMAs, demand paging, copy-on-write.
 *
 * A vm_space is a TTBR0 page table plus the list of VMAs (what may be
 * mapped, with what protection).  Pages appear on first touch (vm_fault);
 * fork shares them copy-on-write.  Design: docs/processes.md.
 * Single CPU: callers serialise (IRQs are not involved: no VM work in IRQs).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/hot.h"
#include "lib/list.h"
#include "mm/pagetable.h"

enum vma_kind { VMA_ANON, VMA_IMAGE, VMA_HEAP, VMA_STACK, VMA_SHM, VMA_DEVICE };

struct shm;

struct vma {
    uint64_t start, end;      /* page aligned, end exclusive */
    uint32_t prot;            /* VIPER_PROT_* */
    enum vma_kind kind;
    struct list node;         /* in vm_space.vmas, sorted by start */
    uint32_t max_prot;        /* mprotect may not go beyond this (shm: what the handle allowed) */
    struct shm *shm;          /* VMA_SHM: the object (a reference) ... */
    uint64_t shm_base;        /* ... and the address its page 0 is mapped at */
    uint64_t dev_pa;          /* VMA_DEVICE: the physical address mapped at start */
};

struct vm_space {
    uint64_t *root;           /* level-1 table (linear-map address) */
    uint32_t asid;            /* valid while asid_gen is current */
    uint64_t asid_gen;
    struct list vmas;
    struct vma *vma_hint;     /* the VMA vm_find found last, or NULL: faults in a loop */
                              /* over one mapping skip the list walk */
    uint64_t heap_start, heap_end;
    uint64_t pages;           /* private pages charged to this space */
    uint64_t mem_limit;       /* bytes */
};

/* Access kinds for vm_fault. */
#define VM_READ  1u
#define VM_WRITE 2u
#define VM_EXEC  4u

struct vm_space *vm_create(uint64_t mem_limit);
void vm_destroy(struct vm_space *vm);

/* A copy-on-write copy of parent (fork); NULL when out of memory. */
struct vm_space *vm_fork(struct vm_space *parent);

/* Add a VMA [start, start+len); VIPER_ERR_INVALID on overlap or a bad range. */
int vm_map(struct vm_space *vm, uint64_t start, uint64_t len, uint32_t prot, enum vma_kind kind);

/* Map all of shared-memory object shm at addr (free, page aligned) with prot. */
int vm_map_shm(struct vm_space *vm, uint64_t addr, uint32_t prot, struct shm *shm);

/* Map device registers [pa, pa+len) at addr (free, page aligned), read-write, Device-nGnRE. */
int vm_map_device(struct vm_space *vm, uint64_t addr, uint64_t pa, uint64_t len);

/* Remove [start, start+len) (VMAs are split as needed); frees its pages. */
int vm_unmap(struct vm_space *vm, uint64_t start, uint64_t len);

/* Change protection of [start, start+len), which must be fully mapped
 * (VIPER_ERR_ACCESS_DENIED beyond a mapping's max_prot). */
int vm_protect(struct vm_space *vm, uint64_t start, uint64_t len, uint32_t prot);

/* Lowest free range of len bytes at or above hint; 0 if none. */
uint64_t vm_find_free(struct vm_space *vm, uint64_t hint, uint64_t len);

/* The VMA containing va, or NULL.  Inline for the common case: va in the
 * VMA found last (faults in a loop over one mapping). */
struct vma *vm_find_walk(struct vm_space *vm, uint64_t va);

static inline struct vma *vm_find(struct vm_space *vm, uint64_t va)
{
    struct vma *h = vm->vma_hint;
    if (likely(h && va >= h->start && va < h->end))
        return h;
    return vm_find_walk(vm, va);
}

/*
 * Resolve a fault at va for the given access: VIPER_OK (retry the access),
 * VIPER_ERR_FAULT (no VMA or not permitted), VIPER_ERR_NO_MEMORY (out of
 * pages or over the memory limit).
 */
int vm_fault(struct vm_space *vm, uint64_t va, uint32_t access);

/* Copy len bytes into vm at va from kernel memory, populating pages (exec, stack setup). */
int vm_write(struct vm_space *vm, uint64_t va, const void *src, size_t len);

/*
 * Make vm the current user address space (NULL: none).  kept (or NULL) is
 * the caller's copy of vm's TTBR0 value (mm/pagetable.h): a switch with a
 * good copy does not read vm, one page fewer for QEMU to walk after the
 * address-space change (docs/bench.md).
 */
extern struct vm_space *vm_active;   /* the space in TTBR0 now, or NULL */
void vm_activate_slow(struct vm_space *vm, struct pt_ttbr *kept);

static HOT_INLINE void vm_activate(struct vm_space *vm, struct pt_ttbr *kept)
{
    if (likely(vm && kept && pt_activate_kept(kept)))
        vm_active = vm;
    else
        vm_activate_slow(vm, kept);   /* no space, no kept value, or a new ASID generation */
}
