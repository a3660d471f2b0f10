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

/* Run the call numbered tf->x[8]; unknown numbers get VIPER_ERR_NOT_SUPPORTED. */
void syscall_dispatch(struct trap_frame *tf);

#define SYSCALL(num, name) int64_t sys_##name(struct trap_frame *tf);
#include "../../syscall/table.inc"
#undef SYSCALL
