/*
 * mm/pagetable.h - user page tables (VMSAv8-64, 4 KiB granule, 39-bit VAs:
 * levels 1-3).
 *
 * The machine-specific half of the VM: entries, walks, TLB maintenance
 * and ASIDs.  vm.c decides what to map; this file knows how.  This is
 * the core of the paging lab.
 */
#pragma once
#include "kernel/hot.h"
#include <stdbool.h>
#include <stdint.h>
#include "arch/cpu.h"

typedef uint64_t pte_t;

/* Software-visible flags of a user mapping (translated to/from descriptor bits). */
#define PT_READ   1u    /* VIPER_PROT_READ  */
#define PT_WRITE  2u    /* VIPER_PROT_WRITE */
#define PT_EXEC   4u    /* VIPER_PROT_EXEC  */
#define PT_COW    8u    /* read-only because shared copy-on-write */
#define PT_DEVICE 16u   /* Device-nGnRE memory (a driver's registers), never executable */

/* A new, empty level-1 (root) table; NULL when out of memory. */
uint64_t *pt_create(void);

/* Free every table page under root (the pages they map are the caller's). */
void pt_destroy(uint64_t *root);

/*
 * The level-3 entry for va, or NULL.  With create, missing tables are
 * allocated (NULL only when out of memory).
 */
pte_t *pt_walk(uint64_t *root, uint64_t va, bool create);

/* Build / read a level-3 entry: pt_make(pa, flags), pt_flags(pte) (inline). */
#include "arch/pte.h"

/* Valid bit and output address (bits 47:12): inline, the fault path tests them every time. */
static inline bool pt_present(pte_t pte)
{
    return pte & 1;
}

static inline uint64_t pt_pa(pte_t pte)
{
    return pte & DESC_ADDR;
}

/* Invalidate TLB entries for one page / a whole ASID. */
void tlb_flush_page(uint32_t asid, uint64_t va);
void tlb_flush_asid(uint32_t asid);

/*
 * A TTBR0 value (table and ASID) kept by whoever switches to a space often
 * (each thread keeps its space's): good while gen is the current ASID
 * generation, and loading it reads nothing of the space itself.
 */
struct pt_ttbr {
    uint64_t value;
    uint64_t gen;   /* 0: nothing kept */
};

/*
 * Load root into TTBR0 with an ASID valid for this generation (allocating
 * one if needed; on wrap-around the whole TLB is flushed), and keep the
 * value in *kept if kept is not NULL.
 */
void pt_activate(uint64_t *root, uint32_t *asid, uint64_t *asid_gen, struct pt_ttbr *kept);

/*
 * Load a kept TTBR0 value if it is still good; false if pt_activate is
 * needed.  Inline: a process switch then makes no call for its TTBR0.
 */
extern uint64_t pt_asid_generation;

static HOT_INLINE bool pt_activate_kept(const struct pt_ttbr *kept)
{
    if (kept->gen != pt_asid_generation)
        return false;
    write_sysreg(ttbr0_el1, kept->value);
    isb();   /* the kernel may copy to the new space's user memory next */
    return true;
}

/* Load the empty table into TTBR0 (no user mappings). */
void pt_deactivate(void);
