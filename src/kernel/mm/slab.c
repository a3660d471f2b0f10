/*
 * mm/slab.c - slab caches of fixed-size objects, and kmalloc on top.
 *
 * A slab is one buddy block of 2^order pages (order fixed per cache, at
 * most SLAB_MAX_ORDER) reached through the linear map.  Its first bytes are
 * a struct slab header; the objects follow at cache->offset, cache->stride
 * apart.  Free objects form a singly linked list through their first word;
 * a bitmap in the header records which objects are handed out, so a double
 * free or a pointer into the middle of an object is caught (panic: these
 * are kernel bugs, never user input).
 *
 * Finding the slab of a pointer (kfree has no size or cache): the frame
 * holding the pointer is looked up with pmm_page().  While the slab layer
 * owns a block it marks its pages (page.h gives the allocated pages'
 * flags and refcount to their owner):
 *   - first page of a slab:     PAGE_SLAB in flags;
 *   - other pages of a slab:    refcount = PG_TAG_SLAB_TAIL | page index;
 *   - first page of a kmalloc block above KMALLOC_MAX_SLAB:
 *                               refcount = PG_TAG_LARGE | order.
 * Every mark is removed before the block goes back to the pmm.
 *
 * Each cache keeps its slabs on three lists: partial (some objects free),
 * full and empty.  At most one empty slab is kept per cache; further empty
 * slabs go straight back to the pmm, and when the pmm runs dry every kept
 * empty slab of every cache is returned and the allocation retried once.
 * Out of memory leaves all caches consistent and returns NULL.
 *
 * struct slab_cache objects come from a static cache of caches; the kmalloc
 * size classes (16, 32, ... 2048 bytes, 16-byte aligned) are static too, so
 * nothing needs kmalloc to start.  Set-up happens on first use.
 *
 * Concurrency: none yet (one CPU, no preemption inside the allocator);
 * SMP will need a lock per cache plus one for the cache list.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "arch/mmu.h"
#include "kernel/log.h"
#include "lib/list.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/page.h"
#include "mm/pmm.h"
#include "mm/slab.h"

#define SLAB_MAGIC       0x534c4142u   /* "SLAB", in every live slab header */
#define CACHE_MAGIC      0x43414348u   /* "CACH", in every slab_cache */
#define SLAB_MAX_ORDER   3             /* largest slab: 8 pages */
#define SLAB_MAX_OBJS    512           /* objects per slab (bitmap size) */
#define SLAB_MIN_ALIGN   8             /* a free object holds a pointer */
#define KMALLOC_CLASSES  8             /* 16 << 0 ... 16 << 7 = 2048 */

#define PG_TAG_MASK      0xffff0000u
#define PG_TAG_SLAB_TAIL 0x534c0000u   /* "SL" | index of the page in its slab */
#define PG_TAG_LARGE     0x4c470000u   /* "LG" | order of the kmalloc block */

struct slab {
    uint32_t magic;                    /* SLAB_MAGIC while the slab is live */
    uint16_t in_use;                   /* objects handed out */
    struct slab_cache *cache;
    struct list link;                  /* on cache->partial, full or empty */
    void *free_list;                   /* first free object */
    uint64_t used[SLAB_MAX_OBJS / 64]; /* bit i: object i is handed out */
};

struct slab_cache {
    uint32_t magic;                    /* CACHE_MAGIC */
    bool is_kmalloc;                   /* one of the kmalloc size classes */
    const char *name;
    size_t size;                       /* object size asked for */
    size_t stride;                     /* distance between objects */
    size_t offset;                     /* first object, from the slab start */
    unsigned order;                    /* slab = 2^order pages */
    unsigned per_slab;                 /* objects per slab */
    struct list partial, full, empty;
    unsigned nempty;                   /* slabs on empty, at most 1 */
    size_t in_use;                     /* objects handed out */
    size_t nslabs;                     /* slabs owned */
    struct list link;                  /* on slab_caches */
};

