/*
 * mm/buddy.c - a binary buddy allocator over one zone of page frames.
 *
 * A block of order k is 2^k frames whose first pfn is a multiple of 2^k in
 * *absolute* frame numbers, so the buddy of block b is b ^ 2^k.  The zone
 * [base_pfn, base_pfn + npages) may start and end anywhere: a buddy that
 * lies (partly) outside the zone is simply never free, so the block never
 * merges across the edge.
 *
 * State lives only in the struct page array:
 *   - the head page of a free block has flags == PAGE_FREE, order == k and
 *     is linked on free[k]; every other page of a free block has PAGE_FREE
 *     clear (merging clears the flag of the absorbed buddy's head);
 *   - no two free buddies of the same order coexist (buddy_free merges);
 *   - free_pages is the sum of 2^k over all free blocks.
 * Allocated pages are left alone (flags other than PAGE_FREE, refcount
 * belong to whoever owns the page), except that the head page's order is
 * set to the allocated order.
 *
 * The file is pure C over struct page: it includes no kernel headers with
 * side effects, so host unit tests compile it unchanged.  Because it cannot
 * print, a caller bug it can detect (double free, misaligned or foreign
 * block) stops the machine with a trap; in the kernel the exception handler
 * turns that into a panic report with a backtrace.  pmm.c checks the same
 * conditions first and panics with a readable message.  Not thread-safe:
 * the caller serialises access to a zone.
 */
#include <stddef.h>
#include <stdint.h>
#include "lib/list.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/page.h"
#include "viper/errors.h"

#define BUDDY_BUG_ON(cond) \
    do { if (cond) __builtin_trap(); } while (0)

static struct page *pfn_page(const struct buddy_zone *z, uint64_t pfn)
{
    return &z->pages[pfn - z->base_pfn];
}

static uint64_t page_pfn(const struct buddy_zone *z, const struct page *p)
{
    return z->base_pfn + (uint64_t)(p - z->pages);
}

/* True if the whole block [pfn, pfn + 2^order) lies inside the zone. */
static bool block_in_zone(const struct buddy_zone *z, uint64_t pfn, unsigned order)
{
    uint64_t n = 1ull << order;
    return n <= z->npages && pfn >= z->base_pfn && pfn - z->base_pfn <= z->npages - n;
}

static void push_free(struct buddy_zone *z, uint64_t pfn, unsigned order)
{
    struct page *p = pfn_page(z, pfn);
    p->flags = PAGE_FREE;
    p->order = (uint8_t)order;
    list_push_front(&z->free[order], &p->node);
}

/* True if pfn is the head of a free block of exactly this order. */
static bool is_free_head(const struct buddy_zone *z, uint64_t pfn, unsigned order)
{
    if (!block_in_zone(z, pfn, order))
        return false;
    const struct page *p = pfn_page(z, pfn);
    return (p->flags & PAGE_FREE) && p->order == order;
}

/*
 * True if some free block covers frame pfn (walks up the possible heads).
 * Used on the first and last frame of a block about to be freed: catches
 * double frees even after the block merged into a bigger one.
 */
static bool frame_is_free(const struct buddy_zone *z, uint64_t pfn)
{
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
        uint64_t head = pfn & ~((1ull << k) - 1);
        if (!buddy_contains(z, head))
            break;
        const struct page *p = pfn_page(z, head);
        if ((p->flags & PAGE_FREE) && p->order >= k)
            return true;
    }
    return false;
}

void buddy_init(struct buddy_zone *z, uint64_t base_pfn, uint64_t npages, struct page *meta)
{
    z->base_pfn = base_pfn;
    z->npages = npages;
    z->pages = meta;
    z->free_pages = 0;
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
        list_init(&z->free[k]);
    /* All-zero is "allocated, order 0, on no list": one memset, not a loop
     * per frame (4 GiB of RAM is a million frames; this runs at every boot).
     * The node of a page that is on no list is never read. */
    memset(meta, 0, npages * sizeof *meta);
}

/* Free one aligned block and merge it upwards with free buddies. */
static void free_block(struct buddy_zone *z, uint64_t pfn, unsigned order)
{
    pfn_page(z, pfn)->flags = 0;
    z->free_pages += 1ull << order;
    while (order < BUDDY_MAX_ORDER) {
        uint64_t buddy = pfn ^ (1ull << order);
        if (!is_free_head(z, buddy, order))
            break;
        struct page *b = pfn_page(z, buddy);
        list_remove(&b->node);
        b->flags = 0;
        b->order = 0;
        if (buddy < pfn)
            pfn = buddy;
        order++;
    }
    push_free(z, pfn, order);
}

