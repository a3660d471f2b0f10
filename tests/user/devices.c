/*
 * devices.c - the kernel's device primitives (dev_info, dev_open, dev_map,
 * irq_open, irq_ack, dma_alloc), run as init with QEMU given
 * `-device virtio-rng-device`: the device root lists the 32 virtio-mmio
 * slots (one of them the entropy device) and the console UART once, the
 * rng's registers map and read per the virtio spec, a real entropy request
 * completes through a virtqueue in a DMA buffer and wakes us through the
 * IRQ object, every call checks its right, one IRQ object per interrupt
 * (free again once closed, even masked, or once its holder exits), other
 * processes have no device root unless given one, and nothing leaks.
 * docs/syscalls.md.
 *
 * virtio-mmio register offsets and the split virtqueue layout follow the
 * virtio spec v1.2, sections 4.2.2 and 2.7.
 */
#include "ipc_util.h"

#define PROG "devices"
#define PAGE 4096ull

/* ---- virtio-mmio (spec v1.2 §4.2.2) ------------------------------------------- */
#define VIRTIO_MAGIC          0x74726976u   /* "virt" */
#define VIRTIO_ID_ENTROPY     4u

#define VMMIO_MAGIC           0x000
#define VMMIO_VERSION         0x004
#define VMMIO_DEVICE_ID       0x008
#define VMMIO_VENDOR_ID       0x00c
#define VMMIO_DEV_FEATURES    0x010
#define VMMIO_DEV_FEATURES_SEL 0x014
#define VMMIO_DRV_FEATURES    0x020
#define VMMIO_DRV_FEATURES_SEL 0x024
#define VMMIO_QUEUE_SEL       0x030
#define VMMIO_QUEUE_NUM_MAX   0x034
#define VMMIO_QUEUE_NUM       0x038
#define VMMIO_QUEUE_READY     0x044
#define VMMIO_QUEUE_NOTIFY    0x050
#define VMMIO_INT_STATUS      0x060
#define VMMIO_INT_ACK         0x064
#define VMMIO_STATUS          0x070
#define VMMIO_QUEUE_DESC_LO   0x080
#define VMMIO_QUEUE_DESC_HI   0x084
#define VMMIO_QUEUE_DRIVER_LO 0x090
#define VMMIO_QUEUE_DRIVER_HI 0x094
#define VMMIO_QUEUE_DEVICE_LO 0x0a0
#define VMMIO_QUEUE_DEVICE_HI 0x0a4

#define VSTAT_ACKNOWLEDGE 1u
#define VSTAT_DRIVER      2u
#define VSTAT_DRIVER_OK   4u
#define VSTAT_FEATURES_OK 8u
#define VSTAT_NEEDS_RESET 64u
#define VSTAT_FAILED      128u

#define VIRTIO_F_VERSION_1_HI (1u << 0)   /* feature bit 32: bit 0 of the high word */
#define VIRTIO_INT_USED       (1u << 0)

/* ---- split virtqueue (spec v1.2 §2.7) in one DMA page ------------------------- */
#define QSIZE          8u
#define VIRTQ_DESC_F_WRITE 2u
#define OFF_DESC       0x000   /* 16 bytes x 8, 16-byte aligned */
#define OFF_AVAIL      0x100   /* 2-byte aligned: flags, idx, ring[8], used_event */
#define OFF_USED       0x200   /* 4-byte aligned: flags, idx, ring[8] {id, len}, avail_event */
#define OFF_DATA       0x800
#define DATA_LEN       64u

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[QSIZE];
    uint16_t used_event;
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[QSIZE];
    uint16_t avail_event;
};

/* The QEMU virt machine: 32 virtio-mmio transports of 0x200 bytes from 0x0a000000, RAM from
 * 0x40000000, the console PL011 at 0x09000000. */
#define VIRT_VIRTIO_BASE 0x0a000000ull
#define VIRT_VIRTIO_SLOTS 32u
#define VIRT_VIRTIO_SIZE 0x200ull
#define VIRT_UART_BASE   0x09000000ull
#define VIRT_RAM_BASE    0x40000000ull

#define DEV_RIGHTS (VIPER_RIGHT_READ | VIPER_RIGHT_WRITE | VIPER_RIGHT_DEVICE_ACCESS | \
                    VIPER_RIGHT_IRQ_ACCESS | VIPER_RIGHT_TRANSFER | VIPER_RIGHT_DERIVE)
#define IRQ_RIGHTS (VIPER_RIGHT_READ | VIPER_RIGHT_WRITE | VIPER_RIGHT_TRANSFER)

static uint64_t reg;    /* the registry (startup handle 0) */
static uint64_t root;   /* the device root (startup handle 1) */

static inline void dsb(void)
{
    __asm__ volatile("dsb sy" ::: "memory");
}

static inline uint32_t rd32(volatile uint8_t *regs, uint32_t off)
{
    uint32_t v = *(volatile uint32_t *)(regs + off);
    __asm__ volatile("" ::: "memory");
    return v;
}

