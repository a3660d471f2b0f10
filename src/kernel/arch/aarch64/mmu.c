/*
 * mmu.c - the kernel's page tables (TTBR1): built once at boot, then only
 * the MMIO window grows as drivers map their devices.
 *
 * Layout (arch/mmu.h): the kernel image at its link address with
 * per-section permissions (text RX, rodata R, data and bss RW, everything
 * else never executable), right after it a linear map of RAM, and device
 * pages at KERNEL_MMIO_BASE + pa, so mapping the same device twice is
 * harmless.
 * Table pages come from a static pool until the page allocator is up.
 *
 * Descriptor bits: Arm ARM D8.3 (VMSAv8-64 translation table format).
 */
#include <stdbool.h>
#include "arch/cpu.h"
#include "arch/mmu.h"
#include "arch/mmu_boot.h"
#include "kernel/log.h"
#include "kernel/spinlock.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "viper/errors.h"

#define PTE_VALID     (1ul << 0)
#define PTE_TABLE     (3ul << 0)   /* levels 0-2: next-level table */
#define PTE_BLOCK     (1ul << 0)   /* levels 1-2: block */
#define PTE_PAGE      (3ul << 0)   /* level 3: page */
#define PTE_ATTR(i)   ((uint64_t)(i) << 2)
#define PTE_RO        (1ul << 7)
#define PTE_SH_INNER  (3ul << 8)
#define PTE_AF        (1ul << 10)
#define PTE_PXN       (1ul << 53)
#define PTE_UXN       (1ul << 54)
#define PTE_ADDR      0x0000fffffffff000ul

#define ATTR_DEVICE   0   /* MAIR index: Device-nGnRE (head.S) */
#define ATTR_NORMAL   1   /* Normal write-back */

#define PROT_KERNEL_RW  (PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER | PTE_AF | PTE_PXN | PTE_UXN)
#define PROT_KERNEL_RO  (PROT_KERNEL_RW | PTE_RO)
#define PROT_KERNEL_RX  (PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER | PTE_AF | PTE_RO | PTE_UXN)
#define PROT_DEVICE     (PTE_ATTR(ATTR_DEVICE) | PTE_AF | PTE_PXN | PTE_UXN)

#define POOL_PAGES 32

extern char _image_start[], _etext[], _erodata[], _image_end[];
extern uint64_t mmu_ttbr1_pa;
void mmu_switch_ttbr1(uint64_t ttbr1_pa);

static uint64_t pt_pool[POOL_PAGES][512] __attribute__((aligned(4096)));
static unsigned pt_pool_used;
static uint64_t *kernel_root;
static struct spinlock map_lock = SPINLOCK_INIT;
static struct mem_range ram_ranges[PMM_MAX_RANGES];
static int ram_count;
uint64_t linear_offset;

/* Virtual address of a table page: the pool lives in the image, the rest in the linear map. */
static uint64_t *table_va(uint64_t pa)
{
    uint64_t image_pa_end = kimage_pa + (uint64_t)(_image_end - _image_start);
    if (pa >= kimage_pa && pa < image_pa_end)
        return (uint64_t *)(pa - kimage_pa + KERNEL_IMAGE_BASE);
    return phys_to_virt(pa);
}

/* A zeroed page for a table, or NULL. */
static uint64_t *pt_alloc(void)
{
    if (pt_pool_used < POOL_PAGES)
        return pt_pool[pt_pool_used++];
    uint64_t pa = pmm_alloc_pages(0);
    if (!pa)
        return NULL;
    memset(phys_to_virt(pa), 0, PAGE_SIZE);
    return phys_to_virt(pa);
}

/*
 * The entry for va at `level` (1-3), creating the tables above it; NULL on
 * OOM or a block in the way.  kernel_root is a level-1 table: the kernel
 * half has KERNEL_VA_BITS = 39 bits (arch/mmu.h).
 */
static uint64_t *pte_walk(uint64_t va, int level)
{
    uint64_t *table = kernel_root;
    for (int l = 1; l < level; l++) {
        uint64_t *e = &table[(va >> (39 - 9 * l)) & 511];
        if (!(*e & PTE_VALID)) {
            uint64_t *next = pt_alloc();
            if (!next)
                return NULL;
            *e = virt_to_phys(next) | PTE_TABLE;
        } else if ((*e & 3) != PTE_TABLE) {
            return NULL;
        }
        table = table_va(*e & PTE_ADDR);
    }
    return &table[(va >> (39 - 9 * level)) & 511];
}

