/*
 * gic_priv.h - the contract between the common IRQ layer (gic.c) and the
 * GICv2 and GICv3 drivers.  Each driver probes its DTB node and fills in a
 * struct gic_ops; gic.c does everything else.
 */
#pragma once
#include <stdint.h>
#include "lib/fdt.h"

#define GIC_SPURIOUS 1020   /* INTIDs 1020-1023 are special: nothing to handle */

struct gic_ops {
    int version;
    void (*enable)(unsigned intid);
    void (*disable)(unsigned intid);
    unsigned (*ack)(void);          /* read IAR: the INTID being taken */
    void (*eoi)(unsigned intid);    /* priority drop + deactivate */
};

/* Probe node as a GICv2 / GICv3; VIPER_OK and *ops filled, or an error. */
int gicv2_probe(const struct fdt *fdt, int node, const struct gic_ops **ops);
int gicv3_probe(const struct fdt *fdt, int node, const struct gic_ops **ops);
