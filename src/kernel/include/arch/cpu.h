/*
 * arch/cpu.h - the small CPU contract portable kernel code may use:
 * interrupt masking, the per-CPU index, barriers and waiting.
 * AArch64 implementations; only arch/ and dev/ code touches system
 * registers directly (through read_sysreg/write_sysreg).
 */
#pragma once
#include <stdint.h>

#define MAX_CPUS 8

#define read_sysreg(reg) ({ uint64_t v_; __asm__ volatile("mrs %0, " #reg : "=r"(v_)); v_; })
#define write_sysreg(reg, v) __asm__ volatile("msr " #reg ", %0" :: "r"((uint64_t)(v)))

static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void dsb_sy(void) { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("yield" ::: "memory"); }
static inline void cpu_wfi(void) { __asm__ volatile("wfi" ::: "memory"); }

#define DAIF_I (1u << 7)

/*
 * Mask IRQs and return the previous DAIF state, for arch_irq_restore.
 * The kernel runs with IRQs masked almost everywhere, so both skip the
 * DAIF write when nothing changes: under QEMU each write ends a
 * translation block, a measurable cost on the syscall and switch paths.
 */
static inline uint64_t arch_irq_save(void)
{
    uint64_t daif = read_sysreg(daif);
    if (!(daif & DAIF_I))
        __asm__ volatile("msr daifset, #2" ::: "memory");
    return daif;
}

static inline void arch_irq_restore(uint64_t daif)
{
    if (!(daif & DAIF_I))
        __asm__ volatile("msr daif, %0" :: "r"(daif) : "memory");
}

static inline void arch_irq_enable(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
static inline void arch_irq_disable(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }

/* Index of the running CPU (0 = boot CPU), kept in TPIDR_EL1. */
static inline unsigned arch_cpu_index(void) { return (unsigned)read_sysreg(tpidr_el1); }

/* Exception level the boot loader entered the kernel at (1 or 2); set by head.S. */
extern uint64_t boot_entry_el;
/* CNTPCT value at the first instruction, for the boot-time figure. */
extern uint64_t boot_counter_start;
