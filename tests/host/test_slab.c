/*
 * tests/host/test_slab.c - unit tests of mm/pmm.c and mm/slab.c (with
 * mm/buddy.c underneath), built against the host stubs.
 *
 * "RAM" is host memory from aligned_alloc; the stub arch/mmu.h makes host
 * addresses double as physical addresses.  The pmm cases each build fresh
 * zones; the slab cases share one small RAM set up by slab_setup, small
 * enough that running it dry is quick.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "mm/buddy.h"
#include "mm/page.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "stub_kernel.h"
#include "viper/errors.h"

#define MiB (1ul << 20)

static uint64_t host_ram(size_t size, size_t align)
{
    void *p = aligned_alloc(align, size);
    if (p == NULL)
        abort();
    memset(p, 0x5a, size);
    return (uint64_t)(uintptr_t)p;
}

static uint64_t meta_pages(uint64_t frames)
{
    return (frames * sizeof(struct page) + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* Allocate every frame of order 0 into out (at most max); returns the count. */
static size_t drain(uint64_t *out, size_t max)
{
    size_t n = 0;
    uint64_t pa;
    while (n < max && (pa = pmm_alloc_pages(0)) != 0)
        out[n++] = pa;
    return n;
}

static void undrain(const uint64_t *pa, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pmm_free_pages(pa[i], 0);
}

/* ---- pmm ---------------------------------------------------------------- */

HOST_TEST(pmm_unsorted_overlapping_ranges)
{
    uint64_t a = host_ram(8 * MiB, 4 * MiB), b = host_ram(2 * MiB, 2 * MiB);
    /* b first; a given as two overlapping pieces; unaligned edges */
    struct mem_range ram[] = {
        { b + 100, 2 * MiB - 100 },              /* -> [b + 4K, b + 2M) */
        { a + 1 * MiB, 7 * MiB },
        { a, 3 * MiB + 123 },
    };
    struct mem_range resv[] = {
        { a + 2 * MiB + 5, 10 },                 /* one frame */
        { a + 5 * MiB - 1, 4096 + 2 },           /* three frames */
        { a - 8 * MiB, 4096 },                   /* outside RAM */
        { b + 2 * MiB - 4096, 8192 },            /* last frame of b and beyond */
        { a + 6 * MiB, 0 },                      /* empty */
    };
    REQUIRE(pmm_init(ram, 3, resv, 5) == VIPER_OK);
    uint64_t fa = 8 * MiB / PAGE_SIZE, fb = 2 * MiB / PAGE_SIZE - 1;
    uint64_t want = (fa - 1 - 3 - meta_pages(fa)) + (fb - 1 - meta_pages(fb));
    CHECK(pmm_total_count() == want);
    CHECK(pmm_free_count() == want);
    CHECK(pmm_page(a) != NULL && pmm_page(a + 8 * MiB - 1) != NULL);
    CHECK(pmm_page(a + 8 * MiB) == NULL);
    CHECK(pmm_page(b) == NULL && pmm_page(b + PAGE_SIZE) != NULL);

    /* every frame once, none reserved; scribbling on them all harms nothing */
    size_t max = (size_t)want + 16;
    uint64_t *got = calloc(max, sizeof(uint64_t));
    size_t n = drain(got, max);
    CHECK(n == want);
    for (size_t i = 0; i < n; i++) {
        uint64_t pa = got[i];
        CHECK((pa & (PAGE_SIZE - 1)) == 0);
        CHECK((pa >= a && pa < a + 8 * MiB) || (pa >= b + PAGE_SIZE && pa < b + 2 * MiB));
        CHECK(pa != a + 2 * MiB);
        CHECK(pa < a + 5 * MiB - PAGE_SIZE || pa >= a + 5 * MiB + 2 * PAGE_SIZE);
        CHECK(pa != b + 2 * MiB - PAGE_SIZE);
        memset((void *)(uintptr_t)pa, (int)i, PAGE_SIZE);
    }
    CHECK(pmm_alloc_pages(0) == 0);
    CHECK(pmm_free_count() == 0);
    undrain(got, n);
    CHECK(pmm_free_count() == want);
    pmm_dump();
    free(got);
    free((void *)(uintptr_t)a);
    free((void *)(uintptr_t)b);
}

