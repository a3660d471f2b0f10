/*
 * uaccess.c - the string copy's range check and the fault fixup (the
 * block copies' checks are inline in syscall/uaccess.h).
 */
#include "syscall/uaccess.h"
#include "viper/errors.h"
#include "viper/types.h"

int64_t uaccess_strncpy(char *dst, const char *usrc, size_t max);
extern char uaccess_start[], uaccess_end[], uaccess_fault[];

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
