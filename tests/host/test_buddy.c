/*
 * tests/host/test_buddy.c - unit tests of mm/buddy.c alone.
 *
 * The allocator only touches the struct page array, so a zone here is just
 * a calloc'ed array with made-up frame numbers; nothing is ever mapped.
 * Every case ends with buddy_check; the random case checks it after each
 * step and tracks ownership of every frame in a bitmap to catch a frame
 * handed out twice.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "mm/buddy.h"
#include "viper/errors.h"

struct zone_fixture {
    struct buddy_zone z;
    struct page *meta;
};

static void zone_make(struct zone_fixture *f, uint64_t base, uint64_t npages)
{
    f->meta = calloc(npages ? npages : 1, sizeof(struct page));
    buddy_init(&f->z, base, npages, f->meta);
}

static void zone_drop(struct zone_fixture *f)
{
    free(f->meta);
}

static uint64_t list_len(const struct list *head)
{
    uint64_t n = 0;
    const struct list *p;
    list_for_each(p, head)
        n++;
    return n;
}

/* Number of free blocks of each order. */
static void snapshot(const struct buddy_zone *z, uint64_t out[BUDDY_MAX_ORDER + 1])
{
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
        out[k] = list_len(&z->free[k]);
}

static bool same_snapshot(const struct buddy_zone *z, const uint64_t want[BUDDY_MAX_ORDER + 1])
{
    uint64_t now[BUDDY_MAX_ORDER + 1];
    snapshot(z, now);
    return memcmp(now, want, sizeof(now)) == 0;
}

HOST_TEST(empty_zone)
{
    struct zone_fixture f;
    zone_make(&f, 4096, 64);
    uint64_t pfn = 0;
    CHECK(f.z.free_pages == 0);
    CHECK(buddy_alloc(&f.z, 0, &pfn) == VIPER_ERR_NO_MEMORY);
    CHECK(buddy_check(&f.z));
    CHECK(buddy_contains(&f.z, 4096));
    CHECK(buddy_contains(&f.z, 4096 + 63));
    CHECK(!buddy_contains(&f.z, 4095));
    CHECK(!buddy_contains(&f.z, 4096 + 64));
    zone_drop(&f);
}

HOST_TEST(bad_order)
{
    struct zone_fixture f;
    zone_make(&f, 0, 2048);
    buddy_add_range(&f.z, 0, 2048);
    uint64_t pfn = 0;
    CHECK(buddy_alloc(&f.z, BUDDY_MAX_ORDER + 1, &pfn) == VIPER_ERR_INVALID);
    CHECK(buddy_alloc(&f.z, 100, &pfn) == VIPER_ERR_INVALID);
    CHECK(f.z.free_pages == 2048);
    CHECK(buddy_check(&f.z));
    zone_drop(&f);
}

HOST_TEST(aligned_range_is_max_blocks)
{
    struct zone_fixture f;
    zone_make(&f, 8192, 4096);
    buddy_add_range(&f.z, 8192, 4096);
    CHECK(f.z.free_pages == 4096);
    CHECK(list_len(&f.z.free[BUDDY_MAX_ORDER]) == 4);
    for (unsigned k = 0; k < BUDDY_MAX_ORDER; k++)
        CHECK(list_empty(&f.z.free[k]));
    CHECK(buddy_check(&f.z));
    zone_drop(&f);
}

HOST_TEST(alloc_free_every_order)
{
    struct zone_fixture f;
    uint64_t base = 3 * 1024, before[BUDDY_MAX_ORDER + 1];
    zone_make(&f, base, 4096);
    buddy_add_range(&f.z, base, 4096);
    snapshot(&f.z, before);
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
        uint64_t pfn = 0;
        REQUIRE(buddy_alloc(&f.z, k, &pfn) == VIPER_OK);
        CHECK((pfn & ((1ull << k) - 1)) == 0);
        CHECK(buddy_contains(&f.z, pfn) && buddy_contains(&f.z, pfn + (1ull << k) - 1));
        CHECK(f.z.free_pages == 4096 - (1ull << k));
        CHECK(buddy_check(&f.z));
        buddy_free(&f.z, pfn, k);
        CHECK(f.z.free_pages == 4096);
        CHECK(buddy_check(&f.z));
        CHECK(same_snapshot(&f.z, before));
    }
    zone_drop(&f);
}

