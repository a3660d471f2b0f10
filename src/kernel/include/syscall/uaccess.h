/*
 * syscall/uaccess.h - the only way the kernel touches user memory.
 *
 * Each call checks the range lies below VIPER_USER_MAX without wrapping,
 * then copies inside arch/aarch64/uaccess.S; a fault there is resolved
 * like a user fault (demand paging, copy-on-write) or turned into
 * VIPER_ERR_FAULT.  Kernel addresses and NULL come back as VIPER_ERR_FAULT.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "viper/errors.h"
#include "viper/types.h"

/* The copies themselves (uaccess.S): 0, or VIPER_ERR_FAULT. */
int uaccess_copy_from(void *dst, const void *usrc, size_t n);
int uaccess_copy_to(void *udst, const void *src, size_t n);

static inline int user_range_ok(uint64_t addr, size_t len)
{
    return addr + len >= addr && addr + len <= VIPER_USER_MAX;
}

/* Inline: on the IPC path a call and a return more are two QEMU lookups (docs/bench.md). */
static inline __attribute__((always_inline)) int copy_from_user(void *dst, uint64_t usrc, size_t len)
{
    if (!user_range_ok(usrc, len))
        return VIPER_ERR_FAULT;
    return uaccess_copy_from(dst, (const void *)usrc, len);
}

static inline __attribute__((always_inline)) int copy_to_user(uint64_t udst, const void *src, size_t len)
{
    if (!user_range_ok(udst, len))
        return VIPER_ERR_FAULT;
    return uaccess_copy_to((void *)udst, src, len);
}

/*
 * Copy a NUL-terminated string of at most max-1 characters; returns its
 * length, VIPER_ERR_FAULT, or VIPER_ERR_INVALID if it does not fit.
 */
int64_t copy_string_from_user(char *dst, uint64_t usrc, size_t max);

/* True if pc is inside the copy routines (the fault handler's question). */
int uaccess_fixup(uint64_t *pc);
