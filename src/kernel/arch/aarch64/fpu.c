/*
 * fpu.c - lazy FP/SIMD context switching.
 *
 * The kernel never uses FP/SIMD (it is built -mgeneral-regs-only), so the
 * registers hold the state of one user thread, the owner.  Switching to
 * any other thread turns on the EL0 trap (CPACR_EL1.FPEN = 01); its first
 * FP instruction traps here, and only then is the owner's state saved and
 * the new thread's loaded.  Threads that never touch FP never pay.
 */
#include "arch/cpu.h"
#include "arch/fpu.h"
#include "lib/string.h"
#include "proc/thread.h"

#define CPACR_FPEN_SHIFT 20
#define FPEN_TRAP_EL0    (1ul << CPACR_FPEN_SHIFT)
#define FPEN_NO_TRAP     (3ul << CPACR_FPEN_SHIFT)

void fpu_save(struct fp_state *st);
void fpu_load(const struct fp_state *st);

struct thread *fpu_owner;
bool fpu_el0_trapped;
static uint64_t cpacr;   /* the value last written: skip the write (and ISB) when unchanged */

static void set_cpacr(uint64_t v)
{
    if (v == cpacr)
        return;
    cpacr = v;
    fpu_el0_trapped = v == FPEN_TRAP_EL0;
    write_sysreg(cpacr_el1, v);
    isb();
}

static void fpu_enable_access(void)
{
    set_cpacr(FPEN_NO_TRAP);
}

void fpu_trap_el0(void)
{
    set_cpacr(FPEN_TRAP_EL0);
}

void fpu_trap(struct thread *t)
{
    fpu_enable_access();
    if (fpu_owner == t)
        return;
    if (fpu_owner)
        fpu_save(&fpu_owner->fp);
    if (!t->fp_valid) {
        memset(&t->fp, 0, sizeof t->fp);
        t->fp_valid = true;
    }
    fpu_load(&t->fp);
    fpu_owner = t;
}

void fpu_flush(struct thread *t)
{
    if (fpu_owner == t) {
        fpu_enable_access();
        fpu_save(&t->fp);
        fpu_switch_to(t);
    }
}

void fpu_forget(struct thread *t)
{
    if (fpu_owner == t)
        fpu_owner = NULL;
    t->fp_valid = false;
}
