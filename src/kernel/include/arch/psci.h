/*
 * arch/psci.h - Power State Coordination Interface calls (Arm DEN0022):
 * power off, reset, and starting secondary CPUs.  The conduit (HVC or SMC)
 * comes from the DTB's /psci "method".
 */
#pragma once
#include <stdint.h>
#include "lib/fdt.h"

/* Read the conduit from the DTB; VIPER_ERR_NOT_FOUND if /psci is absent or unusable. */
int psci_init(const struct fdt *fdt);

_Noreturn void psci_system_off(void);
_Noreturn void psci_system_reset(void);

/* Start CPU `mpidr` at physical address entry with x0 = context; PSCI status (0 = success). */
int64_t psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context);
