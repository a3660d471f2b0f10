/*
 * mm/pmm.h - the physical memory manager: every RAM range the DTB reports,
 * minus what is reserved (kernel image, DTB, initrd, the page array itself),
 * managed by one buddy zone per range.
 *
 * Addresses here are physical.  Use phys_to_virt() (arch/mmu.h) to reach
 * a frame through the kernel's linear map.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "mm/page.h"

#define PMM_MAX_RANGES 8

struct mem_range {
    uint64_t base;
    uint64_t size;
};

/*
 * Build the zones.  ram: the DTB's memory ranges; reserved: ranges that must
 * never be handed out (they may overlap RAM partially or not at all).
 * Returns VIPER_OK or VIPER_ERR_NO_MEMORY if the page array does not fit.
 */
int pmm_init(const struct mem_range *ram, int nram,
             const struct mem_range *reserved, int nreserved);

/* Free a block from pmm_alloc_pages with the same order. */
void pmm_free_pages(uint64_t pa, unsigned order);

/*
 * The struct page of a managed frame, or NULL if pa is not managed.
 * Inline for the largest zone (on QEMU virt the only one), which every
 * fault and every free asks about: one subtraction and one compare.
 */
struct pmm_span {
    struct page *pages;       /* pages[i] describes frame base_pfn + i */
    uint64_t base_pfn, npages;
};
extern struct pmm_span pmm_main;
struct page *pmm_page_other(uint64_t pa);

static inline struct page *pmm_page(uint64_t pa)
{
    uint64_t i = (pa >> PAGE_SHIFT) - pmm_main.base_pfn;
    if (__builtin_expect(i < pmm_main.npages, 1))
        return &pmm_main.pages[i];
    return pmm_page_other(pa);
}

/*
 * Hot frames (pmm.c): single frames freed recently, reused first.  A
 * single frame comes off that stack inline (a demand-zero fault takes one
 * per page); anything else goes to the buddy zones.
 */
#define PMM_HOT_MAX 512             /* 2 MiB; the array is one page */
extern uint64_t pmm_hot[PMM_HOT_MAX];   /* pfns */
extern unsigned pmm_nhot;
uint64_t pmm_alloc_from_zones(unsigned order);

/* Allocate 2^order contiguous frames; returns their physical address, or 0. */
static inline uint64_t pmm_alloc_pages(unsigned order)
{
    if (__builtin_expect(order != 0 || pmm_nhot == 0, 0))
        return pmm_alloc_from_zones(order);
    uint64_t pa = pmm_hot[--pmm_nhot] << PAGE_SHIFT;
    pmm_page(pa)->flags = 0;
    return pa;
}

/* Free and total managed frames, for Avail and the leak checks in tests. */
uint64_t pmm_free_count(void);
uint64_t pmm_total_count(void);

/* Print each zone: range, frames, free frames. */
void pmm_dump(void);
