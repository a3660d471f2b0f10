/*
 * esr.c - decoding the Exception Syndrome Register for humans.
 *
 * Shared by kernel panics and (later) reports of faulting user programs, so
 * both read the same way: the exception class by name, and for aborts the
 * fault status code by name with its translation level and access type.
 * Encodings: Arm ARM D17.2.37 (ESR_EL1), tables for EC and DFSC/IFSC.
 */
#include <stdbool.h>
#include <stdint.h>
#include "arch/trap.h"
#include "kernel/log.h"

#define EC_IABT_LOWER 0x20
#define EC_IABT_CUR   0x21
#define EC_DABT_LOWER 0x24
#define EC_DABT_CUR   0x25

const char *esr_class_name(unsigned ec)
{
    switch (ec) {
    case 0x00: return "Unknown reason (undefined instruction)";
    case 0x01: return "WFI/WFE trapped";
    case 0x07: return "FP/SIMD access trapped";
    case 0x0e: return "Illegal Execution state";
    case 0x15: return "SVC from AArch64";
    case 0x16: return "HVC from AArch64";
    case 0x17: return "SMC from AArch64";
    case 0x18: return "MSR/MRS or system instruction trapped";
    case 0x20: return "Instruction Abort from lower EL";
    case 0x21: return "Instruction Abort from current EL";
    case 0x22: return "PC alignment fault";
    case 0x24: return "Data Abort from lower EL";
    case 0x25: return "Data Abort from current EL";
    case 0x26: return "SP alignment fault";
    case 0x2c: return "FP exception";
    case 0x2f: return "SError interrupt";
    case 0x30: return "Breakpoint from lower EL";
    case 0x31: return "Breakpoint from current EL";
    case 0x32: return "Software Step from lower EL";
    case 0x33: return "Software Step from current EL";
    case 0x34: return "Watchpoint from lower EL";
    case 0x35: return "Watchpoint from current EL";
    case 0x3c: return "BRK instruction";
    default:   return "reserved exception class";
    }
}

/* Name of a data/instruction fault status code; *level gets the level or -1. */
static const char *fault_status_name(unsigned fsc, int *level)
{
    *level = -1;
    if (fsc < 0x10) {
        static const char *const grouped[] = {
            "address size fault", "translation fault", "access flag fault", "permission fault",
        };
        *level = (int)(fsc & 3);
        return grouped[fsc >> 2];
    }
    if (fsc >= 0x14 && fsc <= 0x17) {
        *level = (int)(fsc & 3);
        return "synchronous external abort on table walk";
    }
    switch (fsc) {
    case 0x10: return "synchronous external abort";
    case 0x11: return "synchronous tag check fault";
    case 0x18: return "synchronous parity/ECC error";
    case 0x21: return "alignment fault";
    case 0x30: return "TLB conflict abort";
    case 0x31: return "unsupported atomic hardware update fault";
    default:   return "reserved fault status code";
    }
}

void esr_describe(uint64_t esr, uint64_t far)
{
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;
    uint32_t iss = (uint32_t)esr & 0x1ffffff;
    kprintf("  ESR  0x%016lx: EC 0x%02x %s, IL %u, ISS 0x%07x\n", (unsigned long)esr, ec,
            esr_class_name(ec), (unsigned)(esr >> 25) & 1, iss);
    if (ec == EC_IABT_LOWER || ec == EC_IABT_CUR || ec == EC_DABT_LOWER || ec == EC_DABT_CUR) {
        int level;
        unsigned fsc = iss & 0x3f;
        const char *name = fault_status_name(fsc, &level);
        bool is_data = ec == EC_DABT_LOWER || ec == EC_DABT_CUR;
        kprintf("       %s 0x%02x %s", is_data ? "DFSC" : "IFSC", fsc, name);
        if (level >= 0)
            kprintf(", level %d", level);
        if (is_data)
            kprintf(", %s", (iss & (1u << 6)) ? "write" : "read");
        else
            kprintf(", instruction fetch");
        if (iss & (1u << 7))
            kprintf(", during stage-1 table walk");
        kprintf("\n");
        if (iss & (1u << 10))
            kprintf("  FAR  not valid\n");
        else
            kprintf("  FAR  0x%016lx\n", (unsigned long)far);
    } else if (ec == 0x22 || ec == 0x26) {
        kprintf("  FAR  0x%016lx\n", (unsigned long)far);
    }
}
