/*
 * arch/trap.h - the register frame saved on every exception entry
 * (arch/aarch64/vectors.S) and the exception report used by panics and,
 * later, by reports of faulting user programs.
 */
#pragma once
#include <stdint.h>

/* Layout fixed by vectors.S: keep the offsets in sync (TF_* there). */
struct trap_frame {
    uint64_t x[31];   /* x0..x30 */
    uint64_t sp;      /* SP at the time of the exception */
    uint64_t elr;     /* return address */
    uint64_t spsr;
    uint64_t esr;
    uint64_t far;
};

/* Print "EC name" and, for aborts, the decoded ISS (fault status, level, read/write). */
void esr_describe(uint64_t esr, uint64_t far);

/* Name of an exception class (ESR_ELx.EC). */
const char *esr_class_name(unsigned ec);

/* Print the backtrace of the caller of the function that calls this (for panic). */
void arch_backtrace_here(void);

/* Print registers, backtrace and the addr2line/gdb commands for a frame. */
void trap_report(const struct trap_frame *tf);