static struct slab_cache cache_cache;
static struct slab_cache kmalloc_caches[KMALLOC_CLASSES];
static const char *const kmalloc_names[KMALLOC_CLASSES] = {
    "kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-128",
    "kmalloc-256", "kmalloc-512", "kmalloc-1024", "kmalloc-2048",
};
static struct list slab_caches;        /* every cache, for reclaim */
static bool slab_ready;
static size_t kmalloc_bytes;           /* kmalloc_in_use() */

static size_t round_up(size_t x, size_t a)
{
    return (x + a - 1) & ~(a - 1);
}

/* Choose stride, offset and slab order: the smallest order wasting <= 1/8. */
static bool cache_layout(struct slab_cache *c, size_t size, size_t align)
{
    size_t a = align < SLAB_MIN_ALIGN ? SLAB_MIN_ALIGN : align;
    if (size == 0 || size > (PAGE_SIZE << SLAB_MAX_ORDER))
        return false;
    c->stride = round_up(size, a);
    c->offset = round_up(sizeof(struct slab), a);
    c->per_slab = 0;
    for (unsigned order = 0; order <= SLAB_MAX_ORDER; order++) {
        size_t bytes = PAGE_SIZE << order;
        if (c->offset + c->stride > bytes)
            continue;
        size_t n = (bytes - c->offset) / c->stride;
        c->order = order;
        c->per_slab = n > SLAB_MAX_OBJS ? SLAB_MAX_OBJS : (unsigned)n;
        if ((bytes - c->per_slab * c->stride) * 8 <= bytes)
            break;
    }
    return c->per_slab > 0;
}

static bool cache_setup(struct slab_cache *c, const char *name, size_t size, size_t align)
{
    if (!cache_layout(c, size, align))
        return false;
    c->magic = CACHE_MAGIC;
    c->is_kmalloc = false;
    c->name = name;
    c->size = size;
    list_init(&c->partial);
    list_init(&c->full);
    list_init(&c->empty);
    c->nempty = 0;
    c->in_use = 0;
    c->nslabs = 0;
    list_push_back(&slab_caches, &c->link);
    return true;
}

static void slab_bootstrap(void)
{
    if (slab_ready)
        return;
    list_init(&slab_caches);
    bool ok = cache_setup(&cache_cache, "slab_cache", sizeof(struct slab_cache),
                          _Alignof(struct slab_cache));
    for (unsigned i = 0; i < KMALLOC_CLASSES; i++) {
        ok = ok && cache_setup(&kmalloc_caches[i], kmalloc_names[i],
                               (size_t)KMALLOC_MIN_SIZE << i, KMALLOC_MIN_SIZE);
        kmalloc_caches[i].is_kmalloc = true;
    }
    ASSERT(ok);
    slab_ready = true;
}

/* Hand a slab's block back to the pmm, removing every mark. */
static void slab_release(struct slab_cache *c, struct slab *s)
{
    uint64_t pa = virt_to_phys(s);
    struct page *pg = pmm_page(pa);
    pg->flags &= (uint8_t)~PAGE_SLAB;
    for (unsigned i = 1; i < (1u << c->order); i++)
        pg[i].refcount = 0;
    s->magic = 0;
    c->nslabs--;
    pmm_free_pages(pa, c->order);
}

/* Return every kept empty slab of every cache to the pmm. */
static void slab_reclaim(void)
{
    struct list *pos;
    list_for_each(pos, &slab_caches) {
        struct slab_cache *c = container_of(pos, struct slab_cache, link);
        struct list *n;
        while ((n = list_pop_front(&c->empty)) != NULL)
            slab_release(c, container_of(n, struct slab, link));
        c->nempty = 0;
    }
}

size_t slab_cached_pages(void)
{
    size_t pages = 0;
    struct list *pos;
    list_for_each(pos, &slab_caches) {
        const struct slab_cache *c = container_of(pos, struct slab_cache, link);
        pages += (size_t)c->nempty << c->order;
    }
    return pages;
}

