/*
 * mm/test/slab_test.c - in-kernel tests of the slab caches and kmalloc
 * (suite `slab`).
 *
 * The counters are compared with their values at the start of each test,
 * since the kernel may hold heap memory of its own.  The out-of-memory
 * test runs the heap dry for a moment and assumes nothing else allocates
 * meanwhile (true at boot with test=).
 */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/ktest.h"
#include "lib/string.h"
#include "mm/buddy.h"
#include "mm/page.h"
#include "mm/pmm.h"
#include "mm/slab.h"

static void fill(void *p, size_t n, unsigned tag)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(tag * 131 + i * 7);
}

static bool filled(const void *p, size_t n, unsigned tag)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != (uint8_t)(tag * 131 + i * 7))
            return false;
    }
    return true;
}

KTEST(slab, kmalloc_sizes)
{
    enum { N = 200 };
    static void *p[N];
    static size_t sz[N];
    size_t base = kmalloc_in_use();
    KT_EXPECT(kmalloc(0) == NULL);
    for (int i = 0; i < N; i++) {
        sz[i] = 1 + (size_t)(i * 41) % 4200;    /* slab classes and large blocks */
        p[i] = kmalloc(sz[i]);
        KT_ASSERT(p[i] != NULL);
        KT_EXPECT(((uintptr_t)p[i] & 15) == 0);
        fill(p[i], sz[i], (unsigned)i);
    }
    KT_EXPECT(kmalloc_in_use() > base);
    for (int i = 0; i < N; i++)
        KT_EXPECT(filled(p[i], sz[i], (unsigned)i));
    for (int i = 0; i < N; i += 2)
        kfree(p[i]);
    for (int i = 1; i < N; i += 2) {
        KT_EXPECT(filled(p[i], sz[i], (unsigned)i));
        kfree(p[i]);
    }
    kfree(NULL);
    KT_EXPECT(kmalloc_in_use() == base);
}

KTEST(slab, kzalloc_zeroes)
{
    uint8_t *p = kmalloc(300);
    KT_ASSERT(p != NULL);
    memset(p, 0xff, 300);
    kfree(p);
    uint8_t *q = kzalloc(300);
    KT_ASSERT(q != NULL);
    bool zero = true;
    for (int i = 0; i < 300; i++)
        zero = zero && q[i] == 0;
    KT_EXPECT(zero);
    kfree(q);
}

KTEST(slab, large_blocks)
{
    size_t sizes[] = { 2049, PAGE_SIZE, 3 * PAGE_SIZE, 64 * 1024, 1ul << 20 };
    size_t base = kmalloc_in_use();
    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint8_t *p = kmalloc(sizes[i]);
        KT_ASSERT(p != NULL);
        KT_EXPECT(((uintptr_t)p & (PAGE_SIZE - 1)) == 0);
        KT_EXPECT(kmalloc_in_use() >= base + sizes[i]);
        p[0] = 1;
        p[sizes[i] - 1] = 2;
        KT_EXPECT(p[0] == 1 && p[sizes[i] - 1] == 2);
        kfree(p);
        KT_EXPECT(kmalloc_in_use() == base);
    }
    KT_EXPECT(kmalloc((PAGE_SIZE << BUDDY_MAX_ORDER) + 1) == NULL);
}

KTEST(slab, cache_alloc_free)
{
    enum { N = 100 };
    static void *obj[N];
    static const size_t sizes[] = { 1, 24, 72, 200, 1000, 4096 };
    static const size_t aligns[] = { 1, 8, 64, 16, 128, 4096 };
    for (unsigned c = 0; c < 6; c++) {
        struct slab_cache *cache = slab_cache_create("ktest", sizes[c], aligns[c]);
        KT_ASSERT(cache != NULL);
        for (int i = 0; i < N; i++) {
            obj[i] = slab_alloc(cache);
            KT_ASSERT(obj[i] != NULL);
            KT_EXPECT(((uintptr_t)obj[i] & (aligns[c] - 1)) == 0);
            fill(obj[i], sizes[c], c * 1000 + (unsigned)i);
        }
        KT_EXPECT(slab_cache_in_use(cache) == N);
        for (int i = 0; i < N; i++)
            KT_EXPECT(filled(obj[i], sizes[c], c * 1000 + (unsigned)i));
        for (int i = N - 1; i >= 0; i--)
            slab_free(cache, obj[i]);
        KT_EXPECT(slab_cache_in_use(cache) == 0);
    }
    KT_EXPECT(slab_cache_create("bad", 0, 8) == NULL);
    KT_EXPECT(slab_cache_create("bad", 64, 3) == NULL);
}

/* kmalloc(size) until NULL, chaining the blocks through their first word. */
static size_t take_all(size_t size, void **head, size_t limit)
{
    size_t n = 0;
    void *p;
    while (n < limit && (p = kmalloc(size)) != NULL) {
        *(void **)p = *head;
        *head = p;
        n++;
    }
    return n;
}

static void give_back(void *head)
{
    while (head != NULL) {
        void *next = *(void **)head;
        kfree(head);
        head = next;
    }
}

/* Run the heap dry with 4 MiB blocks, then 2 KiB objects; returns the counts. */
static void run_dry(struct ktest_ctx *t, size_t *big, size_t *small)
{
    void *bigs = NULL, *smalls = NULL;
    size_t limit = (size_t)pmm_total_count() + 16;
    *big = take_all(PAGE_SIZE << BUDDY_MAX_ORDER, &bigs, limit);
    *small = take_all(2048, &smalls, limit);
    KT_EXPECT(*big < limit && *small < limit);   /* really ran out */
    KT_EXPECT(kmalloc(2048) == NULL);
    KT_EXPECT(kmalloc(PAGE_SIZE << 2) == NULL);
    KT_EXPECT(pmm_alloc_pages(2) == 0);
    give_back(smalls);
    give_back(bigs);
}

KTEST(slab, out_of_memory)
{
    size_t base = kmalloc_in_use(), big1, small1, big2, small2;
    run_dry(t, &big1, &small1);
    KT_EXPECT(kmalloc_in_use() == base);
    void *p = kmalloc(64);                       /* recovered */
    KT_EXPECT(p != NULL);
    kfree(p);
    run_dry(t, &big2, &small2);                  /* same again: nothing leaked */
    KT_EXPECT(big2 == big1);
    KT_EXPECT(small2 == small1);
    KT_EXPECT(kmalloc_in_use() == base);
}
