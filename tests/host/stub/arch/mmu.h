/*
 * tests/host/stub/arch/mmu.h - host replacement for the kernel's arch/mmu.h.
 *
 * Host unit tests put tests/host/stub before src/kernel/include on the
 * include path, so kernel code that includes "arch/mmu.h" gets this file.
 * There is no linear map on the host: a test hands the pmm a block of host
 * memory (aligned_alloc) as "RAM" and its host addresses serve as physical
 * addresses, so both conversions are the identity.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

static inline void *phys_to_virt(uint64_t pa)
{
    return (void *)(uintptr_t)pa;
}

static inline uint64_t virt_to_phys(const void *va)
{
    return (uint64_t)(uintptr_t)va;
}
