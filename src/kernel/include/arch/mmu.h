/*
 * arch/mmu.h - the kernel's virtual address layout (AArch64, 4 KiB granule,
 * TTBR1 for the kernel) and conversions between views.
 *
 *   0xffffff8000000000 + pa   linear map of RAM below 256 GiB (RW, XN, Normal WB)
 *   0xffffffc000000000 + pa   MMIO window (128 GiB), mapped on demand (Device-nGnRE)
 *   0xffffffffc0000000 ...    the kernel image (text RX, rodata R, data RW)
 *
 * The kernel half is 39 bits (TCR.T1SZ = 25): its walks start at level 1,
 * and one level-1 table holds all three regions.  Under QEMU every page
 * table page a walk reads costs a TLB fill after each address-space switch
 * (docs/bench.md); a 48-bit half put the image and the linear map under
 * different level-0 entries, two table pages more per switch.
 * TTBR0, the lower half, belongs to user space; it is 39 bits too
 * (TCR.T0SZ = 25, VIPER_USER_MAX), for the same reason: a user walk starts
 * at level 1, one table page fewer per switch.
 */
#pragma once

#ifdef __ASSEMBLY__
#define UL(x) x
#else
#define UL(x) x##ul
#endif

#define KERNEL_VA_BITS     39
#define USER_VA_BITS       39   /* VIPER_USER_MAX == 1 << USER_VA_BITS */
#define KERNEL_LINEAR_BASE UL(0xffffff8000000000)
#define KERNEL_LINEAR_SIZE (UL(1) << 38)
#define KERNEL_MMIO_BASE   UL(0xffffffc000000000)
#define KERNEL_MMIO_SIZE   (UL(1) << 37)
#define KERNEL_IMAGE_BASE  UL(0xffffffffc0000000)

#ifndef __ASSEMBLY__
#include <stddef.h>
#include <stdint.h>

/* Physical address where the boot loader placed the image (set in boot.S). */
extern uint64_t kimage_pa;

static inline void *phys_to_virt(uint64_t pa)
{
    return (void *)(pa + KERNEL_LINEAR_BASE);
}

/* Physical address of a linear-map or kernel-image virtual address. */
static inline uint64_t virt_to_phys(const void *va)
{
    uint64_t v = (uint64_t)va;
    if (v >= KERNEL_IMAGE_BASE)
        return v - KERNEL_IMAGE_BASE + kimage_pa;
    return v - KERNEL_LINEAR_BASE;
}

/*
 * Map [pa, pa + size) as Device-nGnRE memory in the MMIO window and return
 * its virtual address, or NULL if page tables could not be allocated.
 */
void *mmu_map_device(uint64_t pa, size_t size);

#endif /* __ASSEMBLY__ */