static inline void wr32(volatile uint8_t *regs, uint32_t off, uint32_t v)
{
    __asm__ volatile("" ::: "memory");
    *(volatile uint32_t *)(regs + off) = v;
}

/* ---- helpers ------------------------------------------------------------------ */

/* The index of the (only) entropy device, or -1. */
static int64_t find_rng(uint64_t *base_out, uint64_t *size_out)
{
    for (uint64_t i = 0; i < 256; i++) {
        uint64_t base = 0, size = 0, id = 0;
        int64_t rc = viper_dev_info(root, i, &base, &size, &id);
        if (rc != VIPER_OK)
            break;
        if ((id >> 32) == VIPER_DEV_VIRTIO_MMIO && (uint32_t)id == VIRTIO_ID_ENTROPY) {
            if (base_out)
                *base_out = base;
            if (size_out)
                *size_out = size;
            return (int64_t)i;
        }
    }
    return -1;
}

/* The page(s) a register mapping of size bytes at regs occupies, for munmap. */
static void unmap_regs(uint64_t regs, uint64_t size)
{
    uint64_t start = regs & ~(PAGE - 1);
    uint64_t end = (regs + size + PAGE - 1) & ~(PAGE - 1);
    UT_CHECK_EQ(viper_munmap(start, end - start), VIPER_OK);
}

/* An open, mapped rng device with its IRQ and a DMA page: the state of one driver. */
struct rng {
    uint64_t dev, irq, dma;
    uint64_t regs_addr, size, base;
    volatile uint8_t *regs;
    uint64_t va, phys;
    volatile struct virtq_desc *desc;
    volatile struct virtq_avail *avail;
    volatile struct virtq_used *used;
    volatile uint8_t *data;
    uint16_t avail_idx;
};

/* dev_map the device handle r->dev, dma_alloc a page from dmaroot; 0 on success. */
static int rng_attach(struct rng *r, uint64_t dmaroot)
{
    int64_t rc = viper_dev_map(r->dev, 0, &r->regs_addr);
    UT_CHECK_EQ(rc, VIPER_OK);
    if (rc != VIPER_OK)
        return -1;
    r->regs = (volatile uint8_t *)(uintptr_t)r->regs_addr;
    rc = viper_dma_alloc(dmaroot, PAGE, 0, &r->dma, &r->va, &r->phys);
    UT_CHECK_EQ(rc, VIPER_OK);
    if (rc != VIPER_OK)
        return -1;
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)r->va;
    r->desc = (volatile struct virtq_desc *)(p + OFF_DESC);
    r->avail = (volatile struct virtq_avail *)(p + OFF_AVAIL);
    r->used = (volatile struct virtq_used *)(p + OFF_USED);
    r->data = p + OFF_DATA;
    return 0;
}

/* dev_open the rng + rng_attach; 0 on success. */
static int rng_open(struct rng *r)
{
    memset(r, 0, sizeof *r);
    int64_t idx = find_rng(&r->base, &r->size);
    UT_CHECK(idx >= 0);
    if (idx < 0)
        return -1;
    int64_t rc = viper_dev_open(root, (uint64_t)idx, &r->dev);
    UT_CHECK_EQ(rc, VIPER_OK);
    if (rc != VIPER_OK)
        return -1;
    return rng_attach(r, root);
}

static void rng_close(struct rng *r)
{
    if (r->regs)
        wr32(r->regs, VMMIO_STATUS, 0);   /* reset: the device lets go of the queue */
    dsb();
    if (r->irq)
        UT_CHECK_EQ(viper_handle_close(r->irq), VIPER_OK);
    if (r->regs_addr)
        unmap_regs(r->regs_addr, r->size);
    if (r->va)
        UT_CHECK_EQ(viper_munmap(r->va, PAGE), VIPER_OK);
    if (r->dma)
        UT_CHECK_EQ(viper_handle_close(r->dma), VIPER_OK);
    if (r->dev)
        UT_CHECK_EQ(viper_handle_close(r->dev), VIPER_OK);
    memset(r, 0, sizeof *r);
}

