/*
 * psci.c - PSCI 0.2+ calls through the conduit the DTB names.
 *
 * Before the DTB is read (or when it has no /psci node) the conduit is
 * guessed the way QEMU's virt machine chooses it: HVC when the kernel was
 * entered at EL1, SMC when entered at EL2 (the firmware then sits at EL3).
 * That lets even a "fatal: no ..." message end in a power-off.
 */
#include "arch/cpu.h"
#include "arch/psci.h"
#include "dev/console.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "viper/errors.h"

#define PSCI_SYSTEM_OFF   0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_CPU_ON_64    0xc4000003u

enum conduit { CONDUIT_GUESS, CONDUIT_HVC, CONDUIT_SMC };
static enum conduit conduit = CONDUIT_GUESS;

static int64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    enum conduit c = conduit;
    if (c == CONDUIT_GUESS)
        c = boot_entry_el == 2 ? CONDUIT_SMC : CONDUIT_HVC;
    if (c == CONDUIT_SMC)
        __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :: "memory");
    else
        __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :: "memory");
    return (int64_t)x0;
}

int psci_init(const struct fdt *fdt)
{
    int node = fdt_find_compatible(fdt, -1, "arm,psci-0.2");
    if (node < 0)
        node = fdt_find_compatible(fdt, -1, "arm,psci-1.0");
    if (node < 0)
        return VIPER_ERR_NOT_FOUND;
    uint32_t len;
    const char *method = fdt_getprop(fdt, node, "method", &len);
    if (!method || len < 4)
        return VIPER_ERR_NOT_FOUND;
    if (strncmp(method, "hvc", len) == 0)
        conduit = CONDUIT_HVC;
    else if (strncmp(method, "smc", len) == 0)
        conduit = CONDUIT_SMC;
    else
        return VIPER_ERR_NOT_SUPPORTED;
    return VIPER_OK;
}

_Noreturn void psci_system_off(void)
{
    static const char msg[] = "psci: system off\n";
    console_panic_mode();
    console_write(msg, sizeof msg - 1);
    psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    for (;;)   /* only reached if the firmware ignored the call */
        __asm__ volatile("wfi");
}

_Noreturn void psci_system_reset(void)
{
    static const char msg[] = "psci: system reset\n";
    console_panic_mode();
    console_write(msg, sizeof msg - 1);
    psci_call(PSCI_SYSTEM_RESET, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

int64_t psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context)
{
    return psci_call(PSCI_CPU_ON_64, mpidr, entry, context);
}
