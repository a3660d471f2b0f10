/*
 * pagetable.c - user page tables: walks, entries, TLB maintenance, ASIDs.
 *
 * Tables are 4 KiB pages from the page allocator, reached through the
 * linear map.  The descriptor bits, and pt_make/pt_flags that translate
 * them, are in arch/pte.h; the fault handler tells a copy-on-write page
 * from a real read-only one by the software bit DESC_COW.
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
