/*
 * blkd - the block server: one virtio-blk disk, registered as "BLK0:".
 *
 * Startup handles (docs/blkd.md): 0 the registry (CREATE), then optionally
 * a console channel, then the virtio-blk device and a device root narrowed
 * to DMA_ACCESS; blkd tells the last two apart by type, so a console may be
 * present or not.
 *
 * One thread, one wait_many: the registry's connection channel (each
 * message brings a new client's channel), the device's IRQ, and every
 * client.  A client's request is taken off its channel only when a device
 * slot is free, so requests wait in the kernel's channel queues, not here.
 * Each client's data buffer is mapped at a window of its own (CLIENT_WIN
 * apart), which is how blkd checks the length the client claims: the whole
 * claimed range must be mapped (mprotect says so), and nothing but that
 * buffer is ever mapped in the window.  A dead client's buffer stays mapped
 * until its last request in the device has finished.
 */
#include <stdio.h>
#include <string.h>
#include <viper/handles.h>
#include <viper/sys.h>
#include <proto/blk.h>

#include "vblk.h"

#define MAX_CLIENTS 32u
#define CLIENT_WIN_BASE 0x0000004000000000ull
#define CLIENT_WIN (128ull << 20)   /* > the 64 MiB shm maximum: a gap after every buffer */

struct client {
    uint64_t chan;            /* 0: slot free */
    uint32_t gen;             /* bumped whenever the slot is freed */
    uint8_t *buf;             /* the attached buffer, NULL before ATTACH */
    uint64_t buflen;
    unsigned in_device;       /* requests in device slots */
    bool closing;             /* channel gone; free once in_device drops to 0 */
};

/* What a device slot is doing, for whom. */
struct job {
    unsigned client;
    uint32_t gen;
    struct blk_request req;
};

static struct vblk disk;
static struct client clients[MAX_CLIENTS];
static struct job jobs[VBLK_SLOTS];
static uint64_t listen_chan;
static bool disk_reported;        /* the broken queue has been logged */

static void client_free(struct client *c)
{
    if (c->buf)   /* the whole window: the buffer may be longer than the client claimed */
        viper_munmap((uint64_t)(uintptr_t)c->buf, CLIENT_WIN);
    c->buf = NULL;
    c->buflen = 0;
    c->closing = false;
    c->gen++;
}

/* The channel is gone (peer closed, or the client misbehaved). */
static void client_drop(struct client *c)
{
    viper_handle_close(c->chan);
    c->chan = 0;
    if (c->in_device)
        c->closing = true;
    else
        client_free(c);
}

static void reply(struct client *c, const struct blk_request *req, int32_t status,
                  const struct blk_reply *info)
{
    struct blk_reply r;
    if (info)
        r = *info;
    else
        memset(&r, 0, sizeof r);
    r.status = status;
    r.op = req->op;
    r.id = req->id;
    struct viper_msg m = { (uint64_t)(uintptr_t)&r, sizeof r, 0, 0 };
    /* never block on a client: one whose reply queue is full is not reading its replies */
    if (viper_chan_send(c->chan, &m, VIPER_CHAN_NONBLOCK) != VIPER_OK)
        client_drop(c);
}

static int32_t attach(struct client *c, const struct blk_request *req, viper_handle_t h)
{
    uint64_t type = 0, rights = 0, addr = 0;
    if (viper_cap_query(h, &type, &rights) != VIPER_OK || type != VIPER_OBJ_SHM)
        return VIPER_ERR_BAD_HANDLE;
    uint64_t len = req->offset;
    if (len == 0 || len > CLIENT_WIN / 2)
        return VIPER_ERR_INVALID;
    if (c->in_device)
        return VIPER_ERR_BUSY;
    client_free(c);
    uint64_t win = CLIENT_WIN_BASE + (uint64_t)(c - clients) * CLIENT_WIN;
    int64_t rc = viper_shm_map(h, win, VIPER_PROT_READ | VIPER_PROT_WRITE, &addr);
    if (rc != VIPER_OK)
        return (int32_t)rc;
    if (addr != win) {   /* the window is blkd's alone, so this never happens */
        viper_munmap(addr, len);
        return VIPER_ERR_NO_MEMORY;
    }
    if (viper_mprotect(win, len, VIPER_PROT_READ | VIPER_PROT_WRITE) != VIPER_OK) {
        viper_munmap(win, CLIENT_WIN);   /* shorter than claimed */
        return VIPER_ERR_OUT_OF_RANGE;
    }
    c->buf = (uint8_t *)(uintptr_t)win;
    c->buflen = len;
    return VIPER_OK;
}

