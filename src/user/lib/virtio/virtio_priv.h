/*
 * virtio_priv.h - virtio-mmio register offsets and split-virtqueue layouts
 * (spec v1.2 sections 4.2.2 and 2.7), shared by virtio.c and virtq.c only.
 */
#pragma once
#include <stdint.h>
#include <virtio/virtio.h>

#define VMMIO_MAGIC_VALUE      0x74726976u   /* "virt" */

#define VMMIO_MAGIC            0x000
#define VMMIO_VERSION          0x004
#define VMMIO_DEVICE_ID        0x008
#define VMMIO_DEV_FEATURES     0x010
#define VMMIO_DEV_FEATURES_SEL 0x014
#define VMMIO_DRV_FEATURES     0x020
#define VMMIO_DRV_FEATURES_SEL 0x024
#define VMMIO_QUEUE_SEL        0x030
#define VMMIO_QUEUE_NUM_MAX    0x034
#define VMMIO_QUEUE_NUM        0x038
#define VMMIO_QUEUE_READY      0x044
#define VMMIO_QUEUE_NOTIFY     0x050
#define VMMIO_INT_STATUS       0x060
#define VMMIO_INT_ACK          0x064
#define VMMIO_STATUS           0x070
#define VMMIO_QUEUE_DESC_LO    0x080
#define VMMIO_QUEUE_DESC_HI    0x084
#define VMMIO_QUEUE_DRIVER_LO  0x090
#define VMMIO_QUEUE_DRIVER_HI  0x094
#define VMMIO_QUEUE_DEVICE_LO  0x0a0
#define VMMIO_QUEUE_DEVICE_HI  0x0a4
#define VMMIO_CONFIG_GEN       0x0fc
#define VMMIO_CONFIG           0x100
#define VMMIO_SLOT_SIZE        0x200u

#define VSTAT_ACKNOWLEDGE 1u
#define VSTAT_DRIVER      2u
#define VSTAT_DRIVER_OK   4u
#define VSTAT_FEATURES_OK 8u
#define VSTAT_NEEDS_RESET 64u
#define VSTAT_FAILED      128u

#define VIRTQ_DESC_F_NEXT  1u
#define VIRTQ_DESC_F_WRITE 2u

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];            /* size entries, then used_event (unused here) */
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];   /* size entries, then avail_event */
};

/* Full-system barrier: orders normal-memory ring accesses against each other and against
 * the Device-nGnRE register accesses (QEMU's device model runs on another host thread). */
static inline void virtio_mb(void)
{
    __asm__ volatile("dsb sy" ::: "memory");
}

static inline uint32_t virtio_rd32(const struct virtio_dev *vd, uint32_t off)
{
    uint32_t v = *(volatile uint32_t *)(vd->regs + off);
    __asm__ volatile("" ::: "memory");
    return v;
}

static inline void virtio_wr32(const struct virtio_dev *vd, uint32_t off, uint32_t v)
{
    __asm__ volatile("" ::: "memory");
    *(volatile uint32_t *)(vd->regs + off) = v;
}
