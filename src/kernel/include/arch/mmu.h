/*
 * arch/mmu.h - the kernel's virtual address layout (AArch64, 4 KiB granule,
 * TTBR1 for the kernel) and conversions between views.
 *
 *   0xffffff8000000000 + pa           MMIO window (128 GiB), mapped on demand
 *                                     (Device-nGnRE)
 *   0xffffffc000000000                the kernel image (at most 2 MiB: text RX,
 *                                     rodata R, data RW)
 *   0xffffffc000200000 + pa - start   linear map of RAM from linear_start, the
 *                                     lowest RAM address (RW, XN, Normal WB)
 *
 * The kernel half is 39 bits (TCR.T1SZ = 25): its walks start at level 1.
 * The image and the start of the linear map share one level-1 entry, so
 * one level-2 table: under QEMU every page-table page a walk reads costs a
 * TLB fill after each address-space switch (docs/bench.md), and a kernel
 * that touches its code, its data and a few objects in RAM then reads
 * three table pages (level 1, that level 2, the image's level 3) where an
 * image and a linear map a GiB apart read four.
 * TTBR0, the lower half, belongs to user space; it is 39 bits too
 * (TCR.T0SZ = 25, VIPER_USER_MAX): a user walk starts at level 1.
 */
#pragma once

#ifdef __ASSEMBLY__
#define UL(x) x
#else
#define UL(x) x##ul
#endif

#define KERNEL_VA_BITS     39
#define USER_VA_BITS       39   /* VIPER_USER_MAX == 1 << USER_VA_BITS */
#define KERNEL_MMIO_BASE   UL(0xffffff8000000000)
#define KERNEL_MMIO_SIZE   (UL(1) << 37)
#define KERNEL_IMAGE_BASE  UL(0xffffffc000000000)
#define KERNEL_IMAGE_MAX   (UL(1) << 21)   /* one level-2 block: the boot tables map it so */
#define KERNEL_LINEAR_BASE (KERNEL_IMAGE_BASE + KERNEL_IMAGE_MAX)
#define KERNEL_LINEAR_SIZE ((UL(1) << 38) - KERNEL_IMAGE_MAX)

#ifndef __ASSEMBLY__
#include <stddef.h>
#include <stdint.h>

/* Physical address where the boot loader placed the image (set in boot.S). */
extern uint64_t kimage_pa;

/* KERNEL_LINEAR_BASE - linear_start (mmu_init sets it; the GDB extension reads it). */
extern uint64_t linear_offset;

static inline void *phys_to_virt(uint64_t pa)
{
    return (void *)(pa + linear_offset);
}

/* Physical address of a linear-map or kernel-image virtual address. */
static inline uint64_t virt_to_phys(const void *va)
{
    uint64_t v = (uint64_t)va;
    if (v - KERNEL_IMAGE_BASE < KERNEL_IMAGE_MAX)
        return v - KERNEL_IMAGE_BASE + kimage_pa;
    return v - linear_offset;
}

/*
 * Map [pa, pa + size) as Device-nGnRE memory in the MMIO window and return
 * its virtual address, or NULL if it ends beyond the window or page tables
 * could not be allocated.
 */
void *mmu_map_device(uint64_t pa, size_t size);

#endif /* __ASSEMBLY__ */
