/*
 * mm/page.h - per-page-frame metadata and the page size.
 *
 * Every page frame the allocator manages has one struct page.  The buddy
 * allocator owns `node`, `order` and the PAGE_FREE flag; later users
 * (COW, slab) own the other fields while a page is allocated.
 */
#pragma once
#include <stdint.h>
#include "lib/list.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ul << PAGE_SHIFT)
#define PAGE_MASK  (~(PAGE_SIZE - 1))

#define PAGE_FREE  0x01   /* head of a free buddy block (on a free list) */
#define PAGE_SLAB  0x02   /* first page of a slab */
#define PAGE_HOT   0x04   /* free in the pmm's hot list (allocated as far as buddy knows) */

struct page {
    struct list node;     /* free list link while PAGE_FREE */
    uint32_t refcount;    /* users of an allocated page (COW, later issues) */
    uint8_t order;        /* block order while PAGE_FREE */
    uint8_t flags;
};