/* Checks a READ or WRITE against the disk and the client's buffer. */
static int32_t check_io(const struct client *c, const struct blk_request *req)
{
    if (!c->buf)
        return VIPER_ERR_BAD_HANDLE;
    if (req->count == 0 || req->count > BLK_MAX_SECTORS)
        return VIPER_ERR_INVALID;
    if (req->sector >= disk.capacity || req->count > disk.capacity - req->sector)
        return VIPER_ERR_OUT_OF_RANGE;
    uint64_t bytes = (uint64_t)req->count * BLK_SECTOR_SIZE;
    if (req->offset > c->buflen || bytes > c->buflen - req->offset)
        return VIPER_ERR_OUT_OF_RANGE;
    if (req->op == BLK_WRITE && disk.readonly)
        return VIPER_ERR_ACCESS_DENIED;
    return VIPER_OK;
}

/* Hand a valid READ, WRITE or FLUSH to the device; an error status if it cannot go. */
static int32_t start_io(struct client *c, const struct blk_request *req)
{
    if (req->op == BLK_FLUSH && !disk.flush)
        return VIPER_OK;   /* no write cache: completed writes are already on the disk */
    int slot = vblk_slot_get(&disk);   /* the caller made sure one is free */
    if (req->op == BLK_WRITE)
        memcpy(vblk_bounce(&disk, slot), c->buf + req->offset,
               (uint64_t)req->count * BLK_SECTOR_SIZE);
    jobs[slot] = (struct job){ (unsigned)(c - clients), c->gen, *req };
    int64_t rc = vblk_submit(&disk, slot, req->op, req->sector, req->count);
    if (rc != VIPER_OK)
        return rc == VIPER_ERR_WOULD_BLOCK ? VIPER_ERR_BUSY : (int32_t)rc;
    c->in_device++;
    return 1;   /* in flight: the reply comes from the completion */
}

/* One message from client c: validate, then answer or start the I/O. */
static void serve(struct client *c)
{
    struct blk_request req;
    uint8_t data[VIPER_MSG_MAX_BYTES];
    viper_handle_t hs[VIPER_MSG_MAX_HANDLES];
    uint64_t len = 0, nh = 0;
    struct viper_msg m = { (uint64_t)(uintptr_t)data, sizeof data,
                           VIPER_MSG_MAX_HANDLES, (uint64_t)(uintptr_t)hs };
    int64_t rc = viper_chan_recv(c->chan, &m, VIPER_DEADLINE_POLL, &len, &nh);
    if (rc == VIPER_ERR_WOULD_BLOCK)
        return;
    if (rc != VIPER_OK) {
        client_drop(c);   /* PEER_CLOSED, or a message we cannot take (LIMIT) */
        return;
    }
    memset(&req, 0, sizeof req);
    memcpy(&req, data, len < sizeof req ? len : sizeof req);
    int32_t status;
    struct blk_reply info;
    memset(&info, 0, sizeof info);
    bool with_info = false;
    if (len != sizeof req || nh != (req.op == BLK_ATTACH ? 1u : 0u)) {
        status = VIPER_ERR_INVALID;
    } else if (req.op == BLK_ATTACH) {
        status = attach(c, &req, hs[0]);
    } else if (req.op == BLK_INFO) {
        info.sectors = disk.capacity;
        info.sector_size = BLK_SECTOR_SIZE;
        info.flags = disk.readonly ? BLK_F_READONLY : 0;
        with_info = true;
        status = VIPER_OK;
    } else if (req.op == BLK_READ || req.op == BLK_WRITE) {
        status = check_io(c, &req);
        if (status == VIPER_OK)
            status = start_io(c, &req);
    } else if (req.op == BLK_FLUSH) {
        status = start_io(c, &req);
    } else {
        status = VIPER_ERR_NOT_SUPPORTED;
    }
    for (uint64_t i = 0; i < nh; i++)
        viper_handle_close(hs[i]);   /* ATTACH's buffer is mapped (or refused) by now */
    if (status != 1)
        reply(c, &req, status, with_info ? &info : NULL);
}

/* Every finished device request: copy a read out, reply, free the slot. */
static void complete_all(void)
{
    int64_t status;
    for (;;) {
        int64_t slot = vblk_complete(&disk, &status);
        if (slot == VIPER_ERR_WOULD_BLOCK)
            return;
        if (slot < 0)
            break;   /* the queue is broken: fail everything in flight below */
        struct job *j = &jobs[slot];
        struct client *c = &clients[j->client];
        if (c->gen == j->gen) {
            if (status == VIPER_OK && j->req.op == BLK_READ && !c->closing)
                memcpy(c->buf + j->req.offset, vblk_bounce(&disk, (int)slot),
                       (uint64_t)j->req.count * BLK_SECTOR_SIZE);
            c->in_device--;
            if (c->closing && c->in_device == 0)
                client_free(c);
            else if (c->chan)
                reply(c, &j->req, (int32_t)status, NULL);
        }
        vblk_slot_put(&disk, (int)slot);
    }
    if (!disk_reported) {
        printf("blkd: the device broke its queue; failing every request\n");
        disk_reported = true;
    }
    for (unsigned s = 0; s < VBLK_SLOTS; s++) {
        if (!disk.busy[s])
            continue;
        struct client *c = &clients[jobs[s].client];
        if (c->gen == jobs[s].gen) {
            c->in_device--;
            if (c->closing && c->in_device == 0)
                client_free(c);
            else if (c->chan)
                reply(c, &jobs[s].req, VIPER_ERR_IO, NULL);
        }
        vblk_slot_put(&disk, (int)s);
    }
}

