/*
 * arch/cache.h - cache operations the portable kernel needs.
 */
#pragma once
#include <stddef.h>

/* Make instructions written at [p, p+len) (through the linear map) visible to fetch. */
void cache_sync_icache(const void *p, size_t len);

/*
 * Zero one 4 KiB page (page aligned) by whole cache blocks (DC ZVA): the
 * cheapest way to clear memory, on hardware and even more under QEMU,
 * where each DC ZVA is one host memset instead of many emulated stores.
 */
void page_zero(void *page);
