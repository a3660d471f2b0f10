/*
 * mm/buddy.h - a binary buddy allocator over one contiguous range of frames.
 *
 * A zone covers frames [base_pfn, base_pfn + npages).  Blocks are 2^order
 * frames, aligned to their size in *absolute* frame numbers, so a block's
 * buddy is found by flipping bit `order` of its pfn.  The allocator never
 * touches the frames themselves, only the struct page array, which is why
 * it runs unchanged in host unit tests.
 *
 * Invariants: a free block's head page has PAGE_FREE set and its order
 * recorded, and sits on free[order]; no two free buddies of the same order
 * coexist (they are merged on free); free_pages counts every free frame.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "mm/page.h"

#define BUDDY_MAX_ORDER 10          /* largest block: 2^10 pages = 4 MiB */

struct buddy_zone {
    uint64_t base_pfn;              /* first frame of the zone */
    uint64_t npages;                /* frames covered (free or not) */
    struct page *pages;             /* npages entries, pages[i] is base_pfn + i */
    struct list free[BUDDY_MAX_ORDER + 1];
    uint64_t free_pages;
};

/* Set up a zone with every frame allocated (not free). meta has npages entries. */
void buddy_init(struct buddy_zone *z, uint64_t base_pfn, uint64_t npages, struct page *meta);

/* Make frames [pfn, pfn + count) free, merging with free neighbours. */
void buddy_add_range(struct buddy_zone *z, uint64_t pfn, uint64_t count);

/*
 * Allocate a block of 2^order frames; its first pfn goes to *pfn.
 * Returns VIPER_OK, VIPER_ERR_INVALID (order too large) or VIPER_ERR_NO_MEMORY.
 */
int buddy_alloc(struct buddy_zone *z, unsigned order, uint64_t *pfn);

/* Free a block previously returned by buddy_alloc with the same order. */
void buddy_free(struct buddy_zone *z, uint64_t pfn, unsigned order);

/* True if pfn lies in the zone (inline: pmm_page asks on every fault and free). */
static inline bool buddy_contains(const struct buddy_zone *z, uint64_t pfn)
{
    return pfn >= z->base_pfn && pfn - z->base_pfn < z->npages;
}

/* Check every invariant above; returns true when the zone is consistent. */
bool buddy_check(const struct buddy_zone *z);
