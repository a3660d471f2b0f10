/*
 * head.S - the floor probe's boot code, exception vectors, the three kernel
 * paths it measures, and the EL0 loops that drive them.
 *
 * The probe boots exactly like the kernel: a Linux arm64 Image header, so
 * QEMU's -kernel loads it at some 2 MiB-aligned address with x0 = the DTB.
 * It is linked at 0 and written with PC-relative addressing only (adr/adrp,
 * no literal pools, no absolute pointers in data), so it runs wherever it is
 * loaded, before and after the MMU (an identity map) is turned on.
 *
 * The kernel paths are the least a kernel can do for each operation:
 *   SYS_NULL    svc, compare x8, eret: nothing saved, nothing restored.
 *   SYS_YIELD   save the caller's general registers, SP_EL0, ELR, SPSR into
 *               its context; if the next context's TTBR0 differs, write it
 *               (ASID in bits 63:48); load the next context's registers; eret.
 *   SYS_SEND    the same, but x0-x3 travel from sender to receiver (a
 *               register message: the IPC floor).
 *   SYS_REPORT  end a measurement: return to floor_run()'s caller with x0.
 * While a context runs at EL0, SP_EL1 points at its struct floor_ctx, so an
 * exception from EL0 saves straight into it, with no pointer to load first.
 */

#define STACK_SIZE      16384
#define SCTLR_RES1      0x30d00800

/* struct floor_ctx (floor.h): regs[31], sp_el0, elr, spsr, ttbr0, next */
#define CTX_SP_EL0      248
#define CTX_ELR         256
#define CTX_TTBR0       272
#define CTX_NEXT        280

#define SYS_NULL        0
#define SYS_YIELD       1
#define SYS_SEND        2
#define SYS_REPORT      3

    .section .text.boot, "ax"
    .globl _start
_start:
    b       entry                   /* code0 */
    .long   0                       /* code1 */
    .quad   0                       /* text_offset */
    .quad   _image_size             /* image_size, bss included */
    .quad   0xa                     /* little-endian, 4 KiB pages, anywhere in RAM */
    .quad   0, 0, 0
    .ascii  "ARM\x64"
    .long   0

entry:
    mov     x19, x0                 /* DTB */
    bl      el2_to_el1              /* x20 = entry EL */
    adrp    x0, __bss_start
    add     x0, x0, :lo12:__bss_start
    adrp    x1, __bss_end
    add     x1, x1, :lo12:__bss_end
1:  cmp     x0, x1
    b.hs    2f
    stp     xzr, xzr, [x0], #16
    b       1b
2:  adrp    x0, boot_stack + STACK_SIZE
    add     x0, x0, :lo12:boot_stack + STACK_SIZE
    mov     sp, x0
    adr     x0, vectors
    msr     vbar_el1, x0
    isb
    mov     x0, x19
    mov     x1, x20
    bl      floor_main
3:  wfe
    b       3b

/* If at EL2: hand EL1 the counter and FP, then continue at EL1 (DAIF masked). */
el2_to_el1:
    mrs     x20, CurrentEL
    lsr     x20, x20, #2
    cmp     x20, #2
    b.ne    9f
    mov     x0, #(1 << 31)          /* HCR_EL2.RW */
    msr     hcr_el2, x0
    mrs     x0, cnthctl_el2
    orr     x0, x0, #3
    msr     cnthctl_el2, x0
    msr     cntvoff_el2, xzr
    mov     x0, #0x33ff
    msr     cptr_el2, x0
    msr     hstr_el2, xzr
    mov     x0, #(SCTLR_RES1 & 0xffff)
    movk    x0, #(SCTLR_RES1 >> 16), lsl #16
    msr     sctlr_el1, x0
    mov     x0, #0x3c5
    msr     spsr_el2, x0
    msr     elr_el2, x30
    eret
9:  ret

/*
 * floor_run(ctx): enter ctx at EL0 with its saved registers; returns the x0
 * of whichever context makes SYS_REPORT.  Callee-saved registers and the C
 * stack pointer wait in run_save meanwhile.
 */
    .text
    .globl floor_run
