/*
 * arch/cache.h - cache maintenance the portable kernel needs.
 */
#pragma once
#include <stddef.h>

/* Make instructions written at [p, p+len) (through the linear map) visible to fetch. */
void cache_sync_icache(const void *p, size_t len);
