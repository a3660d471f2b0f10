/*
 * vblk.h - blkd's virtio-blk device: request slots with bounce buffers in
 * DMA memory, submitted on one virtqueue and completed in any order.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <virtio/virtio.h>

#define VBLK_SLOTS 16u            /* requests the device may hold at once */

struct vblk {
    struct virtio_dev vd;
    struct virtq q;
    struct virtio_dma dma;        /* per slot: header + status, then the bounce buffers */
    uint64_t capacity;            /* sectors of 512 bytes */
    bool readonly;
    bool flush;                   /* the device has a write cache to flush */
    bool dead;                    /* the device broke its queue: everything fails with IO */
    uint16_t slot_of_head[VIRTQ_MAX_SIZE];
    bool busy[VBLK_SLOTS];
};

/* Open device handle dev (it moves into v), negotiate, set up the queue and buffers from
 * dma_root. VIPER_OK or the failing step's error (the device is closed again). */
int64_t vblk_init(struct vblk *v, uint64_t dev, uint64_t dma_root);

/* A free slot, or -1. */
int vblk_slot_get(struct vblk *v);

/* The slot's bounce buffer (BLK_MAX_SECTORS * 512 bytes). */
uint8_t *vblk_bounce(struct vblk *v, int slot);

/* Submit op (BLK_READ, BLK_WRITE, BLK_FLUSH) on slot for count sectors at sector; a WRITE's
 * data must already be in the bounce buffer. On error the slot is free again. */
int64_t vblk_submit(struct vblk *v, int slot, uint32_t op, uint64_t sector, uint32_t count);

/* The next finished slot and its result (VIPER_OK or VIPER_ERR_IO) in *status; the slot stays
 * busy until vblk_slot_put. WOULD_BLOCK when none; IO once the queue is broken (v->dead). */
int64_t vblk_complete(struct vblk *v, int64_t *status);

void vblk_slot_put(struct vblk *v, int slot);

/* Slots not busy. */
unsigned vblk_slots_free(const struct vblk *v);
