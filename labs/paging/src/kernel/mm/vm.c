/*
 * vm.c - user address spaces: VMAs, the page-fault handler, fork's
 * copy-on-write, and the unmapping that returns pages.
 *
 * A VMA says what *may* be mapped; the page table says what *is*.  Pages
 * are allocated on first touch (demand-zero) and charged to the space
 * (`pages`, against `mem_limit`).  A page shared after fork has a struct
 * page refcount > 1 and is mapped read-only with PT_COW in every space
 * that shares it; the first write copies it, and the last sharer to write
 * just gets it back writable.
 *
 * Invariants: VMAs are page aligned, sorted and never overlap; every
 * present PTE lies inside a VMA; a page's refcount equals the number of
 * PTEs (over all spaces) that map it.
 */
#include "arch/cache.h"
#include "arch/mmu.h"
#include "ipc/shm.h"
#include "kernel/hot.h"
#include "kernel/lab.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "mm/pagetable.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "mm/vm.h"
#include "viper/errors.h"
#include "viper/types.h"

struct vm_space *vm_active;

static inline uint64_t page_down(uint64_t a) { return a & PAGE_MASK; }

static bool range_ok(uint64_t start, uint64_t len)
{
    return len && (start & (PAGE_SIZE - 1)) == 0 && start >= VIPER_USER_MIN &&
           start + len > start && start + len <= VIPER_USER_MAX;
}

struct vm_space *vm_create(uint64_t mem_limit)
{
    struct vm_space *vm = kzalloc(sizeof *vm);
    if (!vm)
        return NULL;
    vm->root = pt_create();
    if (!vm->root) {
        kfree(vm);
        return NULL;
    }
    list_init(&vm->vmas);
    vm->mem_limit = mem_limit;
    return vm;
}

/* Drop one mapping of the page at pa (and its charge to vm, unless shared memory). */
static void page_put(struct vm_space *vm, uint64_t pa, bool charged)
{
    struct page *pg = pmm_page(pa);
    if (charged)
        vm->pages--;
    if (--pg->refcount == 0)
        pmm_free_pages(pa, 0);
}

/* Unmap every present page of v in [start, end). */
static void unmap_pages(struct vm_space *vm, const struct vma *v, uint64_t start, uint64_t end)
{
    for (uint64_t va = start; va < end; va += PAGE_SIZE) {
        pte_t *pte = pt_walk(vm->root, va, false);
        if (!pte) {
            va = (va | ((1ul << 21) - 1));   /* no level-3 table: skip its 2 MiB */
            continue;
        }
        if (!pt_present(*pte))
            continue;
        uint64_t pa = pt_pa(*pte);
        *pte = 0;
        if (vm == vm_active)
            tlb_flush_page(vm->asid, va);
        if (v->kind != VMA_DEVICE)   /* device registers are not RAM: no struct page */
            page_put(vm, pa, v->kind != VMA_SHM);
    }
}

/* A VMA leaves the space: its pages, and its reference to shared memory. */
static void vma_free(struct vm_space *vm, struct vma *v)
{
    if (vm->vma_hint == v)
        vm->vma_hint = NULL;
    unmap_pages(vm, v, v->start, v->end);
    if (v->shm)
        obj_put(&v->shm->obj);
    kfree(v);
}

void vm_destroy(struct vm_space *vm)
{
    if (vm == vm_active)
        vm_activate(NULL, NULL);
    while (!list_empty(&vm->vmas)) {
        vma_free(vm, container_of(list_pop_front(&vm->vmas), struct vma, node));
    }
    pt_destroy(vm->root);
    kfree(vm);
}

/* The hint is only a guess: a VMA that shrank (vma_split) fails the bounds check. */
struct vma *vm_find_walk(struct vm_space *vm, uint64_t va)
{
    struct list *pos;
    list_for_each(pos, &vm->vmas) {
        struct vma *v = container_of(pos, struct vma, node);
        if (va < v->start)
            return NULL;
        if (va < v->end) {
            vm->vma_hint = v;
            return v;
        }
    }
    return NULL;
}