HOST_TEST(pmm_orders_and_alignment)
{
    uint64_t a = host_ram(16 * MiB, 4 * MiB);
    struct mem_range ram = { a, 16 * MiB };
    REQUIRE(pmm_init(&ram, 1, NULL, 0) == VIPER_OK);
    uint64_t before = pmm_free_count();
    uint64_t blocks[BUDDY_MAX_ORDER + 1];
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
        blocks[k] = pmm_alloc_pages(k);
        REQUIRE(blocks[k] != 0);
        CHECK((blocks[k] & ((PAGE_SIZE << k) - 1)) == 0);
        memset((void *)(uintptr_t)blocks[k], 0x11 * (int)k, PAGE_SIZE << k);
    }
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
        const uint8_t *p = (const uint8_t *)(uintptr_t)blocks[k];
        CHECK(p[0] == (uint8_t)(0x11 * k) && p[(PAGE_SIZE << k) - 1] == (uint8_t)(0x11 * k));
    }
    CHECK(pmm_alloc_pages(BUDDY_MAX_ORDER + 1) == 0);
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
        pmm_free_pages(blocks[k], k);
    CHECK(pmm_free_count() == before);

    size_t n4m = 0;                              /* exhaust order-10 blocks */
    uint64_t big[8];
    while (n4m < 8 && (big[n4m] = pmm_alloc_pages(BUDDY_MAX_ORDER)) != 0)
        n4m++;
    CHECK(n4m == 3);                             /* the top 4M holds the page array */
    CHECK(pmm_alloc_pages(BUDDY_MAX_ORDER) == 0);
    CHECK(pmm_alloc_pages(0) != 0);              /* smaller blocks remain */
    while (n4m > 0)
        pmm_free_pages(big[--n4m], BUDDY_MAX_ORDER);
    CHECK(pmm_free_count() == before - 1);
    free((void *)(uintptr_t)a);
}

/* Single frames go through the hot list: reused first, still free, still checked. */
/* Free f once more and catch the panic (its own function: no local of the
 * caller lives across the setjmp). */
static bool double_free_panics(uint64_t f)
{
    jmp_buf jb;
    int panics = stub_panic_count;
    if (setjmp(jb) == 0) {
        stub_panic_jmp = &jb;
        pmm_free_pages(f, 0);
    }
    stub_panic_jmp = NULL;
    return stub_panic_count == panics + 1;
}

HOST_TEST(pmm_hot_frames)
{
    uint64_t a = host_ram(16 * MiB, 4 * MiB);
    struct mem_range ram = { a, 16 * MiB };
    REQUIRE(pmm_init(&ram, 1, NULL, 0) == VIPER_OK);
    uint64_t before = pmm_free_count();
    uint64_t f = pmm_alloc_pages(0);
    REQUIRE(f != 0);
    pmm_free_pages(f, 0);
    CHECK(pmm_free_count() == before);           /* a hot frame counts as free */
    CHECK(pmm_page(f)->flags == PAGE_HOT);
    CHECK(pmm_alloc_pages(0) == f);              /* the last freed comes back first */
    CHECK(pmm_page(f)->flags == 0);
    pmm_free_pages(f, 0);

    CHECK(double_free_panics(f));                /* a double free of a hot frame */
    CHECK(pmm_free_count() == before);

    /* Every frame taken singly and given back, the last taken (from a 4 MiB
     * block) first: the hot list holds fragments of that block, and a 4 MiB
     * request the zones cannot meet drains it. */
    size_t max = (size_t)before;
    uint64_t *got = calloc(max, sizeof(uint64_t));
    size_t n = drain(got, max);
    CHECK(n == before && pmm_free_count() == 0);
    for (size_t i = n; i > 0; i--)
        pmm_free_pages(got[i - 1], 0);
    CHECK(pmm_free_count() == before);
    uint64_t big[4];
    size_t n4m = 0;
    while (n4m < 4 && (big[n4m] = pmm_alloc_pages(BUDDY_MAX_ORDER)) != 0)
        n4m++;
    CHECK(n4m == 3);                             /* the top 4M holds the page array */
    while (n4m > 0)
        pmm_free_pages(big[--n4m], BUDDY_MAX_ORDER);
    CHECK(pmm_free_count() == before);
    free(got);
    free((void *)(uintptr_t)a);
}

