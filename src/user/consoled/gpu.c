/*
 * gpu.c - a virtio-gpu scanout as a framebuffer (virtio spec v1.2 §5.7,
 * 2D commands only).
 *
 * Set-up: the display info gives scanout 0's size; a B8G8R8X8 resource
 * (XRGB8888 in memory, like ramfb) of that size gets one DMA buffer as its
 * backing and becomes the scanout.  Unlike ramfb the device keeps its own
 * copy, so after each frame flush() sends TRANSFER_TO_HOST_2D and
 * RESOURCE_FLUSH for the changed rows.  Commands go one at a time on the
 * control queue (request and response in one DMA page) and wait for their
 * interrupt.  A command that fails is reported once, and the GPU is
 * dropped from then on: the serial line and ramfb go on.
 */
#include <string.h>
#include <viper/sys.h>
#include <viper/time.h>
#include <virtio/virtio.h>
#include "consoled.h"

#define CMD_GET_DISPLAY_INFO   0x0100u
#define CMD_RESOURCE_CREATE_2D 0x0101u
#define CMD_SET_SCANOUT        0x0103u
#define CMD_RESOURCE_FLUSH     0x0104u
#define CMD_TRANSFER_TO_HOST   0x0105u
#define CMD_ATTACH_BACKING     0x0106u
#define RESP_OK_NODATA         0x1100u
#define RESP_OK_DISPLAY_INFO   0x1101u
#define FORMAT_B8G8R8X8        2u
#define RESOURCE_ID            1u
#define MAX_SCANOUTS           16
#define DEFAULT_W              1024u
#define DEFAULT_H              768u
#define FB_MAX_BYTES           (4ull << 20)   /* one dma_alloc */
#define CMD_TIMEOUT_NS         2000000000ull
#define RESP_OFF               2048u

struct gpu_hdr {
    uint32_t type, flags;
    uint64_t fence_id;
    uint32_t ctx_id;
    uint8_t ring_idx, padding[3];
};

struct gpu_rect {
    uint32_t x, y, width, height;
};

struct gpu_display_info {
    struct gpu_hdr hdr;
    struct {
        struct gpu_rect r;
        uint32_t enabled, flags;
    } pmodes[MAX_SCANOUTS];
};

struct gpu_create_2d {
    struct gpu_hdr hdr;
    uint32_t resource_id, format, width, height;
};

struct gpu_attach_backing {
    struct gpu_hdr hdr;
    uint32_t resource_id, nr_entries;
    uint64_t addr;              /* the one mem_entry: addr, length, padding */
    uint32_t length, padding;
};

struct gpu_set_scanout {
    struct gpu_hdr hdr;
    struct gpu_rect r;
    uint32_t scanout_id, resource_id;
};

struct gpu_flush {
    struct gpu_hdr hdr;
    struct gpu_rect r;
    uint32_t resource_id, padding;
};

struct gpu_transfer {
    struct gpu_hdr hdr;
    struct gpu_rect r;
    uint64_t offset;
    uint32_t resource_id, padding;
};

static struct virtio_dev vd;
static struct virtq ctrlq;
static struct virtio_dma page;      /* request at 0, response at RESP_OFF */
static bool broken;

/* Send the request in the page (req bytes), wait for its response (resp bytes); the
 * response type must be want.  VIPER_OK, or an error (reported once; the GPU is dropped). */
static int64_t gpu_cmd(uint32_t req, uint32_t resp, uint32_t want)
{
    if (broken)
        return VIPER_ERR_IO;
    uint32_t cmd = ((struct gpu_hdr *)page.va)->type;
    memset(page.va + RESP_OFF, 0, resp);
    struct virtq_buf b[2] = { { page.phys, req, false }, { page.phys + RESP_OFF, resp, true } };
    int64_t head = virtq_add(&ctrlq, b, 2);
    if (head >= 0)
        virtq_notify(&ctrlq);
    int64_t rc = head;
    uint64_t deadline = viper_now_ns() + CMD_TIMEOUT_NS;
    while (rc >= 0) {
        uint32_t len = 0;
        rc = virtq_get(&ctrlq, &len);
        if (rc == head)
            break;
        if (rc == VIPER_ERR_WOULD_BLOCK)
            rc = virtio_wait_irq(&vd, deadline, NULL);
    }
    uint32_t type = ((volatile struct gpu_hdr *)(page.va + RESP_OFF))->type;
    if (rc >= 0 && type == want)
        return VIPER_OK;
    con_log("consoled: virtio-gpu: command %#x failed (error %lld, response %#x); screen dropped",
            cmd, (long long)(rc < 0 ? rc : 0), type);
    broken = true;
    return rc < 0 ? rc : VIPER_ERR_IO;
}