/* pmm_alloc_pages, retried once after reclaiming empty slabs. */
static uint64_t slab_pages(unsigned order)
{
    uint64_t pa = pmm_alloc_pages(order);
    if (pa == 0) {
        slab_reclaim();
        pa = pmm_alloc_pages(order);
    }
    return pa;
}

/* A new empty slab with all objects on its free list, or NULL. */
static struct slab *slab_grow(struct slab_cache *c)
{
    uint64_t pa = slab_pages(c->order);
    if (pa == 0)
        return NULL;
    struct page *pg = pmm_page(pa);
    pg->flags |= PAGE_SLAB;
    for (unsigned i = 1; i < (1u << c->order); i++)
        pg[i].refcount = PG_TAG_SLAB_TAIL | i;

    struct slab *s = phys_to_virt(pa);
    s->magic = SLAB_MAGIC;
    s->in_use = 0;
    s->cache = c;
    list_init(&s->link);
    memset(s->used, 0, sizeof(s->used));
    s->free_list = NULL;
    for (unsigned i = c->per_slab; i-- > 0;) {  /* lowest address first */
        void **obj = (void **)((char *)s + c->offset + i * c->stride);
        *obj = s->free_list;
        s->free_list = obj;
    }
    c->nslabs++;
    return s;
}

/* Index of obj in s; panics unless obj is exactly an object of s. */
static unsigned slab_index(const struct slab_cache *c, const struct slab *s, const void *obj)
{
    size_t off = (size_t)((const char *)obj - (const char *)s);
    if (off < c->offset || (off - c->offset) % c->stride != 0 ||
        (off - c->offset) / c->stride >= c->per_slab)
        panic("slab: %p is not an object of cache %s", obj, c->name);
    return (unsigned)((off - c->offset) / c->stride);
}

void *slab_alloc(struct slab_cache *c)
{
    ASSERT(c != NULL && c->magic == CACHE_MAGIC);
    struct slab *s;
    if (!list_empty(&c->partial)) {
        s = container_of(c->partial.next, struct slab, link);
    } else if (!list_empty(&c->empty)) {
        s = container_of(c->empty.next, struct slab, link);
        c->nempty--;
    } else if ((s = slab_grow(c)) == NULL) {
        return NULL;
    }

    void **obj = s->free_list;
    ASSERT(obj != NULL);
    s->free_list = *obj;
    unsigned i = slab_index(c, s, obj);
    ASSERT(!(s->used[i / 64] & (1ull << (i % 64))));
    s->used[i / 64] |= 1ull << (i % 64);
    s->in_use++;
    c->in_use++;

    list_remove(&s->link);
    list_push_front(s->in_use == c->per_slab ? &c->full : &c->partial, &s->link);
    return obj;
}

/* Give obj back to its slab s, which belongs to c. */
static void slab_put(struct slab_cache *c, struct slab *s, void *obj)
{
    unsigned i = slab_index(c, s, obj);
    if (!(s->used[i / 64] & (1ull << (i % 64))))
        panic("slab: double free of %p in cache %s", obj, c->name);
    s->used[i / 64] &= ~(1ull << (i % 64));
    *(void **)obj = s->free_list;
    s->free_list = obj;
    s->in_use--;
    c->in_use--;

    list_remove(&s->link);
    if (s->in_use > 0) {
        list_push_front(&c->partial, &s->link);
    } else if (c->nempty == 0) {
        list_push_front(&c->empty, &s->link);
        c->nempty++;
    } else {
        slab_release(c, s);
    }
}

/*
 * The slab holding ptr, or NULL with *large set if ptr starts a large
 * kmalloc block.  Panics on a pointer the heap did not hand out.
 */
static struct slab *slab_lookup(const void *ptr, struct page **large)
{
    uintptr_t page_va = (uintptr_t)ptr & PAGE_MASK;
    struct page *pg = pmm_page(virt_to_phys((const void *)page_va));
    struct slab *s;