/* New connections from the registry: each message carries one client channel. */
static void accept_all(void)
{
    for (;;) {
        char name[VIPER_MSG_MAX_BYTES];
        viper_handle_t hs[VIPER_MSG_MAX_HANDLES];
        uint64_t nh = 0;
        struct viper_msg m = { (uint64_t)(uintptr_t)name, sizeof name,
                               VIPER_MSG_MAX_HANDLES, (uint64_t)(uintptr_t)hs };
        if (viper_chan_recv(listen_chan, &m, VIPER_DEADLINE_POLL, NULL, &nh) != VIPER_OK)
            return;
        for (uint64_t i = 0; i < nh; i++) {
            struct client *c = NULL;
            for (unsigned k = 0; k < MAX_CLIENTS && !c; k++)
                if (!clients[k].chan && !clients[k].closing)
                    c = &clients[k];
            if (c && i == 0)
                c->chan = hs[i];
            else
                viper_handle_close(hs[i]);   /* full: the client sees PEER_CLOSED */
        }
    }
}

static _Noreturn void serve_forever(void)
{
    struct viper_wait_item items[2 + MAX_CLIENTS];
    struct client *who[2 + MAX_CLIENTS];
    for (;;) {
        unsigned n = 0;
        items[n++] = (struct viper_wait_item){ (uint32_t)listen_chan, VIPER_SIGNAL_READABLE, 0, 0 };
        items[n++] = (struct viper_wait_item){ (uint32_t)disk.vd.irq, VIPER_SIGNAL_IRQ, 0, 0 };
        bool room = vblk_slots_free(&disk) > 0;
        for (unsigned k = 0; room && k < MAX_CLIENTS; k++) {
            if (!clients[k].chan)
                continue;
            who[n] = &clients[k];
            items[n++] = (struct viper_wait_item){
                (uint32_t)clients[k].chan, VIPER_SIGNAL_READABLE | VIPER_SIGNAL_PEER_CLOSED, 0, 0 };
        }
        if (viper_wait_many(items, n, VIPER_DEADLINE_INFINITE, NULL) != VIPER_OK)
            continue;
        if (items[1].pending & VIPER_SIGNAL_IRQ) {
            virtio_irq_begin(&disk.vd);
            complete_all();
        }
        if (items[0].pending & VIPER_SIGNAL_READABLE)
            accept_all();
        for (unsigned i = 2; i < n; i++) {
            if (!(items[i].pending & (VIPER_SIGNAL_READABLE | VIPER_SIGNAL_PEER_CLOSED)) ||
                !who[i]->chan)
                continue;
            if (vblk_slots_free(&disk) == 0)
                break;   /* the device is full; the rest wait in their channels */
            serve(who[i]);
        }
    }
}

int main(void)
{
    uint64_t reg = viper_startup_handle(0);
    uint64_t dev = viper_startup_find(1, VIPER_OBJ_DEVICE);
    uint64_t dma_root = viper_startup_find(1, VIPER_OBJ_DEVROOT);
    if (dev == VIPER_HANDLE_INVALID || dma_root == VIPER_HANDLE_INVALID) {
        printf("blkd: no device or DMA root among the startup handles\n");
        return 1;
    }
    int64_t rc = vblk_init(&disk, dev, dma_root);
    if (rc != VIPER_OK) {
        printf("blkd: virtio-blk init failed (%lld)\n", (long long)rc);
        return 2;
    }
    uint64_t ep;
    rc = viper_chan_create(&ep, &listen_chan);
    if (rc == VIPER_OK)
        rc = viper_registry_register(reg, BLK_NAME, ep);
    if (rc != VIPER_OK) {
        printf("blkd: cannot register %s (%lld)\n", BLK_NAME, (long long)rc);
        return 3;
    }
    printf("blkd: %s %llu sectors%s%s\n", BLK_NAME, (unsigned long long)disk.capacity,
           disk.readonly ? ", read-only" : "", disk.flush ? ", write cache" : "");
    serve_forever();
}
