/*
 * ipc/shm.h - shared-memory objects: a fixed set of zeroed pages that
 * several address spaces can map.  Design: docs/ipc.md.
 */
#pragma once
#include <stdint.h>
#include "cap/object.h"

#define SHM_MAX_BYTES (64ull << 20)

struct shm {
    struct object obj;
    uint64_t npages;
    uint64_t pages[];    /* physical addresses; each page's refcount counts this object + mappings */
};

/* A new object of size bytes (rounded up to pages); NULL when out of memory. */
struct shm *shm_alloc(uint64_t size);

void shm_destroy(struct object *o);
