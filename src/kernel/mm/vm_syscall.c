/*
 * vm_syscall.c - mmap, munmap, mprotect and brk: argument checks, then vm.c.
 */
#include "mm/pmm.h"
#include "mm/vm.h"
#include "proc/process.h"
#include "syscall/syscall.h"
#include "viper/errors.h"
#include "viper/types.h"

#define PROT_ALL (VIPER_PROT_READ | VIPER_PROT_WRITE | VIPER_PROT_EXEC)

static struct vm_space *current_vm(void)
{
    return proc_current()->vm;
}

int64_t sys_mmap(struct trap_frame *tf)
{
    uint64_t addr = tf->x[0], len = tf->x[1], prot = tf->x[2], flags = tf->x[3];
    if (!len || len > VIPER_USER_MAX || (prot & ~(uint64_t)PROT_ALL) ||
        (flags & ~(uint64_t)VIPER_MAP_FIXED))
        return VIPER_ERR_INVALID;
    struct vm_space *vm = current_vm();
    if (flags & VIPER_MAP_FIXED) {
        if (addr & (PAGE_SIZE - 1))
            return VIPER_ERR_INVALID;
        int err = vm_unmap(vm, addr, len);
        if (err)
            return err;
    } else {
        addr = vm_find_free(vm, addr, len);
        if (!addr)
            return VIPER_ERR_NO_MEMORY;
    }
    int err = vm_map(vm, addr, len, (uint32_t)prot, VMA_ANON);
    if (!err)
        tf->x[1] = addr;
    return err;
}

int64_t sys_munmap(struct trap_frame *tf)
{
    return vm_unmap(current_vm(), tf->x[0], tf->x[1]);
}

int64_t sys_mprotect(struct trap_frame *tf)
{
    if (tf->x[2] & ~(uint64_t)PROT_ALL)
        return VIPER_ERR_INVALID;
    return vm_protect(current_vm(), tf->x[0], tf->x[1], (uint32_t)tf->x[2]);
}

/* Move the heap end; the heap is one VMA [heap_start, page-rounded heap_end). */
int64_t sys_brk(struct trap_frame *tf)
{
    struct vm_space *vm = current_vm();
    uint64_t want = tf->x[0];
    if (want) {
        if (want < vm->heap_start || want > VIPER_USER_HEAP_MAX)
            return VIPER_ERR_INVALID;
        uint64_t old_top = (vm->heap_end + PAGE_SIZE - 1) & PAGE_MASK;
        uint64_t new_top = (want + PAGE_SIZE - 1) & PAGE_MASK;
        if (new_top > old_top) {
            if ((new_top - vm->heap_start) > vm->mem_limit)
                return VIPER_ERR_LIMIT;
            int err = vm_map(vm, old_top, new_top - old_top, VIPER_PROT_READ | VIPER_PROT_WRITE,
                             VMA_HEAP);
            if (err)
                return err == VIPER_ERR_INVALID ? VIPER_ERR_NO_MEMORY : err;
        } else if (new_top < old_top) {
            vm_unmap(vm, new_top, old_top - new_top);
        }
        vm->heap_end = want;
    }
    tf->x[1] = vm->heap_end;
    return VIPER_OK;
}
