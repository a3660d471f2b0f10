/*
 * virtio.c - virtio-mmio devices: find, open, negotiate, configuration space,
 * interrupts and DMA buffers (virtq.c has the queues).
 *
 * A struct virtio_dev is the driver's whole view of one device: the device
 * handle, the register mapping and the IRQ object.  virtio_close undoes
 * whatever virtio_open got done, so every error path just calls it.  Holding
 * the IRQ object is what makes the device ours (one IRQ object per
 * interrupt): only then is it reset, at open and again on close, so the
 * device never holds a ring address that outlives its DMA buffer.
 */
#include <stdio.h>
#include <string.h>
#include <viper/sys.h>
#include <virtio/virtio.h>

#include "virtio_priv.h"

#define PAGE 4096ull

int64_t virtio_find(uint64_t root, uint32_t device_id, unsigned nth, uint64_t *index_out)
{
    for (uint64_t i = 0;; i++) {
        uint64_t base, size, id;
        int64_t rc = viper_dev_info(root, i, &base, &size, &id);
        if (rc != VIPER_OK)
            return rc;   /* NOT_FOUND past the last device, or a bad root */
        if ((id >> 32) == VIPER_DEV_VIRTIO_MMIO && (uint32_t)id == device_id && nth-- == 0) {
            *index_out = i;
            return VIPER_OK;
        }
    }
}

static void virtio_reset(struct virtio_dev *vd)
{
    virtio_wr32(vd, VMMIO_STATUS, 0);
    virtio_mb();
    /* the spec asks for the read-back of 0; QEMU resets at once, a broken device is not
     * waited for forever */
    for (int i = 0; i < 100000 && virtio_rd32(vd, VMMIO_STATUS) != 0; i++)
        ;
}

int64_t virtio_open(uint64_t dev, struct virtio_dev *vd)
{
    memset(vd, 0, sizeof *vd);
    vd->dev = dev;
    uint64_t addr;
    int64_t rc = viper_dev_map(dev, 0, &addr);
    if (rc != VIPER_OK) {
        virtio_close(vd);
        return rc;
    }
    vd->regs = (volatile uint8_t *)(uintptr_t)addr;
    vd->map_addr = addr & ~(PAGE - 1);
    vd->map_len = ((addr + VMMIO_SLOT_SIZE + PAGE - 1) & ~(PAGE - 1)) - vd->map_addr;
    if (virtio_rd32(vd, VMMIO_MAGIC) != VMMIO_MAGIC_VALUE || virtio_rd32(vd, VMMIO_VERSION) != 2 ||
        virtio_rd32(vd, VMMIO_DEVICE_ID) == 0) {
        virtio_close(vd);   /* not virtio, a legacy transport, or an empty slot */
        return VIPER_ERR_NOT_SUPPORTED;
    }
    /* the IRQ first: BUSY means another driver has the device, which we must not reset */
    rc = viper_irq_open(dev, &vd->irq);
    if (rc != VIPER_OK) {
        vd->irq = 0;
        virtio_close(vd);
        return rc;
    }
    vd->device_id = virtio_rd32(vd, VMMIO_DEVICE_ID);
    virtio_reset(vd);
    return VIPER_OK;
}

int64_t virtio_open_index(uint64_t root, uint64_t index, struct virtio_dev *vd)
{
    uint64_t dev;
    int64_t rc = viper_dev_open(root, index, &dev);
    if (rc != VIPER_OK) {
        memset(vd, 0, sizeof *vd);
        return rc;
    }
    return virtio_open(dev, vd);
}

void virtio_close(struct virtio_dev *vd)
{
    if (vd->regs && vd->irq)   /* only a device we drove (we hold its IRQ) is reset */
        virtio_reset(vd);
    if (vd->irq)
        viper_handle_close(vd->irq);
    if (vd->map_addr)
        viper_munmap(vd->map_addr, vd->map_len);
    if (vd->dev)
        viper_handle_close(vd->dev);
    memset(vd, 0, sizeof *vd);
}

static void virtio_set_status(struct virtio_dev *vd, uint32_t bits)
{
    virtio_wr32(vd, VMMIO_STATUS, virtio_rd32(vd, VMMIO_STATUS) | bits);
    virtio_mb();
}

