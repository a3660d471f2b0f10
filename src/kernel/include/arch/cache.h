/*
 * arch/cache.h - cache operations the portable kernel needs.
 */
#pragma once
#include <stddef.h>

/* Make instructions written at [p, p+len) (through the linear map) visible to fetch. */
void cache_sync_icache(const void *p, size_t len);

/*
 * Zero one 4 KiB page (page aligned), 512 bytes per turn as pairs of zero
 * registers (stp's offsets reach 504).  Not DC ZVA: under QEMU's TCG every
 * DC ZVA is a call into a helper (a TLB probe and a 64-byte memset), while
 * a store is a few inline host instructions; a demand-zero fault measured
 * 0.3 us faster this way (docs/bench.md).  Inline: it is most of a
 * demand-zero fault, and a call would add a return (a lookup under QEMU).
 */
static inline void page_zero(void *page)
{
    /* the loop is in the asm too, so that no compiler unrolls it into its callers */
    __asm__ volatile("1:\n\t"
                     ".irp off, 0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, "
                     "208, 224, 240, 256, 272, 288, 304, 320, 336, 352, 368, 384, 400, "
                     "416, 432, 448, 464, 480, 496\n\t"
                     "stp xzr, xzr, [%0, #\\off]\n\t"
                     ".endr\n\t"
                     "add %0, %0, #512\n\t"
                     "tst %0, #4095\n\t"   /* the next page's start: done */
                     "b.ne 1b"
                     : "+r"(page) :: "memory", "cc");
}
