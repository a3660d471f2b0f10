/*
 * cache.c - cache maintenance by VA (page_zero is inline: arch/cache.h).  The data cache is
 * cleaned to the point of unification and the whole instruction cache
 * invalidated: code written through the linear map must be seen by fetches
 * through the user mapping of the same page (Arm ARM B2.4.4, "Concurrent
 * modification and execution of instructions").
 */
#include <stdint.h>
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
