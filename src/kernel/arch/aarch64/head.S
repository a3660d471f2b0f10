/*
 * head.S - the first instructions: the Linux arm64 Image header, the drop
 * from EL2 to EL1, the boot page tables and the jump to the higher half.
 *
 * The boot loader (QEMU's built-in one here) enters at _start with the MMU
 * off, x0 = physical address of the DTB, at EL2 or EL1, anywhere in RAM on a
 * 2 MiB boundary.  Everything before `primary_high` runs at that physical
 * address, so it uses only PC-relative addressing (adr/adrp).
 *
 * The boot tables map just enough to reach C: the image at its link
 * address (one 2 MiB block), the DTB's GiB where mmu_boot_dtb says, and an
 * identity map of the image in TTBR0 for the instant the MMU turns on.
 * mmu_init() (mmu.c) replaces TTBR1 with the real tables.
 */
#include "arch/mmu.h"

#define PAGE            4096
#define STACK_SIZE      16384

#define SCTLR_RES1      0x30d00800
/* M, C, SA, SA0, I, and UCT/UCI: EL0 may read CTR_EL0 and clean caches by VA (JITs need it). */
#define SCTLR_MMU_ON    (SCTLR_RES1 | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 12) | \
                         (1 << 15) | (1 << 26))
/* MAIR: index 0 Device-nGnRE, 1 Normal write-back, 2 Normal non-cacheable. */
#define MAIR_VALUE      0x44ff04
/* TCR: 39-bit user and kernel halves (arch/mmu.h), 4 KiB granules, write-back
 * inner-shareable walks. */
#define TCR_VALUE       ((64 - USER_VA_BITS) | (1 << 8) | (1 << 10) | (3 << 12) | ((64 - KERNEL_VA_BITS) << 16) | \
                         (1 << 24) | (1 << 26) | (3 << 28) | (2 << 30))
/* Block descriptors: Normal, inner shareable, accessed; kernel only. */
#define BLOCK_NORMAL    (1 | (1 << 2) | (3 << 8) | (1 << 10) | (1 << 54))
#define BLOCK_NORMAL_XN (BLOCK_NORMAL | (1 << 53))

    .section .text.boot, "ax"
    .globl _start
_start:
    b       primary_entry           /* code0 */
    .long   0                       /* code1 */
    .quad   0                       /* text_offset: the image wants a 2 MiB boundary */
    .quad   _image_size             /* image_size, bss included */
    .quad   0xa                     /* flags: little-endian, 4 KiB pages, anywhere in RAM */
    .quad   0, 0, 0                 /* reserved */
    .ascii  "ARM\x64"               /* magic */
    .long   0                       /* no PE header */

/* The rest runs once: out of the hot pages 0 and 1 (kernel.ld). */
    .section .text.boot_rest, "ax"
primary_entry:
    mrs     x20, cntpct_el0         /* boot-time origin */
    mov     x19, x0                 /* DTB physical address */
    bl      el2_to_el1              /* x22 = entry EL */
    msr     tpidr_el1, xzr          /* CPU index 0 */
    adrp    x21, _image_start       /* x21 = physical load address */

    /* Zero .bss (boot tables and stacks live there), then clean+invalidate it
     * to the point of coherency: the MMU-off writes bypassed the caches. */
    adrp    x0, __bss_start
    add     x0, x0, :lo12:__bss_start
    adrp    x1, __bss_end
    add     x1, x1, :lo12:__bss_end
    mov     x2, x0
1:  cmp     x2, x1
    b.hs    2f
    stp     xzr, xzr, [x2], #16
    b       1b
2:  bl      dcache_clean_inval_range

    bl      build_boot_tables
    adrp    x0, boot_pgtables + 2 * PAGE    /* TTBR0: identity map */
    adrp    x1, boot_pgtables               /* TTBR1: boot higher half */
    bl      mmu_enable
    ldr     x0, =primary_high
    br      x0

primary_high:
    ldr     x0, =boot_stacks + STACK_SIZE
    mov     sp, x0
    mov     x29, xzr                /* end of the frame-pointer chain */
    ldr     x0, =exception_vectors
    msr     vbar_el1, x0
    isb
    ldr     x0, =kimage_pa
    str     x21, [x0]
    ldr     x0, =boot_counter_start
    str     x20, [x0]
    ldr     x0, =boot_entry_el
    str     x22, [x0]
    mov     x0, x19
    bl      kmain
3:  wfe
    b       3b

/*
 * el2_to_el1: if entered at EL2, give EL1 the counter, the timer, FP and (on
 * GICv3) the system-register CPU interface, then return to the caller at EL1
 * with interrupts masked.  Sets x22 to the EL we came in at.
 */
el2_to_el1:
    mrs     x22, CurrentEL
    lsr     x22, x22, #2
    cmp     x22, #2
    b.ne    9f
    mov     x0, #(1 << 31)          /* HCR_EL2.RW: EL1 is AArch64 */
    msr     hcr_el2, x0
    mrs     x0, cnthctl_el2
    orr     x0, x0, #3              /* EL1PCTEN | EL1PCEN */
    msr     cnthctl_el2, x0
    msr     cntvoff_el2, xzr
    mov     x0, #0x33ff             /* CPTR_EL2: no traps of FP/SIMD */
    msr     cptr_el2, x0
    msr     hstr_el2, xzr
    mrs     x0, id_aa64pfr0_el1
    ubfx    x0, x0, #24, #4         /* GIC system registers implemented? */
    cbz     x0, 8f
    mrs     x0, S3_4_C12_C9_5       /* ICC_SRE_EL2 */
    mov     x1, #0x9                /* SRE | Enable (EL1 may use ICC_SRE_EL1) */
    orr     x0, x0, x1
    msr     S3_4_C12_C9_5, x0
    isb
