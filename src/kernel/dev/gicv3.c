/*
 * gicv3.c - GICv3 distributor, this CPU's redistributor and the
 * system-register CPU interface (Arm IHI 0069).  Runs the GIC in its
 * single-security-state view (QEMU virt without secure=on): every
 * interrupt is group 1, priority 0xa0, SPIs routed to CPU 0's affinity.
 */
#include "arch/cpu.h"
#include "arch/mmu.h"
#include "gic_priv.h"
#include "kernel/log.h"
#include "viper/errors.h"

#define GICD_CTLR       0x0000
#define GICD_TYPER      0x0004
#define GICD_IGROUPR    0x0080
#define GICD_ISENABLER  0x0100
#define GICD_ICENABLER  0x0180
#define GICD_IPRIORITYR 0x0400
#define GICD_IROUTER    0x6000
#define CTLR_RWP        (1u << 31)
#define CTLR_ARE        (1u << 4)
#define CTLR_GRP1       (1u << 1)

#define GICR_FRAME      0x20000   /* RD_base + SGI_base, 64 KiB each */
#define GICR_TYPER      0x0008
#define GICR_WAKER      0x0014
#define GICR_SGI        0x10000
#define TYPER_LAST      (1u << 4)
#define WAKER_SLEEP     (1u << 1)
#define WAKER_ASLEEP    (1u << 2)

#define ICC_SRE_EL1     S3_0_C12_C12_5
#define ICC_PMR_EL1     S3_0_C4_C6_0
#define ICC_CTLR_EL1    S3_0_C12_C12_4
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_IAR1_EL1    S3_0_C12_C12_0
#define ICC_EOIR1_EL1   S3_0_C12_C12_1
#define XSTR(x) #x
#define MRS(r) ({ uint64_t v_; __asm__ volatile("mrs %0, " XSTR(r) : "=r"(v_)); v_; })
#define MSR(r, v) __asm__ volatile("msr " XSTR(r) ", %0" :: "r"((uint64_t)(v)))

static volatile uint8_t *dist;
static volatile uint8_t *redist;   /* this CPU's RD_base */

static inline void wr32(volatile uint8_t *base, unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(base + off) = v;
}

static inline uint32_t rd32(volatile uint8_t *base, unsigned off)
{
    return *(volatile uint32_t *)(base + off);
}

static void dist_wait_rwp(void)
{
    while (rd32(dist, GICD_CTLR) & CTLR_RWP)
        cpu_relax();
}

/* MPIDR affinity in GICD_IROUTER / GICR_TYPER layout (Aff3 in bits 39:32). */
static uint64_t mpidr_affinity(void)
{
    uint64_t mpidr = read_sysreg(mpidr_el1);
    return (mpidr & 0xffffff) | ((mpidr >> 32) & 0xff) << 32;
}

static void v3_enable(unsigned intid)
{
    if (intid < 32) {
        redist[GICR_SGI + GICD_IPRIORITYR + intid] = 0xa0;
        wr32(redist, GICR_SGI + GICD_ISENABLER, 1u << intid);
        return;
    }
    dist[GICD_IPRIORITYR + intid] = 0xa0;
    *(volatile uint64_t *)(dist + GICD_IROUTER + 8 * intid) = mpidr_affinity();
    wr32(dist, GICD_ISENABLER + 4 * (intid / 32), 1u << (intid % 32));
}

static void v3_disable(unsigned intid)
{
    if (intid < 32)
        wr32(redist, GICR_SGI + GICD_ICENABLER, 1u << intid);
    else
        wr32(dist, GICD_ICENABLER + 4 * (intid / 32), 1u << (intid % 32));
}

static unsigned v3_ack(void)
{
    return (unsigned)MRS(ICC_IAR1_EL1) & 0xffffff;
}

static void v3_eoi(unsigned intid)
{
    MSR(ICC_EOIR1_EL1, intid);
}

static const struct gic_ops v3_ops = {
    .version = 3, .enable = v3_enable, .disable = v3_disable, .ack = v3_ack, .eoi = v3_eoi,
};

/* Find this CPU's redistributor frame in [base, base + size) and wake it. */
static int redist_init(uint64_t base, uint64_t size)
{
    uint64_t aff = mpidr_affinity();
    for (uint64_t off = 0; off + GICR_FRAME <= size; off += GICR_FRAME) {
        volatile uint8_t *rd = mmu_map_device(base + off, GICR_FRAME);
        if (!rd)
            return VIPER_ERR_NO_MEMORY;
        uint64_t typer = *(volatile uint64_t *)(rd + GICR_TYPER);
        if ((typer >> 32) == aff) {
            redist = rd;
            wr32(rd, GICR_WAKER, rd32(rd, GICR_WAKER) & ~WAKER_SLEEP);
            while (rd32(rd, GICR_WAKER) & WAKER_ASLEEP)
                cpu_relax();
            wr32(rd, GICR_SGI + GICD_IGROUPR, 0xffffffffu);   /* SGIs, PPIs: group 1 */
            wr32(rd, GICR_SGI + GICD_ICENABLER, 0xffffffffu);
            return VIPER_OK;
        }
        if (typer & TYPER_LAST)
            break;
    }
    return VIPER_ERR_NOT_FOUND;
}

int gicv3_probe(const struct fdt *fdt, int node, const struct gic_ops **ops)
{
    uint64_t dpa, dsize, rpa, rsize;
    if (fdt_reg(fdt, node, 0, &dpa, &dsize) || fdt_reg(fdt, node, 1, &rpa, &rsize))
        return VIPER_ERR_BAD_FORMAT;
    dist = mmu_map_device(dpa, 0x10000);
    if (!dist)
        return VIPER_ERR_NO_MEMORY;
    wr32(dist, GICD_CTLR, 0);
    dist_wait_rwp();
    unsigned lines = 32 * ((rd32(dist, GICD_TYPER) & 0x1f) + 1);
    for (unsigned i = 32; i < lines; i += 32) {
        wr32(dist, GICD_ICENABLER + i / 8, 0xffffffffu);
        wr32(dist, GICD_IGROUPR + i / 8, 0xffffffffu);
    }
    wr32(dist, GICD_CTLR, CTLR_ARE);
    dist_wait_rwp();
    wr32(dist, GICD_CTLR, CTLR_ARE | CTLR_GRP1);
    dist_wait_rwp();
    int err = redist_init(rpa, rsize);
    if (err)
        return err;
    MSR(ICC_SRE_EL1, MRS(ICC_SRE_EL1) | 1);
    isb();
    MSR(ICC_PMR_EL1, 0xf0);
    MSR(ICC_CTLR_EL1, 0);
    MSR(ICC_IGRPEN1_EL1, 1);
    isb();
    pr_info("gic: v3 dist 0x%lx redist 0x%lx, %u lines", (unsigned long)dpa, (unsigned long)rpa, lines);
    *ops = &v3_ops;
    return VIPER_OK;
}
