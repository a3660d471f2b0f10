/*
 * trap.c - C side of the exception vectors: dispatch, and the report that
 * a fatal exception prints.
 *
 * A synchronous exception in the kernel is always a kernel bug (user
 * pointers are checked before use), so it ends in a report and power-off.
 * The report is made for a student reading a serial log: the exception
 * class and fault by name, every register, a symbolized backtrace, and the
 * commands that map the addresses to source lines.
 */
#include <stdint.h>
#include "arch/cpu.h"
#include "arch/fpu.h"
#include "arch/mmu_boot.h"
#include "arch/psci.h"
#include "arch/trap.h"
#include "dev/console.h"
#include "dev/irq.h"
#include "kernel/ksyms.h"
#include "kernel/log.h"
#include "mm/vm.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"
#include "viper/errors.h"
#include "viper/types.h"

#ifndef VIPER_ADDR2LINE
#define VIPER_ADDR2LINE "aarch64-linux-gnu-addr2line"
#endif
#ifndef VIPER_KELF
#define VIPER_KELF "build/kernel/kernel.elf"
#endif

#define BACKTRACE_MAX 24

static const char *const vector_names[16] = {
    "EL1t sync", "EL1t IRQ", "EL1t FIQ", "EL1t SError",
    "EL1h sync", "EL1h IRQ", "EL1h FIQ", "EL1h SError",
    "EL0 sync", "EL0 IRQ", "EL0 FIQ", "EL0 SError",
    "EL0 (AArch32) sync", "EL0 (AArch32) IRQ", "EL0 (AArch32) FIQ", "EL0 (AArch32) SError",
};

/*
 * Walk the frame-pointer chain (AAPCS64 frame records: [fp] = caller's fp,
 * [fp + 8] = return address) from fp, printing each return address and
 * collecting up to max pcs.  Every record is checked readable first, so a
 * corrupt chain ends the walk instead of faulting inside the panic.
 */
static int backtrace_walk(uint64_t fp, uint64_t *pcs, int n, int max)
{
    while (n < max && fp && (fp & 7) == 0 && mmu_kernel_range_valid(fp, 16)) {
        const uint64_t *rec = (const uint64_t *)fp;
        uint64_t lr = rec[1];
        if (lr == 0)
            break;
        pcs[n++] = lr - 4;   /* the call instruction, not the return point */
        if (rec[0] <= fp)
            break;           /* the stack grows down: callers are above */
        fp = rec[0];
    }
    return n;
}

/* Print a backtrace starting at pc with frame pointer fp, then the address tools. */
static void backtrace_print(uint64_t pc, uint64_t fp)
{
    uint64_t pcs[BACKTRACE_MAX];
    int n = 0;
    pcs[n++] = pc;
    n = backtrace_walk(fp, pcs, n, BACKTRACE_MAX);
    kprintf("backtrace:\n");
    for (int i = 0; i < n; i++) {
        kprintf("  #%d 0x%016lx ", i, (unsigned long)pcs[i]);
        ksym_print(pcs[i]);
        kprintf("\n");
    }
    kprintf("addr2line: " VIPER_ADDR2LINE " -f -i -p -e " VIPER_KELF);
    for (int i = 0; i < n; i++)
        kprintf(" 0x%lx", (unsigned long)pcs[i]);
    kprintf("\ngdb: gdb-multiarch " VIPER_KELF " -batch -ex 'info line *0x%lx'\n",
            (unsigned long)pc);
}

void arch_backtrace_here(void)
{
    uint64_t fp = (uint64_t)__builtin_frame_address(0);
    backtrace_print((uint64_t)__builtin_return_address(0) - 4, *(const uint64_t *)fp);
}

void trap_report(const struct trap_frame *tf)
{
    esr_describe(tf->esr, tf->far);
    kprintf("  ELR  0x%016lx ", (unsigned long)tf->elr);
    ksym_print(tf->elr);
    unsigned mode = (unsigned)tf->spsr & 0xf;
    kprintf("\n  SPSR 0x%016lx (EL%u%c, DAIF %lx, NZCV %lx)\n", (unsigned long)tf->spsr,
            mode >> 2, (mode & 1) ? 'h' : 't', (unsigned long)(tf->spsr >> 6) & 0xf,
            (unsigned long)(tf->spsr >> 28) & 0xf);
    for (int i = 0; i < 31; i++)
        kprintf("  x%-2d %016lx%s", i, (unsigned long)tf->x[i], (i % 4 == 3) ? "\n" : "");
    kprintf("  sp  %016lx\n", (unsigned long)tf->sp);
    backtrace_print(tf->elr, tf->x[29]);
}

