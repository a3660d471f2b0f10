/*
 * dev/irq.h - interrupt routing: the GIC (v2 or v3, chosen by the DTB's
 * compatible string), handler registration and the IRQ dispatch loop.
 *
 * INTIDs are the GIC's: 16-31 PPIs, 32-1019 SPIs.  Handlers run with IRQs
 * masked on the CPU that took the interrupt.
 */
#pragma once
#include <stdint.h>
#include "lib/fdt.h"

#define IRQ_MAX 1020

typedef void (*irq_handler_fn)(unsigned intid, void *arg);

/* Find and initialise the GIC; VIPER_ERR_NOT_FOUND if the DTB has none we know. */
int irq_init(const struct fdt *fdt);

/* Install handler for intid (replacing any) and enable it at the GIC. */
int irq_register(unsigned intid, irq_handler_fn handler, void *arg);

/* Mask / unmask intid at the GIC. */
void irq_disable(unsigned intid);
void irq_enable(unsigned intid);

/* Mask intid and forget its handler. */
void irq_unregister(unsigned intid);

/*
 * Decode entry `index` of node's "interrupts" (GIC 3-cell form:
 * type 0 = SPI, 1 = PPI; number; flags) into an INTID.
 */
int irq_from_fdt(const struct fdt *fdt, int node, int index, unsigned *intid);

/* Called by the exception vector: acknowledge, run handlers, end-of-interrupt. */
void irq_dispatch(void);

/* GIC version in use (2 or 3); 0 before irq_init. */
int irq_gic_version(void);
