/*
 * arch/fpu.h - lazy FP/SIMD state switching (arch/aarch64/fpu.c).
 */
#pragma once

struct thread;

/* Called on every switch: let next use FP directly only if its state is live. */
void fpu_switch_to(struct thread *next);

/* The EL0 FP-access trap: make t's FP state live. */
void fpu_trap(struct thread *t);

/* Write t's live FP registers (if it owns them) back to t->fp (before copying it). */
void fpu_flush(struct thread *t);

/* t exits or execs: drop its FP state. */
void fpu_forget(struct thread *t);