int64_t virtio_negotiate(struct virtio_dev *vd, uint64_t wanted)
{
    virtio_reset(vd);
    virtio_set_status(vd, VSTAT_ACKNOWLEDGE);
    virtio_set_status(vd, VSTAT_DRIVER);
    uint64_t offered = 0;
    for (uint32_t sel = 0; sel < 2; sel++) {
        virtio_wr32(vd, VMMIO_DEV_FEATURES_SEL, sel);
        virtio_mb();
        offered |= (uint64_t)virtio_rd32(vd, VMMIO_DEV_FEATURES) << (32 * sel);
    }
    if (!(offered & VIRTIO_F_VERSION_1)) {
        virtio_fail(vd);
        return VIPER_ERR_NOT_SUPPORTED;
    }
    uint64_t use = offered & (wanted | VIRTIO_F_VERSION_1);
    for (uint32_t sel = 0; sel < 2; sel++) {
        virtio_wr32(vd, VMMIO_DRV_FEATURES_SEL, sel);
        virtio_wr32(vd, VMMIO_DRV_FEATURES, (uint32_t)(use >> (32 * sel)));
    }
    virtio_set_status(vd, VSTAT_FEATURES_OK);
    if (!(virtio_rd32(vd, VMMIO_STATUS) & VSTAT_FEATURES_OK)) {
        virtio_fail(vd);
        return VIPER_ERR_NOT_SUPPORTED;
    }
    vd->features = use;
    return VIPER_OK;
}

void virtio_driver_ok(struct virtio_dev *vd)
{
    virtio_set_status(vd, VSTAT_DRIVER_OK);
}

void virtio_fail(struct virtio_dev *vd)
{
    virtio_set_status(vd, VSTAT_FAILED);
}

bool virtio_needs_reset(struct virtio_dev *vd)
{
    return (virtio_rd32(vd, VMMIO_STATUS) & VSTAT_NEEDS_RESET) != 0;
}

/* ---- configuration space ------------------------------------------------------ */

uint8_t virtio_config_read8(struct virtio_dev *vd, uint32_t off)
{
    return *(volatile uint8_t *)(vd->regs + VMMIO_CONFIG + off);
}

uint16_t virtio_config_read16(struct virtio_dev *vd, uint32_t off)
{
    return *(volatile uint16_t *)(vd->regs + VMMIO_CONFIG + off);
}

uint32_t virtio_config_read32(struct virtio_dev *vd, uint32_t off)
{
    return virtio_rd32(vd, VMMIO_CONFIG + off);
}

uint64_t virtio_config_read64(struct virtio_dev *vd, uint32_t off)
{
    uint32_t gen, lo, hi;
    do {
        gen = virtio_rd32(vd, VMMIO_CONFIG_GEN);
        lo = virtio_rd32(vd, VMMIO_CONFIG + off);
        hi = virtio_rd32(vd, VMMIO_CONFIG + off + 4);
    } while (gen != virtio_rd32(vd, VMMIO_CONFIG_GEN));
    return (uint64_t)hi << 32 | lo;
}

void virtio_config_write8(struct virtio_dev *vd, uint32_t off, uint8_t v)
{
    *(volatile uint8_t *)(vd->regs + VMMIO_CONFIG + off) = v;
    virtio_mb();
}

void virtio_config_write32(struct virtio_dev *vd, uint32_t off, uint32_t v)
{
    virtio_wr32(vd, VMMIO_CONFIG + off, v);
    virtio_mb();
}

/* ---- interrupts --------------------------------------------------------------- */

uint32_t virtio_irq_begin(struct virtio_dev *vd)
{
    uint32_t causes = virtio_rd32(vd, VMMIO_INT_STATUS);
    virtio_wr32(vd, VMMIO_INT_ACK, causes);
    virtio_mb();
    viper_irq_ack(vd->irq);
    return causes;
}

int64_t virtio_wait_irq(struct virtio_dev *vd, uint64_t deadline, uint32_t *causes_out)
{
    struct viper_wait_item item = { .handle = (uint32_t)vd->irq, .signals = VIPER_SIGNAL_IRQ };
    int64_t rc = viper_wait_many(&item, 1, deadline, NULL);
    if (rc != VIPER_OK)
        return rc;
    uint32_t causes = virtio_irq_begin(vd);
    if (causes_out)
        *causes_out = causes;
    return VIPER_OK;
}

/* ---- DMA buffers --------------------------------------------------------------- */

int64_t virtio_dma_alloc(uint64_t dma_root, uint64_t size, struct virtio_dma *d)
{
    memset(d, 0, sizeof *d);
    if (size == 0 || size > (4ull << 20))
        return VIPER_ERR_INVALID;
    uint64_t va;
    int64_t rc = viper_dma_alloc(dma_root, size, 0, &d->handle, &va, &d->phys);
    if (rc != VIPER_OK)
        return rc;
    d->va = (uint8_t *)(uintptr_t)va;
    d->size = (size + PAGE - 1) & ~(PAGE - 1);
    return VIPER_OK;
}

void virtio_dma_free(struct virtio_dma *d)
{
    if (d->va)
        viper_munmap((uint64_t)(uintptr_t)d->va, d->size);
    if (d->handle)
        viper_handle_close(d->handle);
    memset(d, 0, sizeof *d);
}