/* Reset, negotiate VERSION_1 only, set up queue 0 in the DMA page, DRIVER_OK. 0 on success. */
static int rng_init(struct rng *r)
{
    volatile uint8_t *m = r->regs;
    UT_CHECK_EQ(rd32(m, VMMIO_MAGIC), VIRTIO_MAGIC);
    UT_CHECK_EQ(rd32(m, VMMIO_VERSION), 2);
    UT_CHECK_EQ(rd32(m, VMMIO_DEVICE_ID), VIRTIO_ID_ENTROPY);
    if (rd32(m, VMMIO_DEVICE_ID) != VIRTIO_ID_ENTROPY)
        return -1;

    wr32(m, VMMIO_STATUS, 0);                                     /* reset */
    dsb();
    UT_CHECK_EQ(rd32(m, VMMIO_STATUS), 0);
    wr32(m, VMMIO_STATUS, VSTAT_ACKNOWLEDGE);
    wr32(m, VMMIO_STATUS, VSTAT_ACKNOWLEDGE | VSTAT_DRIVER);

    wr32(m, VMMIO_DEV_FEATURES_SEL, 1);
    dsb();
    uint32_t hi = rd32(m, VMMIO_DEV_FEATURES);
    UT_CHECK(hi & VIRTIO_F_VERSION_1_HI);
    wr32(m, VMMIO_DRV_FEATURES_SEL, 0);
    wr32(m, VMMIO_DRV_FEATURES, 0);
    wr32(m, VMMIO_DRV_FEATURES_SEL, 1);
    wr32(m, VMMIO_DRV_FEATURES, VIRTIO_F_VERSION_1_HI);
    wr32(m, VMMIO_STATUS, VSTAT_ACKNOWLEDGE | VSTAT_DRIVER | VSTAT_FEATURES_OK);
    dsb();
    uint32_t st = rd32(m, VMMIO_STATUS);
    UT_CHECK(st & VSTAT_FEATURES_OK);
    if (!(st & VSTAT_FEATURES_OK))
        return -1;

    wr32(m, VMMIO_QUEUE_SEL, 0);
    dsb();
    UT_CHECK_EQ(rd32(m, VMMIO_QUEUE_READY), 0);
    uint32_t qmax = rd32(m, VMMIO_QUEUE_NUM_MAX);
    UT_CHECK(qmax >= QSIZE);
    if (qmax < QSIZE)
        return -1;
    wr32(m, VMMIO_QUEUE_NUM, QSIZE);

    /* the queue memory starts zeroed (avail flags 0, idx 0; used idx 0) */
    memset((void *)(uintptr_t)r->va, 0, PAGE);
    r->avail_idx = 0;
    dsb();
    uint64_t d = r->phys + OFF_DESC, a = r->phys + OFF_AVAIL, u = r->phys + OFF_USED;
    wr32(m, VMMIO_QUEUE_DESC_LO, (uint32_t)d);
    wr32(m, VMMIO_QUEUE_DESC_HI, (uint32_t)(d >> 32));
    wr32(m, VMMIO_QUEUE_DRIVER_LO, (uint32_t)a);
    wr32(m, VMMIO_QUEUE_DRIVER_HI, (uint32_t)(a >> 32));
    wr32(m, VMMIO_QUEUE_DEVICE_LO, (uint32_t)u);
    wr32(m, VMMIO_QUEUE_DEVICE_HI, (uint32_t)(u >> 32));
    wr32(m, VMMIO_QUEUE_READY, 1);
    dsb();
    UT_CHECK_EQ(rd32(m, VMMIO_QUEUE_READY), 1);

    wr32(m, VMMIO_STATUS,
         VSTAT_ACKNOWLEDGE | VSTAT_DRIVER | VSTAT_FEATURES_OK | VSTAT_DRIVER_OK);
    dsb();
    st = rd32(m, VMMIO_STATUS);
    UT_CHECK_EQ(st & (VSTAT_NEEDS_RESET | VSTAT_FAILED), 0);
    UT_CHECK(st & VSTAT_DRIVER_OK);
    return 0;
}

/* Is the IRQ signal up now? */
static int irq_pending(uint64_t irq)
{
    struct viper_wait_item it = { (uint32_t)irq, VIPER_SIGNAL_IRQ, 0, 0 };
    viper_wait_many(&it, 1, VIPER_DEADLINE_POLL, NULL);
    return (it.pending & VIPER_SIGNAL_IRQ) != 0;
}

/* Post one entropy request of DATA_LEN bytes into the data area and notify the device. */
static uint16_t rng_post(struct rng *r)
{
    volatile uint8_t *m = r->regs;
    for (uint32_t i = 0; i < DATA_LEN; i++)
        r->data[i] = 0;
    r->desc[0].addr = r->phys + OFF_DATA;
    r->desc[0].len = DATA_LEN;
    r->desc[0].flags = VIRTQ_DESC_F_WRITE;
    r->desc[0].next = 0;
    r->avail->flags = 0;                                  /* we want the interrupt */
    r->avail->ring[r->avail_idx % QSIZE] = 0;             /* descriptor 0 */
    dsb();                                                /* descriptor + ring before idx */
    r->avail->idx = (uint16_t)(r->avail_idx + 1);
    dsb();                                                /* idx before the notify */
    uint16_t want = (uint16_t)(r->avail_idx + 1);
    r->avail_idx = want;
    UT_CHECK(!irq_pending(r->irq));                       /* nothing has fired yet */
    wr32(m, VMMIO_QUEUE_NOTIFY, 0);
    return want;
}

