/*
 * syscall/lean.h - the lean system call paths of arch/aarch64/vectors.S
 * (el0_sync).  Plain defines, because vectors.S includes this file.
 *
 * getpid and gettid are answered in the vector itself, from the running
 * thread (sched.c's `current`), and every call's way out checks the
 * thread's `dying` there; the field offsets they read are checked
 * against the C structures in syscall.c.  Other calls numbered below
 * SYSCALL_LEAN_COUNT may have an entry in syscall_lean_table (syscall.c).
 */
#pragma once
#include "viper/syscalls.h"

#define SYSCALL_LEAN_COUNT 20   /* at most 32: SYSCALL_LEAN_MASK is one 32-bit word */

/*
 * The lean calls, one bit per number: the vector tests one bit to send
 * every other call straight to the full path (one translation block under
 * QEMU instead of four).  A bit without a syscall_lean_table entry (or an
 * entry without its bit) only means the full path.
 */
#define SYSCALL_LEAN_MASK ((1 << VIPER_SYS_GETPID) | (1 << VIPER_SYS_GETTID) | \
                           (1 << VIPER_SYS_CLOCK_GET))

/*
 * The calls whose frame holds x19-x28 as well (el0_sync_full): fork and
 * exec, and the receives that may park (ipc/chan_syscall.c).  Numbers
 * below 32.
 */
#define SYSCALL_CALLEE_MASK ((1 << VIPER_SYS_FORK) | (1 << VIPER_SYS_EXEC) | \
                             (1 << VIPER_SYS_CHAN_RECV) | (1 << VIPER_SYS_CHAN_CALL))

#define LEAN_THREAD_PROC   168  /* offsetof(struct thread, proc) */
#define LEAN_THREAD_TID    208  /* offsetof(struct thread, tid) */
#define LEAN_PROC_PID      48   /* offsetof(struct process, pid) */
#define LEAN_PROC_PARENT   88   /* offsetof(struct process, parent) */
#define LEAN_THREAD_DYING  200  /* offsetof(struct thread, dying), a bool */
