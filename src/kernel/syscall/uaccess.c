/*
 * uaccess.c - range checks in front of the fault-tolerant copies.
 */
#include "syscall/uaccess.h"
#include "viper/errors.h"
#include "viper/types.h"

int uaccess_copy_from(void *dst, const void *usrc, size_t n);
int uaccess_copy_to(void *udst, const void *src, size_t n);
int64_t uaccess_strncpy(char *dst, const char *usrc, size_t max);
extern char uaccess_start[], uaccess_end[], uaccess_fault[];

static int user_range(uint64_t addr, size_t len)
{
    return addr + len >= addr && addr + len <= VIPER_USER_MAX;
}

int copy_from_user(void *dst, uint64_t usrc, size_t len)
{
    if (!user_range(usrc, len))
        return VIPER_ERR_FAULT;
    return uaccess_copy_from(dst, (const void *)usrc, len);
}

int copy_to_user(uint64_t udst, const void *src, size_t len)
{
    if (!user_range(udst, len))
        return VIPER_ERR_FAULT;
    return uaccess_copy_to((void *)udst, src, len);
}

int64_t copy_string_from_user(char *dst, uint64_t usrc, size_t max)
{
    if (usrc >= VIPER_USER_MAX)
        return VIPER_ERR_FAULT;
    if (max > VIPER_USER_MAX - usrc)
        max = VIPER_USER_MAX - usrc;
    return uaccess_strncpy(dst, (const char *)usrc, max);
}

int uaccess_fixup(uint64_t *pc)
{
    if (*pc < (uint64_t)uaccess_start || *pc >= (uint64_t)uaccess_end)
        return 0;
    *pc = (uint64_t)uaccess_fault;
    return 1;
}