int vm_map(struct vm_space *vm, uint64_t start, uint64_t len, uint32_t prot, enum vma_kind kind)
{
    len = (len + PAGE_SIZE - 1) & PAGE_MASK;
    if (!range_ok(start, len) || (prot & ~(uint32_t)(VIPER_PROT_READ | VIPER_PROT_WRITE | VIPER_PROT_EXEC)))
        return VIPER_ERR_INVALID;
    struct list *pos;
    list_for_each(pos, &vm->vmas) {   /* find the first VMA after the new one */
        struct vma *v = container_of(pos, struct vma, node);
        if (v->end > start && v->start < start + len)
            return VIPER_ERR_INVALID;
        if (v->start >= start + len)
            break;
    }
    /* Grow the neighbour below when it is the same kind (brk extends the heap this way). */
    if (pos->prev != &vm->vmas) {
        struct vma *prev = container_of(pos->prev, struct vma, node);
        if (prev->end == start && prev->prot == prot && prev->kind == kind && kind != VMA_SHM &&
            kind != VMA_DEVICE) {
            prev->end = start + len;
            return VIPER_OK;
        }
    }
    struct vma *nv = kmalloc(sizeof *nv);
    if (!nv)
        return VIPER_ERR_NO_MEMORY;
    *nv = (struct vma){ .start = start, .end = start + len, .prot = prot, .kind = kind,
                        .max_prot = VIPER_PROT_READ | VIPER_PROT_WRITE | VIPER_PROT_EXEC };
    list_push_back(pos, &nv->node);   /* insert before pos */
    return VIPER_OK;
}

/* Split v at addr (inside it); the new VMA is [addr, v->end). */
static struct vma *vma_split(struct vma *v, uint64_t addr)
{
    struct vma *tail = kmalloc(sizeof *tail);
    if (!tail)
        return NULL;
    *tail = *v;
    tail->start = addr;
    if (tail->kind == VMA_DEVICE)
        tail->dev_pa += addr - v->start;
    v->end = addr;
    if (tail->shm)
        obj_get(&tail->shm->obj);
    list_push_front(&v->node, &tail->node);   /* right after v */
    return tail;
}

int vm_unmap(struct vm_space *vm, uint64_t start, uint64_t len)
{
    len = (len + PAGE_SIZE - 1) & PAGE_MASK;
    if (!range_ok(start, len))
        return VIPER_ERR_INVALID;
    uint64_t end = start + len;
    struct list *pos = vm->vmas.next;
    while (pos != &vm->vmas) {
        struct vma *v = container_of(pos, struct vma, node);
        pos = pos->next;
        if (v->end <= start)
            continue;
        if (v->start >= end)
            break;
        if (v->start < start) {   /* keep the head, work on the tail */
            struct vma *t = vma_split(v, start);
            if (!t)
                return VIPER_ERR_NO_MEMORY;
            v = t;
            pos = v->node.next;
        }
        if (v->end > end && !vma_split(v, end))
            return VIPER_ERR_NO_MEMORY;
        pos = v->node.next;
        list_remove(&v->node);
        vma_free(vm, v);
    }
    return VIPER_OK;
}

int vm_protect(struct vm_space *vm, uint64_t start, uint64_t len, uint32_t prot)
{
    len = (len + PAGE_SIZE - 1) & PAGE_MASK;
    if (!range_ok(start, len) || (prot & ~(uint32_t)(VIPER_PROT_READ | VIPER_PROT_WRITE | VIPER_PROT_EXEC)))
        return VIPER_ERR_INVALID;
    uint64_t end = start + len;
    for (uint64_t a = start; a < end;) {   /* all of it must be mapped, and may take prot */
        struct vma *v = vm_find(vm, a);
        if (!v)
            return VIPER_ERR_NOT_FOUND;
        if (prot & ~v->max_prot)
            return VIPER_ERR_ACCESS_DENIED;
        a = v->end;
    }
    for (uint64_t a = start; a < end;) {
        struct vma *v = vm_find(vm, a);
        if (v->start < a && !(v = vma_split(v, a)))
            return VIPER_ERR_NO_MEMORY;
        if (v->end > end && !vma_split(v, end))
            return VIPER_ERR_NO_MEMORY;
        v->prot = prot;
        for (uint64_t va = v->start; va < v->end; va += PAGE_SIZE) {
            pte_t *pte = pt_walk(vm->root, va, false);
            if (!pte || !pt_present(*pte))
                continue;
            /* A page still shared with another space must stay COW. */
            uint32_t extra = v->kind == VMA_DEVICE ? PT_DEVICE
                             : v->kind != VMA_SHM && pmm_page(pt_pa(*pte))->refcount > 1 ? PT_COW : 0;
            *pte = pt_make(pt_pa(*pte), prot | extra);
            if (vm == vm_active)
                tlb_flush_page(vm->asid, va);
        }
        a = v->end;
    }
    return VIPER_OK;
}

