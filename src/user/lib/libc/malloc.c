/*
 * libc/malloc.c - the heap: a first-fit free list over viper_brk().
 *
 * Every block starts with a 16-byte header {size, next}; size counts the
 * header and is a multiple of 16, so payloads are 16-byte aligned.  Free
 * blocks sit on one list sorted by address, which makes coalescing a look at
 * the two neighbours when a block is freed.  malloc takes the first block
 * that fits and splits off its tail when the rest can hold another block.
 * When nothing fits, the heap grows through brk by at least MALLOC_GROW and
 * the new space joins the list (merging with a free block just below it).
 * An allocated block's `next` holds MALLOC_MAGIC, so free() of a pointer
 * that is not a live block aborts instead of corrupting the list.  A
 * spinlock (yielding while held) makes the heap usable from several threads.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <viper/sys.h>

#define MALLOC_ALIGN  16u
#define MALLOC_MIN    32u             /* header + 16 bytes of payload */
#define MALLOC_GROW   (64u * 1024)
#define MALLOC_PAGE   4096u
#define MALLOC_MAGIC  ((struct malloc_block *)0xa110caedb10c0000ull)

struct malloc_block {
    size_t size;                 /* bytes, header included; a multiple of 16 */
    struct malloc_block *next;   /* free: next free block by address; in use: MALLOC_MAGIC */
};

static struct malloc_block *free_list;   /* guarded by heap_lock */
static uintptr_t heap_end;               /* current break, 0 until first use */
static bool heap_lock;

static void heap_acquire(void)
{
    while (__atomic_test_and_set(&heap_lock, __ATOMIC_ACQUIRE))
        viper_yield();
}

static void heap_release(void)
{
    __atomic_clear(&heap_lock, __ATOMIC_RELEASE);
}

static uintptr_t round_up(uintptr_t v, uintptr_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* Insert b into the address-ordered free list, merging with its neighbours. */
static void free_insert(struct malloc_block *b)
{
    struct malloc_block *prev = NULL, *cur = free_list;

    while (cur != NULL && cur < b) {
        prev = cur;
        cur = cur->next;
    }
    b->next = cur;
    if (cur != NULL && (char *)b + b->size == (char *)cur) {
        b->size += cur->size;
        b->next = cur->next;
    }
    if (prev != NULL && (char *)prev + prev->size == (char *)b) {
        prev->size += b->size;
        prev->next = b->next;
    } else if (prev != NULL) {
        prev->next = b;
    } else {
        free_list = b;
    }
}

/* Grow the heap by at least need bytes; false when brk refuses. */
static bool heap_grow(size_t need)
{
    if (heap_end == 0) {
        uint64_t end = 0;
        if (viper_brk(0, &end) != VIPER_OK)
            return false;
        heap_end = round_up((uintptr_t)end, MALLOC_ALIGN);
    }
    size_t want = need > MALLOC_GROW ? need : MALLOC_GROW;
    if (want > UINTPTR_MAX - heap_end - MALLOC_PAGE)
        return false;
    uintptr_t target = round_up(heap_end + want, MALLOC_PAGE);
    uint64_t got = 0;
    if (viper_brk(target, &got) != VIPER_OK || got < heap_end + need)
        return false;
    struct malloc_block *b = (struct malloc_block *)heap_end;
    b->size = (size_t)((got - heap_end) & ~(uint64_t)(MALLOC_ALIGN - 1));
    heap_end = (uintptr_t)b + b->size;
    free_insert(b);
    return true;
}

/* First fit: unlink or split the first block of at least need bytes. */
static struct malloc_block *take_block(size_t need)
{
    struct malloc_block **link = &free_list;

    for (struct malloc_block *b = free_list; b != NULL; link = &b->next, b = b->next) {
        if (b->size < need)
            continue;
        if (b->size - need >= MALLOC_MIN) {
            b->size -= need;
            b = (struct malloc_block *)((char *)b + b->size);
            b->size = need;
        } else {
            *link = b->next;
        }
        b->next = MALLOC_MAGIC;
        return b;
    }
    return NULL;
}

/* Block size for a payload of n bytes, or 0 if it cannot be represented. */
static size_t block_size(size_t n)
{
    if (n > SIZE_MAX / 2)
        return 0;
    size_t need = round_up(n, MALLOC_ALIGN) + sizeof(struct malloc_block);
    return need < MALLOC_MIN ? MALLOC_MIN : need;
}

void *malloc(size_t n)
{
    size_t need = block_size(n);
    struct malloc_block *b;

    if (need == 0)
        return NULL;
    heap_acquire();
    b = take_block(need);
    if (b == NULL && heap_grow(need))
        b = take_block(need);
    heap_release();
    return b != NULL ? b + 1 : NULL;
}

static struct malloc_block *header_of(void *ptr, const char *who)
{
    struct malloc_block *b = (struct malloc_block *)ptr - 1;

    if (((uintptr_t)ptr & (MALLOC_ALIGN - 1)) != 0 || b->next != MALLOC_MAGIC) {
        fprintf(stderr, "%s(): invalid pointer %p\n", who, ptr);
        abort();
    }
    return b;
}

void free(void *ptr)
{
    if (ptr == NULL)
        return;
    struct malloc_block *b = header_of(ptr, "free");
    heap_acquire();
    free_insert(b);
    heap_release();
}

void *calloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    void *p = malloc(count * size);
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

void *realloc(void *ptr, size_t n)
{
    if (ptr == NULL)
        return malloc(n);
    if (n == 0) {
        free(ptr);
        return NULL;
    }
    struct malloc_block *b = header_of(ptr, "realloc");
    size_t have = b->size - sizeof(*b);
    if (have >= n)
        return ptr;
    void *p = malloc(n);
    if (p != NULL) {
        memcpy(p, ptr, have);
        free(ptr);
    }
    return p;
}