HOST_TEST(split_leaves_one_block_per_order)
{
    struct zone_fixture f;
    zone_make(&f, 1024, 1024);
    buddy_add_range(&f.z, 1024, 1024);
    uint64_t pfn = 0;
    REQUIRE(buddy_alloc(&f.z, 0, &pfn) == VIPER_OK);
    CHECK(pfn == 1024);
    for (unsigned k = 0; k < BUDDY_MAX_ORDER; k++) {
        CHECK(list_len(&f.z.free[k]) == 1);
        /* the free block of order k is the upper half split off at that level */
        const struct page *p = container_of(f.z.free[k].next, struct page, node);
        CHECK(f.z.base_pfn + (uint64_t)(p - f.z.pages) == 1024 + (1ull << k));
    }
    CHECK(list_empty(&f.z.free[BUDDY_MAX_ORDER]));
    CHECK(buddy_check(&f.z));
    buddy_free(&f.z, pfn, 0);
    CHECK(list_len(&f.z.free[BUDDY_MAX_ORDER]) == 1);
    CHECK(buddy_check(&f.z));
    zone_drop(&f);
}

HOST_TEST(exhaust_and_merge_back)
{
    enum { N = 2048 };
    struct zone_fixture f;
    uint64_t before[BUDDY_MAX_ORDER + 1];
    static uint64_t got[N];
    static bool owned[N];
    zone_make(&f, 2048, N);
    buddy_add_range(&f.z, 2048, N);
    snapshot(&f.z, before);
    memset(owned, 0, sizeof(owned));
    for (int i = 0; i < N; i++) {
        REQUIRE(buddy_alloc(&f.z, 0, &got[i]) == VIPER_OK);
        REQUIRE(buddy_contains(&f.z, got[i]));
        CHECK(!owned[got[i] - 2048]);
        owned[got[i] - 2048] = true;
    }
    uint64_t pfn = 0;
    CHECK(f.z.free_pages == 0);
    CHECK(buddy_alloc(&f.z, 0, &pfn) == VIPER_ERR_NO_MEMORY);
    CHECK(buddy_alloc(&f.z, 5, &pfn) == VIPER_ERR_NO_MEMORY);
    CHECK(buddy_check(&f.z));
    srand(7);
    for (int i = N - 1; i > 0; i--) {            /* free in a shuffled order */
        int j = rand() % (i + 1);
        uint64_t t = got[i];
        got[i] = got[j];
        got[j] = t;
    }
    for (int i = 0; i < N; i++)
        buddy_free(&f.z, got[i], 0);
    CHECK(f.z.free_pages == N);
    CHECK(same_snapshot(&f.z, before));
    CHECK(buddy_check(&f.z));
    zone_drop(&f);
}

HOST_TEST(add_range_merges_neighbours)
{
    struct zone_fixture f;
    zone_make(&f, 0, 1024);
    buddy_add_range(&f.z, 512, 512);
    buddy_add_range(&f.z, 0, 100);
    buddy_add_range(&f.z, 100, 412);
    CHECK(f.z.free_pages == 1024);
    CHECK(list_len(&f.z.free[BUDDY_MAX_ORDER]) == 1);
    CHECK(buddy_check(&f.z));
    zone_drop(&f);
}

HOST_TEST(no_merge_across_zone_edge)
{
    struct zone_fixture f;
    zone_make(&f, 1, 2);                         /* frames 1 and 2: not buddies */
    buddy_add_range(&f.z, 1, 2);
    uint64_t pfn = 0;
    CHECK(list_len(&f.z.free[0]) == 2);
    CHECK(buddy_alloc(&f.z, 1, &pfn) == VIPER_ERR_NO_MEMORY);
    CHECK(buddy_check(&f.z));
    REQUIRE(buddy_alloc(&f.z, 0, &pfn) == VIPER_OK);
    buddy_free(&f.z, pfn, 0);
    CHECK(list_len(&f.z.free[0]) == 2);
    CHECK(buddy_check(&f.z));
    zone_drop(&f);
}

