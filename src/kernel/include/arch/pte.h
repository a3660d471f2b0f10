/*
 * arch/pte.h - VMSAv8-64 level-3 descriptors of user pages (Arm ARM D8.3),
 * and the conversions between them and mm/pagetable.h's PT_* flags.
 *
 * Leaf entries are non-global (nG: tagged with the ASID), never executable
 * at EL1 (PXN), executable at EL0 only for PT_EXEC, and read-only unless
 * PT_WRITE.  A copy-on-write page is read-only with the software bit 55
 * set.  pt_make and pt_flags are inline: the fault path builds an entry
 * on every fault, and a call would cost a return (a lookup under QEMU).
 * Included by mm/pagetable.h, which defines the PT_* flags and pte_t.
 */
#pragma once

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

/* A level-3 entry mapping pa with flags (PT_*). */
static inline pte_t pt_make(uint64_t pa, uint32_t flags)
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

/* The PT_* flags of a level-3 entry. */
static inline uint32_t pt_flags(pte_t pte)
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