/* Wait (5 s at most) for the IRQ signal; 0 when it came. */
static int rng_wait_irq(struct rng *r)
{
    volatile uint8_t *m = r->regs;
    struct viper_wait_item it = { (uint32_t)r->irq, VIPER_SIGNAL_IRQ, 0, 0 };
    uint64_t ready = 0;
    int64_t rc = viper_wait_many(&it, 1, ipc_after_ms(5000), &ready);
    UT_CHECK_EQ(rc, VIPER_OK);
    UT_CHECK(it.pending & VIPER_SIGNAL_IRQ);
    if (rc != VIPER_OK) {
        UT_INFO("no interrupt: InterruptStatus %#x used.idx %u Status %#x",
                rd32(m, VMMIO_INT_STATUS), (unsigned)r->used->idx, rd32(m, VMMIO_STATUS));
        return -1;
    }
    return 0;
}

/* One entropy request of DATA_LEN bytes into the data area, completed by the interrupt; the
 * bytes go to out.  0 on success. */
static int rng_request(struct rng *r, uint8_t out[DATA_LEN])
{
    volatile uint8_t *m = r->regs;
    uint16_t want = rng_post(r);
    if (rng_wait_irq(r) != 0)
        return -1;
    uint32_t isr = rd32(m, VMMIO_INT_STATUS);
    UT_CHECK(isr & VIRTIO_INT_USED);
    wr32(m, VMMIO_INT_ACK, isr);
    dsb();
    UT_CHECK_EQ(viper_irq_ack(r->irq), VIPER_OK);
    UT_CHECK(!irq_pending(r->irq));                       /* irq_ack lowers the signal */

    UT_CHECK_EQ(r->used->idx, want);
    dsb();                                                /* used idx before the element */
    uint32_t id = r->used->ring[(want - 1) % QSIZE].id;
    uint32_t len = r->used->ring[(want - 1) % QSIZE].len;
    UT_CHECK_EQ(id, 0);
    UT_CHECK(len > 0 && len <= DATA_LEN);
    int nonzero = 0;
    for (uint32_t i = 0; i < DATA_LEN; i++) {
        out[i] = r->data[i];
        nonzero += out[i] != 0;
    }
    UT_CHECK(nonzero > 0);
    return r->used->idx == want ? 0 : -1;
}

/* ---- cases -------------------------------------------------------------------- */

static void case_list(void)
{
    uint64_t type = 0, rights = 0;
    UT_CHECK_EQ(viper_cap_query(root, &type, &rights), VIPER_OK);
    UT_CHECK_EQ(type, VIPER_OBJ_DEVROOT);
    UT_CHECK_EQ(rights, VIPER_RIGHTS_ALL);

    uint32_t virtio = 0, entropy = 0, uart = 0, n = 0;
    uint32_t seen = 0;   /* bit per virtio slot */
    int64_t rc = VIPER_OK;
    uint64_t i;
    for (i = 0; i < 1024; i++) {
        uint64_t base = 0, size = 0, id = 0;
        rc = viper_dev_info(root, i, &base, &size, &id);
        if (rc != VIPER_OK)
            break;
        n++;
        if ((id >> 32) == VIPER_DEV_VIRTIO_MMIO) {
            virtio++;
            UT_CHECK(base >= VIRT_VIRTIO_BASE &&
                     base < VIRT_VIRTIO_BASE + VIRT_VIRTIO_SLOTS * VIRT_VIRTIO_SIZE);
            UT_CHECK_EQ(base & (VIRT_VIRTIO_SIZE - 1), 0);
            UT_CHECK(size >= VIRT_VIRTIO_SIZE);
            uint64_t slot = (base - VIRT_VIRTIO_BASE) / VIRT_VIRTIO_SIZE;
            if (slot < 32) {
                UT_CHECK(!(seen & (1u << slot)));        /* each slot listed once */
                seen |= 1u << slot;
            }
            if ((uint32_t)id == VIRTIO_ID_ENTROPY) {
                entropy++;
                UT_INFO("entropy device: index %llu base %#llx size %#llx",
                        (unsigned long long)i, (unsigned long long)base,
                        (unsigned long long)size);
            } else {
                UT_CHECK_EQ((uint32_t)id, 0);            /* the other slots are empty */
            }
        }
        if (base == VIRT_UART_BASE) {
            uart++;
            UT_CHECK_EQ(id >> 32, VIPER_DEV_PL011);
        }
    }
    UT_CHECK_EQ(rc, VIPER_ERR_NOT_FOUND);
    UT_CHECK_EQ(virtio, VIRT_VIRTIO_SLOTS);
    UT_CHECK_EQ(seen, 0xffffffffu);
    UT_CHECK_EQ(entropy, 1);
    UT_CHECK_EQ(uart, 1);                   /* the console UART, shared with the kernel's log */
    UT_INFO("%u devices, %u virtio-mmio", n, virtio);
    uint64_t b, s, id;
    UT_CHECK_EQ(viper_dev_info(root, i + 1, &b, &s, &id), VIPER_ERR_NOT_FOUND);
    UT_CHECK_EQ(viper_dev_info(root, ~0ull, &b, &s, &id), VIPER_ERR_NOT_FOUND);

    /* not a device root: nothing, a channel, the registry, a closed handle */
    UT_CHECK_EQ(viper_dev_info(0, 0, &b, &s, &id), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_dev_info(reg, 0, &b, &s, &id), VIPER_ERR_BAD_HANDLE);
    uint64_t a = 0, c = 0, dup = 0;
    UT_CHECK_EQ(viper_chan_create(&a, &c), VIPER_OK);
    UT_CHECK_EQ(viper_dev_info(a, 0, &b, &s, &id), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_dev_open(a, 0, &dup), VIPER_ERR_BAD_HANDLE);
    uint64_t va, phys;
    UT_CHECK_EQ(viper_dma_alloc(a, PAGE, 0, &dup, &va, &phys), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_handle_close(a), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(c), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(root, VIPER_RIGHTS_ALL, &dup), VIPER_OK);
    UT_CHECK_EQ(viper_dev_info(dup, 0, &b, &s, &id), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(dup), VIPER_OK);
    UT_CHECK_EQ(viper_dev_info(dup, 0, &b, &s, &id), VIPER_ERR_BAD_HANDLE);
}

