/*
 * ipc/shm.h - shared-memory objects: a fixed set of zeroed pages that
 * several address spaces can map.  Design: docs/ipc.md.
 */
#pragma once
#include <stdint.h>
#include "cap/object.h"

#define SHM_MAX_BYTES (64ull << 20)

struct process;

struct shm {
    struct object obj;
    struct process *owner;   /* charged for the pages while both live (a reference); NULL: the kernel */
    uint64_t charged;        /* pages charged to owner->vm */
    uint64_t npages;
    uint64_t pages[];    /* physical addresses; each page's refcount counts this object + mappings */
};

/*
 * A new object of size bytes (rounded up to pages), charged to owner's
 * memory limit until it is destroyed (owner NULL: made by the kernel, not
 * charged); VIPER_ERR_LIMIT or NO_MEMORY.
 */
int shm_alloc(struct process *owner, uint64_t size, struct shm **out);

/* The same with physically contiguous pages (DMA buffers; at most 4 MiB). */
int shm_alloc_contiguous(struct process *owner, uint64_t size, struct shm **out);

void shm_destroy(struct object *o);
