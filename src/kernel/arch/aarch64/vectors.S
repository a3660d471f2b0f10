/*
 * vectors.S - the exception vector table (VBAR_EL1).
 *
 * 16 entries of 128 bytes: {current EL with SP_EL0, current EL with SP_ELx,
 * lower EL AArch64, lower EL AArch32} x {sync, IRQ, FIQ, SError}.  Each
 * saves a struct trap_frame (arch/trap.h) on the kernel stack and calls C.
 * Kernel-mode sync exceptions and IRQs, and lower-EL ones, are expected;
 * the rest mean something is badly wrong and end in trap_unexpected().
 *
 * The lower-EL sync entry is the system-call path: it calls the handlers
 * itself, with a lean path for a few calls (see el0_sync below, and
 * docs/bench.md for what each step costs under QEMU).
 */

#define TF_SIZE     288
#define TF_X18      144
#define TF_X28      224
#define TF_X29      232
#define TF_X30      240
#define TF_SP       248
#define TF_ELR      256
#define TF_SPSR     264
#define TF_ESR      272
#define TF_FAR      280

#include "syscall/lean.h"
#include "viper/syscalls.h"

#define EC_SVC64    0x15
#define EC_DABT_LOW 0x24

.macro SAVE_FRAME from_el0
    sub     sp, sp, #TF_SIZE
    stp     x0, x1, [sp, #16 * 0]
    SAVE_FRAME_X2 \from_el0
.endm

/* The rest of SAVE_FRAME, once x0 and x1 are in the frame. */
.macro SAVE_FRAME_X2 from_el0
    SAVE_PARTIAL
    SAVE_REST \from_el0
.endm

/* x2-x18 and x30: with x0 and x1, what a C call may clobber (the lean paths' frame). */
.macro SAVE_PARTIAL
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    str     x18, [sp, #TF_X18]
    str     x30, [sp, #TF_X30]
.endm

/* x19-x29, SP, ELR, SPSR, ESR and FAR: completes a partial frame.  Leaves x0 = ESR. */
.macro SAVE_REST from_el0
    SAVE_CALLEE
    SAVE_SPECIAL \from_el0
.endm

/* x19-x28: the registers C preserves (x29 goes with SAVE_SPECIAL). */
.macro SAVE_CALLEE
    str     x19, [sp, #TF_X18 + 8]
    stp     x20, x21, [sp, #16 * 10]
    stp     x22, x23, [sp, #16 * 11]
    stp     x24, x25, [sp, #16 * 12]
    stp     x26, x27, [sp, #16 * 13]
    str     x28, [sp, #TF_X28]
.endm

/* x29, SP, ELR, SPSR, ESR and FAR.  Leaves x0 = ESR. */
.macro SAVE_SPECIAL from_el0
    SAVE_SP_ELR_SPSR \from_el0
    mrs     x0, esr_el1
    mrs     x1, far_el1
    stp     x0, x1, [sp, #TF_ESR]
.endm

/* x29, SP, ELR and SPSR. */
.macro SAVE_SP_ELR_SPSR from_el0
    str     x29, [sp, #TF_X29]
    .if \from_el0
    mrs     x0, sp_el0
    .else
    add     x0, sp, #TF_SIZE
    .endif
    str     x0, [sp, #TF_SP]
    mrs     x0, elr_el1
    mrs     x1, spsr_el1
    stp     x0, x1, [sp, #TF_ELR]
.endm

/* Undo SAVE_PARTIAL, pop the frame and return to EL0 (x0 and x1 are the caller's to set). */
.macro RESTORE_PARTIAL_ERET
    ldp     x2, x3, [sp, #16 * 1]
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x6, x7, [sp, #16 * 3]
    ldp     x8, x9, [sp, #16 * 4]
    ldp     x10, x11, [sp, #16 * 5]
    ldp     x12, x13, [sp, #16 * 6]
    ldp     x14, x15, [sp, #16 * 7]
    ldp     x16, x17, [sp, #16 * 8]
    ldr     x18, [sp, #TF_X18]
    ldr     x30, [sp, #TF_X30]
    add     sp, sp, #TF_SIZE
    eret
.endm

/*
 * ELR, SPSR and SP_EL0 are written only when they changed.  Under QEMU's
 * TCG each write to one of them ends the translation block and leaves
 * the CPU loop; reading and comparing costs a chained block.  They stay
 * unchanged when a call returns to the thread that made it, and when two
 * threads running the same code trade places (docs/bench.md).
 */
.macro RESTORE_FRAME to_el0
    RESTORE_CALLEE
    RESTORE_SPECIAL \to_el0
    RESTORE_X29_ERET
.endm

.macro RESTORE_CALLEE
    ldr     x19, [sp, #TF_X18 + 8]
    ldp     x20, x21, [sp, #16 * 10]
    ldp     x22, x23, [sp, #16 * 11]
    ldp     x24, x25, [sp, #16 * 12]
    ldp     x26, x27, [sp, #16 * 13]
    ldr     x28, [sp, #TF_X28]
.endm

/* ELR, SPSR and (to EL0) SP_EL0 from the frame, each only if it changed. */
.macro RESTORE_SPECIAL to_el0
    ldp     x0, x1, [sp, #TF_ELR]
    mrs     x2, elr_el1
    cmp     x0, x2
    b.eq    1f
    msr     elr_el1, x0
1:  mrs     x2, spsr_el1
    cmp     x1, x2
    b.eq    2f
    msr     spsr_el1, x1
2:
    .if \to_el0
    ldr     x0, [sp, #TF_SP]
    mrs     x2, sp_el0
    cmp     x0, x2
    b.eq    3f
    msr     sp_el0, x0
3:
    .endif
.endm

/* The end of RESTORE_FRAME, for a frame whose x19-x28 are still in their registers. */
.macro RESTORE_X29_ERET
    ldr     x29, [sp, #TF_X29]
    ldp     x0, x1, [sp, #16 * 0]
    RESTORE_PARTIAL_ERET
.endm

/* A handler: save, call fn(frame[, arg]), restore. */
.macro HANDLER name, from_el0, fn, arg=-1
\name:
    .if \from_el0
    .cfi_startproc
    .cfi_undefined x30              /* for debuggers: the outermost kernel frame */
    .endif
    SAVE_FRAME \from_el0
    mov     x0, sp
    .if \arg >= 0
    mov     x1, #\arg
    .endif
    .if \from_el0
    mov     x29, xzr                /* a kernel backtrace stops here */
    .endif
    bl      \fn
    RESTORE_FRAME \from_el0
    .if \from_el0
    .cfi_endproc
    .endif
.endm

/*
 * el0_sync's first part, in its vector slot (32 instructions): system
 * calls, faults and FP traps from user space are sorted before the first
 * branch, so the common ones cost QEMU one translation block fewer than a
 * slot holding only a branch (docs/bench.md).  x0, x1 and ESR go to the
 * frame: ESR is read once per exception (under QEMU each read of ESR,
 * FAR or SP_EL0 is a call out of translated code to check the access).
 */
.macro EL0_SYNC_SLOT
    .balign 128
el0_sync:
    .cfi_startproc
    .cfi_undefined x30
    sub     sp, sp, #TF_SIZE
    stp     x0, x1, [sp, #16 * 0]
    mrs     x1, esr_el1
    str     x1, [sp, #TF_ESR]
    lsr     x1, x1, #26                     /* x1 = the exception class */
    movz    x0, #(SYSCALL_LEAN_MASK & 0xffff)
    movk    x0, #(SYSCALL_LEAN_MASK >> 16), lsl #16
    lsr     x0, x0, x8                      /* bit 0: x8's lean bit (x8 taken mod 64) */
    cmp     x8, #SYSCALL_LEAN_COUNT
    csel    x0, x0, xzr, lo                 /* past the lean numbers: not lean */
    cmp     x1, #EC_SVC64
    csel    x0, x0, xzr, eq                 /* not a system call: not lean */
    cmp     x1, #EC_DABT_LOW
    csinc   x0, x0, xzr, ne                 /* a data abort: bit 0 set (el0_dabt) */
    tbz     x0, #0, el0_sync_full           /* the rest: one test, one translation block */
    b.eq    el0_dabt                        /* flags: still the data-abort compare */
    b       el0_lean_call
    .cfi_endproc
    .if . - el0_sync > 128
    .error "el0_sync outgrew its vector slot"
    .endif
.endm

.macro VENTRY target
    .balign 128
    b       \target
.endm

/*
 * An unused vector's slot that also holds a piece of the el0 paths: the
 * vector's branch first, then the piece (SLOT_PIECE_END checks it fits the
 * 128 bytes).  Twelve vectors are never taken; their slots give the way in
 * and out of a system call room on the vectors' page, with the IPC path in
 * C beside them (kernel.ld, docs/bench.md).
 */
.macro SLOT_PIECE target
    .balign 128
9999:
    b       \target
    .cfi_startproc
    .cfi_undefined x30              /* for debuggers: the outermost kernel frame */
.endm

.macro SLOT_PIECE_END
    .cfi_endproc
    .if . - 9999b > 128
    .error "a piece outgrew its vector slot"
    .endif
.endm

/*
 * el0_sync: exceptions from user space; EL0_SYNC_SLOT sorts them and the
 * rest is in the slots around it and in .text.el0_entry, all on the
 * vectors' page.  getpid and gettid are answered right here
 * (syscall/lean.h): the floor's "svc, compare, eret" plus a stored pair and
 * a few loads.  A system call listed in syscall_lean_table (syscall.c)
 * runs on a partial frame: only x0-x18 and x30, the registers a C call may
 * clobber, are saved, and it returns straight to EL0.  That is safe
 * because a lean call neither blocks, switches, wakes a thread nor touches
 * user memory: ELR, SPSR and SP_EL0 cannot change under it, there is
 * nothing to reschedule, and a kill of this process can only have been
 * decided while it was off the CPU, which it left and came back to through
 * the full path.  Data aborts have a lean path of their own (el0_dabt, on
 * the page before).  Everything else (other calls, other faults, FP traps)
 * takes the full frame: el0_sync_full.
 * Cost: 30 instructions and one indirect call more than the floor; the
 * frame's top page is the only stack touched.
 */
    .text
    .balign 2048
    .globl exception_vectors
exception_vectors:
    SLOT_PIECE el1t_sync            /* current EL, SP_EL0: never used */
/*
 * A call's frame leaves out x19-x28: C preserves them, so they are the
 * user's again when the handler returns, through any switch in between
 * (arch_switch saves them).  The calls in SYSCALL_CALLEE_MASK need them in
 * the frame: fork (the child's copy; the child leaves through
 * ret_to_user), exec, which rebuilds the whole frame, and chan_call and
 * chan_recv, which may park (ipc/chan_syscall.c): the thread leaves the
 * kernel later through its frame alone.  A frame whose ESR is cleared is
 * the sign for the way out to load every register from it.  20 memory
 * accesses fewer per call.
 */
el0_sync_full:                      /* x0, x1 and ESR are in the frame already */
    SAVE_PARTIAL
    SAVE_SP_ELR_SPSR 1
    ldr     x0, [sp, #TF_ESR]
    mov     x29, xzr                /* a kernel backtrace stops here */
    lsr     x1, x0, #26
    cmp     x1, #EC_SVC64
    b.ne    el0_trap_far            /* a fault or an FP trap */
    str     xzr, [sp, #TF_FAR]      /* a system call has no fault address */
    movz    x9, #(SYSCALL_CALLEE_MASK & 0xffff)
    movk    x9, #(SYSCALL_CALLEE_MASK >> 16), lsl #16
    lsr     x9, x9, x8              /* bit 0: x8's bit (x8 taken mod 64: a stray save is harmless) */
    tbnz    x9, #0, el0_call_callee
    b       el0_call
    SLOT_PIECE_END

    SLOT_PIECE el1t_irq
el0_ret_special:                    /* sp = a frame whose x19-x28 are in their registers */
    RESTORE_SPECIAL 1
    RESTORE_X29_ERET
    SLOT_PIECE_END

    SLOT_PIECE el1t_fiq
el0_lean_call:                      /* from the vector slot: a lean number */
    cmp     x8, #VIPER_SYS_GETPID
    b.eq    el0_getpid
    cmp     x8, #VIPER_SYS_GETTID
    b.eq    el0_gettid
    adrp    x0, syscall_lean_table
    add     x0, x0, :lo12:syscall_lean_table
    ldr     x1, [x0, x8, lsl #3]
    cbz     x1, el0_sync_full
    SAVE_PARTIAL
    mov     x0, sp
    blr     x1                      /* x0 = status; results in the frame's x1-x3 */
    ldr     x1, [sp, #8]
    b       el0_lean_ret
    SLOT_PIECE_END

    SLOT_PIECE el1t_serror
el0_lean_ret:
    RESTORE_PARTIAL_ERET
/* getpid: x0-x2 are results, x3-x30 untouched; nothing to restore. */
el0_getpid:
    adrp    x0, current
    ldr     x0, [x0, :lo12:current]
    ldr     x0, [x0, #LEAN_THREAD_PROC]
    ldr     x1, [x0, #LEAN_PROC_PID]
    ldr     x2, [x0, #LEAN_PROC_PARENT]
    cbz     x2, 1f                  /* init has no parent: 0 */
    ldr     x2, [x2, #LEAN_PROC_PID]
1:  mov     x0, #0                  /* VIPER_OK */
    add     sp, sp, #TF_SIZE
    eret
    SLOT_PIECE_END

    VENTRY  el1h_sync               /* current EL, SP_EL1: the kernel */
    VENTRY  el1h_irq

    SLOT_PIECE el1h_fiq
el0_gettid:                         /* like getpid */
    adrp    x0, current
    ldr     x0, [x0, :lo12:current]
    ldr     x1, [x0, #LEAN_THREAD_TID]
    mov     x0, #0
    add     sp, sp, #TF_SIZE
    eret
/*
 * The way out of a parked receive (ipc/chan_syscall.c) that the sender did
 * not finish: ret_from_park is a parked thread's arch_switch lr, sp its
 * frame and nothing else on the stack; it finishes the receive in C.
 */
    .globl ret_from_park
ret_from_park:
    mov     x0, sp
    bl      chan_park_resume        /* x0 = the status */
    str     xzr, [sp, #TF_ESR]
    b       el0_call_done
el0_trap_far:                       /* a fault or an FP trap, from el0_sync_full */
    mrs     x1, far_el1
    str     x1, [sp, #TF_FAR]
    SAVE_CALLEE
    mov     x0, sp
el0_trap:                           /* x0 = sp = a full frame */
    bl      trap_sync
    b       el0_ret_full
    SLOT_PIECE_END

    VENTRY  el1h_serror
    EL0_SYNC_SLOT                   /* lower EL, AArch64: user space, in the slot itself */
    VENTRY  el0_irq
    VENTRY  el0_fiq
    VENTRY  el0_serror
    VENTRY  el0_32_sync             /* lower EL, AArch32: not supported */
    VENTRY  el0_32_irq
    VENTRY  el0_32_fiq
    VENTRY  el0_32_serror

/*
 * The kernel's own exceptions and interrupts, IRQs from user space and a
 * new thread's way out: warm, not on the system-call, switch and IPC
 * paths, so placed after them (kernel.ld) to leave pages 0 and 1 to those.
 */
    .pushsection .text.vectors_warm, "ax"
    HANDLER el1h_sync, 0, trap_sync
    HANDLER el1h_irq, 0, trap_irq
    .popsection

/*
 * el0_dabt: a data abort from EL0, on the lean call's partial frame
 * (x0-x18, x30).  trap_user_abort_lean (trap.c) resolves demand-zero, COW,
 * shared-memory and device faults with vm_fault, which never blocks,
 * switches or wakes anything: the same argument as for the lean calls.
 * When it cannot (a bad access, out of memory) it returns nonzero and the
 * frame is completed for trap_sync, which reports and kills: x19-x29 are
 * still the user's (callee-saved in C), ELR/SPSR/ESR/FAR unchanged.
 * On the page before the vectors' (kernel.ld): its callees are on a page
 * of their own anyway.
 */
    .pushsection .text.el0_dabt, "ax"
el0_dabt:                           /* x0, x1 and ESR are in the frame */
    .cfi_startproc
    .cfi_undefined x30
    SAVE_PARTIAL
    ldr     x0, [sp, #TF_ESR]
    mrs     x1, far_el1
    bl      trap_user_abort_lean    /* (esr, far) -> 0: resolved, retry the access */
    cbnz    w0, 1f
    ldp     x0, x1, [sp, #16 * 0]
    RESTORE_PARTIAL_ERET
1:  SAVE_REST 1
    mov     x29, xzr                /* a kernel backtrace stops here */
    mov     x0, sp
    b       el0_trap
    .cfi_endproc
    .popsection

/*
 * Every other system call: the handler called from here (syscall_table,
 * syscall.c; chan_call directly: the table is on another page), and
 * proc_return_to_user only when there is something for it to do (a
 * reschedule, or this thread dying).  Unknown call numbers get
 * syscall_table's last entry; faults and FP traps go to trap_sync on the
 * full frame.  In front of the vector table, on its page (kernel.ld,
 * .text.el0_entry), with chan_call's C path: under QEMU a branch to
 * another page costs a jump-cache lookup, one within the page is chained,
 * and after an address-space switch each page costs a TLB refill.
 */
    .pushsection .text.el0_entry, "ax"
el0_call:
    .cfi_startproc
    .cfi_undefined x30
    mov     x0, sp
    cmp     x8, #VIPER_SYS_CHAN_CALL
    b.eq    el0_chan_call
    mov     x9, #VIPER_SYS_COUNT
    cmp     x8, x9
    csel    x9, x8, x9, lo          /* past the last call: the table's last entry */
    adrp    x10, syscall_table
    add     x10, x10, :lo12:syscall_table
    ldr     x9, [x10, x9, lsl #3]
    blr     x9
el0_call_done:                      /* x0 = the status */
    str     x0, [sp]                /* the status, in the frame's x0 */
    adrp    x0, current
    ldr     x0, [x0, :lo12:current]
    ldrb    w0, [x0, #LEAN_THREAD_DYING]
    adrp    x1, resched
    ldrb    w1, [x1, :lo12:resched]
    orr     w0, w0, w1
    cbz     w0, 1f
    bl      proc_return_to_user
1:  ldr     x0, [sp, #TF_ESR]
    cbnz    x0, el0_ret_special     /* zero after exec: a new frame */
el0_ret_full:
    RESTORE_CALLEE
    b       el0_ret_special
el0_call_callee:
    SAVE_CALLEE
    b       el0_call
el0_chan_call:
    bl      sys_chan_call
    b       el0_call_done
/* A thread whose call another thread finished (chan_call's fast path): leave through tf. */
    .globl arch_enter_user
arch_enter_user:                    /* x0 = the frame, its x0 set */
    mov     sp, x0
    mov     x29, xzr                /* a kernel backtrace stops here */
    str     xzr, [sp, #TF_ESR]
    ldr     x0, [sp]
    b       el0_call_done
    .cfi_endproc
    .popsection

    .pushsection .text.vectors_warm, "ax"
    HANDLER el0_irq, 1, trap_irq

/* A new thread's first return to EL0 (arch_switch's lr): sp = its trap frame. */
    .globl ret_to_user
ret_to_user:
    RESTORE_FRAME 1
    .popsection
/* The vectors that should never be taken, out of the hot pages (kernel.ld). */
    .section .text.vectors_unexpected, "ax"
    HANDLER el1t_sync, 0, trap_unexpected, 0
    HANDLER el1t_irq, 0, trap_unexpected, 1
    HANDLER el1t_fiq, 0, trap_unexpected, 2
    HANDLER el1t_serror, 0, trap_unexpected, 3
    HANDLER el1h_fiq, 0, trap_unexpected, 6
    HANDLER el1h_serror, 0, trap_unexpected, 7
    HANDLER el0_fiq, 1, trap_unexpected, 10
    HANDLER el0_serror, 1, trap_unexpected, 11
    HANDLER el0_32_sync, 1, trap_unexpected, 12
    HANDLER el0_32_irq, 1, trap_unexpected, 13
    HANDLER el0_32_fiq, 1, trap_unexpected, 14
    HANDLER el0_32_serror, 1, trap_unexpected, 15
