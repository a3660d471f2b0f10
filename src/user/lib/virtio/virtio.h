/*
 * virtio/virtio.h - libvirtio: virtio-mmio (version 2) devices and split
 * virtqueues for user-space drivers (blkd, rngd, consoled, inputd).
 *
 * A driver owns one struct virtio_dev per device and one struct virtq per
 * queue; nothing here is shared between threads.  The library never trusts
 * the device: a used-ring entry naming a descriptor the driver did not
 * issue, or an index out of range, is reported and dropped; a used index
 * that runs ahead of what was issued marks the queue broken.  Layouts and
 * register offsets follow the virtio spec v1.2 (sections 2.7 and 4.2.2).
 * docs/virtio.md describes the calls, their order and the invariants.
 *
 * Every call returning int64_t returns VIPER_OK or a negative VIPER_ERR_*.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* ---- device IDs (spec v1.2 section 5) ---------------------------------------- */
#define VIRTIO_ID_NET     1u
#define VIRTIO_ID_BLOCK   2u
#define VIRTIO_ID_CONSOLE 3u
#define VIRTIO_ID_ENTROPY 4u
#define VIRTIO_ID_GPU     16u
#define VIRTIO_ID_INPUT   18u

/* ---- feature bits every transport shares (spec v1.2 section 6) ----------------- */
#define VIRTIO_F_VERSION_1 (1ull << 32)   /* required: the library speaks only virtio 1.x */

/* Interrupt causes, returned by virtio_irq_begin. */
#define VIRTIO_INT_USED   (1u << 0)      /* a used ring advanced */
#define VIRTIO_INT_CONFIG (1u << 1)      /* the configuration space changed */

/* One virtio-mmio device, opened and mapped. */
struct virtio_dev {
    uint64_t dev;               /* device handle (VIPER_OBJ_DEVICE); closed by virtio_close */
    uint64_t irq;               /* its IRQ object; wait for VIPER_SIGNAL_IRQ on this */
    volatile uint8_t *regs;     /* the mapped register block */
    uint64_t map_addr;          /* the mapping's page-aligned start and length (for munmap) */
    uint64_t map_len;
    uint32_t device_id;         /* VIRTIO_ID_* */
    uint64_t features;          /* negotiated by virtio_negotiate */
};

/* A DMA buffer: physically contiguous, mapped read-write, zeroed when allocated. */
struct virtio_dma {
    uint64_t handle;            /* the shm object (VIPER_OBJ_SHM) */
    uint8_t *va;                /* where it is mapped in this process */
    uint64_t phys;              /* the address the device uses */
    uint64_t size;              /* bytes, a whole number of pages */
};

/* The most descriptors a queue may have here (the spec allows 32768). */
#define VIRTQ_MAX_SIZE 256u

/* One buffer of a descriptor chain. */
struct virtq_buf {
    uint64_t phys;              /* physical address (inside one of the driver's DMA buffers) */
    uint32_t len;
    bool device_writes;         /* true: the device writes it (VIRTQ_DESC_F_WRITE) */
};

struct virtq_desc;
struct virtq_avail;
struct virtq_used;

/* A split virtqueue.  The rings live in a DMA buffer the device reads and writes; everything
 * the driver decides from (free list, which heads are in flight) is kept here, privately. */
struct virtq {
    struct virtio_dev *vd;
    uint16_t index;             /* queue number on the device */
    uint16_t size;              /* descriptors, a power of two <= VIRTQ_MAX_SIZE */
    struct virtio_dma ring;     /* desc, avail and used rings */
    volatile struct virtq_desc *desc;
    volatile struct virtq_avail *avail;
    volatile struct virtq_used *used;
    uint16_t avail_idx;         /* next avail->idx we publish */
    uint16_t used_seen;         /* used->idx up to which we have consumed entries */
    uint16_t free_head;         /* first free descriptor, VIRTQ_MAX_SIZE when none */
    uint16_t nfree;
    uint16_t next[VIRTQ_MAX_SIZE];      /* private copy of each descriptor's next link */
    uint16_t chain_len[VIRTQ_MAX_SIZE]; /* descriptors in the chain at this head, 0 if idle */
    uint32_t wlen[VIRTQ_MAX_SIZE];      /* device-writable bytes in the chain at this head */
    uint32_t bad;               /* used entries reported and dropped */
    bool broken;                /* the device corrupted the used ring; fail everything */
};

/* ---- finding and opening devices ------------------------------------------------ */

/* The device-table index of the nth (0, 1, ...) virtio-mmio device with this device ID;
 * root needs LIST. NOT_FOUND when there are fewer. */
int64_t virtio_find(uint64_t root, uint32_t device_id, unsigned nth, uint64_t *index_out);

