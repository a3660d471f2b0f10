/*
 * syscall.c - the dispatch table and the calls that belong to no
 * subsystem (console output, time, kernel counters, sleep).
 *
 * Hot path: the vector (vectors.S) looks the handler up in syscall_table
 * and calls it (numbers out of range get the last entry: NOT_SUPPORTED);
 * nothing here allocates.  The calls of syscall_lean_table take a shorter
 * path still.
 */
#include <stddef.h>
#include "arch/timer.h"
#include "cap/object.h"
#include "ipc/channel.h"
#include "kernel/log.h"
#include "dev/console.h"
#include "kernel/hot.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "syscall/lean.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"
#include "viper/errors.h"
#include "viper/syscalls.h"
#include "viper/types.h"

/* A number past the last call (vectors.S sends every such number here). */
static int64_t sys_not_supported(struct trap_frame *tf)
{
    (void)tf;
    return VIPER_ERR_NOT_SUPPORTED;
}

/*
 * Called from vectors.S (el0_sync_full), which sends numbers at or past
 * VIPER_SYS_COUNT to the last entry; no entry is NULL (tools/gen-abi keeps
 * the numbers free of gaps), so the vector needs no test.
 */
const syscall_fn syscall_table[VIPER_SYS_COUNT + 1] ENTRY_RODATA = {
#define SYSCALL(num, name) [num] = sys_##name,
#include "table.inc"
#undef SYSCALL
    [VIPER_SYS_COUNT] = sys_not_supported,
};

/*
 * Lean calls: vectors.S calls these straight from the vector on a frame
 * holding only x0-x18 and x30, and returns straight to EL0.  A handler
 * may be listed here only if it reads nothing but tf->x[0..5], writes
 * nothing but tf->x[1..3], never blocks, wakes or switches threads, and
 * never touches user memory (a fault would overwrite ELR_EL1).  A call
 * listed here runs lean only if SYSCALL_LEAN_MASK (syscall/lean.h) has its
 * bit too; either alone just sends it down the full path.
 */
const syscall_fn syscall_lean_table[SYSCALL_LEAN_COUNT] ENTRY_RODATA = {
    [VIPER_SYS_CLOCK_GET] = sys_clock_get,
};

/* vectors.S answers getpid and gettid itself, and reads dying on every way out, at these offsets. */
_Static_assert(offsetof(struct thread, proc) == LEAN_THREAD_PROC, "syscall/lean.h");
_Static_assert(offsetof(struct thread, tid) == LEAN_THREAD_TID, "syscall/lean.h");
_Static_assert(offsetof(struct process, pid) == LEAN_PROC_PID, "syscall/lean.h");
_Static_assert(offsetof(struct process, parent) == LEAN_PROC_PARENT, "syscall/lean.h");
_Static_assert(offsetof(struct thread, dying) == LEAN_THREAD_DYING, "syscall/lean.h");
_Static_assert(sizeof(((struct thread *)0)->dying) == 1, "syscall/lean.h: dying is read as a byte");

#define DEBUG_WRITE_MAX 4096

int64_t sys_debug_write(struct trap_frame *tf)
{
    static char buf[DEBUG_WRITE_MAX];   /* one CPU, and the copy cannot block */
    uint64_t len = tf->x[1];
    if (len > DEBUG_WRITE_MAX)
        return VIPER_ERR_INVALID;
    int err = copy_from_user(buf, tf->x[0], len);
    if (err)
        return err;
    console_write(buf, len);
    return VIPER_OK;
}

int64_t sys_clock_get(struct trap_frame *tf)
{
    tf->x[1] = timer_now_ns();
    return VIPER_OK;
}

int64_t sys_sleep_until(struct trap_frame *tf)
{
    int err = wq_wait(NULL, tf->x[0] ? tf->x[0] : 1);
    return err == VIPER_ERR_TIMED_OUT ? VIPER_OK : err;
}

int64_t sys_kstat(struct trap_frame *tf)
{
    if (tf->x[0] & 7)
        return VIPER_ERR_INVALID;
    struct viper_kstat k = {
        .free_pages = pmm_free_count() + slab_cached_pages(),   /* both are free for the asking */
        .total_pages = pmm_total_count(),
        .heap_bytes = kmalloc_in_use(),
        .processes = proc_count(),
        .threads = thread_count(),
        .context_switches = sched_context_switches(),
        .objects = obj_live_count(),
        .fast_calls = chan_fast_calls,
    };
    return copy_to_user(tf->x[0], &k, sizeof k);
}
