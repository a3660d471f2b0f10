/*
 * ksyms.c - address-to-name lookup over the table tools/mkksyms generates.
 *
 * The table (sorted addresses, name offsets, a string block) comes from the
 * first link pass; an empty table stands in during that pass.  Only text symbols are listed, and .ksyms sits after .text in the
 * image, so the table never changes the addresses it describes.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/ksyms.h"
#include "kernel/log.h"

extern const uint64_t ksyms_count;
extern const uint64_t ksyms_addrs[];
extern const uint32_t ksyms_name_offsets[];
extern const char ksyms_names[];
extern char _etext[];

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
    if (ksyms_count == 0 || addr < ksyms_addrs[0] ||
        addr >= (uint64_t)_etext)
        return NULL;
    size_t lo = 0, hi = ksyms_count;   /* find the last entry <= addr */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (ksyms_addrs[mid] <= addr)
            lo = mid;
        else
            hi = mid;
    }
    *offset = addr - ksyms_addrs[lo];
    return ksyms_names + ksyms_name_offsets[lo];
}

void ksym_print(uint64_t addr)
{
    uint64_t off;
    const char *name = ksym_lookup(addr, &off);
    if (name)
        kprintf("%s+0x%lx", name, (unsigned long)off);
    else
        kprintf("?");
}
