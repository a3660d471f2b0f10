/*
 * pagetable.c - user page tables: walks, entries, TLB maintenance, ASIDs.
 *
 * Tables are 4 KiB pages from the page allocator, reached through the
 * linear map.  Leaf entries are non-global (nG: tagged with the ASID),
 * never executable at EL1 (PXN), executable at EL0 only for PT_EXEC, and
 * read-only unless PT_WRITE.  A copy-on-write page is read-only with the
 * software bit 55 set; the fault handler tells it from a real read-only
 * page by that bit.  Descriptor format: Arm ARM D8.3.
 *
 * Invariant: a present PTE is only ever changed by first writing the new
 * value and then invalidating the TLB for that VA and ASID (QEMU and the
 * architecture both allow this for permission/address changes of a
 * single page; no break-before-make is needed for page-granular entries
 * that do not change size).
 */
#include "arch/cpu.h"
#include "arch/cache.h"
#include "arch/mmu.h"
#include "kernel/lab.h"
#include "lib/string.h"
#include "mm/pagetable.h"
#include "mm/pmm.h"
#include "viper/types.h"

#define DESC_VALID   (1ul << 0)
#define DESC_TABLE   (3ul << 0)
#define DESC_PAGE    (3ul << 0)
#define DESC_ATTR_NORMAL (1ul << 2)   /* MAIR index 1 */
#define DESC_ATTR_MASK   (7ul << 2)   /* MAIR index 0 is Device-nGnRE */
#define DESC_USER    (1ul << 6)       /* AP[1]: EL0 access */
#define DESC_RO      (1ul << 7)       /* AP[2] */
#define DESC_SH      (3ul << 8)
#define DESC_AF      (1ul << 10)
#define DESC_NG      (1ul << 11)
#define DESC_PXN     (1ul << 53)
#define DESC_UXN     (1ul << 54)
#define DESC_COW     (1ul << 55)      /* software: copy-on-write */
#define DESC_ADDR    0x0000fffffffff000ul

#define ASID_COUNT   256              /* 8-bit ASIDs (TCR_EL1.AS = 0) */

_Static_assert(VIPER_USER_MAX == 1ul << USER_VA_BITS, "TCR.T0SZ and the ABI disagree");

static uint64_t *table_alloc(void)
{
    uint64_t pa = pmm_alloc_pages(0);
    if (!pa)
        return NULL;
    uint64_t *t = phys_to_virt(pa);
    page_zero(t);
    return t;
}

uint64_t *pt_create(void)
{
    return table_alloc();
}

static void destroy_level(uint64_t *table, int level)
{
    if (level < 3) {
        for (int i = 0; i < 512; i++)
            if (table[i] & DESC_VALID)
                destroy_level(phys_to_virt(table[i] & DESC_ADDR), level + 1);
    }
    pmm_free_pages(virt_to_phys(table), 0);
}

void pt_destroy(uint64_t *root)
{
    destroy_level(root, 1);
}

/* LAB paging BEGIN walk: descend levels 1-2 (VA bits 38:30, 29:21; the 39-bit user half starts at level 1) to the level-3 entry for va (bits 20:12); a missing table is allocated with table_alloc when create, else NULL */
pte_t *pt_walk(uint64_t *root, uint64_t va, bool create)
{
    uint64_t *table = root;
    for (int level = 1; level < 3; level++) {
        uint64_t *e = &table[(va >> (39 - 9 * level)) & 511];
        if (!(*e & DESC_VALID)) {
            if (!create)
                return NULL;
            uint64_t *next = table_alloc();
            if (!next)
                return NULL;
            *e = virt_to_phys(next) | DESC_TABLE;
        }
        table = phys_to_virt(*e & DESC_ADDR);
    }
    return &table[(va >> 12) & 511];
}
/* LAB paging STUB
pte_t *pt_walk(uint64_t *root, uint64_t va, bool create)
{
    (void)root;
    (void)va;
    (void)create;
    LAB_NOT_IMPLEMENTED("paging", "walk");
    return NULL;
}
LAB paging END */

pte_t pt_make(uint64_t pa, uint32_t flags)
{
    pte_t pte = pa | DESC_PAGE | DESC_ATTR_NORMAL | DESC_SH | DESC_AF | DESC_NG | DESC_PXN;
    if (flags & (PT_READ | PT_WRITE | PT_EXEC))
        pte |= DESC_USER;   /* PROT_NONE: present (the page stays mapped) but EL1-only */
    if (!(flags & PT_WRITE) || (flags & PT_COW))
        pte |= DESC_RO;
    if (!(flags & PT_EXEC))
        pte |= DESC_UXN;
    if (flags & PT_COW)
        pte |= DESC_COW;
    if (flags & PT_DEVICE)
        pte = (pte & ~DESC_ATTR_MASK) | DESC_UXN;   /* attribute index 0 */
    return pte;
}

uint32_t pt_flags(pte_t pte)
{
    if (!(pte & DESC_USER))
        return (pte & DESC_COW) ? PT_COW : 0;
    uint32_t f = PT_READ;
    if (!(pte & DESC_RO))
        f |= PT_WRITE;
    if (!(pte & DESC_UXN))
        f |= PT_EXEC;
    if (pte & DESC_COW)
        f |= PT_COW;
    if (!(pte & DESC_ATTR_MASK))
        f |= PT_DEVICE;
    return f;
}

/*
 * This CPU's TLB only: user code runs on the boot CPU alone (the others park
 * with the boot tables, smp.c), so no other TLB holds user entries.  The
 * broadcast forms (...is) cost much more under QEMU, which leaves the
 * translated code to run them as work on every CPU: munmap took 0.6-0.75 us
 * a page with them, 0.3 us without.  The SMP scheduler must go back to them.
 * No ISB: the changed entries are user ones, used after the eret (a
 * context synchronization); the kernel's own data accesses are ordered by
 * the DSB.
 */
void tlb_flush_page(uint32_t asid, uint64_t va)
{
    uint64_t arg = ((uint64_t)asid << 48) | ((va >> 12) & 0xfffffffffful);
    __asm__ volatile("dsb nshst; tlbi vae1, %0; dsb nsh" :: "r"(arg) : "memory");
}

void tlb_flush_asid(uint32_t asid)
{
    __asm__ volatile("dsb nshst; tlbi aside1, %0; dsb nsh" :: "r"((uint64_t)asid << 48)
                     : "memory");
}

uint64_t pt_asid_generation = 1;   /* mm/pagetable.h reads it inline */
static uint32_t asid_next = 1;   /* ASID 0 is the empty table's */
static uint64_t empty_root[512] __attribute__((aligned(4096)));

void pt_activate(uint64_t *root, uint32_t *asid, uint64_t *asid_gen, struct pt_ttbr *kept)
{
    if (*asid_gen != pt_asid_generation) {
        if (asid_next == ASID_COUNT) {   /* every ASID used: start a new generation */
            pt_asid_generation++;
            asid_next = 1;
            __asm__ volatile("dsb ishst; tlbi vmalle1is; dsb ish; isb" ::: "memory");
        }
        *asid = asid_next++;
        *asid_gen = pt_asid_generation;
    }
    uint64_t value = virt_to_phys(root) | ((uint64_t)*asid << 48);
    write_sysreg(ttbr0_el1, value);
    isb();
    if (kept) {
        kept->value = value;
        kept->gen = pt_asid_generation;
    }
}

void pt_deactivate(void)
{
    write_sysreg(ttbr0_el1, virt_to_phys(empty_root));
    isb();
}