void buddy_add_range(struct buddy_zone *z, uint64_t pfn, uint64_t count)
{
    if (count == 0)
        return;
    BUDDY_BUG_ON(!buddy_contains(z, pfn));
    BUDDY_BUG_ON(count > z->npages - (pfn - z->base_pfn));
    while (count > 0) {
        /* the largest aligned block that starts at pfn and fits in count */
        unsigned order = 0;
        while (order < BUDDY_MAX_ORDER && (pfn & (1ull << order)) == 0 &&
               (2ull << order) <= count)
            order++;
        BUDDY_BUG_ON(frame_is_free(z, pfn) || frame_is_free(z, pfn + (1ull << order) - 1));
        free_block(z, pfn, order);
        pfn += 1ull << order;
        count -= 1ull << order;
    }
}

int buddy_alloc(struct buddy_zone *z, unsigned order, uint64_t *pfn)
{
    if (order > BUDDY_MAX_ORDER)
        return VIPER_ERR_INVALID;
    unsigned k = order;
    while (k <= BUDDY_MAX_ORDER && list_empty(&z->free[k]))
        k++;
    if (k > BUDDY_MAX_ORDER)
        return VIPER_ERR_NO_MEMORY;

    struct page *p = container_of(list_pop_front(&z->free[k]), struct page, node);
    uint64_t head = page_pfn(z, p);
    while (k > order) {
        k--;
        push_free(z, head + (1ull << k), k);   /* the upper half stays free */
    }
    p->flags &= (uint8_t)~PAGE_FREE;
    p->order = (uint8_t)order;
    z->free_pages -= 1ull << order;
    *pfn = head;
    return VIPER_OK;
}

void buddy_free(struct buddy_zone *z, uint64_t pfn, unsigned order)
{
    BUDDY_BUG_ON(order > BUDDY_MAX_ORDER);
    BUDDY_BUG_ON((pfn & ((1ull << order) - 1)) != 0);
    BUDDY_BUG_ON(!block_in_zone(z, pfn, order));
    BUDDY_BUG_ON(frame_is_free(z, pfn));                          /* double free */
    BUDDY_BUG_ON(frame_is_free(z, pfn + (1ull << order) - 1));    /* overlap */
    free_block(z, pfn, order);
}

/* True if node points at the node of some entry of the page array. */
static bool node_in_array(const struct buddy_zone *z, const struct list *node)
{
    uintptr_t a = (uintptr_t)node, lo = (uintptr_t)z->pages;
    if (a < lo || (a - lo) / sizeof(struct page) >= z->npages)
        return false;
    return (a - lo) % sizeof(struct page) == offsetof(struct page, node);
}

/* Walk free[order]; adds the blocks found to *blocks and their frames to *frames. */
static bool check_list(const struct buddy_zone *z, unsigned order, uint64_t *blocks,
                       uint64_t *frames)
{
    const struct list *head = &z->free[order], *n = head->next;
    uint64_t steps = 0;
    while (n != head) {
        if (!node_in_array(z, n) || n->next->prev != n || ++steps > z->npages)
            return false;
        const struct page *p = container_of(n, struct page, node);
        uint64_t pfn = page_pfn(z, p);
        if (p->flags != PAGE_FREE || p->order != order || (pfn & ((1ull << order) - 1)))
            return false;
        if (!block_in_zone(z, pfn, order))
            return false;
        if (order < BUDDY_MAX_ORDER && is_free_head(z, pfn ^ (1ull << order), order))
            return false;                        /* an unmerged pair */
        *blocks += 1;
        *frames += 1ull << order;
        n = n->next;
    }
    return true;
}

/* Scan the array: free heads must not overlap; returns their number or -1. */
static int64_t count_free_heads(const struct buddy_zone *z)
{
    int64_t heads = 0;
    uint64_t i = 0;
    while (i < z->npages) {
        const struct page *p = &z->pages[i];
        if (!(p->flags & PAGE_FREE)) {
            i++;
            continue;
        }
        if (p->order > BUDDY_MAX_ORDER || !block_in_zone(z, z->base_pfn + i, p->order))
            return -1;
        uint64_t n = 1ull << p->order;
        for (uint64_t j = 1; j < n; j++) {
            if (z->pages[i + j].flags & PAGE_FREE)
                return -1;                       /* a free block inside another */
        }
        heads++;
        i += n;
    }
    return heads;
}

bool buddy_check(const struct buddy_zone *z)
{
    uint64_t blocks = 0, frames = 0;
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
        if (!check_list(z, k, &blocks, &frames))
            return false;
    }
    if (frames != z->free_pages)
        return false;
    /* Every flagged head is on a list: as many heads as listed blocks. */
    return count_free_heads(z) == (int64_t)blocks;
}