/* Take over device handle dev (it belongs to vd from now on, even on failure): map its
 * registers, check magic, version 2 and that a device is present, bind its IRQ (BUSY while
 * another driver has it; the device is then left alone), reset it. */
int64_t virtio_open(uint64_t dev, struct virtio_dev *vd);

/* dev_open(root, index) (DEVICE_ACCESS) and virtio_open. */
int64_t virtio_open_index(uint64_t root, uint64_t index, struct virtio_dev *vd);

/* Reset the device (it stops using every queue), close the IRQ, unmap, close the handle.
 * Queues must be destroyed after this, never before (the device may still be writing). */
void virtio_close(struct virtio_dev *vd);

/* ---- initialisation (spec v1.2 section 3.1.1), in this order -------------------- */

/* Reset, ACKNOWLEDGE, DRIVER, offer wanted & device features (VERSION_1 always, which the
 * device must offer), FEATURES_OK and check the device kept it. NOT_SUPPORTED otherwise. */
int64_t virtio_negotiate(struct virtio_dev *vd, uint64_t wanted);

/* Set up queue qindex with size descriptors (clamped to the device's maximum; BAD_FORMAT
 * if it has none) in a new DMA buffer from dma_root (DMA_ACCESS). */
int64_t virtq_setup(struct virtq *q, struct virtio_dev *vd, uint16_t qindex, uint16_t size,
                    uint64_t dma_root);

/* DRIVER_OK: the device may now use its queues and interrupt. */
void virtio_driver_ok(struct virtio_dev *vd);

/* Tell the device something went wrong (status FAILED); it stops. */
void virtio_fail(struct virtio_dev *vd);

/* The device asked for a reset (DEVICE_NEEDS_RESET in its status). */
bool virtio_needs_reset(struct virtio_dev *vd);

/* ---- configuration space (device-specific, little-endian) ------------------------ */
uint8_t virtio_config_read8(struct virtio_dev *vd, uint32_t off);
uint16_t virtio_config_read16(struct virtio_dev *vd, uint32_t off);
uint32_t virtio_config_read32(struct virtio_dev *vd, uint32_t off);
/* Read twice if needed so both halves come from one config generation. */
uint64_t virtio_config_read64(struct virtio_dev *vd, uint32_t off);
void virtio_config_write8(struct virtio_dev *vd, uint32_t off, uint8_t v);
void virtio_config_write32(struct virtio_dev *vd, uint32_t off, uint32_t v);

/* ---- interrupts ---------------------------------------------------------------- */

/* After wait_many saw VIPER_SIGNAL_IRQ on vd->irq: acknowledge the causes at the device and
 * unmask the line (irq_ack). Returns the causes (VIRTIO_INT_*); then drain the used rings
 * (anything completing later raises a new interrupt). */
uint32_t virtio_irq_begin(struct virtio_dev *vd);

/* Block until the device interrupts or deadline (a clock_get time, or
 * VIPER_DEADLINE_INFINITE) passes, then virtio_irq_begin. For drivers with nothing else to
 * wait on. TIMED_OUT or a wait_many error; *causes_out may be NULL. */
int64_t virtio_wait_irq(struct virtio_dev *vd, uint64_t deadline, uint32_t *causes_out);

/* ---- virtqueues ---------------------------------------------------------------- */

/* Post a chain of n buffers (readable ones first, as the spec requires of most devices).
 * Returns its head id (0..size-1), which virtq_get hands back when it completes; WOULD_BLOCK
 * when fewer than n descriptors are free, INVALID for n == 0 or n > size, IO if broken.
 * The device sees it only after virtq_notify. */
int64_t virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n);

/* Publish everything added since the last notify and kick the device. */
void virtq_notify(struct virtq *q);

/* The next completed chain: its head id, and in *len_out the bytes the device says it wrote
 * (clamped to the chain's writable bytes). WOULD_BLOCK when none is pending. An entry naming a
 * head not in flight is reported and skipped; a used index more than size ahead breaks the
 * queue (IO from then on: fail whatever is in flight and reset the device). */
int64_t virtq_get(struct virtq *q, uint32_t *len_out);

/* Descriptors free for virtq_add. */
unsigned virtq_free(const struct virtq *q);

/* Free the rings (after virtio_close, or before DRIVER_OK). */
void virtq_destroy(struct virtq *q);

/* ---- DMA buffers ---------------------------------------------------------------- */

/* size bytes (rounded up to pages, at most 4 MiB) from dma_root (DMA_ACCESS). */
int64_t virtio_dma_alloc(uint64_t dma_root, uint64_t size, struct virtio_dma *d);
void virtio_dma_free(struct virtio_dma *d);
