/*
 * arch/smp.h - bringing up the secondary CPUs with PSCI CPU_ON.
 * At this stage they come up, report, and park (the scheduler is not
 * SMP-aware yet).
 */
#pragma once
#include "lib/fdt.h"

/* Start every CPU the DTB lists besides this one; returns the number online. */
unsigned smp_init(const struct fdt *fdt);