uint64_t vm_find_free(struct vm_space *vm, uint64_t hint, uint64_t len)
{
    len = (len + PAGE_SIZE - 1) & PAGE_MASK;
    uint64_t cand = hint < VIPER_USER_MMAP_BASE ? VIPER_USER_MMAP_BASE : page_down(hint);
    struct list *pos;
    list_for_each(pos, &vm->vmas) {
        struct vma *v = container_of(pos, struct vma, node);
        if (v->end <= cand)
            continue;
        if (v->start >= cand + len)
            break;
        cand = v->end + PAGE_SIZE;   /* leave a guard page between mappings */
    }
    if (cand + len < cand || cand + len > VIPER_USER_MAX)
        return 0;
    return cand;
}

/*
 * A fresh zeroed page mapped at va with the VMA's protection.  In the active
 * space, a writable page is mapped first and zeroed through va: no other
 * thread of the space runs before the zeroing ends (one CPU, the kernel runs
 * with IRQs masked; an SMP kernel would have to zero first), and the user's
 * TLB entry is then warm.  Otherwise through the linear map.
 */
/* LAB paging BEGIN demand_zero: refuse (VIPER_ERR_NO_MEMORY) past vm->mem_limit; else take a page, zero it, refcount 1, charge it to vm->pages, and point *pte at it with prot */
static int map_zero_page(struct vm_space *vm, uint64_t va, pte_t *pte, uint32_t prot)
{
    (void)vm;
    (void)va;
    (void)pte;
    (void)prot;
    LAB_NOT_IMPLEMENTED("paging", "demand_zero");
    return VIPER_ERR_NO_MEMORY;
}
/* LAB paging END */

/* The shared-memory page behind va (not charged: the object owns it). */
static int map_shm_page(const struct vma *v, uint64_t va, pte_t *pte)
{
    uint64_t pa = v->shm->pages[(va - v->shm_base) >> PAGE_SHIFT];
    pmm_page(pa)->refcount++;
    *pte = pt_make(pa, v->prot);
    return VIPER_OK;
}

int vm_map_device(struct vm_space *vm, uint64_t addr, uint64_t pa, uint64_t len)
{
    int err = vm_map(vm, addr, len, VIPER_PROT_READ | VIPER_PROT_WRITE, VMA_DEVICE);
    if (err)
        return err;
    struct vma *v = vm_find(vm, addr);
    v->dev_pa = pa;
    v->max_prot = VIPER_PROT_READ | VIPER_PROT_WRITE;
    return VIPER_OK;   /* pages are mapped on first touch (vm_fault) */
}

int vm_map_shm(struct vm_space *vm, uint64_t addr, uint32_t prot, struct shm *shm)
{
    uint64_t len = shm->npages * PAGE_SIZE;
    int err = vm_map(vm, addr, len, prot, VMA_SHM);
    if (err)
        return err;
    struct vma *v = vm_find(vm, addr);
    v->shm = shm;
    v->max_prot = prot;   /* the handle's rights allowed exactly this */
    v->shm_base = addr;
    obj_get(&shm->obj);
    for (uint64_t va = addr; va < addr + len; va += PAGE_SIZE) {   /* map it all now: no faults later */
        pte_t *pte = pt_walk(vm->root, va, true);
        if (!pte)
            return VIPER_ERR_NO_MEMORY;   /* the VMA stays; the rest faults in */
        map_shm_page(v, va, pte);
    }
    return VIPER_OK;
}

/* Write fault on a COW page: copy it, or take it back if we are its last user. */
/* LAB paging BEGIN cow: a write to a COW page: if this mapping is the page's only user make it writable again, else copy it to a new page (refcounts!) and map the copy; flush the TLB entry when vm is active */
static int break_cow(struct vm_space *vm, uint64_t va, pte_t *pte, uint32_t prot)
{
    (void)vm;
    (void)va;
    (void)pte;
    (void)prot;
    LAB_NOT_IMPLEMENTED("paging", "cow");
    return VIPER_ERR_FAULT;
}
/* LAB paging END */

_Static_assert(VM_READ == VIPER_PROT_READ && VM_WRITE == VIPER_PROT_WRITE &&
               VM_EXEC == VIPER_PROT_EXEC, "vm_fault compares access kinds with prot bits");

