/*
 * arch/cache.h - cache operations the portable kernel needs.
 */
#pragma once
#include <stddef.h>

/* Make instructions written at [p, p+len) (through the linear map) visible to fetch. */
void cache_sync_icache(const void *p, size_t len);

/*
 * Zero one 4 KiB page (page aligned) with plain stores, which QEMU's TCG
 * runs inline; DC ZVA would be one helper call per 64-byte block there.
 */
void page_zero(void *page);