HOST_TEST(pmm_no_room_for_page_array)
{
    uint64_t a = host_ram(64 * 1024, 4096);
    struct mem_range ram = { a, 64 * 1024 };
    struct mem_range resv = { a, 64 * 1024 };
    stub_quiet = 1;
    CHECK(pmm_init(&ram, 1, &resv, 1) == VIPER_ERR_NO_MEMORY);
    CHECK(pmm_init(&ram, 0, NULL, 0) == VIPER_ERR_NO_MEMORY);
    stub_quiet = 0;
    CHECK(pmm_alloc_pages(0) == 0);
    CHECK(pmm_free_count() == 0);
    free((void *)(uintptr_t)a);
}

/* ---- slab --------------------------------------------------------------- */

#define SLAB_RAM (6 * MiB)
static uint64_t slab_ram;
static uint64_t slab_base_free;                 /* free frames after pmm_init */

/* Free frames once every kept empty slab has been handed back. */
static uint64_t settled_free(void)
{
    static uint64_t got[SLAB_RAM / PAGE_SIZE];
    size_t n = drain(got, sizeof(got) / sizeof(got[0]));
    void *p = kmalloc(PAGE_SIZE);               /* pmm dry: slab reclaims */
    kfree(p);
    undrain(got, n);
    return pmm_free_count();
}

static void slab_setup(void)
{
    slab_ram = host_ram(8 * MiB, 4 * MiB);      /* aligned_alloc wants a multiple */
    struct mem_range ram = { slab_ram, SLAB_RAM };
    if (pmm_init(&ram, 1, NULL, 0) != VIPER_OK)
        abort();
    slab_base_free = pmm_free_count();
}

static void fill(void *p, size_t n, uint32_t tag)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(tag * 131 + i * 7);
}

static bool filled(const void *p, size_t n, uint32_t tag)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != (uint8_t)(tag * 131 + i * 7))
            return false;
    }
    return true;
}

HOST_TEST(kmalloc_sizes)
{
    enum { N = 600 };
    static void *p[N];
    static size_t sz[N];
    size_t expect = 0;
    CHECK(kmalloc(0) == NULL);
    for (int i = 0; i < N; i++) {
        sz[i] = 1 + (size_t)(i * 37) % 4200;    /* 1 .. 4200, slab and large */
        p[i] = kmalloc(sz[i]);
        REQUIRE(p[i] != NULL);
        CHECK(((uintptr_t)p[i] & 15) == 0);
        size_t cls = KMALLOC_MIN_SIZE;
        while (cls < sz[i])
            cls <<= 1;
        expect += sz[i] > KMALLOC_MAX_SLAB ? (sz[i] > PAGE_SIZE ? 2 : 1) * PAGE_SIZE : cls;
        fill(p[i], sz[i], (uint32_t)i);
    }
    CHECK(kmalloc_in_use() == expect);
    for (int i = 0; i < N; i++)
        CHECK(filled(p[i], sz[i], (uint32_t)i));
    for (int i = 0; i < N; i += 2)
        kfree(p[i]);
    for (int i = 1; i < N; i += 2)
        CHECK(filled(p[i], sz[i], (uint32_t)i));
    for (int i = 1; i < N; i += 2)
        kfree(p[i]);
    kfree(NULL);
    CHECK(kmalloc_in_use() == 0);
    CHECK(settled_free() == slab_base_free);
}

HOST_TEST(kzalloc_zeroes)
{
    void *p = kmalloc(200);
    REQUIRE(p != NULL);
    memset(p, 0xff, 200);
    kfree(p);
    uint8_t *q = kzalloc(200);
    REQUIRE(q != NULL);
    bool zero = true;
    for (int i = 0; i < 200; i++)
        zero = zero && q[i] == 0;
    CHECK(zero);
    kfree(q);
    uint8_t *r = kzalloc(3 * PAGE_SIZE);
    REQUIRE(r != NULL);
    CHECK(r[0] == 0 && r[3 * PAGE_SIZE - 1] == 0);
    kfree(r);
    CHECK(kmalloc_in_use() == 0);
}

