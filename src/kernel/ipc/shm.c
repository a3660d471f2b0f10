/*
 * shm.c - shared-memory objects.  Pages are allocated and zeroed up front,
 * so a mapping never faults for lack of memory; each page's struct page
 * refcount is one for the object plus one per mapping of it.
 */
#include "arch/mmu.h"
#include "ipc/shm.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/slab.h"

struct shm *shm_alloc(uint64_t size)
{
    uint64_t npages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
    struct shm *s = kzalloc(sizeof *s + npages * sizeof s->pages[0]);
    if (!s)
        return NULL;
    for (uint64_t i = 0; i < npages; i++) {
        uint64_t pa = pmm_alloc_pages(0);
        if (!pa) {
            s->npages = i;
            obj_init(&s->obj, OBJ_SHM);
            obj_put(&s->obj);   /* frees what was allocated */
            return NULL;
        }
        memset(phys_to_virt(pa), 0, PAGE_SIZE);
        pmm_page(pa)->refcount = 1;
        s->pages[i] = pa;
    }
    s->npages = npages;
    obj_init(&s->obj, OBJ_SHM);
    return s;
}

void shm_destroy(struct object *o)
{
    struct shm *s = container_of(o, struct shm, obj);
    for (uint64_t i = 0; i < s->npages; i++) {
        struct page *pg = pmm_page(s->pages[i]);
        if (--pg->refcount == 0)
            pmm_free_pages(s->pages[i], 0);
    }
    kfree(s);
}
