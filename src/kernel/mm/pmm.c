/*
 * mm/pmm.c - the physical memory manager: one buddy zone per RAM range.
 *
 * pmm_init normalises the DTB's RAM ranges (page-aligned inward, sorted,
 * overlapping or touching ranges merged) and makes each one a zone.  The
 * zone's struct page array (one entry per frame of the whole range,
 * reserved frames included, so pfn -> page is a subtraction) is carved out
 * of the zone's own RAM: the highest page-aligned hole that avoids every
 * reserved range.  It is reached through phys_to_virt(), so pmm_init must
 * run after the linear map is up.  The frames then handed to the buddy
 * allocator are the zone minus the reserved ranges (rounded outward to
 * pages) minus the page array; they are what pmm_total_count reports.
 *
 * Physical address 0 means "no memory" to callers, so frame 0 is never
 * handed out even if RAM starts there.
 *
 * Concurrency: none yet.  This runs on one CPU with no preemption inside
 * the allocator; SMP will need a lock around every zone operation.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "arch/mmu.h"
#include "kernel/log.h"
#include "mm/buddy.h"
#include "mm/page.h"
#include "mm/pmm.h"
#include "viper/errors.h"

static struct buddy_zone pmm_zones[PMM_MAX_RANGES];
static int pmm_nzones;
struct pmm_span pmm_main;           /* the largest zone's page array, for pmm_page */
static uint64_t pmm_total;          /* frames given to the buddy allocators */

/*
 * Hot frames: single frames freed recently, handed out again first (last
 * freed, first reused).  They count as free but stay allocated in their
 * buddy zone, marked PAGE_HOT, so a double free is still caught.  A
 * demand-zero fault then costs a pop instead of a buddy split, and a
 * page freed by munmap or exit a push instead of the buddy's checks and
 * merges.  A request the buddy zones cannot meet drains them first (they
 * may be the fragments it lacks).  Per CPU once the pmm takes a lock.
 */
uint64_t pmm_hot[PMM_HOT_MAX];      /* pfns; pmm_alloc_pages (pmm.h) pops them inline */
unsigned pmm_nhot;
static unsigned pmm_hot_cap;        /* at most 1/64 of memory: small RAM keeps its large blocks */

/* The caller's reserved ranges plus one extra (the page array being placed). */
struct pmm_resv {
    const struct mem_range *ranges;
    int n;
    uint64_t extra_start, extra_end;
};

static uint64_t align_down(uint64_t x)
{
    return x & PAGE_MASK;
}

static uint64_t align_up(uint64_t x)
{
    return x > UINT64_MAX - (PAGE_SIZE - 1) ? UINT64_MAX & PAGE_MASK : align_down(x + PAGE_SIZE - 1);
}

static uint64_t range_end(const struct mem_range *r)
{
    return r->size > UINT64_MAX - r->base ? UINT64_MAX : r->base + r->size;
}

/* Reserved range i as page-aligned [start, end), rounded outward. */
static void resv_get(const struct pmm_resv *rv, int i, uint64_t *start, uint64_t *end)
{
    if (i == rv->n) {
        *start = rv->extra_start;
        *end = rv->extra_end;
        return;
    }
    *start = align_down(rv->ranges[i].base);
    *end = rv->ranges[i].size ? align_up(range_end(&rv->ranges[i])) : *start;
}

/*
 * Find the next unreserved hole at or after *cur and below end; returns it
 * as [*gs, *ge) and advances *cur past it.  False when none is left.
 */
static bool next_hole(const struct pmm_resv *rv, uint64_t *cur, uint64_t end,
                      uint64_t *gs, uint64_t *ge)
{
    uint64_t pos = *cur;
    bool moved = true;
    while (moved && pos < end) {                 /* skip reserved ranges covering pos */
        moved = false;
        for (int i = 0; i <= rv->n; i++) {
            uint64_t s, e;
            resv_get(rv, i, &s, &e);
            if (s <= pos && pos < e) {
                pos = e;
                moved = true;
            }
        }
    }
    if (pos >= end)
        return false;
    uint64_t stop = end;
    for (int i = 0; i <= rv->n; i++) {          /* the hole ends at the next reservation */
        uint64_t s, e;
        resv_get(rv, i, &s, &e);
        if (s > pos && s < stop && e > s)
            stop = s;
    }
    *gs = pos;
    *ge = stop;
    *cur = stop;
    return true;
}