HOST_TEST(kmalloc_large_blocks)
{
    size_t sizes[] = { 2049, 4096, 4097, 5 * PAGE_SIZE, 64 * 1024, 1 * MiB, 4 * MiB };
    void *p[7];
    for (int i = 0; i < 7; i++) {
        p[i] = kmalloc(sizes[i]);
        REQUIRE(p[i] != NULL);
        CHECK(((uintptr_t)p[i] & (PAGE_SIZE - 1)) == 0);
        fill(p[i], sizes[i], (uint32_t)i);
        if (i == 5)                              /* not both 1M and 4M */
            kfree(p[i]);
    }
    for (int i = 0; i < 7; i++) {
        if (i != 5) {
            CHECK(filled(p[i], sizes[i], (uint32_t)i));
            kfree(p[i]);
        }
    }
    CHECK(kmalloc(4 * MiB + 1) == NULL);        /* above the largest block */
    CHECK(kmalloc((size_t)-1) == NULL);
    CHECK(kmalloc_in_use() == 0);
    CHECK(settled_free() == slab_base_free);
}

struct cache_case {
    struct slab_cache *cache;
    size_t size, align;
    int n;
    void *obj[64];
};

HOST_TEST(many_caches)
{
    enum { NC = 48 };
    static struct cache_case cc[NC];
    CHECK(slab_cache_create("zero", 0, 8) == NULL);
    CHECK(slab_cache_create("npot", 24, 12) == NULL);
    CHECK(slab_cache_create("huge-align", 64, 2 * PAGE_SIZE) == NULL);
    CHECK(slab_cache_create("too-big", 1 * MiB, 8) == NULL);

    for (int c = 0; c < NC; c++) {
        cc[c].size = c == NC - 1 ? 4096 : 1 + (size_t)(c * c * 29) % 4096;
        cc[c].align = (size_t)1 << (c % 13);     /* 1 .. 4096 */
        cc[c].cache = slab_cache_create("test-cache", cc[c].size, cc[c].align);
        REQUIRE(cc[c].cache != NULL);
        CHECK(slab_cache_in_use(cc[c].cache) == 0);
    }
    uint64_t created = settled_free();
    CHECK(created < slab_base_free && slab_base_free - created <= 4);

    for (int round = 0; round < 2; round++) {
        for (int c = 0; c < NC; c++) {
            cc[c].n = 1 + (c * 7 + round) % 64;
            for (int i = 0; i < cc[c].n; i++) {
                void *o = slab_alloc(cc[c].cache);
                REQUIRE(o != NULL);
                CHECK(((uintptr_t)o & (cc[c].align - 1)) == 0);
                fill(o, cc[c].size, (uint32_t)(c * 100 + i));
                cc[c].obj[i] = o;
            }
            CHECK(slab_cache_in_use(cc[c].cache) == (size_t)cc[c].n);
        }
        for (int c = 0; c < NC; c++) {           /* nothing overlapped */
            for (int i = 0; i < cc[c].n; i++)
                CHECK(filled(cc[c].obj[i], cc[c].size, (uint32_t)(c * 100 + i)));
        }
        for (int c = NC - 1; c >= 0; c--) {
            for (int i = cc[c].n - 1; i >= 0; i -= 2)
                slab_free(cc[c].cache, cc[c].obj[i]);
            for (int i = cc[c].n - 2; i >= 0; i -= 2)
                slab_free(cc[c].cache, cc[c].obj[i]);
            CHECK(slab_cache_in_use(cc[c].cache) == 0);
        }
        CHECK(settled_free() == created);
    }
    slab_free(cc[0].cache, NULL);
}