static void case_map(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t base = 0, size = 0;
    int64_t idx = find_rng(&base, &size);
    UT_CHECK(idx >= 0);
    if (idx < 0)
        return;
    uint64_t dev = 0, addr = 0, type = 0, rights = 0;
    UT_CHECK_EQ(viper_dev_open(root, (uint64_t)idx, &dev), VIPER_OK);
    UT_CHECK_EQ(viper_cap_query(dev, &type, &rights), VIPER_OK);
    UT_CHECK_EQ(type, VIPER_OBJ_DEVICE);
    UT_CHECK_EQ(rights, DEV_RIGHTS);
    UT_CHECK_EQ(viper_dev_map(dev, 0, &addr), VIPER_OK);
    UT_CHECK(addr != 0);
    /* the registers start at the returned address (a slot is 0x200 bytes, not a page) */
    UT_CHECK_EQ(addr & (PAGE - 1), base & (PAGE - 1));
    if (addr != 0) {
        volatile uint8_t *m = (volatile uint8_t *)(uintptr_t)addr;
        UT_CHECK_EQ(rd32(m, VMMIO_MAGIC), VIRTIO_MAGIC);
        UT_CHECK_EQ(rd32(m, VMMIO_VERSION), 2);
        UT_CHECK_EQ(rd32(m, VMMIO_DEVICE_ID), VIRTIO_ID_ENTROPY);
        UT_INFO("base %#llx mapped at %#llx, vendor %#x", (unsigned long long)base,
                (unsigned long long)addr, rd32(m, VMMIO_VENDOR_ID));
        unmap_regs(addr, size);
    }
    /* a second mapping of the same handle, at a free page-aligned hint (+ the offset) */
    uint64_t hint = 0x0000006000000000ull, addr2 = 0;
    UT_CHECK_EQ(viper_dev_map(dev, hint, &addr2), VIPER_OK);
    UT_CHECK_EQ(addr2 & ~(PAGE - 1), hint);
    if (addr2 != 0) {
        UT_CHECK_EQ(rd32((volatile uint8_t *)(uintptr_t)addr2, VMMIO_DEVICE_ID),
                    VIRTIO_ID_ENTROPY);
        unmap_regs(addr2, size);
    }
    uint64_t a = 0, c = 0;
    UT_CHECK_EQ(viper_chan_create(&a, &c), VIPER_OK);
    UT_CHECK_EQ(viper_dev_map(a, 0, &addr), VIPER_ERR_BAD_HANDLE);   /* not a device */
    UT_CHECK_EQ(viper_dev_map(root, 0, &addr), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_handle_close(a), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(c), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(dev), VIPER_OK);
    UT_CHECK_EQ(viper_dev_map(dev, 0, &addr), VIPER_ERR_BAD_HANDLE);  /* closed */
    IPC_CHECK_NO_LEAK(&before);
}

