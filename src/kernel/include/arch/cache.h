/*
 * arch/cache.h - cache operations the portable kernel needs.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

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

/*
 * Zero the user page at uva (page aligned) through its user mapping, with
 * unprivileged stores (sttr: EL0's permissions, PAN does not apply).  The
 * PTE must already map a writable page in the active space; the barriers
 * make it visible to the walk before the first store.  Why: after a
 * switch QEMU's kernel TLB no longer holds the frame's linear-map page,
 * and the user touches the page anyway on return, so this saves one TLB
 * refill per demand-zero fault (docs/bench.md, "The demand-zero fault").
 */
static inline void page_zero_user(uint64_t uva)
{
    __asm__ volatile("dsb ishst\n\t"
                     "isb\n"
                     "1:\n\t"
                     ".irp off, 0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, "
                     "128, 136, 144, 152, 160, 168, 176, 184, 192, 200, 208, 216, 224, 232, 240, 248\n\t"
                     "sttr xzr, [%0, #\\off]\n\t"   /* sttr's offsets reach 255 */
                     ".endr\n\t"
                     "add %0, %0, #256\n\t"
                     "tst %0, #4095\n\t"
                     "b.ne 1b"
                     : "+r"(uva) :: "memory", "cc");
}
