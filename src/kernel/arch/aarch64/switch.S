/*
 * switch.S - changing threads and entering user space.
 *
 * arch_switch saves the callee-saved registers, fp, lr and sp of the
 * current thread (the C caller has saved the rest) and loads the next
 * thread's; it "returns" into the next thread, with VIPER_OK, after
 * freeing the stacks of threads that died (sched_reap_dead) if there are
 * any.  schedule() ends in a jump here, so the return lands in schedule's
 * caller.  A new thread's context has lr = ret_to_user (vectors.S) and
 * sp = its trap frame; a parked one's lr = ret_from_park.
 * arch_switch_load(to) is the second half alone, for a parked thread
 * switching away: its context is set already and must not be saved over.
 */
    .text
    .globl arch_switch
arch_switch:                        /* x0 = from, x1 = to (struct arch_context) */
    stp     x19, x20, [x0, #0]
    stp     x21, x22, [x0, #16]
    stp     x23, x24, [x0, #32]
    stp     x25, x26, [x0, #48]
    stp     x27, x28, [x0, #64]
    stp     x29, x30, [x0, #80]
    mov     x9, sp
    str     x9, [x0, #96]
switch_load:
    ldp     x19, x20, [x1, #0]
    ldp     x21, x22, [x1, #16]
    ldp     x23, x24, [x1, #32]
    ldp     x25, x26, [x1, #48]
    ldp     x27, x28, [x1, #64]
    ldp     x29, x30, [x1, #80]
    ldr     x9, [x1, #96]
    mov     sp, x9
    adrp    x9, sched_dead
    add     x9, x9, :lo12:sched_dead
    ldr     x10, [x9]               /* sched_dead.next: the list itself when empty */
    cmp     x10, x9
    b.ne    sched_reap_dead         /* returns VIPER_OK to our caller */
    mov     x0, #0                  /* VIPER_OK */
    ret

    .globl arch_switch_load
arch_switch_load:                   /* x0 = to */
    mov     x1, x0
    b       switch_load

/*
 * arch_run_on_stack(sp, fn, a0, a1): go on in fn(a0, a1) on the
 * stack that ends at sp, leaving this one for good.  chan_call's fast path
 * continues on the receiver's stack once its address space is loaded, so
 * that nothing after the switch touches the caller's stack page.  On code
 * page 0 with its callers (kernel.ld).
 */
    .section .text.arch_run_on_stack, "ax"
    .globl arch_run_on_stack
arch_run_on_stack:                  /* x0 = sp, x1 = fn, x2 and x3 = its arguments */
    mov     sp, x0
    mov     x29, xzr                /* a kernel backtrace stops here */
    mov     x16, x1
    mov     x0, x2
    mov     x1, x3
    br      x16
    .text

/* FP/SIMD state save/load for the lazy switch in fpu.c: x0 = struct fp_state.
 * Its own section: only a thread that uses FP needs it (kernel.ld). */
    .section .text.fpu_state, "ax"
    .globl fpu_save
fpu_save:
    stp     q0, q1, [x0, #0]
    stp     q2, q3, [x0, #32]
    stp     q4, q5, [x0, #64]
    stp     q6, q7, [x0, #96]
    stp     q8, q9, [x0, #128]
    stp     q10, q11, [x0, #160]
    stp     q12, q13, [x0, #192]
    stp     q14, q15, [x0, #224]
    stp     q16, q17, [x0, #256]
    stp     q18, q19, [x0, #288]
    stp     q20, q21, [x0, #320]
    stp     q22, q23, [x0, #352]
    stp     q24, q25, [x0, #384]
    stp     q26, q27, [x0, #416]
    stp     q28, q29, [x0, #448]
    stp     q30, q31, [x0, #480]
    mrs     x1, fpsr
    mrs     x2, fpcr
    add     x0, x0, #512
    stp     x1, x2, [x0]
    ret

    .globl fpu_load
fpu_load:
    ldp     q0, q1, [x0, #0]
    ldp     q2, q3, [x0, #32]
    ldp     q4, q5, [x0, #64]
    ldp     q6, q7, [x0, #96]
    ldp     q8, q9, [x0, #128]
    ldp     q10, q11, [x0, #160]
    ldp     q12, q13, [x0, #192]
    ldp     q14, q15, [x0, #224]
    ldp     q16, q17, [x0, #256]
    ldp     q18, q19, [x0, #288]
    ldp     q20, q21, [x0, #320]
    ldp     q22, q23, [x0, #352]
    ldp     q24, q25, [x0, #384]
    ldp     q26, q27, [x0, #416]
    ldp     q28, q29, [x0, #448]
    ldp     q30, q31, [x0, #480]
    add     x0, x0, #512
    ldp     x1, x2, [x0]
    msr     fpsr, x1
    msr     fpcr, x2
    ret