8:  ldr     x0, =SCTLR_RES1
    msr     sctlr_el1, x0
    mov     x0, #0x3c5              /* EL1h, DAIF masked */
    msr     spsr_el2, x0
    msr     elr_el2, x30
    eret
9:  ret

/* dcache_clean_inval_range(x0 = start, x1 = end): by VA to the PoC. */
dcache_clean_inval_range:
    mrs     x3, ctr_el0
    ubfx    x3, x3, #16, #4         /* DminLine: log2(words) */
    mov     x2, #4
    lsl     x2, x2, x3              /* line size in bytes */
    sub     x3, x2, #1
    bic     x0, x0, x3
1:  dc      civac, x0
    add     x0, x0, x2
    cmp     x0, x1
    b.lo    1b
    dsb     sy
    ret

/*
 * build_boot_tables: fill boot_pgtables (3 pages, zeroed):
 *   page 0  TTBR1 L1 (the 39-bit kernel half starts at level 1): the DTB's
 *           GiB as a block where mmu_boot_dtb says
 *   page 1  TTBR1 L2 of the image's GiB: the image, one 2 MiB block
 *   page 2  TTBR0 L1 (identity: the image's GiB; the user half is 39 bits too)
 * In: x19 = DTB PA (below 128 GiB), x21 = image PA (2 MiB aligned, below 512 GiB).
 */
build_boot_tables:
    adrp    x0, boot_pgtables
    /* image: L1[KERNEL_IMAGE_BASE] -> L2, L2[0] = a 2 MiB block */
    add     x2, x0, #PAGE
    orr     x3, x2, #3
    str     x3, [x0, #((KERNEL_IMAGE_BASE >> 30) & 511) * 8]
    ldr     x6, =BLOCK_NORMAL
    orr     x4, x21, x6
    str     x4, [x2]
    /* the DTB's GiB in the MMIO window: L1[dtb >> 30] = 1 GiB block */
    ubfx    x3, x19, #30, #9
    lsr     x4, x19, #30
    lsl     x4, x4, #30
    ldr     x6, =BLOCK_NORMAL_XN
    orr     x4, x4, x6
    str     x4, [x0, x3, lsl #3]
    /* identity map of the image's GiB in TTBR0 */
    add     x1, x0, #2 * PAGE
    ubfx    x3, x21, #30, #9
    lsr     x4, x21, #30
    lsl     x4, x4, #30
    ldr     x6, =(1 | (1 << 2) | (3 << 8) | (1 << 10))
    orr     x4, x4, x6
    str     x4, [x1, x3, lsl #3]
    dsb     sy
    ret

/*
 * mmu_enable(x0 = TTBR0 PA, x1 = TTBR1 PA): program MAIR/TCR and turn on
 * the MMU and caches.  Shared by the boot CPU and the secondaries.
 */
mmu_enable:
    ldr     x2, =MAIR_VALUE
    msr     mair_el1, x2
    ldr     x2, =TCR_VALUE
    mrs     x3, id_aa64mmfr0_el1
    and     x3, x3, #7              /* PARange -> TCR.IPS */
    bfi     x2, x3, #32, #3
    msr     tcr_el1, x2
    msr     ttbr0_el1, x0
    msr     ttbr1_el1, x1
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    ldr     x2, =SCTLR_MMU_ON
    msr     sctlr_el1, x2
    isb
    ret

/*
 * secondary_entry: where PSCI CPU_ON starts a secondary CPU (physical
 * address, MMU off), x0 = its CPU index.  It joins the kernel's page tables
 * (mmu_ttbr1_pa, published by smp.c and cleaned to memory) and calls
 * secondary_main(index) on its own boot stack.
 */
    .globl secondary_entry
secondary_entry:
    mov     x19, x0
    bl      el2_to_el1
    msr     tpidr_el1, x19
    adrp    x0, boot_pgtables + 2 * PAGE
    adrp    x1, mmu_ttbr1_pa
    ldr     x1, [x1, :lo12:mmu_ttbr1_pa]
    bl      mmu_enable
    ldr     x0, =secondary_high
    br      x0
secondary_high:
    ldr     x0, =boot_stacks
    add     x1, x19, #1
    lsl     x1, x1, #14             /* STACK_SIZE */
    add     x0, x0, x1
    mov     sp, x0
    mov     x29, xzr
    ldr     x0, =exception_vectors
    msr     vbar_el1, x0
    isb
    mov     x0, x19
    bl      secondary_main
4:  wfe
    b       4b

/*
 * mmu_switch_ttbr1(x0 = new TTBR1 PA): swap the kernel's tables while
 * executing from the identity map, so no TLB entry for the code doing it
 * changes underneath.  Returns to the caller through the new tables.
 */
    .globl mmu_switch_ttbr1
    .text
mmu_switch_ttbr1:
    ldr     x1, =1f
    ldr     x2, =KERNEL_IMAGE_BASE
    sub     x1, x1, x2
    adrp    x2, kimage_pa
    ldr     x2, [x2, :lo12:kimage_pa]
    add     x1, x1, x2
    br      x1
1:  dsb     ishst
    msr     ttbr1_el1, x0
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    ret

    .bss
    .balign PAGE
boot_pgtables:
    .skip   3 * PAGE
    .globl boot_stacks
    .balign 16
boot_stacks:
    .skip   8 * STACK_SIZE

    .data
    .balign 8
    .globl kimage_pa, boot_counter_start, boot_entry_el, mmu_ttbr1_pa
kimage_pa:          .quad 0
boot_counter_start: .quad 0
boot_entry_el:      .quad 0
mmu_ttbr1_pa:       .quad 0