/* Map [va, va + size) to pa with the largest blocks alignment allows. */
static int map_range(uint64_t va, uint64_t pa, uint64_t size, uint64_t prot)
{
    while (size) {
        int level = 3;
        uint64_t step = PAGE_SIZE;
        if (((va | pa) & ((1ul << 30) - 1)) == 0 && size >= (1ul << 30))
            level = 1, step = 1ul << 30;
        else if (((va | pa) & ((1ul << 21) - 1)) == 0 && size >= (1ul << 21))
            level = 2, step = 1ul << 21;
        uint64_t *pte = pte_walk(va, level);
        if (!pte)
            return VIPER_ERR_NO_MEMORY;
        *pte = pa | prot | (level == 3 ? PTE_PAGE : PTE_BLOCK);
        va += step;
        pa += step;
        size -= step;
    }
    return VIPER_OK;
}

static int map_image_section(char *start, char *end, uint64_t prot)
{
    uint64_t va = (uint64_t)start;
    return map_range(va, virt_to_phys(start), (uint64_t)(end - start), prot);
}

int mmu_init(const struct mem_range *ram, int nram, uint64_t linear_start)
{
    kernel_root = pt_alloc();
    linear_offset = KERNEL_LINEAR_BASE - linear_start;
    for (int i = 0; i < nram && i < PMM_MAX_RANGES; i++) {
        uint64_t base = ram[i].base & PAGE_MASK;
        uint64_t end = (ram[i].base + ram[i].size) & PAGE_MASK;
        if (end <= base)
            continue;
        if (map_range((uint64_t)phys_to_virt(base), base, end - base, PROT_KERNEL_RW))
            return VIPER_ERR_NO_MEMORY;
        ram_ranges[ram_count++] = (struct mem_range){ base, end - base };
    }
    if (map_image_section(_image_start, _etext, PROT_KERNEL_RX) ||
        map_image_section(_etext, _erodata, PROT_KERNEL_RO) ||
        map_image_section(_erodata, _image_end, PROT_KERNEL_RW))
        return VIPER_ERR_NO_MEMORY;
    dsb_sy();
    mmu_ttbr1_pa = virt_to_phys(kernel_root);
    /* Secondary CPUs read this with their MMU off: push it out to memory. */
    __asm__ volatile("dc civac, %0; dsb sy" :: "r"(&mmu_ttbr1_pa) : "memory");
    mmu_switch_ttbr1(mmu_ttbr1_pa);
    return VIPER_OK;
}

void *mmu_map_device(uint64_t pa, size_t size)
{
    if (size == 0 || pa + size < pa || pa + size > KERNEL_MMIO_SIZE)
        return NULL;
    uint64_t first = pa & PAGE_MASK;
    uint64_t end = (pa + size + PAGE_SIZE - 1) & PAGE_MASK;
    uint64_t flags = spin_lock_irqsave(&map_lock);
    for (uint64_t p = first; p < end; p += PAGE_SIZE) {
        uint64_t *pte = pte_walk(KERNEL_MMIO_BASE + p, 3);
        if (!pte) {
            spin_unlock_irqrestore(&map_lock, flags);
            return NULL;
        }
        if (!(*pte & PTE_VALID))
            *pte = p | PROT_DEVICE | PTE_PAGE;
    }
    dsb_sy();
    isb();
    spin_unlock_irqrestore(&map_lock, flags);
    return (void *)(KERNEL_MMIO_BASE + pa);
}

bool mmu_kernel_range_valid(uint64_t va, size_t len)
{
    if (va + len < va)
        return false;
    if (va >= (uint64_t)_image_start && va + len <= (uint64_t)_image_end)
        return true;
    for (int i = 0; i < ram_count; i++) {
        uint64_t base = (uint64_t)phys_to_virt(ram_ranges[i].base);
        if (va >= base && va + len <= base + ram_ranges[i].size)
            return true;
    }
    return false;
}
