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

int shm_alloc(struct process *owner, uint64_t size, struct shm **out)
{
    uint64_t npages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
    struct vm_space *vm = owner->vm;
    if ((vm->pages + npages) * PAGE_SIZE > vm->mem_limit)
        return VIPER_ERR_LIMIT;
    struct shm *s = kzalloc(sizeof *s + npages * sizeof s->pages[0]);
    if (!s)
        return VIPER_ERR_NO_MEMORY;
    obj_init(&s->obj, OBJ_SHM);
    obj_get(&owner->obj);
    s->owner = owner;
    s->charged = npages;   /* charged now; shm_destroy gives the charge back */
    vm->pages += npages;
    for (uint64_t i = 0; i < npages; i++) {
        uint64_t pa = pmm_alloc_pages(0);
        if (!pa) {
            obj_put(&s->obj);   /* frees what was allocated, and the charge */
            return VIPER_ERR_NO_MEMORY;
        }
        page_zero(phys_to_virt(pa));
        pmm_page(pa)->refcount = 1;
        s->pages[s->npages++] = pa;
    }
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
    if (s->owner->vm)   /* the owner may have exited: its address space went with its charges */
        s->owner->vm->pages -= s->charged;
    obj_put(&s->owner->obj);
    kfree(s);
}