int vm_fault(struct vm_space *vm, uint64_t va, uint32_t access)
{
    struct vma *v = vm_find(vm, va);
    if (unlikely(!v))
        return VIPER_ERR_FAULT;
    /* a writable mapping is readable too; one test, as the fault path is hot */
    uint32_t allowed = v->prot | ((v->prot & VIPER_PROT_WRITE) >> 1);
    if (unlikely(access & ~allowed))
        return VIPER_ERR_FAULT;
    pte_t *pte = pt_walk(vm->root, va, true);
    if (unlikely(!pte))
        return VIPER_ERR_NO_MEMORY;
    if (likely(!pt_present(*pte))) {
        if (unlikely(v->kind == VMA_SHM))
            return map_shm_page(v, va, pte);
        if (unlikely(v->kind == VMA_DEVICE)) {
            *pte = pt_make(v->dev_pa + ((va & PAGE_MASK) - v->start), v->prot | PT_DEVICE);
            return VIPER_OK;
        }
        return map_zero_page(vm, va, pte, v->prot);   /* demand-zero */
    }
    if ((access & VM_WRITE) && (pt_flags(*pte) & PT_COW))
        return break_cow(vm, va, pte, v->prot);
    return VIPER_OK;   /* another thread mapped it, or a stale TLB entry: retry */
}

/* Share every present page of v copy-on-write between parent and child. */
static int fork_vma(struct vm_space *parent, struct vm_space *child, struct vma *v)
{
    for (uint64_t va = v->start; va < v->end; va += PAGE_SIZE) {
        pte_t *src = pt_walk(parent->root, va, false);
        if (!src) {
            va |= (1ul << 21) - 1;
            continue;
        }
        if (!pt_present(*src))
            continue;
        pte_t *dst = pt_walk(child->root, va, true);
        if (!dst)
            return VIPER_ERR_NO_MEMORY;
        if (v->kind == VMA_DEVICE) {   /* the same registers, no RAM behind them */
            *dst = *src;
            continue;
        }
        /* Writable pages become COW in both; read-only and shared-memory ones are shared. */
        bool cow = v->kind != VMA_SHM && (v->prot & VIPER_PROT_WRITE);
        *src = pt_make(pt_pa(*src), v->prot | (cow ? PT_COW : 0));
        *dst = *src;
        pmm_page(pt_pa(*src))->refcount++;
        if (v->kind != VMA_SHM)
            child->pages++;
    }
    return VIPER_OK;
}

struct vm_space *vm_fork(struct vm_space *parent)
{
    struct vm_space *child = vm_create(parent->mem_limit);
    if (!child)
        return NULL;
    child->heap_start = parent->heap_start;
    child->heap_end = parent->heap_end;
    struct list *pos;
    list_for_each(pos, &parent->vmas) {
        struct vma *v = container_of(pos, struct vma, node);
        struct vma *nv = kmalloc(sizeof *nv);
        if (!nv) {
            vm_destroy(child);
            return NULL;
        }
        *nv = *v;
        if (nv->shm)
            obj_get(&nv->shm->obj);
        list_push_back(&child->vmas, &nv->node);
        if (fork_vma(parent, child, nv) != VIPER_OK) {
            vm_destroy(child);
            return NULL;
        }
    }
    if (parent == vm_active)
        tlb_flush_asid(parent->asid);   /* parent's writable entries became read-only */
    return child;
}

int vm_write(struct vm_space *vm, uint64_t va, const void *src, size_t len)
{
    const uint8_t *s = src;
    while (len) {
        pte_t *pte = pt_walk(vm->root, va, false);
        if (!pte || !pt_present(*pte) || (pt_flags(*pte) & PT_COW)) {
            int err = vm_fault(vm, va, VM_WRITE);
            if (err == VIPER_ERR_FAULT) {   /* a read-only VMA (text): the kernel may still fill it */
                struct vma *v = vm_find(vm, va);
                if (!v)
                    return err;
                pte = pt_walk(vm->root, va, true);
                if (!pte)
                    return VIPER_ERR_NO_MEMORY;
                err = pt_present(*pte) ? VIPER_OK : map_zero_page(vm, va, pte, v->prot);
            }
            if (err)
                return err;
            pte = pt_walk(vm->root, va, false);
        }
        size_t off = va & (PAGE_SIZE - 1);
        size_t n = PAGE_SIZE - off < len ? PAGE_SIZE - off : len;
        uint8_t *dst = (uint8_t *)phys_to_virt(pt_pa(*pte)) + off;
        memcpy(dst, s, n);
        if (pt_flags(*pte) & PT_EXEC)
            cache_sync_icache(dst, n);
        va += n;
        s += n;
        len -= n;
    }
    return VIPER_OK;
}

void vm_activate_slow(struct vm_space *vm, struct pt_ttbr *kept)
{
    vm_active = vm;
    if (vm)
        pt_activate(vm->root, &vm->asid, &vm->asid_gen, kept);
    else
        pt_deactivate();
}
