/*
 * arch/mmu_boot.h - setting up the kernel's own page tables at boot.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "arch/mmu.h"
#include "mm/pmm.h"

/*
 * Build the final TTBR1 tables (linear map of every RAM range, pa at
 * KERNEL_LINEAR_BASE + pa - linear_start; the kernel image with per-section
 * permissions; an empty MMIO window) and switch to them.  The ranges lie in
 * [linear_start, linear_start + KERNEL_LINEAR_SIZE), linear_start 2 MiB
 * aligned.  Returns VIPER_OK or VIPER_ERR_NO_MEMORY.
 */
int mmu_init(const struct mem_range *ram, int nram, uint64_t linear_start);

/*
 * Where the boot tables (head.S) map the DTB until mmu_init: its GiB, as
 * Normal memory, in the (then empty) MMIO window.
 */
static inline void *mmu_boot_dtb(uint64_t dtb_pa)
{
    return (void *)(KERNEL_MMIO_BASE + dtb_pa);
}

/* True if [va, va + len) is kernel image or linear-mapped RAM (safe to read). */
bool mmu_kernel_range_valid(uint64_t va, size_t len);
