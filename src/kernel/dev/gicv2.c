/*
 * gicv2.c - GICv2 distributor and memory-mapped CPU interface
 * (Arm IHI 0048B).  Every interrupt is group 0, priority 0xa0, routed to
 * CPU 0; the CPU interface lets through priorities below 0xf0.
 */
#include "arch/mmu.h"
#include "gic_priv.h"
#include "kernel/log.h"
#include "viper/errors.h"

#define GICD_CTLR       0x000
#define GICD_TYPER      0x004
#define GICD_ISENABLER  0x100
#define GICD_ICENABLER  0x180
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR  0x800

#define GICC_CTLR       0x000
#define GICC_PMR        0x004
#define GICC_IAR        0x00c
#define GICC_EOIR       0x010

static volatile uint8_t *dist;
static volatile uint8_t *cpuif;

static inline void wr32(volatile uint8_t *base, unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(base + off) = v;
}

static inline uint32_t rd32(volatile uint8_t *base, unsigned off)
{
    return *(volatile uint32_t *)(base + off);
}

static void v2_enable(unsigned intid)
{
    dist[GICD_IPRIORITYR + intid] = 0xa0;
    if (intid >= 32)
        dist[GICD_ITARGETSR + intid] = 0x01;
    wr32(dist, GICD_ISENABLER + 4 * (intid / 32), 1u << (intid % 32));
}

static void v2_disable(unsigned intid)
{
    wr32(dist, GICD_ICENABLER + 4 * (intid / 32), 1u << (intid % 32));
}

static unsigned v2_ack(void)
{
    return rd32(cpuif, GICC_IAR) & 0x3ff;
}

static void v2_eoi(unsigned intid)
{
    wr32(cpuif, GICC_EOIR, intid);
}

static const struct gic_ops v2_ops = {
    .version = 2, .enable = v2_enable, .disable = v2_disable, .ack = v2_ack, .eoi = v2_eoi,
};

int gicv2_probe(const struct fdt *fdt, int node, const struct gic_ops **ops)
{
    uint64_t dpa, dsize, cpa, csize;
    if (fdt_reg(fdt, node, 0, &dpa, &dsize) || fdt_reg(fdt, node, 1, &cpa, &csize))
        return VIPER_ERR_BAD_FORMAT;
    dist = mmu_map_device(dpa, 0x1000);
    cpuif = mmu_map_device(cpa, 0x2000);
    if (!dist || !cpuif)
        return VIPER_ERR_NO_MEMORY;
    wr32(dist, GICD_CTLR, 0);
    unsigned lines = 32 * ((rd32(dist, GICD_TYPER) & 0x1f) + 1);
    for (unsigned i = 0; i < lines; i += 32)
        wr32(dist, GICD_ICENABLER + i / 8, 0xffffffffu);
    wr32(dist, GICD_CTLR, 1);
    wr32(cpuif, GICC_PMR, 0xf0);
    wr32(cpuif, GICC_CTLR, 1);
    pr_info("gic: v2 dist 0x%lx cpu 0x%lx, %u lines", (unsigned long)dpa, (unsigned long)cpa, lines);
    *ops = &v2_ops;
    return VIPER_OK;
}
