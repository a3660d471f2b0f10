/*
 * virtq.c - split virtqueues (spec v1.2 section 2.7) in one DMA buffer.
 *
 * The rings are shared with the device, so nothing the driver decides from
 * is read back from them: the free list threads through q->next[] (a private
 * copy of each descriptor's link), q->chain_len[h] says whether h is the head
 * of a chain in flight and how long it is, q->wlen[h] how many bytes of it
 * the device may write.  From the used ring only (id, len) pairs are read,
 * and each is checked against that private state before it is believed.
 *
 * Free list: descriptors free_head -> next[free_head] -> ... (nfree of them).
 * A new chain of n takes the first n, in list order, so the chain's links are
 * the free list's links; freeing splices the chain back in front.
 */
#include <stdio.h>
#include <string.h>
#include <viper/sys.h>
#include <virtio/virtio.h>

#include "virtio_priv.h"

#define NO_DESC VIRTQ_MAX_SIZE

/* Ring layout for size descriptors: desc at 0 (16-aligned), avail after it (2-aligned), used
 * 4-aligned after that. Returns the used ring's offset; *total the bytes needed. */
static uint64_t virtq_layout(uint16_t size, uint64_t *total)
{
    uint64_t avail = 16ull * size;
    uint64_t used = (avail + 6 + 2ull * size + 3) & ~3ull;
    *total = used + 6 + 8ull * size;
    return used;
}

int64_t virtq_setup(struct virtq *q, struct virtio_dev *vd, uint16_t qindex, uint16_t size,
                    uint64_t dma_root)
{
    memset(q, 0, sizeof *q);
    if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)) != 0)
        return VIPER_ERR_INVALID;
    virtio_wr32(vd, VMMIO_QUEUE_SEL, qindex);
    virtio_mb();
    if (virtio_rd32(vd, VMMIO_QUEUE_READY) != 0)
        return VIPER_ERR_BUSY;
    uint32_t max = virtio_rd32(vd, VMMIO_QUEUE_NUM_MAX);
    if (max == 0)
        return VIPER_ERR_BAD_FORMAT;   /* the device has no such queue */
    while (size > max)
        size /= 2;

    uint64_t total, used_off = virtq_layout(size, &total);
    int64_t rc = virtio_dma_alloc(dma_root, total, &q->ring);
    if (rc != VIPER_OK)
        return rc;
    q->vd = vd;
    q->index = qindex;
    q->size = size;
    q->desc = (volatile struct virtq_desc *)q->ring.va;
    q->avail = (volatile struct virtq_avail *)(q->ring.va + 16ull * size);
    q->used = (volatile struct virtq_used *)(q->ring.va + used_off);
    for (uint16_t i = 0; i < size; i++)
        q->next[i] = (uint16_t)(i + 1u < size ? i + 1u : NO_DESC);
    q->free_head = 0;
    q->nfree = size;

    uint64_t d = q->ring.phys, a = d + 16ull * size, u = d + used_off;
    virtio_wr32(vd, VMMIO_QUEUE_NUM, size);
    virtio_wr32(vd, VMMIO_QUEUE_DESC_LO, (uint32_t)d);
    virtio_wr32(vd, VMMIO_QUEUE_DESC_HI, (uint32_t)(d >> 32));
    virtio_wr32(vd, VMMIO_QUEUE_DRIVER_LO, (uint32_t)a);
    virtio_wr32(vd, VMMIO_QUEUE_DRIVER_HI, (uint32_t)(a >> 32));
    virtio_wr32(vd, VMMIO_QUEUE_DEVICE_LO, (uint32_t)u);
    virtio_wr32(vd, VMMIO_QUEUE_DEVICE_HI, (uint32_t)(u >> 32));
    virtio_mb();
    virtio_wr32(vd, VMMIO_QUEUE_READY, 1);
    virtio_mb();
    return VIPER_OK;
}

void virtq_destroy(struct virtq *q)
{
    virtio_dma_free(&q->ring);
    memset(q, 0, sizeof *q);
}

unsigned virtq_free(const struct virtq *q)
{
    return q->nfree;
}

int64_t virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n)
{
    if (q->broken)
        return VIPER_ERR_IO;
    if (n == 0 || n > q->size)
        return VIPER_ERR_INVALID;
    if (n > q->nfree)
        return VIPER_ERR_WOULD_BLOCK;
    uint16_t head = q->free_head, d = head;
    uint32_t wlen = 0;
    for (unsigned i = 0; i < n; i++) {
        uint16_t flags = bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0;
        if (i + 1 < n)
            flags |= VIRTQ_DESC_F_NEXT;
        q->desc[d].addr = bufs[i].phys;
        q->desc[d].len = bufs[i].len;
        q->desc[d].flags = flags;
        q->desc[d].next = i + 1 < n ? q->next[d] : 0;
        if (bufs[i].device_writes)
            wlen += bufs[i].len;
        if (i + 1 < n)
            d = q->next[d];
    }
    q->free_head = q->next[d];   /* d is the chain's last descriptor */
    q->nfree = (uint16_t)(q->nfree - n);
    q->chain_len[head] = (uint16_t)n;
    q->wlen[head] = wlen;
    q->avail->ring[q->avail_idx % q->size] = head;
    q->avail_idx++;
    return head;
}

void virtq_notify(struct virtq *q)
{
    virtio_mb();                      /* descriptors and ring slots before the index */
    q->avail->idx = q->avail_idx;
    virtio_mb();                      /* the index before the doorbell */
    virtio_wr32(q->vd, VMMIO_QUEUE_NOTIFY, q->index);
}

/* Give the chain at head back to the free list. */
static void virtq_release(struct virtq *q, uint16_t head)
{
    uint16_t d = head;
    for (unsigned i = 1; i < q->chain_len[head]; i++)
        d = q->next[d];
    q->next[d] = q->free_head;
    q->free_head = head;
    q->nfree = (uint16_t)(q->nfree + q->chain_len[head]);
    q->chain_len[head] = 0;
}

int64_t virtq_get(struct virtq *q, uint32_t *len_out)
{
    for (;;) {
        if (q->broken)
            return VIPER_ERR_IO;
        uint16_t idx = q->used->idx;
        virtio_mb();                  /* the index before the entries it covers */
        uint16_t ahead = (uint16_t)(idx - q->used_seen);
        if (ahead == 0)
            return VIPER_ERR_WOULD_BLOCK;
        if (ahead > q->size - q->nfree) {
            printf("virtio: dev %u queue %u: used index %u runs %u ahead, %u in flight; "
                   "queue broken\n", q->vd->device_id, q->index, idx, ahead,
                   q->size - q->nfree);
            q->broken = true;
            return VIPER_ERR_IO;
        }
        uint32_t id = q->used->ring[q->used_seen % q->size].id;
        uint32_t len = q->used->ring[q->used_seen % q->size].len;
        q->used_seen++;
        if (id >= q->size || q->chain_len[id] == 0) {
            printf("virtio: dev %u queue %u: used id %u not in flight; dropped\n",
                   q->vd->device_id, q->index, id);
            q->bad++;
            continue;
        }
        if (len > q->wlen[id]) {
            printf("virtio: dev %u queue %u: used len %u > %u writable; clamped\n",
                   q->vd->device_id, q->index, len, q->wlen[id]);
            q->bad++;
            len = q->wlen[id];
        }
        virtq_release(q, (uint16_t)id);
        if (len_out)
            *len_out = len;
        return id;
    }
}