/* Sort ram (page-aligned inward) into out, merging overlaps; returns the count. */
static int normalise_ram(const struct mem_range *ram, int nram, struct mem_range *out)
{
    int n = 0;
    for (int i = 0; i < nram; i++) {
        uint64_t s = align_up(ram[i].base), e = align_down(range_end(&ram[i]));
        if (s == 0)
            s = PAGE_SIZE;                       /* pa 0 is the failure value */
        if (e <= s)
            continue;
        if (n == PMM_MAX_RANGES) {
            pr_warn("mem: more than %d RAM ranges, ignoring 0x%lx - 0x%lx",
                    PMM_MAX_RANGES, s, e);
            continue;
        }
        int j = n;                               /* insertion sort by base */
        while (j > 0 && out[j - 1].base > s)
            j--;
        for (int k = n; k > j; k--)
            out[k] = out[k - 1];
        out[j].base = s;
        out[j].size = e - s;
        n++;
    }
    int m = 0;                                   /* merge overlapping or touching */
    for (int i = 0; i < n; i++) {
        if (m > 0 && out[i].base <= out[m - 1].base + out[m - 1].size) {
            uint64_t e = out[i].base + out[i].size;
            if (e > out[m - 1].base + out[m - 1].size)
                out[m - 1].size = e - out[m - 1].base;
        } else {
            out[m++] = out[i];
        }
    }
    return m;
}

/* Place the page array in the highest hole of [start, end) that fits bytes. */
static bool place_meta(const struct pmm_resv *rv, uint64_t start, uint64_t end,
                       uint64_t bytes, uint64_t *pa)
{
    uint64_t cur = start, gs, ge;
    bool found = false;
    while (next_hole(rv, &cur, end, &gs, &ge)) {
        if (ge - gs >= bytes) {
            *pa = ge - bytes;
            found = true;
        }
    }
    return found;
}

static int zone_setup(struct buddy_zone *z, const struct mem_range *r, struct pmm_resv *rv)
{
    uint64_t start = r->base, end = r->base + r->size;
    uint64_t npages = r->size >> PAGE_SHIFT;
    uint64_t meta_bytes = align_up(npages * sizeof(struct page));
    uint64_t meta_pa;

    rv->extra_start = rv->extra_end = 0;
    if (!place_meta(rv, start, end, meta_bytes, &meta_pa))
        return VIPER_ERR_NO_MEMORY;
    buddy_init(z, start >> PAGE_SHIFT, npages, phys_to_virt(meta_pa));

    rv->extra_start = meta_pa;
    rv->extra_end = meta_pa + meta_bytes;
    uint64_t cur = start, gs, ge;
    while (next_hole(rv, &cur, end, &gs, &ge)) {
        buddy_add_range(z, gs >> PAGE_SHIFT, (ge - gs) >> PAGE_SHIFT);
        pmm_total += (ge - gs) >> PAGE_SHIFT;
    }
    return VIPER_OK;
}

int pmm_init(const struct mem_range *ram, int nram,
             const struct mem_range *reserved, int nreserved)
{
    struct mem_range ranges[PMM_MAX_RANGES];
    struct pmm_resv rv = { reserved, nreserved, 0, 0 };
    int n = normalise_ram(ram, nram, ranges);

    pmm_nzones = 0;
    pmm_main = (struct pmm_span){ NULL, 0, 0 };
    pmm_total = 0;
    pmm_nhot = 0;
    for (int i = 0; i < n; i++) {
        if (zone_setup(&pmm_zones[pmm_nzones], &ranges[i], &rv) != VIPER_OK) {
            pr_warn("mem: no room for the page array of 0x%lx - 0x%lx, range unused",
                    ranges[i].base, ranges[i].base + ranges[i].size);
            continue;
        }
        const struct buddy_zone *z = &pmm_zones[pmm_nzones++];
        if (z->npages > pmm_main.npages)
            pmm_main = (struct pmm_span){ z->pages, z->base_pfn, z->npages };
    }
    pmm_hot_cap = pmm_total / 64 < PMM_HOT_MAX ? (unsigned)(pmm_total / 64) : PMM_HOT_MAX;
    return pmm_nzones > 0 ? VIPER_OK : VIPER_ERR_NO_MEMORY;
}

