/*
 * vblk.c - the virtio-blk half of blkd (virtio spec v1.2 section 5.2).
 *
 * Every request is a chain of three descriptors: the 16-byte header (type,
 * sector) the device reads, the data (the slot's bounce buffer; the device
 * writes it for a read, reads it for a write; absent for a flush), and one
 * status byte the device writes.  All of it is in one DMA buffer of blkd's:
 * a page of headers and status bytes, then one bounce buffer per slot.  The
 * virtqueue hands back head ids; slot_of_head maps them to slots, and a head
 * the library accepted always belongs to a busy slot.
 */
#include <string.h>
#include <viper/sys.h>
#include <proto/blk.h>

#include "vblk.h"

#define PAGE 4096ull

/* Feature bits and request types (spec v1.2 section 5.2.3, 5.2.6). */
#define VIRTIO_BLK_F_RO    (1ull << 5)
#define VIRTIO_BLK_F_FLUSH (1ull << 9)
#define VIRTIO_BLK_T_IN    0u
#define VIRTIO_BLK_T_OUT   1u
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_S_OK    0u
#define VBLK_CFG_CAPACITY  0u     /* le64: sectors of 512 bytes */

#define QUEUE_SIZE 64u            /* >= 3 descriptors per slot */
#define HDR_STRIDE 32u            /* per slot in the first page: header, then status at +16 */
#define BOUNCE_LEN (BLK_MAX_SECTORS * BLK_SECTOR_SIZE)

struct vblk_hdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

int64_t vblk_init(struct vblk *v, uint64_t dev, uint64_t dma_root)
{
    memset(v, 0, sizeof *v);
    int64_t rc = virtio_open(dev, &v->vd);
    if (rc != VIPER_OK)
        return rc;
    if (v->vd.device_id != VIRTIO_ID_BLOCK)
        rc = VIPER_ERR_NOT_SUPPORTED;
    if (rc == VIPER_OK)
        rc = virtio_negotiate(&v->vd, VIRTIO_BLK_F_RO | VIRTIO_BLK_F_FLUSH);
    if (rc == VIPER_OK)
        rc = virtq_setup(&v->q, &v->vd, 0, QUEUE_SIZE, dma_root);
    if (rc == VIPER_OK && v->q.size < 3 * VBLK_SLOTS)
        rc = VIPER_ERR_NOT_SUPPORTED;
    if (rc == VIPER_OK)
        rc = virtio_dma_alloc(dma_root, PAGE + VBLK_SLOTS * BOUNCE_LEN, &v->dma);
    if (rc != VIPER_OK) {
        virtio_close(&v->vd);
        virtq_destroy(&v->q);
        virtio_dma_free(&v->dma);
        return rc;
    }
    v->capacity = virtio_config_read64(&v->vd, VBLK_CFG_CAPACITY);
    v->readonly = (v->vd.features & VIRTIO_BLK_F_RO) != 0;
    v->flush = (v->vd.features & VIRTIO_BLK_F_FLUSH) != 0;
    virtio_driver_ok(&v->vd);
    return VIPER_OK;
}

int vblk_slot_get(struct vblk *v)
{
    for (unsigned i = 0; i < VBLK_SLOTS; i++) {
        if (!v->busy[i]) {
            v->busy[i] = true;
            return (int)i;
        }
    }
    return -1;
}

void vblk_slot_put(struct vblk *v, int slot)
{
    v->busy[slot] = false;
}

unsigned vblk_slots_free(const struct vblk *v)
{
    unsigned n = 0;
    for (unsigned i = 0; i < VBLK_SLOTS; i++)
        n += !v->busy[i];
    return n;
}

uint8_t *vblk_bounce(struct vblk *v, int slot)
{
    return v->dma.va + PAGE + (uint64_t)slot * BOUNCE_LEN;
}

int64_t vblk_submit(struct vblk *v, int slot, uint32_t op, uint64_t sector, uint32_t count)
{
    if (v->dead) {
        vblk_slot_put(v, slot);
        return VIPER_ERR_IO;
    }
    uint64_t hoff = (uint64_t)slot * HDR_STRIDE;
    volatile struct vblk_hdr *h = (volatile struct vblk_hdr *)(v->dma.va + hoff);
    h->type = op == BLK_READ ? VIRTIO_BLK_T_IN : op == BLK_WRITE ? VIRTIO_BLK_T_OUT
                                                                 : VIRTIO_BLK_T_FLUSH;
    h->reserved = 0;
    h->sector = op == BLK_FLUSH ? 0 : sector;
    v->dma.va[hoff + 16] = 0xff;                       /* a status the device must overwrite */

    struct virtq_buf bufs[3];
    unsigned n = 0;
    bufs[n++] = (struct virtq_buf){ v->dma.phys + hoff, sizeof(struct vblk_hdr), false };
    if (op != BLK_FLUSH)
        bufs[n++] = (struct virtq_buf){ v->dma.phys + PAGE + (uint64_t)slot * BOUNCE_LEN,
                                        count * BLK_SECTOR_SIZE, op == BLK_READ };
    bufs[n++] = (struct virtq_buf){ v->dma.phys + hoff + 16, 1, true };
    int64_t head = virtq_add(&v->q, bufs, n);
    if (head < 0) {
        vblk_slot_put(v, slot);
        return head;
    }
    v->slot_of_head[head] = (uint16_t)slot;
    virtq_notify(&v->q);
    return VIPER_OK;
}

int64_t vblk_complete(struct vblk *v, int64_t *status)
{
    uint32_t len;
    int64_t head = virtq_get(&v->q, &len);
    if (head == VIPER_ERR_IO) {
        v->dead = true;
        virtio_fail(&v->vd);
    }
    if (head < 0)
        return head;
    int slot = v->slot_of_head[head];
    uint8_t st = v->dma.va[(uint64_t)slot * HDR_STRIDE + 16];
    /* len counts the status byte; a status the device never wrote is a failure too */
    *status = st == VIRTIO_BLK_S_OK && len >= 1 ? VIPER_OK : VIPER_ERR_IO;
    return slot;
}
