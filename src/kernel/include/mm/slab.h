/*
 * mm/slab.h - the kernel heap: slab caches of fixed-size objects and
 * kmalloc/kfree on top of them.
 *
 * A slab is one page (or a small power-of-two run of pages) carved into
 * equal objects, with the slab header at its start; an object's slab is
 * found by rounding its address down, so kfree needs no size.  kmalloc
 * serves sizes up to KMALLOC_MAX_SLAB from power-of-two caches and larger
 * sizes straight from the page allocator.  Out of memory: allocation
 * functions return NULL and leave every cache consistent.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define KMALLOC_MIN_SIZE 16
#define KMALLOC_MAX_SLAB 2048

struct slab_cache;

/* Create a cache of objects of `size` bytes aligned to `align` (power of two). */
struct slab_cache *slab_cache_create(const char *name, size_t size, size_t align);

/* Allocate one object (contents undefined) or NULL. */
void *slab_alloc(struct slab_cache *cache);

/* Return an object to the cache it came from. */
void slab_free(struct slab_cache *cache, void *obj);

/* Objects currently allocated from cache (for leak checks). */
size_t slab_cache_in_use(const struct slab_cache *cache);

/* General-purpose allocation, 16-byte aligned; NULL on failure or size 0. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *ptr);

/* Bytes currently handed out by kmalloc (rounded to the size class). */
size_t kmalloc_in_use(void);

/* Pages held by empty slabs the caches keep (handed back whenever the pmm runs dry). */
size_t slab_cached_pages(void);