/* Odd base, odd size, holes: count what can be had, order by order. */
HOST_TEST(odd_zone_with_holes)
{
    struct zone_fixture f;
    const uint64_t base = 1000003, n = 3001;
    zone_make(&f, base, n);
    buddy_add_range(&f.z, base, 500);
    buddy_add_range(&f.z, base + 777, 1);
    buddy_add_range(&f.z, base + 1000, n - 1000);
    const uint64_t added = 500 + 1 + (n - 1000);
    CHECK(f.z.free_pages == added);
    CHECK(buddy_check(&f.z));

    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
        static uint64_t got[3001];
        uint64_t cnt = 0, pfn;
        while (buddy_alloc(&f.z, k, &pfn) == VIPER_OK) {
            CHECK((pfn & ((1ull << k) - 1)) == 0);
            CHECK(pfn >= base && pfn + (1ull << k) <= base + n);
            CHECK(pfn + (1ull << k) <= base + 500 || pfn == base + 777 ||
                  pfn >= base + 1000);
            got[cnt++] = pfn;
        }
        CHECK(buddy_check(&f.z));
        /* the remaining frames cannot hold an aligned block of order k */
        if (k == 0)
            CHECK(cnt == added && f.z.free_pages == 0);
        for (uint64_t i = 0; i < cnt; i++)
            buddy_free(&f.z, got[i], k);
        CHECK(f.z.free_pages == added);
        CHECK(buddy_check(&f.z));
    }
    zone_drop(&f);
}

HOST_TEST(zone_smaller_than_max_block)
{
    struct zone_fixture f;
    zone_make(&f, 4096 + 5, 700);
    buddy_add_range(&f.z, 4096 + 5, 700);
    /* frames 4101..4800: no aligned 512-frame block fits, one 256 does */
    uint64_t pfn = 0;
    CHECK(buddy_alloc(&f.z, 9, &pfn) == VIPER_ERR_NO_MEMORY);
    CHECK(buddy_alloc(&f.z, 8, &pfn) == VIPER_OK && pfn == 4352);
    CHECK(buddy_alloc(&f.z, 8, &pfn) == VIPER_ERR_NO_MEMORY);
    CHECK(f.z.free_pages == 700 - 256);
    CHECK(buddy_check(&f.z));
    buddy_free(&f.z, 4352, 8);
    CHECK(f.z.free_pages == 700);
    CHECK(buddy_check(&f.z));
    zone_drop(&f);
}

/* xorshift64: a fixed-seed generator so failures are reproducible. */
static uint64_t rng_state;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

HOST_TEST(random_alloc_free)
{
    enum { N = 5000, MAXB = 4096 };
    struct zone_fixture f;
    const uint64_t base = 77777;
    static bool owned[N];
    static struct { uint64_t pfn; unsigned order; } held[MAXB];
    int nheld = 0, nomem = 0;
    uint64_t before[BUDDY_MAX_ORDER + 1];

    zone_make(&f, base, N);
    buddy_add_range(&f.z, base + 3, N - 3);      /* first frames stay reserved */
    snapshot(&f.z, before);
    memset(owned, 0, sizeof(owned));
    rng_state = 0x9e3779b97f4a7c15ull;
    for (int step = 0; step < 20000; step++) {
        bool do_alloc = nheld == 0 || (nheld < MAXB && rng() % 100 < 55);
        if (do_alloc) {
            unsigned order = (unsigned)(rng() % 100 < 80 ? rng() % 3 : rng() % (BUDDY_MAX_ORDER + 1));
            uint64_t pfn;
            int rc = buddy_alloc(&f.z, order, &pfn);
            if (rc == VIPER_ERR_NO_MEMORY) {
                nomem++;
            } else {
                REQUIRE(rc == VIPER_OK);
                REQUIRE(pfn >= base + 3 && pfn - base + (1ull << order) <= N);
                REQUIRE((pfn & ((1ull << order) - 1)) == 0);
                for (uint64_t i = 0; i < (1ull << order); i++) {
                    REQUIRE(!owned[pfn - base + i]);
                    owned[pfn - base + i] = true;
                }
                held[nheld].pfn = pfn;
                held[nheld].order = order;
                nheld++;
            }
        } else {
            int i = (int)(rng() % (uint64_t)nheld);
            for (uint64_t j = 0; j < (1ull << held[i].order); j++)
                owned[held[i].pfn - base + j] = false;
            buddy_free(&f.z, held[i].pfn, held[i].order);
            held[i] = held[--nheld];
        }
        REQUIRE(buddy_check(&f.z));
        uint64_t used = 0;
        for (int i = 0; i < nheld; i++)
            used += 1ull << held[i].order;
        REQUIRE(f.z.free_pages + used == N - 3);
    }
    while (nheld > 0) {
        nheld--;
        buddy_free(&f.z, held[nheld].pfn, held[nheld].order);
    }
    CHECK(buddy_check(&f.z));
    CHECK(f.z.free_pages == N - 3);
    CHECK(same_snapshot(&f.z, before));
    CHECK(nomem > 0);                            /* the run did hit exhaustion */
    zone_drop(&f);
}

