/*
 * ipc_syscall.c - shared memory and registry system calls.
 */
#include "cap/handle.h"
#include "ipc/registry.h"
#include "ipc/shm.h"
#include "mm/pmm.h"
#include "mm/vm.h"
#include "proc/process.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"
#include "viper/errors.h"
#include "viper/types.h"

#define SHM_RIGHTS (VIPER_RIGHT_READ | VIPER_RIGHT_WRITE | VIPER_RIGHT_TRANSFER | VIPER_RIGHT_DERIVE)
#define CHANNEL_RIGHTS (VIPER_RIGHT_READ | VIPER_RIGHT_WRITE | VIPER_RIGHT_TRANSFER | VIPER_RIGHT_DERIVE)

static struct handle_table *table(void)
{
    return &proc_current()->handles;
}

/* Give the caller a new handle for o (whose creator reference it takes over). */
static int give_handle(struct object *o, uint32_t rights, uint64_t *out)
{
    return handle_give(table(), o, rights, out);
}

int64_t sys_shm_create(struct trap_frame *tf)
{
    uint64_t size = tf->x[0];
    struct shm *s;
    if (size == 0 || size > SHM_MAX_BYTES)
        return VIPER_ERR_INVALID;
    int err = shm_alloc(proc_current(), size, &s);
    return err ? err : give_handle(&s->obj, SHM_RIGHTS, &tf->x[1]);
}

int64_t sys_shm_map(struct trap_frame *tf)
{
    uint64_t prot = tf->x[2];
    if (prot & ~(uint64_t)(VIPER_PROT_READ | VIPER_PROT_WRITE) || !prot)
        return VIPER_ERR_INVALID;
    uint32_t need = VIPER_RIGHT_READ | ((prot & VIPER_PROT_WRITE) ? VIPER_RIGHT_WRITE : 0);
    struct cap *c;
    int err = handle_lookup(table(), tf->x[0], OBJ_SHM, need, &c);
    if (err)
        return err;
    struct shm *s = container_of(c->obj, struct shm, obj);
    struct vm_space *vm = proc_current()->vm;
    uint64_t len = s->npages * PAGE_SIZE;
    uint64_t addr = vm_find_free(vm, tf->x[1], len);
    if (!addr)
        return VIPER_ERR_NO_MEMORY;
    err = vm_map_shm(vm, addr, (uint32_t)prot, s);
    if (!err)
        tf->x[1] = addr;
    return err;
}

/* A registry name from user space: 1..REGISTRY_NAME_MAX-1 characters. */
static int copy_name(uint64_t uname, char *name)
{
    int64_t n = copy_string_from_user(name, uname, REGISTRY_NAME_MAX);
    if (n < 0)
        return (int)n;
    return n == 0 ? VIPER_ERR_INVALID : VIPER_OK;
}

int64_t sys_registry_register(struct trap_frame *tf)
{
    char name[REGISTRY_NAME_MAX];
    struct cap *reg, *ep;
    int err = handle_lookup(table(), tf->x[0], OBJ_REGISTRY, VIPER_RIGHT_CREATE, &reg);
    if (!err)
        err = copy_name(tf->x[1], name);
    if (!err)
        err = handle_lookup(table(), tf->x[2], OBJ_CHANNEL, VIPER_RIGHT_TRANSFER, &ep);
    return err ? err : registry_add(name, ep);
}

int64_t sys_registry_open(struct trap_frame *tf)
{
    char name[REGISTRY_NAME_MAX];
    struct cap *reg;
    struct endpoint *client;
    int err = handle_lookup(table(), tf->x[0], OBJ_REGISTRY, VIPER_RIGHT_TRAVERSE, &reg);
    if (!err)
        err = copy_name(tf->x[1], name);
    if (!err && table()->used >= table()->limit)
        err = VIPER_ERR_LIMIT;   /* before the server hears of a client that cannot exist */
    if (!err)
        err = registry_connect(name, &client);
    return err ? err : give_handle(&client->obj, CHANNEL_RIGHTS, &tf->x[1]);
}
