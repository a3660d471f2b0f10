/*
 * mm/test/pmm_test.c - in-kernel tests of the physical memory manager
 * (suite `pmm`), on the real RAM of the machine through the linear map.
 *
 * Each test returns every frame it took: the free count before and after
 * must match.  The exhaustion tests take all memory for a moment, so they
 * assume nothing else allocates while they run (true at boot with test=).
 */
#include <stdbool.h>
#include <stdint.h>
#include "arch/mmu.h"
#include "kernel/ktest.h"
#include "mm/buddy.h"
#include "mm/page.h"
#include "mm/pmm.h"

/*
 * The exhaustion tests record what they took in a chain of index pages
 * (themselves taken from the pmm), not in the blocks: touching every block
 * would make QEMU's host commit all guest RAM, seconds with -m 4G.  A block
 * handed out twice is caught when it is freed the second time.
 */
#define IDX_SLOTS (PAGE_SIZE / 8 - 2)

struct idx_page {
    uint64_t next;                 /* pa of the previous index page, 0 at the end */
    uint64_t count;                /* used slots */
    uint64_t slot[IDX_SLOTS];      /* pa | order of each block taken */
};

static struct idx_page *idx_at(uint64_t pa)
{
    return phys_to_virt(pa);
}

KTEST(pmm, counts_sane)
{
    KT_EXPECT(pmm_total_count() > 0);
    KT_EXPECT(pmm_free_count() <= pmm_total_count());
    KT_EXPECT(pmm_page(0) == NULL);
    KT_EXPECT(pmm_page(0x09000000) == NULL);      /* the PL011, not RAM */
    KT_EXPECT(pmm_alloc_pages(BUDDY_MAX_ORDER + 1) == 0);
}

KTEST(pmm, every_order)
{
    uint64_t before = pmm_free_count();
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
        uint64_t pa = pmm_alloc_pages(k);
        KT_ASSERT(pa != 0);
        KT_EXPECT((pa & ((PAGE_SIZE << k) - 1)) == 0);
        KT_EXPECT(pmm_free_count() == before - (1ull << k));
        struct page *pg = pmm_page(pa);
        KT_EXPECT(pg != NULL && !(pg->flags & PAGE_FREE));
        uint64_t *first = phys_to_virt(pa);
        uint64_t *last = phys_to_virt(pa + (PAGE_SIZE << k) - 8);
        *first = pa ^ 0x5a5a5a5a5a5a5a5aull;
        *last = ~pa;
        KT_EXPECT(*first == (pa ^ 0x5a5a5a5a5a5a5a5aull) && *last == ~pa);
        pmm_free_pages(pa, k);
    }
    KT_EXPECT(pmm_free_count() == before);
}

KTEST(pmm, distinct_pages)
{
    enum { N = 64 };
    uint64_t pa[N];
    uint64_t before = pmm_free_count();
    for (int i = 0; i < N; i++) {
        pa[i] = pmm_alloc_pages(0);
        KT_ASSERT(pa[i] != 0);
        uint64_t *w = phys_to_virt(pa[i]);
        for (unsigned j = 0; j < PAGE_SIZE / 8; j++)
            w[j] = pa[i] + j;
    }
    for (int i = 0; i < N; i++) {
        const uint64_t *w = phys_to_virt(pa[i]);
        bool ok = true;
        for (unsigned j = 0; j < PAGE_SIZE / 8; j++)
            ok = ok && w[j] == pa[i] + j;
        KT_EXPECT(ok);
        for (int k = 0; k < i; k++)
            KT_EXPECT(pa[k] != pa[i]);
    }
    for (int i = 0; i < N; i++)
        pmm_free_pages(pa[i], 0);
    KT_EXPECT(pmm_free_count() == before);
}

/*
 * Take blocks of `order` until none is left, recording them on the chain
 * *head (0 for a new chain).  Returns the blocks taken; *pages grows by
 * the index pages added.
 */
static uint64_t take_all(unsigned order, uint64_t *head, uint64_t *pages)
{
    uint64_t n = 0;
    for (;;) {
        if (*head == 0 || idx_at(*head)->count == IDX_SLOTS) {
            uint64_t pa = pmm_alloc_pages(0);
            if (pa == 0)
                return n;
            idx_at(pa)->next = *head;
            idx_at(pa)->count = 0;
            *head = pa;
            ++*pages;
        }
        uint64_t pa = pmm_alloc_pages(order);
        if (pa == 0)
            return n;
        struct idx_page *ip = idx_at(*head);
        ip->slot[ip->count++] = pa | order;
        n++;
    }
}

/* Free every block on the chain and the index pages; returns the blocks freed. */
static uint64_t give_back(uint64_t head)
{
    uint64_t n = 0;
    while (head != 0) {
        struct idx_page *ip = idx_at(head);
        uint64_t next = ip->next;
        for (uint64_t i = 0; i < ip->count; i++, n++)
            pmm_free_pages(ip->slot[i] & PAGE_MASK, (unsigned)(ip->slot[i] & ~PAGE_MASK));
        pmm_free_pages(head, 0);
        head = next;
    }
    return n;
}

KTEST(pmm, exhaust_max_order)
{
    uint64_t before = pmm_free_count(), head = 0, pages = 0;
    uint64_t n = take_all(BUDDY_MAX_ORDER, &head, &pages);
    KT_EXPECT(n > 0);
    KT_EXPECT(n <= before >> BUDDY_MAX_ORDER);
    KT_EXPECT(pmm_alloc_pages(BUDDY_MAX_ORDER) == 0);
    KT_EXPECT(pmm_free_count() == before - (n << BUDDY_MAX_ORDER) - pages);
    uint64_t small = pmm_free_count() ? pmm_alloc_pages(0) : 0;
    KT_EXPECT(small != 0 || pmm_free_count() == 0);   /* smaller blocks still served */
    if (small)
        pmm_free_pages(small, 0);
    KT_EXPECT(give_back(head) == n);
    KT_EXPECT(pmm_free_count() == before);
}

/* Every free frame, as 64 KiB blocks and then single frames (fast at 4 GiB too). */
KTEST(pmm, exhaust_every_frame)
{
    uint64_t before = pmm_free_count(), head = 0, pages = 0;
    uint64_t n16 = take_all(4, &head, &pages);
    uint64_t n1 = take_all(0, &head, &pages);
    KT_EXPECT(n16 * 16 + n1 + pages == before);
    KT_EXPECT(pmm_free_count() == 0);
    KT_EXPECT(pmm_alloc_pages(0) == 0);
    KT_EXPECT(give_back(head) == n16 + n1);
    KT_EXPECT(pmm_free_count() == before);
    uint64_t pa = pmm_alloc_pages(BUDDY_MAX_ORDER);
    KT_EXPECT(pa != 0);                            /* everything merged back */
    if (pa)
        pmm_free_pages(pa, BUDDY_MAX_ORDER);
}