HOST_TEST(check_detects_corruption)
{
    struct zone_fixture f;
    uint64_t pfn = 0;
    zone_make(&f, 0, 1024);
    buddy_add_range(&f.z, 0, 1024);
    REQUIRE(buddy_alloc(&f.z, 0, &pfn) == VIPER_OK);
    REQUIRE(buddy_check(&f.z));

    f.z.free_pages++;                            /* wrong count */
    CHECK(!buddy_check(&f.z));
    f.z.free_pages--;

    f.z.pages[pfn].flags |= PAGE_FREE;           /* flagged but on no list */
    CHECK(!buddy_check(&f.z));
    f.z.pages[pfn].flags &= (uint8_t)~PAGE_FREE;

    struct page *p = container_of(f.z.free[3].next, struct page, node);
    p->order = 4;                                /* order disagrees with list */
    CHECK(!buddy_check(&f.z));
    p->order = 3;

    f.z.pages[pfn].flags = PAGE_FREE;            /* unmerged buddy pair */
    f.z.pages[pfn].order = 0;
    list_push_front(&f.z.free[0], &f.z.pages[pfn].node);
    f.z.free_pages++;
    CHECK(!buddy_check(&f.z));
    list_remove(&f.z.pages[pfn].node);
    f.z.pages[pfn].flags = 0;
    f.z.free_pages--;

    CHECK(buddy_check(&f.z));
    buddy_free(&f.z, pfn, 0);
    CHECK(buddy_check(&f.z));
    zone_drop(&f);
}

/* Run fn in a child; true if the child died from a signal (buddy traps). */
static bool dies(void (*fn)(struct buddy_zone *), struct buddy_zone *z)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn(z);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status);
}

static void double_free_order0(struct buddy_zone *z) { buddy_free(z, 5, 0); }
static void double_free_merged(struct buddy_zone *z) { buddy_free(z, 6, 1); }
static void free_misaligned(struct buddy_zone *z) { buddy_free(z, 3, 1); }
static void free_outside(struct buddy_zone *z) { buddy_free(z, 4096, 0); }

HOST_TEST(caller_bugs_trap)
{
    struct zone_fixture f;
    uint64_t pfn = 0;
    zone_make(&f, 0, 1024);
    buddy_add_range(&f.z, 0, 1024);
    REQUIRE(buddy_alloc(&f.z, 0, &pfn) == VIPER_OK && pfn == 0);
    buddy_add_range(&f.z, 0, 0);                 /* empty range: no effect */
    CHECK(dies(double_free_order0, &f.z));       /* frame 5 is in a free block */
    CHECK(dies(double_free_merged, &f.z));
    CHECK(dies(free_misaligned, &f.z));
    CHECK(dies(free_outside, &f.z));
    CHECK(buddy_check(&f.z));
    buddy_free(&f.z, 0, 0);
    CHECK(f.z.free_pages == 1024 && buddy_check(&f.z));
    zone_drop(&f);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    host_binary = "buddy";
    host_run(empty_zone);
    host_run(bad_order);
    host_run(aligned_range_is_max_blocks);
    host_run(alloc_free_every_order);
    host_run(split_leaves_one_block_per_order);
    host_run(exhaust_and_merge_back);
    host_run(add_range_merges_neighbours);
    host_run(no_merge_across_zone_edge);
    host_run(odd_zone_with_holes);
    host_run(zone_smaller_than_max_block);
    host_run(random_alloc_free);
    host_run(check_detects_corruption);
    host_run(caller_bugs_trap);
    return host_summary();
}