HOST_TEST(oom_returns_null_and_recovers)
{
    enum { MAXP = SLAB_RAM / 1024 + 64 };
    static void *p[MAXP], *objs[MAXP];
    struct slab_cache *c = slab_cache_create("oom", 100, 8);
    REQUIRE(c != NULL);
    uint64_t base = settled_free();

    for (int round = 0; round < 2; round++) {
        int n = 0;
        while (n < MAXP && (p[n] = kmalloc(1000)) != NULL)
            n++;
        CHECK(n > 1000 && n < MAXP);             /* ran dry, bounded */
        CHECK(kmalloc(1000) == NULL);
        CHECK(kmalloc(5000) == NULL);
        CHECK(pmm_alloc_pages(1) == 0);
        int m = 0;                               /* now the last single frames */
        while (m < MAXP && (objs[m] = slab_alloc(c)) != NULL)
            m++;
        CHECK(m < MAXP);
        CHECK(slab_alloc(c) == NULL);
        CHECK(pmm_free_count() == 0);
        for (int i = 0; i < m; i++)
            slab_free(c, objs[i]);
        kfree(p[n - 1]);                         /* one hole: usable again */
        p[n - 1] = kmalloc(1000);
        CHECK(p[n - 1] != NULL);
        for (int i = 0; i < n; i++)
            kfree(p[i]);
        CHECK(kmalloc_in_use() == 0);
        void *o = slab_alloc(c);                 /* recovered */
        CHECK(o != NULL);
        slab_free(c, o);
        void *big = kmalloc(2 * MiB);
        CHECK(big != NULL);
        kfree(big);
        CHECK(settled_free() == base);
    }
    CHECK(slab_cache_in_use(c) == 0);
}

/* True if fn(arg) panics (the stub longjmps back). */
static bool panics(void (*fn)(void *), void *arg)
{
    jmp_buf jb;
    int before = stub_panic_count;
    if (setjmp(jb) == 0) {
        stub_panic_jmp = &jb;
        fn(arg);
    }
    stub_panic_jmp = NULL;
    return stub_panic_count == before + 1;
}

static struct slab_cache *panic_cache;
static void do_kfree(void *p) { kfree(p); }
static void do_slab_free(void *p) { slab_free(panic_cache, p); }

HOST_TEST(kernel_bugs_panic)
{
    int on_stack = 0;
    void *p = kmalloc(64), *big = kmalloc(3 * PAGE_SIZE);
    panic_cache = slab_cache_create("panic", 64, 64);
    REQUIRE(p != NULL && big != NULL && panic_cache != NULL);
    void *o = slab_alloc(panic_cache);
    REQUIRE(o != NULL);

    CHECK(panics(do_kfree, &on_stack));          /* not managed memory */
    CHECK(panics(do_kfree, (char *)p + 8));      /* inside an object */
    CHECK(panics(do_kfree, (char *)big + 16));   /* inside a large block */
    CHECK(panics(do_kfree, (char *)big + PAGE_SIZE));
    CHECK(panics(do_kfree, o));                  /* slab object through kfree */
    CHECK(panics(do_slab_free, p));              /* kmalloc object, wrong cache */
    CHECK(panics(do_slab_free, big));
    kfree(p);
    CHECK(panics(do_kfree, p));                  /* double free */
    kfree(big);
    CHECK(panics(do_kfree, big));
    slab_free(panic_cache, o);
    CHECK(panics(do_slab_free, o));
    uint64_t frame = pmm_alloc_pages(0);         /* a frame the heap never saw */
    REQUIRE(frame != 0);
    CHECK(panics(do_kfree, (void *)(uintptr_t)frame));
    pmm_free_pages(frame, 0);

    CHECK(kmalloc_in_use() == 0);
    CHECK(slab_cache_in_use(panic_cache) == 0);
    void *q = kmalloc(64);                       /* still consistent */
    CHECK(q != NULL);
    kfree(q);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    host_binary = "slab";
    host_run(pmm_unsorted_overlapping_ranges);
    host_run(pmm_orders_and_alignment);
    host_run(pmm_hot_frames);
    host_run(pmm_no_room_for_page_array);
    slab_setup();                                /* the slab cases share one pmm */
    host_run(kmalloc_sizes);
    host_run(kzalloc_zeroes);
    host_run(kmalloc_large_blocks);
    host_run(many_caches);
    host_run(oom_returns_null_and_recovers);
    host_run(kernel_bugs_panic);
    int rc = host_summary();
    free((void *)(uintptr_t)slab_ram);
    return rc;
}
