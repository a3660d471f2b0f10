/*
 * smp.c - secondary CPU bring-up.
 *
 * Each /cpus/cpu@N node's "reg" is that CPU's MPIDR affinity.  The boot CPU
 * starts the others one at a time through PSCI CPU_ON at secondary_entry
 * (head.S), which joins the kernel page tables and calls secondary_main.
 * A secondary announces itself and parks in WFI with IRQs masked until
 * the SMP scheduler exists.
 */
#include "arch/cpu.h"
#include "arch/mmu.h"
#include "arch/psci.h"
#include "arch/smp.h"
#include "arch/timer.h"
#include "kernel/log.h"
#include "lib/string.h"

#define CPU_ON_TIMEOUT_NS 200000000ull   /* 200 ms per CPU */
#define MPIDR_AFF_MASK    0xff00fffffful

extern char secondary_entry[];
static unsigned cpus_online = 1;

_Noreturn void secondary_main(unsigned index)
{
    pr_info("smp: cpu%u online (mpidr 0x%lx)", index,
            (unsigned long)(read_sysreg(mpidr_el1) & MPIDR_AFF_MASK));
    __atomic_add_fetch(&cpus_online, 1, __ATOMIC_RELEASE);
    /* WFI, not WFE: QEMU runs WFE as a busy yield, WFI really idles the vCPU. */
    for (;;)
        cpu_wfi();
}

unsigned smp_init(const struct fdt *fdt)
{
    int cpus = fdt_path(fdt, "/cpus");
    uint64_t self = read_sysreg(mpidr_el1) & MPIDR_AFF_MASK;
    unsigned index = 1;
    for (int n = cpus >= 0 ? fdt_first_child(fdt, cpus) : -1; n >= 0; n = fdt_next_sibling(fdt, n)) {
        uint64_t mpidr, unused;
        const char *type = fdt_getprop(fdt, n, "device_type", NULL);
        if (!type || strcmp(type, "cpu") != 0 || fdt_reg(fdt, n, 0, &mpidr, &unused))
            continue;
        if (mpidr == self)
            continue;
        if (index >= MAX_CPUS) {
            pr_warn("smp: more than %d cpus; cpu mpidr 0x%lx left off", MAX_CPUS, (unsigned long)mpidr);
            continue;
        }
        unsigned before = __atomic_load_n(&cpus_online, __ATOMIC_ACQUIRE);
        int64_t err = psci_cpu_on(mpidr, virt_to_phys(secondary_entry), index);
        if (err) {
            pr_warn("smp: CPU_ON mpidr 0x%lx failed: psci error %ld", (unsigned long)mpidr, (long)err);
            continue;
        }
        uint64_t deadline = timer_now_ns() + CPU_ON_TIMEOUT_NS;
        while (__atomic_load_n(&cpus_online, __ATOMIC_ACQUIRE) == before && timer_now_ns() < deadline)
            cpu_relax();
        if (__atomic_load_n(&cpus_online, __ATOMIC_ACQUIRE) == before)
            pr_warn("smp: cpu mpidr 0x%lx did not come up", (unsigned long)mpidr);
        index++;
    }
    pr_info("smp: %u cpus online", cpus_online);
    return cpus_online;
}
