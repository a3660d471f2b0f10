/*
 * shm.c - shared-memory objects.  Pages are allocated and zeroed up front,
 * so a mapping never faults for lack of memory; each page's struct page
 * refcount is one for the object plus one per mapping of it.  The creator
 * is charged for the pages (against its memory limit) until the object
 * goes; mappings elsewhere are not charged again.
 */
#include "arch/cache.h"
#include "arch/mmu.h"
#include "mm/vm.h"
#include "proc/process.h"
#include "viper/errors.h"
#include "ipc/shm.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/slab.h"

/* The object with its charge taken (owner NULL: the kernel's, uncharged) but no pages yet. */
static int shm_new(struct process *owner, uint64_t npages, struct shm **out)
{
    struct vm_space *vm = owner ? owner->vm : NULL;
    if (vm && (vm->pages + npages) * PAGE_SIZE > vm->mem_limit)
        return VIPER_ERR_LIMIT;
    struct shm *s = kzalloc(sizeof *s + npages * sizeof s->pages[0]);
    if (!s)
        return VIPER_ERR_NO_MEMORY;
    obj_init(&s->obj, OBJ_SHM);
    if (owner) {
        obj_get(&owner->obj);
        s->owner = owner;
        s->charged = npages;   /* charged now; shm_destroy gives the charge back */
        vm->pages += npages;
    }
    *out = s;
    return VIPER_OK;
}

/* Give page pa (already allocated) to s, zeroed. */
static void shm_add_page(struct shm *s, uint64_t pa)
{
    page_zero(phys_to_virt(pa));
    pmm_page(pa)->refcount = 1;
    s->pages[s->npages++] = pa;
}

int shm_alloc(struct process *owner, uint64_t size, struct shm **out)
{
    uint64_t npages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
    struct shm *s;
    int err = shm_new(owner, npages, &s);
    if (err)
        return err;
    for (uint64_t i = 0; i < npages; i++) {
        uint64_t pa = pmm_alloc_pages(0);
        if (!pa) {
            obj_put(&s->obj);   /* frees what was allocated, and the charge */
            return VIPER_ERR_NO_MEMORY;
        }
        shm_add_page(s, pa);
    }
    *out = s;
    return VIPER_OK;
}

int shm_alloc_contiguous(struct process *owner, uint64_t size, struct shm **out)
{
    uint64_t npages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
    unsigned order = 0;
    while ((1ull << order) < npages)
        order++;
    struct shm *s;
    int err = shm_new(owner, npages, &s);
    if (err)
        return err;
    uint64_t pa = pmm_alloc_pages(order);
    if (!pa) {
        obj_put(&s->obj);
        return VIPER_ERR_NO_MEMORY;
    }
    /* Keep the first npages of the block; the buddy allocator takes single
     * pages back, so the rest of the block returns now and ours one by one. */
    for (uint64_t i = npages; i < (1ull << order); i++) {
        pmm_page(pa + i * PAGE_SIZE)->refcount = 0;
        pmm_free_pages(pa + i * PAGE_SIZE, 0);
    }
    for (uint64_t i = 0; i < npages; i++)
        shm_add_page(s, pa + i * PAGE_SIZE);
    *out = s;
    return VIPER_OK;
}

void shm_destroy(struct object *o)
{
    struct shm *s = container_of(o, struct shm, obj);

    for (uint64_t i = 0; i < s->npages; i++) {
        struct page *pg = pmm_page(s->pages[i]);
        if (--pg->refcount == 0)
            pmm_free_pages(s->pages[i], 0);
    }
    if (s->owner) {
        if (s->owner->vm)   /* the owner may have exited: its address space went with its charges */
            s->owner->vm->pages -= s->charged;
        obj_put(&s->owner->obj);
    }
    kfree(s);
}