static void *request(uint32_t type, size_t size)
{
    memset(page.va, 0, size);
    ((struct gpu_hdr *)page.va)->type = type;
    return page.va;
}

static void gpu_flush(struct display *d, uint32_t y0, uint32_t y1)
{
    struct gpu_rect r = { 0, y0, d->width, y1 - y0 };
    struct gpu_transfer *t = request(CMD_TRANSFER_TO_HOST, sizeof *t);
    t->r = r;
    t->offset = (uint64_t)y0 * d->stride * 4;
    t->resource_id = RESOURCE_ID;
    if (gpu_cmd(sizeof *t, sizeof(struct gpu_hdr), RESP_OK_NODATA) != VIPER_OK)
        return;
    struct gpu_flush *f = request(CMD_RESOURCE_FLUSH, sizeof *f);
    f->r = r;
    f->resource_id = RESOURCE_ID;
    gpu_cmd(sizeof *f, sizeof(struct gpu_hdr), RESP_OK_NODATA);
}

/* Scanout 0's size, or the default when the device does not say. */
static int64_t display_size(uint32_t *w, uint32_t *h)
{
    request(CMD_GET_DISPLAY_INFO, sizeof(struct gpu_hdr));
    int64_t rc = gpu_cmd(sizeof(struct gpu_hdr), sizeof(struct gpu_display_info),
                         RESP_OK_DISPLAY_INFO);
    if (rc != VIPER_OK)
        return rc;
    const struct gpu_display_info *di = (const void *)(page.va + RESP_OFF);
    *w = di->pmodes[0].r.width;
    *h = di->pmodes[0].r.height;
    if (!di->pmodes[0].enabled || *w < FONT_W || *h < FONT_H ||
        (uint64_t)*w * *h * 4 > FB_MAX_BYTES) {
        *w = DEFAULT_W;
        *h = DEFAULT_H;
    }
    return VIPER_OK;
}

static int64_t scanout_setup(uint32_t w, uint32_t h, const struct virtio_dma *fb)
{
    struct gpu_create_2d *c = request(CMD_RESOURCE_CREATE_2D, sizeof *c);
    *c = (struct gpu_create_2d){ c->hdr, RESOURCE_ID, FORMAT_B8G8R8X8, w, h };
    int64_t rc = gpu_cmd(sizeof *c, sizeof(struct gpu_hdr), RESP_OK_NODATA);
    if (rc != VIPER_OK)
        return rc;
    struct gpu_attach_backing *a = request(CMD_ATTACH_BACKING, sizeof *a);
    a->resource_id = RESOURCE_ID;
    a->nr_entries = 1;
    a->addr = fb->phys;
    a->length = w * h * 4;
    rc = gpu_cmd(sizeof *a, sizeof(struct gpu_hdr), RESP_OK_NODATA);
    if (rc != VIPER_OK)
        return rc;
    struct gpu_set_scanout *s = request(CMD_SET_SCANOUT, sizeof *s);
    s->r = (struct gpu_rect){ 0, 0, w, h };
    s->scanout_id = 0;
    s->resource_id = RESOURCE_ID;
    return gpu_cmd(sizeof *s, sizeof(struct gpu_hdr), RESP_OK_NODATA);
}

int64_t gpu_init(uint64_t gpu_dev, uint64_t dma_root, struct display *d)
{
    int64_t rc = virtio_open(gpu_dev, &vd);
    if (rc == VIPER_OK && vd.device_id != VIRTIO_ID_GPU)
        rc = VIPER_ERR_NOT_SUPPORTED;
    if (rc == VIPER_OK)
        rc = virtio_negotiate(&vd, 0);
    if (rc == VIPER_OK)
        rc = virtq_setup(&ctrlq, &vd, 0, 16, dma_root);
    if (rc == VIPER_OK)
        rc = virtio_dma_alloc(dma_root, 4096, &page);
    if (rc != VIPER_OK)
        return rc;
    virtio_driver_ok(&vd);
    uint32_t w, h;
    rc = display_size(&w, &h);
    struct virtio_dma fb;
    if (rc == VIPER_OK)
        rc = virtio_dma_alloc(dma_root, (uint64_t)w * h * 4, &fb);
    if (rc == VIPER_OK)
        rc = scanout_setup(w, h, &fb);
    if (rc != VIPER_OK)
        return rc;
    *d = (struct display){ "virtio-gpu", (uint32_t *)fb.va, w, h, w, gpu_flush };
    gpu_flush(d, 0, h);   /* the first picture: all black */
    return VIPER_OK;
}
