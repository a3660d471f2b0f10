/*
 * syscall/syscall.h - system call dispatch.
 *
 * Handlers read their arguments from tf->x[0..5], write results to
 * tf->x[1..3] and return the status the caller sees in x0.  The table is
 * generated from abi/syscalls.toml (syscall/table.inc).
 */
#pragma once
#include <stdint.h>
#include "arch/trap.h"

/* The handlers by number (vectors.S calls them), and the lean ones (vectors.S, syscall/lean.h). */
typedef int64_t (*syscall_fn)(struct trap_frame *tf);
extern const syscall_fn syscall_table[];
extern const syscall_fn syscall_lean_table[];

#define SYSCALL(num, name) int64_t sys_##name(struct trap_frame *tf);
#include "../../syscall/table.inc"
#undef SYSCALL