    *large = NULL;
    if (pg == NULL)
        panic("slab: %p is not in managed memory", ptr);
    if (pg->flags & PAGE_SLAB) {
        s = (struct slab *)page_va;
    } else if ((pg->refcount & PG_TAG_MASK) == PG_TAG_SLAB_TAIL) {
        s = (struct slab *)(page_va - (pg->refcount & ~PG_TAG_MASK) * PAGE_SIZE);
    } else if ((pg->refcount & PG_TAG_MASK) == PG_TAG_LARGE && (uintptr_t)ptr == page_va) {
        *large = pg;
        return NULL;
    } else {
        panic("slab: %p was not allocated from the heap", ptr);
    }
    if (s->magic != SLAB_MAGIC || s->cache == NULL || s->cache->magic != CACHE_MAGIC)
        panic("slab: corrupt slab header at %p (object %p)", (void *)s, ptr);
    return s;
}

void slab_free(struct slab_cache *c, void *obj)
{
    struct page *large;
    if (obj == NULL)
        return;
    ASSERT(c != NULL && c->magic == CACHE_MAGIC);
    struct slab *s = slab_lookup(obj, &large);
    if (s == NULL || s->cache != c)
        panic("slab_free: %p does not belong to cache %s", obj, c->name);
    slab_put(c, s, obj);
}

size_t slab_cache_in_use(const struct slab_cache *c)
{
    return c->in_use;
}

struct slab_cache *slab_cache_create(const char *name, size_t size, size_t align)
{
    if (align == 0)
        align = 1;
    if ((align & (align - 1)) != 0 || align > PAGE_SIZE)
        return NULL;
    slab_bootstrap();
    struct slab_cache *c = slab_alloc(&cache_cache);
    if (c == NULL)
        return NULL;
    if (!cache_setup(c, name, size, align)) {
        slab_free(&cache_cache, c);
        return NULL;
    }
    return c;
}

/* Blocks above KMALLOC_MAX_SLAB: whole pages, order recorded in the first page. */
static void *kmalloc_large(size_t size)
{
    if (size > (PAGE_SIZE << BUDDY_MAX_ORDER))
        return NULL;
    unsigned order = 0;
    while ((PAGE_SIZE << order) < size)
        order++;
    uint64_t pa = slab_pages(order);
    if (pa == 0)
        return NULL;
    pmm_page(pa)->refcount = PG_TAG_LARGE | order;
    kmalloc_bytes += PAGE_SIZE << order;
    return phys_to_virt(pa);
}

void *kmalloc(size_t size)
{
    if (size == 0)
        return NULL;
    slab_bootstrap();
    if (size > KMALLOC_MAX_SLAB)
        return kmalloc_large(size);
    unsigned i = 0;
    while (((size_t)KMALLOC_MIN_SIZE << i) < size)
        i++;
    void *p = slab_alloc(&kmalloc_caches[i]);
    if (p != NULL)
        kmalloc_bytes += kmalloc_caches[i].size;
    return p;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p != NULL)
        memset(p, 0, size);
    return p;
}

void kfree(void *ptr)
{
    struct page *large;
    if (ptr == NULL)
        return;
    struct slab *s = slab_lookup(ptr, &large);
    if (s == NULL) {
        unsigned order = large->refcount & ~PG_TAG_MASK;
        large->refcount = 0;
        kmalloc_bytes -= PAGE_SIZE << order;
        pmm_free_pages(virt_to_phys(ptr), order);
        return;
    }
    if (!s->cache->is_kmalloc)
        panic("kfree: %p belongs to cache %s, use slab_free", ptr, s->cache->name);
    size_t size = s->cache->size;
    slab_put(s->cache, s, ptr);
    kmalloc_bytes -= size;
}

size_t kmalloc_in_use(void)
{
    return kmalloc_bytes;
}