floor_run:
    adrp    x1, run_save
    add     x1, x1, :lo12:run_save
    stp     x19, x20, [x1, #16 * 0]
    stp     x21, x22, [x1, #16 * 1]
    stp     x23, x24, [x1, #16 * 2]
    stp     x25, x26, [x1, #16 * 3]
    stp     x27, x28, [x1, #16 * 4]
    stp     x29, x30, [x1, #16 * 5]
    mov     x2, sp
    str     x2, [x1, #16 * 6]
    ldr     x1, [x0, #CTX_TTBR0]
    msr     ttbr0_el1, x1
    isb
    mov     sp, x0
    b       ctx_load_all

/* ---- exception vectors ------------------------------------------------- */

.macro BAD_VECTOR idx
    .balign 0x80
    mov     x0, #\idx
    b       bad_exception
.endm

    .balign 2048
vectors:
    BAD_VECTOR 0                    /* current EL, SP_EL0 */
    BAD_VECTOR 1
    BAD_VECTOR 2
    BAD_VECTOR 3
    BAD_VECTOR 4                    /* current EL, SP_ELx */
    BAD_VECTOR 5
    BAD_VECTOR 6
    BAD_VECTOR 7
    .balign 0x80                    /* lower EL, AArch64, synchronous */
    cmp     x8, #SYS_NULL
    b.ne    el0_sync_slow
    eret
    BAD_VECTOR 9
    BAD_VECTOR 10
    BAD_VECTOR 11
    BAD_VECTOR 12                   /* lower EL, AArch32 */
    BAD_VECTOR 13
    BAD_VECTOR 14
    BAD_VECTOR 15

el0_sync_slow:
    stp     x0, x1, [sp, #16 * 0]
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x19, [sp, #16 * 9]
    stp     x20, x21, [sp, #16 * 10]
    stp     x22, x23, [sp, #16 * 11]
    stp     x24, x25, [sp, #16 * 12]
    stp     x26, x27, [sp, #16 * 13]
    stp     x28, x29, [sp, #16 * 14]
    mrs     x9, sp_el0
    stp     x30, x9, [sp, #16 * 15]
    mrs     x9, elr_el1
    mrs     x10, spsr_el1
    stp     x9, x10, [sp, #CTX_ELR]
    cmp     x8, #SYS_YIELD
    b.eq    do_yield
    cmp     x8, #SYS_SEND
    b.eq    do_send
    cmp     x8, #SYS_REPORT
    b.eq    do_report
    mov     x0, #8                  /* a fault or an unknown call: report it */
    b       bad_exception

/* Make ctx->next current: its TTBR0 if that differs, then SP_EL1. x9-x11 are free. */
.macro SWITCH_TO_NEXT
    ldr     x9, [sp, #CTX_NEXT]
    ldr     x10, [x9, #CTX_TTBR0]
    ldr     x11, [sp, #CTX_TTBR0]
    cmp     x10, x11
    b.eq    1f
    msr     ttbr0_el1, x10          /* the eret that follows synchronizes it */
1:  mov     sp, x9
.endm

/* Load ELR, SPSR, x30 and SP_EL0 of the context at sp. */
.macro LOAD_SPECIAL
    ldp     x9, x10, [sp, #CTX_ELR]
    msr     elr_el1, x9
    msr     spsr_el1, x10
    ldp     x30, x9, [sp, #CTX_SP_EL0 - 8]
    msr     sp_el0, x9
.endm

do_yield:
    SWITCH_TO_NEXT
ctx_load_all:
    LOAD_SPECIAL
    ldp     x0, x1, [sp, #16 * 0]
    ldp     x2, x3, [sp, #16 * 1]
load_x4_up:
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x6, x7, [sp, #16 * 3]
    ldp     x8, x9, [sp, #16 * 4]
    ldp     x10, x11, [sp, #16 * 5]
    ldp     x12, x13, [sp, #16 * 6]
    ldp     x14, x15, [sp, #16 * 7]
    ldp     x16, x17, [sp, #16 * 8]
    ldp     x18, x19, [sp, #16 * 9]
    ldp     x20, x21, [sp, #16 * 10]
    ldp     x22, x23, [sp, #16 * 11]
    ldp     x24, x25, [sp, #16 * 12]
    ldp     x26, x27, [sp, #16 * 13]
    ldp     x28, x29, [sp, #16 * 14]
    eret

do_send:                            /* x0-x3 still hold the sender's message */
    SWITCH_TO_NEXT
    LOAD_SPECIAL
    b       load_x4_up

do_report:
    adrp    x1, run_save
    add     x1, x1, :lo12:run_save
    ldp     x19, x20, [x1, #16 * 0]
    ldp     x21, x22, [x1, #16 * 1]
    ldp     x23, x24, [x1, #16 * 2]
    ldp     x25, x26, [x1, #16 * 3]
    ldp     x27, x28, [x1, #16 * 4]
    ldp     x29, x30, [x1, #16 * 5]
    ldr     x2, [x1, #16 * 6]
    mov     sp, x2
    ret                             /* x0: the reporter's x0, saved untouched */

/* Anything unexpected: C prints what happened and powers off. */
bad_exception:
    adrp    x1, boot_stack + STACK_SIZE
    add     x1, x1, :lo12:boot_stack + STACK_SIZE
    mov     sp, x1
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    bl      floor_bad_exception
4:  wfe
    b       4b

/* ---- EL0 code ---------------------------------------------------------- */
/*
 * This page is mapped into every user address space at USER_CODE_VA (EL0
 * executable).  Entry registers come from the context floor.c prepares.
 *
 * user_measure: x19 = count, x20 = call number, x22 = 16 pages to touch
 * before each call or 0.  Reports the counter ticks the loop took.
 * user_partner: the other side: x20 = call number, x22 as above; forever.
 * Loop state lives in x19-x23 because SYS_SEND overwrites x0-x3.
 */
.macro TOUCH16 base
    mov     x23, \base
    .rept   16
    str     x23, [x23]
    add     x23, x23, #4096
    .endr
.endm

    .section .user_text, "ax"
    .balign 4096
    .globl user_code_start, user_measure, user_measure_touch, user_partner, user_partner_touch
user_code_start:
user_measure:
    mov     x8, x20
    isb
    mrs     x21, cntvct_el0
1:  svc     #0
    subs    x19, x19, #1
    b.ne    1b
    isb
    mrs     x0, cntvct_el0
    sub     x0, x0, x21
    mov     x8, #SYS_REPORT
    svc     #0
    b       .

user_measure_touch:
    mov     x8, x20
    isb
    mrs     x21, cntvct_el0
1:  TOUCH16 x22
    svc     #0
    subs    x19, x19, #1
    b.ne    1b
    isb
    mrs     x0, cntvct_el0
    sub     x0, x0, x21
    mov     x8, #SYS_REPORT
    svc     #0
    b       .

user_partner:
    mov     x8, x20
1:  svc     #0
    b       1b

user_partner_touch:
    mov     x8, x20
1:  TOUCH16 x22
    svc     #0
    b       1b
    .balign 4096
    .globl user_code_end
user_code_end:

    .bss
    .balign 16
run_save:
    .skip   16 * 7
    .balign 4096
    .globl boot_stack
boot_stack:
    .skip   STACK_SIZE
