/*
 * gic.c - the interrupt layer every driver uses: pick the GIC driver the
 * DTB asks for, keep the handler table, decode "interrupts" properties,
 * and run the acknowledge / handle / end-of-interrupt loop.
 */
#include "dev/irq.h"
#include "gic_priv.h"
#include "kernel/log.h"
#include "viper/errors.h"

struct irq_slot {
    irq_handler_fn handler;
    void *arg;
};

static const struct gic_ops *gic;
static struct irq_slot handlers[IRQ_MAX];

int irq_init(const struct fdt *fdt)
{
    static const struct {
        const char *compatible;
        int (*probe)(const struct fdt *, int, const struct gic_ops **);
    } drivers[] = {
        { "arm,gic-v3", gicv3_probe },
        { "arm,gic-400", gicv2_probe },
        { "arm,cortex-a15-gic", gicv2_probe },
    };
    for (unsigned i = 0; i < sizeof drivers / sizeof drivers[0]; i++) {
        int node = fdt_find_compatible(fdt, -1, drivers[i].compatible);
        if (node >= 0)
            return drivers[i].probe(fdt, node, &gic);
    }
    return VIPER_ERR_NOT_FOUND;
}

int irq_gic_version(void)
{
    return gic ? gic->version : 0;
}

int irq_register(unsigned intid, irq_handler_fn handler, void *arg)
{
    if (!gic || intid >= IRQ_MAX || !handler)
        return VIPER_ERR_INVALID;
    handlers[intid].arg = arg;
    handlers[intid].handler = handler;
    gic->enable(intid);
    return VIPER_OK;
}

void irq_disable(unsigned intid)
{
    if (gic && intid < IRQ_MAX)
        gic->disable(intid);
}

void irq_enable(unsigned intid)
{
    if (gic && intid < IRQ_MAX && handlers[intid].handler)
        gic->enable(intid);
}

void irq_unregister(unsigned intid)
{
    if (!gic || intid >= IRQ_MAX)
        return;
    gic->disable(intid);
    handlers[intid].handler = NULL;
    handlers[intid].arg = NULL;
}

int irq_from_fdt(const struct fdt *fdt, int node, int index, unsigned *intid)
{
    uint32_t len;
    const uint8_t *p = fdt_getprop(fdt, node, "interrupts", &len);
    if (!p)
        return VIPER_ERR_NOT_FOUND;
    if (index < 0 || (uint32_t)(index + 1) * 12 > len)
        return VIPER_ERR_NOT_FOUND;
    uint32_t type = fdt_be32(p + index * 12);
    uint32_t num = fdt_be32(p + index * 12 + 4);
    if (type == 0 && num < 988)
        *intid = 32 + num;         /* SPI */
    else if (type == 1 && num < 16)
        *intid = 16 + num;         /* PPI */
    else
        return VIPER_ERR_BAD_FORMAT;
    return VIPER_OK;
}

void irq_dispatch(void)
{
    for (;;) {
        unsigned intid = gic->ack();
        if (intid >= GIC_SPURIOUS)
            return;
        if (intid < IRQ_MAX && handlers[intid].handler)
            handlers[intid].handler(intid, handlers[intid].arg);
        else {
            pr_warn("irq: unexpected interrupt %u (masked)", intid);
            gic->disable(intid);
        }
        gic->eoi(intid);
    }
}
