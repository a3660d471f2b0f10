/*
 * syscall/uaccess.h - the only way the kernel touches user memory.
 *
 * Each call checks the range lies below VIPER_USER_MAX without wrapping,
 * then copies with the unprivileged loads and stores (LDTR/STTR: EL0's
 * permissions apply).  Every such instruction is listed in __uaccess_table
 * with where to resume; a fault on one is resolved like a user fault
 * (demand paging, copy-on-write) or resumes there, and the copy returns
 * VIPER_ERR_FAULT.  Kernel addresses and NULL come back as VIPER_ERR_FAULT.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "kernel/hot.h"
#include "viper/errors.h"
#include "viper/types.h"

/* The copies of any length and alignment (uaccess.S): 0, or VIPER_ERR_FAULT. */
int uaccess_copy_from(void *dst, const void *usrc, size_t n);
int uaccess_copy_to(void *udst, const void *src, size_t n);

static inline int user_range_ok(uint64_t addr, size_t len)
{
    return addr + len >= addr && addr + len <= VIPER_USER_MAX;
}

/* The __uaccess_table entry for the instruction at local label 1: resume at fixup. */
#define UACCESS_ENTRY(fixup) \
    ".pushsection __uaccess_table, \"a\"\n.balign 8\n.quad 1b, " fixup "\n.popsection\n"

/* One 8-byte user load or store, in place (no range check: the caller's). */
static HOT_INLINE int user_load(uint64_t *v, uint64_t uaddr)
{
    asm goto("1: ldtr %0, [%1]\n" UACCESS_ENTRY("%l[fault]") : "=r"(*v) : "r"(uaddr) : : fault);
    return VIPER_OK;
fault:
    return VIPER_ERR_FAULT;
}

static HOT_INLINE int user_store(uint64_t uaddr, uint64_t v)
{
    asm goto("1: sttr %0, [%1]\n" UACCESS_ENTRY("%l[fault]") : : "r"(v), "r"(uaddr) : "memory"
             : fault);
    return VIPER_OK;
fault:
    return VIPER_ERR_FAULT;
}

/*
 * Inline, and word by word in place when both sides are 8-byte aligned and
 * the length a multiple of 8 (message descriptors and payloads): on the IPC
 * path every call and return is a QEMU lookup (docs/bench.md).
 */
static HOT_INLINE int copy_from_user(void *dst, uint64_t usrc, size_t len)
{
    if (!user_range_ok(usrc, len))
        return VIPER_ERR_FAULT;
    if ((usrc | (uint64_t)dst | len) & 7)
        return uaccess_copy_from(dst, (const void *)usrc, len);
    uint64_t *d = dst;
    for (size_t i = 0; i < len / 8; i++)
        if (user_load(&d[i], usrc + 8 * i))
            return VIPER_ERR_FAULT;
    return VIPER_OK;
}

static HOT_INLINE int copy_to_user(uint64_t udst, const void *src, size_t len)
{
    if (!user_range_ok(udst, len))
        return VIPER_ERR_FAULT;
    if ((udst | (uint64_t)src | len) & 7)
        return uaccess_copy_to((void *)udst, src, len);
    const uint64_t *s = src;
    for (size_t i = 0; i < len / 8; i++)
        if (user_store(udst + 8 * i, s[i]))
            return VIPER_ERR_FAULT;
    return VIPER_OK;
}

/*
 * Copy a NUL-terminated string of at most max-1 characters; returns its
 * length, VIPER_ERR_FAULT, or VIPER_ERR_INVALID if it does not fit.
 */
int64_t copy_string_from_user(char *dst, uint64_t usrc, size_t max);

/* If pc is a user access listed in __uaccess_table: true, and pc = where to resume. */
int uaccess_fixup(uint64_t *pc);