static void case_dma(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t dma = 0, va = 0, phys = 0, type = 0, rights = 0;
    UT_CHECK_EQ(viper_dma_alloc(root, 3 * PAGE, 0, &dma, &va, &phys), VIPER_OK);
    UT_CHECK_EQ(viper_cap_query(dma, &type, &rights), VIPER_OK);
    UT_CHECK_EQ(type, VIPER_OBJ_SHM);
    UT_CHECK(va != 0 && (va & (PAGE - 1)) == 0);
    UT_CHECK(phys >= VIRT_RAM_BASE && (phys & (PAGE - 1)) == 0);
    if (va != 0) {
        volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)va;
        int nonzero = 0;
        for (uint64_t i = 0; i < 3 * PAGE; i++)
            nonzero += p[i] != 0;
        UT_CHECK_EQ(nonzero, 0);                          /* zeroed */
        for (uint64_t i = 0; i < 3 * PAGE; i++)
            p[i] = (uint8_t)(i * 7);
        /* a second mapping of the same object (it is shared memory) sees the bytes */
        uint64_t va2 = 0;
        UT_CHECK_EQ(viper_shm_map(dma, 0, VIPER_PROT_READ, &va2), VIPER_OK);
        if (va2 != 0) {
            UT_CHECK_EQ(((volatile uint8_t *)(uintptr_t)va2)[2 * PAGE + 5],
                        (uint8_t)((2 * PAGE + 5) * 7));
            UT_CHECK_EQ(viper_munmap(va2, 3 * PAGE), VIPER_OK);
        }
        UT_CHECK_EQ(viper_munmap(va, 3 * PAGE), VIPER_OK);
    }
    UT_CHECK_EQ(viper_handle_close(dma), VIPER_OK);
    /* sizes: 0 and more than 4 MiB are refused */
    UT_CHECK_EQ(viper_dma_alloc(root, 0, 0, &dma, &va, &phys), VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_dma_alloc(root, (4ull << 20) + PAGE, 0, &dma, &va, &phys),
                VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_dma_alloc(root, ~0ull, 0, &dma, &va, &phys), VIPER_ERR_INVALID);
    IPC_CHECK_NO_LEAK(&before);
}

static void case_rng(void)
{
    struct rng r;
    if (rng_open(&r) != 0) {
        rng_close(&r);
        return;
    }
    uint8_t first[DATA_LEN] = { 0 }, second[DATA_LEN] = { 0 };
    if (rng_init(&r) == 0) {
        uint64_t type = 0, rights = 0;
        UT_CHECK_EQ(viper_irq_open(r.dev, &r.irq), VIPER_OK);
        UT_CHECK_EQ(viper_cap_query(r.irq, &type, &rights), VIPER_OK);
        UT_CHECK_EQ(type, VIPER_OBJ_IRQ);
        UT_CHECK_EQ(rights, IRQ_RIGHTS);
        if (r.irq != 0 && rng_request(&r, first) == 0 && rng_request(&r, second) == 0)
            UT_CHECK(memcmp(first, second, DATA_LEN) != 0);
        if (!ut_warmup && !ut_case_failures)
            UT_INFO("entropy %02x%02x%02x%02x%02x%02x%02x%02x...", first[0], first[1],
                    first[2], first[3], first[4], first[5], first[6], first[7]);
    }
    rng_close(&r);
}

static int64_t child_no_root(int64_t arg)
{
    uint64_t b, s, id, d;
    if (viper_dev_info((uint64_t)arg, 0, &b, &s, &id) != VIPER_ERR_BAD_HANDLE)
        return 1;   /* fork copies memory, never capabilities */
    if (viper_dev_open((uint64_t)arg, 0, &d) != VIPER_ERR_BAD_HANDLE)
        return 2;
    return 0;
}

