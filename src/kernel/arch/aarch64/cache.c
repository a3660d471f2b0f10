/*
 * cache.c - cache maintenance by VA, and zeroing pages by cache block.  The data cache is cleaned to the
 * point of unification and the whole instruction cache invalidated: code
 * written through the linear map must be seen by fetches through the
 * user mapping of the same page (Arm ARM B2.4.4, "Concurrent modification
 * and execution of instructions").
 */
#include <stdint.h>
#include "lib/string.h"
#include "arch/cache.h"
#include "arch/cpu.h"

void cache_sync_icache(const void *p, size_t len)
{
    uint64_t ctr = read_sysreg(ctr_el0);
    uint64_t line = 4ul << ((ctr >> 16) & 0xf);   /* DminLine, in bytes */
    uint64_t a = (uint64_t)p & ~(line - 1);
    for (; a < (uint64_t)p + len; a += line)
        __asm__ volatile("dc cvau, %0" :: "r"(a) : "memory");
    __asm__ volatile("dsb ish; ic iallu; dsb ish; isb" ::: "memory");
}

void page_zero(void *page)
{
    uint64_t dczid = read_sysreg(dczid_el0);
    if (dczid & (1u << 4)) {   /* DZP: DC ZVA prohibited */
        memset(page, 0, 4096);
        return;
    }
    uint64_t block = 4ul << (dczid & 0xf);
    for (uint8_t *p = page; p < (uint8_t *)page + 4096; p += block)
        __asm__ volatile("dc zva, %0" :: "r"(p) : "memory");
}
