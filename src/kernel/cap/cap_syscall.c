/*
 * cap_syscall.c - the handle and capability system calls.
 */
#include "cap/handle.h"
#include "proc/process.h"
#include "syscall/syscall.h"
#include "viper/errors.h"
#include "viper/types.h"

static struct handle_table *table(void)
{
    return &proc_current()->handles;
}

int64_t sys_handle_close(struct trap_frame *tf)
{
    return handle_close(table(), tf->x[0]);
}

int64_t sys_handle_dup(struct trap_frame *tf)
{
    uint32_t h;
    int err = handle_dup(table(), tf->x[0], &h);
    if (!err)
        tf->x[1] = h;
    return err;
}

int64_t sys_cap_derive(struct trap_frame *tf)
{
    uint32_t h;
    if (tf->x[1] & ~(uint64_t)VIPER_RIGHTS_ALL)
        return VIPER_ERR_INVALID;
    int err = cap_derive(table(), tf->x[0], (uint32_t)tf->x[1], &h);
    if (!err)
        tf->x[1] = h;
    return err;
}

int64_t sys_cap_revoke(struct trap_frame *tf)
{
    return cap_revoke(table(), tf->x[0]);
}

int64_t sys_cap_query(struct trap_frame *tf)
{
    struct cap *c;
    int err = handle_lookup(table(), tf->x[0], 0, 0, &c);
    if (!err) {
        tf->x[1] = c->obj->type;
        tf->x[2] = c->rights;
    }
    return err;
}