static struct buddy_zone *zone_of(uint64_t pfn)
{
    for (int i = 0; i < pmm_nzones; i++) {
        if (buddy_contains(&pmm_zones[i], pfn))
            return &pmm_zones[i];
    }
    return NULL;
}

static struct page *frame_page(const struct buddy_zone *z, uint64_t pfn)
{
    return &z->pages[pfn - z->base_pfn];
}

/* Every hot frame back to its zone's buddy allocator (merging as it goes). */
static void hot_drain(void)
{
    while (pmm_nhot > 0) {
        uint64_t pfn = pmm_hot[--pmm_nhot];
        struct buddy_zone *z = zone_of(pfn);
        frame_page(z, pfn)->flags = 0;
        buddy_free(z, pfn, 0);
    }
}

static uint64_t buddy_take(unsigned order)
{
    uint64_t pfn;
    for (int i = 0; i < pmm_nzones; i++) {
        if (buddy_alloc(&pmm_zones[i], order, &pfn) == VIPER_OK)
            return pfn << PAGE_SHIFT;
    }
    return 0;
}

uint64_t pmm_alloc_from_zones(unsigned order)
{
    uint64_t pa = buddy_take(order);
    if (pa == 0 && pmm_nhot > 0) {   /* the hot frames may be what is missing */
        hot_drain();
        pa = buddy_take(order);
    }
    return pa;
}

void pmm_free_pages(uint64_t pa, unsigned order)
{
    uint64_t pfn = pa >> PAGE_SHIFT;
    struct buddy_zone *z = zone_of(pfn);

    if (z == NULL || order > BUDDY_MAX_ORDER || (pa & ((PAGE_SIZE << order) - 1)) != 0)
        panic("pmm_free_pages: bad block 0x%lx order %u", pa, order);
    if (!buddy_contains(z, pfn + (1ul << order) - 1))
        panic("pmm_free_pages: block 0x%lx order %u leaves its zone", pa, order);
    struct page *pg = frame_page(z, pfn);
    if (pg->flags & (PAGE_FREE | PAGE_HOT))
        panic("pmm_free_pages: double free of 0x%lx order %u", pa, order);
    if (order == 0 && pmm_nhot < pmm_hot_cap) {
        pg->flags = PAGE_HOT;
        pmm_hot[pmm_nhot++] = pfn;
        return;
    }
    buddy_free(z, pfn, order);
}

struct page *pmm_page_other(uint64_t pa)
{
    uint64_t pfn = pa >> PAGE_SHIFT;
    struct buddy_zone *z = zone_of(pfn);
    return z ? &z->pages[pfn - z->base_pfn] : NULL;
}

uint64_t pmm_free_count(void)
{
    uint64_t n = pmm_nhot;
    for (int i = 0; i < pmm_nzones; i++)
        n += pmm_zones[i].free_pages;
    return n;
}

uint64_t pmm_total_count(void)
{
    return pmm_total;
}

void pmm_dump(void)
{
    for (int i = 0; i < pmm_nzones; i++) {
        const struct buddy_zone *z = &pmm_zones[i];
        uint64_t start = z->base_pfn << PAGE_SHIFT;
        uint64_t end = (z->base_pfn + z->npages) << PAGE_SHIFT;
        pr_info("mem: zone 0x%lx - 0x%lx frames %lu free %lu (%lu MiB free)",
                start, end, z->npages, z->free_pages, (z->free_pages << PAGE_SHIFT) >> 20);
    }
}
