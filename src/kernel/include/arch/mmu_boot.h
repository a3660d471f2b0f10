/*
 * arch/mmu_boot.h - setting up the kernel's own page tables at boot.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mm/pmm.h"

/*
 * Build the final TTBR1 tables (linear map of every RAM range, the kernel
 * image with per-section permissions, an empty MMIO window) and switch to
 * them.  Returns VIPER_OK or VIPER_ERR_NO_MEMORY.
 */
int mmu_init(const struct mem_range *ram, int nram);

/* True if [va, va + len) is kernel image or linear-mapped RAM (safe to read). */
bool mmu_kernel_range_valid(uint64_t va, size_t len);