/* A fatal exception: print everything about it and power off. */
static _Noreturn void trap_fatal(const struct trap_frame *tf, const char *what)
{
    log_panic_mode();
    kprintf("\npanic: %s on cpu %u at ", what, arch_cpu_index());
    ksym_print(tf->elr);
    kprintf("\n");
    trap_report(tf);
    psci_system_off();
}

#define EC_FP_ACCESS  0x07
#define EC_IABT_LOWER 0x20
#define EC_DABT_LOWER 0x24
#define EC_DABT_CUR   0x25

static bool from_user(const struct trap_frame *tf)
{
    return (tf->spsr & 0xf) == 0;   /* M[3:0] = EL0t */
}

/* Translation and permission faults are the VM's business; the rest are not. */
static bool vm_fault_kind(uint64_t esr)
{
    unsigned fsc = (unsigned)esr & 0x3f;
    return (fsc >= 0x04 && fsc <= 0x07) || (fsc >= 0x0c && fsc <= 0x0f);
}

static uint32_t fault_access(uint64_t esr)
{
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;
    if (ec == EC_IABT_LOWER)
        return VM_EXEC;
    return (esr & (1u << 6)) ? VM_WRITE : VM_READ;
}

/* An abort from EL0: demand paging and COW, or the end of the process. */
static void user_abort(struct trap_frame *tf)
{
    struct process *p = proc_current();
    int err = VIPER_ERR_FAULT;
    if (vm_fault_kind(tf->esr) && tf->far < VIPER_USER_MAX)
        err = vm_fault(p->vm, tf->far, fault_access(tf->esr));
    if (err == VIPER_ERR_NO_MEMORY) {
        kprintf("user fault: pid %ld (%s): out of memory at 0x%lx; killed\n", (long)p->pid,
                p->name, (unsigned long)tf->far);
        proc_exit(VIPER_EXIT_OOM, 0);
    }
    if (err)
        proc_fault_kill(tf, esr_class_name((unsigned)(tf->esr >> 26) & 0x3f));
}

/*
 * The lean path for data aborts from EL0 (vectors.S el0_dabt): resolve the
 * fault on a partial frame, or return nonzero so that the vector completes
 * the frame and trap_sync reports it.  vm_fault never blocks, switches or
 * wakes a thread, so nothing else needs the full frame.
 */
int trap_user_abort_lean(uint64_t esr, uint64_t far)
{
    if (!vm_fault_kind(esr) || far >= VIPER_USER_MAX)
        return VIPER_ERR_FAULT;
    return vm_fault(sched_current()->vm, far, fault_access(esr));
}

static void user_sync(struct trap_frame *tf)
{
    unsigned ec = (unsigned)(tf->esr >> 26) & 0x3f;
    /*
     * IRQs stay masked in the kernel: it is not preemptible, a blocked
     * thread's IRQs come back with whatever runs next (user space or the
     * idle loop), and two DAIF writes per call are a measurable part of
     * the syscall path under QEMU.
     */
    switch (ec) {
    case EC_IABT_LOWER:
    case EC_DABT_LOWER:
        user_abort(tf);
        break;
    case EC_FP_ACCESS:
        fpu_trap(sched_current());
        break;
    default:
        proc_fault_kill(tf, esr_class_name(ec));
    }
    proc_return_to_user();
}

/*
 * A kernel data abort at a user access listed in __uaccess_table
 * (syscall/uaccess.h): resolve it like a user fault, or resume where the
 * table says, which makes the copy return VIPER_ERR_FAULT.
 */
static bool kernel_uaccess_fault(struct trap_frame *tf)
{
    unsigned ec = (unsigned)(tf->esr >> 26) & 0x3f;
    uint64_t pc = tf->elr;
    struct process *p = proc_current();
    if (ec != EC_DABT_CUR || !p || !uaccess_fixup(&pc))
        return false;
    if (vm_fault_kind(tf->esr) && tf->far < VIPER_USER_MAX &&
        vm_fault(p->vm, tf->far, fault_access(tf->esr)) == VIPER_OK)
        return true;   /* retry the access */
    tf->elr = pc;      /* resume where __uaccess_table says */
    return true;
}

void trap_sync(struct trap_frame *tf)
{
    if (from_user(tf)) {
        user_sync(tf);
        return;
    }
    if (kernel_uaccess_fault(tf))
        return;
    trap_fatal(tf, esr_class_name((unsigned)(tf->esr >> 26) & 0x3f));
}

void trap_irq(struct trap_frame *tf)
{
    irq_dispatch();
    if (from_user(tf))
        proc_return_to_user();
}

void trap_unexpected(struct trap_frame *tf, unsigned vector)
{
    if (from_user(tf))
        proc_fault_kill(tf, vector_names[vector & 15]);
    trap_fatal(tf, vector < 16 ? vector_names[vector] : "unknown vector");
}
