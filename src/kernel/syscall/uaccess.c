/*
 * uaccess.c - the string copy's range check and the fault fixup (the
 * block copies' checks are inline in syscall/uaccess.h).
 */
#include "syscall/uaccess.h"
#include "viper/errors.h"
#include "viper/types.h"

int64_t uaccess_strncpy(char *dst, const char *usrc, size_t max);
/* __uaccess_table (kernel.ld): a user access's address, then where to resume if it faults. */
struct uaccess_entry {
    uint64_t insn, fixup;
};
extern const struct uaccess_entry __uaccess_table_start[], __uaccess_table_end[];

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
    for (const struct uaccess_entry *e = __uaccess_table_start; e < __uaccess_table_end; e++) {
        if (e->insn == *pc) {
            *pc = e->fixup;
            return 1;
        }
    }
    return 0;
}
