/*
 * fault.c - the report for a user program the kernel has to kill.
 *
 * Same shape as a kernel panic (docs/boot.md), so students read one
 * format: what happened by name, FAR, the PC symbolized from the
 * program's own ELF symbol table, every register.  Then only that process
 * dies; its parent's wait() sees VIPER_EXIT_FAULT and the exception class.
 */
#include "arch/trap.h"
#include "kernel/log.h"
#include "lib/elf_symbols.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "viper/types.h"

static void print_user_symbol(const struct process *p, uint64_t pc)
{
    uint64_t off;
    const char *name = elf_symbolize(p->exe, p->exe_size, pc, &off);
    if (name)
        kprintf("%s+0x%lx", name, (unsigned long)off);
    else
        kprintf("?");
}

/* The faulting address is just below the stack: it ran into the guard page. */
static bool stack_guard_hit(uint64_t far)
{
    uint64_t bottom = VIPER_USER_STACK_TOP - VIPER_USER_STACK_SIZE;
    return far < bottom && far >= bottom - 4096;
}

_Noreturn void proc_fault_kill(struct trap_frame *tf, const char *why)
{
    struct process *p = proc_current();
    kprintf("\nuser fault: pid %ld (%s) thread %ld: %s at ", (long)p->pid, p->name,
            (long)sched_current()->tid, why);
    print_user_symbol(p, tf->elr);
    kprintf("\n");
    if (stack_guard_hit(tf->far))
        kprintf("  stack overflow: 0x%lx is the guard page below the stack\n",
                (unsigned long)tf->far);
    esr_describe(tf->esr, tf->far);
    kprintf("  ELR  0x%016lx ", (unsigned long)tf->elr);
    print_user_symbol(p, tf->elr);
    kprintf("\n  LR   0x%016lx ", (unsigned long)tf->x[30]);
    print_user_symbol(p, tf->x[30]);
    kprintf("\n");
    for (int i = 0; i < 31; i++)
        kprintf("  x%-2d %016lx%s", i, (unsigned long)tf->x[i], (i % 4 == 3) ? "\n" : "");
    kprintf("  sp  %016lx\n", (unsigned long)tf->sp);
    kprintf("user fault: pid %ld killed\n", (long)p->pid);
    proc_exit(VIPER_EXIT_FAULT, (int64_t)(tf->esr >> 26) & 0x3f);
}