static void case_rights(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t idx = find_rng(NULL, NULL);
    UT_CHECK(idx >= 0);
    if (idx < 0)
        return;
    uint64_t b, s, id, d = 0, va, phys, irq = 0, irq2 = 0, addr;

    /* the root without DEVICE_ACCESS: no dev_open; without DMA_ACCESS: no dma_alloc;
     * without LIST: no dev_info */
    uint64_t no_dev = 0, no_dma = 0, no_list = 0;
    UT_CHECK_EQ(viper_cap_derive(root, VIPER_RIGHTS_ALL & ~VIPER_RIGHT_DEVICE_ACCESS, &no_dev),
                VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(root, VIPER_RIGHTS_ALL & ~VIPER_RIGHT_DMA_ACCESS, &no_dma),
                VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(root, VIPER_RIGHTS_ALL & ~VIPER_RIGHT_LIST, &no_list),
                VIPER_OK);
    UT_CHECK_EQ(viper_dev_open(no_dev, (uint64_t)idx, &d), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(viper_dev_info(no_dev, (uint64_t)idx, &b, &s, &id), VIPER_OK);
    UT_CHECK_EQ(viper_dma_alloc(no_dma, PAGE, 0, &d, &va, &phys), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(viper_dev_info(no_list, (uint64_t)idx, &b, &s, &id), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(viper_handle_close(no_dev), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(no_dma), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(no_list), VIPER_OK);
    UT_CHECK_EQ(viper_dev_open(root, 1ull << 40, &d), VIPER_ERR_NOT_FOUND);

    /* a device without IRQ_ACCESS: no irq_open; without DEVICE_ACCESS: no dev_map */
    uint64_t dev = 0, no_irq = 0, no_map = 0;
    UT_CHECK_EQ(viper_dev_open(root, (uint64_t)idx, &dev), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(dev, DEV_RIGHTS & ~VIPER_RIGHT_IRQ_ACCESS, &no_irq), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(dev, DEV_RIGHTS & ~VIPER_RIGHT_DEVICE_ACCESS, &no_map),
                VIPER_OK);
    UT_CHECK_EQ(viper_irq_open(no_irq, &irq), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(viper_dev_map(no_map, 0, &addr), VIPER_ERR_ACCESS_DENIED);

    /* one IRQ object per interrupt: BUSY while the first is open, free again once closed */
    UT_CHECK_EQ(viper_irq_open(dev, &irq), VIPER_OK);
    UT_CHECK_EQ(viper_irq_open(dev, &irq2), VIPER_ERR_BUSY);
    UT_CHECK_EQ(viper_irq_open(no_map, &irq2), VIPER_ERR_BUSY);   /* any handle to it */
    UT_CHECK_EQ(viper_irq_open(irq, &irq2), VIPER_ERR_BAD_HANDLE); /* not a device */
    UT_CHECK_EQ(viper_irq_ack(dev), VIPER_ERR_BAD_HANDLE);         /* not an IRQ */
    UT_CHECK_EQ(viper_irq_ack(irq), VIPER_OK);                     /* acking an idle IRQ: fine */
    UT_CHECK(!irq_pending(irq));
    UT_CHECK_EQ(viper_handle_close(irq), VIPER_OK);
    UT_CHECK_EQ(viper_irq_ack(irq), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_irq_open(no_map, &irq2), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(irq2), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(no_irq), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(no_map), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(dev), VIPER_OK);

    /* other processes have no device root: a forked child ... */
    int64_t pid = ut_fork(child_no_root, (int64_t)root);
    if (pid > 0)
        UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    /* ... and a spawned one given no handles (it probes our root's handle value) */
    char role[40];
    snprintf(role, sizeof role, "noroot-%llx", (unsigned long long)root);
    pid = ipc_spawn_self(PROG, role, NULL, 0);
    if (pid > 0)
        UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    IPC_CHECK_NO_LEAK(&before);
}

/* An IRQ object closed while its interrupt is masked (fired, not acked, the device still
 * asserting it): the interrupt is free for the next irq_open and delivers again. */
static void case_irq_close_masked(void)
{
    struct viper_kstat before = ut_kstat();
    struct rng r;
    uint8_t buf[DATA_LEN];
    if (rng_open(&r) == 0 && rng_init(&r) == 0) {
        UT_CHECK_EQ(viper_irq_open(r.dev, &r.irq), VIPER_OK);
        rng_post(&r);
        UT_CHECK_EQ(rng_wait_irq(&r), 0);
        UT_CHECK_EQ(viper_handle_close(r.irq), VIPER_OK);    /* masked, never acked */
        r.irq = 0;
        wr32(r.regs, VMMIO_INT_ACK, rd32(r.regs, VMMIO_INT_STATUS));
        dsb();
        UT_CHECK_EQ(viper_irq_open(r.dev, &r.irq), VIPER_OK);
        if (r.irq != 0)
            UT_CHECK_EQ(rng_request(&r, buf), 0);
    }
    rng_close(&r);
    IPC_CHECK_NO_LEAK(&before);
}

/* A driver in another process: it gets a device handle and a DMA-only root, takes an interrupt
 * and exits without acking it; afterwards the interrupt is free and works for us. */
static void case_child_driver(void)
{
    struct viper_kstat before = ut_kstat();
    int64_t idx = find_rng(NULL, NULL);
    UT_CHECK(idx >= 0);
    if (idx < 0)
        return;
    viper_handle_t hs[2] = { 0, 0 };
    uint64_t dev = 0, dmaroot = 0;
    UT_CHECK_EQ(viper_dev_open(root, (uint64_t)idx, &dev), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(root, VIPER_RIGHT_DMA_ACCESS | VIPER_RIGHT_TRANSFER, &dmaroot),
                VIPER_OK);                                   /* TRANSFER: spawn moves it */
    hs[0] = (viper_handle_t)dev;
    hs[1] = (viper_handle_t)dmaroot;
    int64_t pid = ipc_spawn_self(PROG, "driver", hs, 2);
    if (pid > 0)
        UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    UT_CHECK(!ipc_valid(dev));                               /* moved to the child */
    struct rng r;
    uint8_t buf[DATA_LEN];
    if (rng_open(&r) == 0 && rng_init(&r) == 0) {
        UT_CHECK_EQ(viper_irq_open(r.dev, &r.irq), VIPER_OK);   /* not BUSY: the child is gone */
        if (r.irq != 0)
            UT_CHECK_EQ(rng_request(&r, buf), 0);
    }
    rng_close(&r);
    IPC_CHECK_NO_LEAK(&before);
}

static void case_no_leak(void)
{
    struct viper_kstat before = ut_kstat();
    for (int i = 0; i < 3; i++) {
        struct rng r;
        uint8_t buf[DATA_LEN];
        if (rng_open(&r) == 0 && rng_init(&r) == 0) {
            UT_CHECK_EQ(viper_irq_open(r.dev, &r.irq), VIPER_OK);
            if (r.irq != 0)
                rng_request(&r, buf);
        }
        rng_close(&r);
    }
    /* a DMA buffer whose handle goes first, then the mapping (and the other way round) */
    uint64_t dma = 0, va = 0, phys = 0;
    UT_CHECK_EQ(viper_dma_alloc(root, 2 * PAGE, 0, &dma, &va, &phys), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(dma), VIPER_OK);
    ((volatile uint8_t *)(uintptr_t)va)[PAGE] = 1;           /* the mapping keeps it alive */
    UT_CHECK_EQ(viper_munmap(va, 2 * PAGE), VIPER_OK);
    UT_CHECK_EQ(viper_dma_alloc(root, 2 * PAGE, 0, &dma, &va, &phys), VIPER_OK);
    UT_CHECK_EQ(viper_munmap(va, 2 * PAGE), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(dma), VIPER_OK);
    /* a device handle closed while its registers are still mapped and its IRQ open */
    int64_t idx = find_rng(NULL, NULL);
    uint64_t dev = 0, addr = 0, irq = 0;
    if (idx >= 0) {
        UT_CHECK_EQ(viper_dev_open(root, (uint64_t)idx, &dev), VIPER_OK);
        UT_CHECK_EQ(viper_dev_map(dev, 0, &addr), VIPER_OK);
        UT_CHECK_EQ(viper_irq_open(dev, &irq), VIPER_OK);
        UT_CHECK_EQ(viper_handle_close(dev), VIPER_OK);
        UT_CHECK_EQ(rd32((volatile uint8_t *)(uintptr_t)addr, VMMIO_MAGIC), VIRTIO_MAGIC);
        unmap_regs(addr, VIRT_VIRTIO_SIZE);
        UT_CHECK_EQ(viper_handle_close(irq), VIPER_OK);
    }
    IPC_CHECK_NO_LEAK(&before);
}

/* The driver child (case_child_driver): handle 0 the rng, handle 1 a root with only
 * DMA_ACCESS.  Exits with the IRQ fired and never acked. */
static int child_driver(void)
{
    struct rng r;
    uint64_t b, s, id, d;
    memset(&r, 0, sizeof r);
    r.dev = viper_startup_handle(0);
    r.size = VIRT_VIRTIO_SIZE;
    uint64_t dmaroot = viper_startup_handle(1);
    if (ipc_type(r.dev) != VIPER_OBJ_DEVICE || ipc_type(dmaroot) != VIPER_OBJ_DEVROOT)
        return 1;
    if (viper_dev_info(dmaroot, 0, &b, &s, &id) != VIPER_ERR_ACCESS_DENIED)
        return 2;
    if (viper_dev_open(dmaroot, 0, &d) != VIPER_ERR_ACCESS_DENIED)
        return 3;
    if (rng_attach(&r, dmaroot) != 0 || rng_init(&r) != 0)
        return 4;
    if (viper_irq_open(r.dev, &r.irq) != VIPER_OK)
        return 5;
    rng_post(&r);
    if (rng_wait_irq(&r) != 0)
        return 6;
    return ut_case_failures ? 7 : 0;   /* exit with everything open and the IRQ masked */
}

/* Spawned with no handles: none at startup, and our root's value means nothing here. */
static int child_main(const char *role)
{
    if (strcmp(role, "driver") == 0)
        return child_driver();
    if (strncmp(role, "noroot-", 7) != 0)
        return 99;
    uint64_t parent_root = strtoull(role + 7, NULL, 16);
    uint64_t b, s, id, d;
    if (viper_startup_handle(0) != VIPER_HANDLE_INVALID)
        return 1;
    if (viper_startup_handle(1) != VIPER_HANDLE_INVALID)
        return 2;
    if (viper_dev_info(viper_startup_handle(1), 0, &b, &s, &id) != VIPER_ERR_BAD_HANDLE)
        return 3;
    if (viper_dev_info(parent_root, 0, &b, &s, &id) != VIPER_ERR_BAD_HANDLE)
        return 4;
    if (viper_dev_open(parent_root, 0, &d) != VIPER_ERR_BAD_HANDLE)
        return 5;
    uint64_t va, phys;
    if (viper_dma_alloc(parent_root, PAGE, 0, &d, &va, &phys) != VIPER_ERR_BAD_HANDLE)
        return 6;
    return 0;
}

int main(int argc, char **argv, char **envp)
{
    const char *role = ipc_child_role(argc, argv);
    if (role)
        return child_main(role);
    ut_init(argc, argv, envp);
    reg = viper_startup_handle(0);
    root = viper_startup_handle(1);
    UT_RUN(case_list);
    UT_RUN_LEAK(case_map);
    UT_RUN_LEAK(case_dma);
    UT_RUN_LEAK(case_rng);
    UT_RUN_LEAK(case_rights);
    UT_RUN_LEAK(case_irq_close_masked);
    UT_RUN_LEAK(case_child_driver);
    UT_RUN_LEAK(case_no_leak);
    return ut_done();
}
