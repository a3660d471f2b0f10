/*
 * rngd - feeds the kernel's entropy pool from virtio-rng (docs/random.md).
 *
 * Startup handles, like blkd's (docs/blkd.md): 0 the registry (unused: rngd
 * serves no name), 1 a console channel when there is one, then its
 * virtio-rng device and a device root narrowed to DMA_ACCESS, told apart by
 * type.  At start it asks the device for SEED_BYTES (well over the 256 bits
 * getrandom waits for) and hands every completed buffer to entropy_add, which
 * only the holder of the virtio-rng device may call; then it tops the pool up
 * with CHUNK bytes every RESEED_NS.  One wait_many: the IRQ and a timer.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <viper/handles.h>
#include <viper/sys.h>
#include <viper/time.h>
#include <virtio/virtio.h>

#define QSIZE 4u
#define CHUNK 64u                        /* bytes per request */
#define SEED_BYTES (QSIZE * CHUNK)       /* 2048 bits at start */
#define RESEED_NS (60ull * 1000000000ull)

static struct virtio_dev vd;
static struct virtq q;
static struct virtio_dma buf;            /* QSIZE buffers of CHUNK bytes */
static bool busy[QSIZE];                 /* buffer s is in the device */
static uint8_t slot_of_head[VIRTQ_MAX_SIZE];

/* Ask the device to fill a free buffer, if there is one. */
static void post(void)
{
    for (unsigned s = 0; s < QSIZE; s++) {
        if (busy[s])
            continue;
        struct virtq_buf b = { buf.phys + s * CHUNK, CHUNK, true };
        int64_t head = virtq_add(&q, &b, 1);
        if (head >= 0) {
            busy[s] = true;
            slot_of_head[head] = (uint8_t)s;
            virtq_notify(&q);
        }
        return;
    }
}

/*
 * Feed every completed buffer to the pool; returns the bytes fed.  The
 * first time, rngd says so before its first entropy_add: once the pool is
 * seeded anyone may stop rngd (a test kills it as soon as getrandom works),
 * so a line printed after the feed could be lost.
 */
static uint64_t feed(void)
{
    static bool told;
    uint64_t total = 0;
    uint32_t len;
    int64_t head;
    while ((head = virtq_get(&q, &len)) >= 0) {
        uint8_t *p = buf.va + slot_of_head[head] * CHUNK;
        if (len > 0 && !told) {
            told = true;
            printf("rngd: feeding the pool from virtio-rng (%u bytes at start)\n", SEED_BYTES);
        }
        if (len > 0 && viper_entropy_add(vd.dev, p, len) == VIPER_OK)
            total += len;
        memset(p, 0, CHUNK);   /* no copy of what went into the pool stays here */
        busy[slot_of_head[head]] = false;
    }
    return total;
}

int main(void)
{
    uint64_t dev = viper_startup_find(1, VIPER_OBJ_DEVICE);
    uint64_t root = viper_startup_find(1, VIPER_OBJ_DEVROOT);
    uint64_t timer = 0;
    int64_t rc = dev && root ? virtio_open(dev, &vd) : VIPER_ERR_BAD_HANDLE;
    if (rc == VIPER_OK && vd.device_id != VIRTIO_ID_ENTROPY)
        rc = VIPER_ERR_NOT_SUPPORTED;
    if (rc == VIPER_OK)
        rc = virtio_negotiate(&vd, 0);
    if (rc == VIPER_OK)
        rc = virtq_setup(&q, &vd, 0, QSIZE, root);
    if (rc == VIPER_OK)
        rc = virtio_dma_alloc(root, QSIZE * CHUNK, &buf);
    if (rc == VIPER_OK)
        rc = viper_timer_create(&timer);
    if (rc != VIPER_OK) {
        printf("rngd: no usable virtio-rng (%lld)\n", (long long)rc);
        return 1;
    }
    virtio_driver_ok(&vd);
    for (unsigned i = 0; i < QSIZE; i++)
        post();
    uint64_t fed = 0;
    bool seeded = false;
    for (;;) {
        struct viper_wait_item items[2] = {
            { (uint32_t)vd.irq, VIPER_SIGNAL_IRQ, 0, 0 },
            { (uint32_t)timer, VIPER_SIGNAL_TIMER_FIRED, 0, 0 },
        };
        if (viper_wait_many(items, 2, VIPER_DEADLINE_INFINITE, NULL) != VIPER_OK)
            continue;
        if (items[0].pending & VIPER_SIGNAL_IRQ) {
            virtio_irq_begin(&vd);
            fed += feed();
            if (q.broken) {
                printf("rngd: the device broke its queue; exiting\n");
                return 2;
            }
            if (!seeded && fed >= SEED_BYTES)
                seeded = true;
            for (unsigned i = 0; !seeded && i < QSIZE; i++)
                post();   /* short answers: ask again until the seed is complete */
            if (seeded && virtq_free(&q) == q.size)
                viper_timer_set(timer, viper_now_ns() + RESEED_NS);
        }
        if (items[1].pending & VIPER_SIGNAL_TIMER_FIRED) {
            viper_timer_set(timer, 0);
            post();
        }
    }
}
