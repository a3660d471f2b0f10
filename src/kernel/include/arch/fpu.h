/*
 * arch/fpu.h - lazy FP/SIMD state switching (arch/aarch64/fpu.c).
 */
#pragma once
#include <stdbool.h>
#include "kernel/hot.h"

struct thread;

/* fpu.c's state, read inline on every switch. */
extern struct thread *fpu_owner;   /* whose state the FP registers hold, or NULL */
extern bool fpu_el0_trapped;       /* CPACR_EL1 traps EL0's FP use now */

/* Turn the EL0 FP trap on. */
void fpu_trap_el0(void);

/*
 * Called on every switch: let next use FP directly only if its state is
 * live.  Going back to the owner leaves the trap as it is: if the owner
 * uses FP again, one trap (fpu_trap: owner already) turns it off.  Two
 * threads switching back and forth with FP in neither loop then write
 * CPACR (and ISB, which ends QEMU's translation block) never, instead of
 * on every switch; inline, the common case costs two loads.
 */
static HOT_INLINE void fpu_switch_to(struct thread *next)
{
    if (unlikely((next != fpu_owner) & !fpu_el0_trapped))   /* &: one branch, not two */
        fpu_trap_el0();
}

/* The EL0 FP-access trap: make t's FP state live. */
void fpu_trap(struct thread *t);

/* Write t's live FP registers (if it owns them) back to t->fp (before copying it). */
void fpu_flush(struct thread *t);

/* t exits or execs: drop its FP state. */
void fpu_forget(struct thread *t);
