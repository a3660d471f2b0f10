/*
 * fsd/blkio.c - the disk as 4 KiB blocks, through blkd ("BLK0:", proto/blk.h).
 *
 * One shared buffer, one request at a time: a block is 8 sectors, moved
 * with a chan_call.  The cache above batches nothing yet, so simple and
 * synchronous is enough; pipelining (blkd takes 32 requests in flight) is
 * where the speed would come from.
 */
#include <string.h>
#include <viper/errors.h>
#include <viper/sys.h>
#include <viper/time.h>
#include <proto/blk.h>

#include "fsd.h"

#define SECTORS_PER_BLOCK (VIPERFS_BLOCK_SIZE / BLK_SECTOR_SIZE)
#define BLKIO_BUF VIPERFS_BLOCK_SIZE
#define MS 1000000ull

static uint64_t chan;
static uint8_t *iobuf;
static uint64_t next_id;

static int call(struct blk_request *req, struct blk_reply *rep, const viper_handle_t *h)
{
    struct viper_msg m = { (uint64_t)(uintptr_t)req, sizeof *req, h ? 1 : 0,
                           (uint64_t)(uintptr_t)h };
    struct viper_msg r = { (uint64_t)(uintptr_t)rep, sizeof *rep, 0, 0 };
    uint64_t len = 0, nh = 0;
    req->id = ++next_id;
    int64_t rc = viper_chan_call(chan, &m, &r, VIPER_DEADLINE_INFINITE, 0, &len, &nh);
    if (rc != VIPER_OK)
        return (int)rc;
    if (len != sizeof *rep || rep->id != req->id)
        return VIPER_ERR_IO;
    return rep->status;
}

static int io(uint32_t op, uint32_t blockno)
{
    struct blk_request req = { .op = op, .count = SECTORS_PER_BLOCK,
                               .sector = (uint64_t)blockno * SECTORS_PER_BLOCK };
    struct blk_reply rep;
    return call(&req, &rep, NULL);
}

static int blk_read(void *ctx, uint32_t blockno, union viperfs_block *out)
{
    (void)ctx;
    if (blockno >= blkio_dev.nblocks)
        return VIPER_ERR_OUT_OF_RANGE;
    int rc = io(BLK_READ, blockno);
    if (rc == VIPER_OK)
        memcpy(out, iobuf, VIPERFS_BLOCK_SIZE);
    return rc;
}

static int blk_write(void *ctx, uint32_t blockno, const union viperfs_block *in)
{
    (void)ctx;
    if (blockno >= blkio_dev.nblocks)
        return VIPER_ERR_OUT_OF_RANGE;
    memcpy(iobuf, in, VIPERFS_BLOCK_SIZE);
    return io(BLK_WRITE, blockno);
}

static int blk_flush(void *ctx)
{
    struct blk_request req = { .op = BLK_FLUSH };
    struct blk_reply rep;
    (void)ctx;
    return call(&req, &rep, NULL);
}

struct viperfs_dev blkio_dev = { NULL, 0, blk_read, blk_write, blk_flush };

int blkio_open(uint64_t registry)
{
    uint64_t end = viper_now_ns() + 5000 * MS, shm = 0, va = 0;
    int64_t rc;
    while ((rc = viper_registry_open(registry, BLK_NAME, &chan)) != VIPER_OK &&
           viper_now_ns() < end)
        viper_sleep_ns(10 * MS);
    if (rc != VIPER_OK)
        return (int)rc;
    if ((rc = viper_shm_create(BLKIO_BUF, &shm)) != VIPER_OK ||
        (rc = viper_shm_map(shm, 0, VIPER_PROT_READ | VIPER_PROT_WRITE, &va)) != VIPER_OK)
        return (int)rc;
    iobuf = (uint8_t *)(uintptr_t)va;
    viper_handle_t h = (viper_handle_t)shm;
    struct blk_request req = { .op = BLK_ATTACH, .offset = BLKIO_BUF };
    struct blk_reply rep;
    if ((rc = call(&req, &rep, &h)) != VIPER_OK)
        return (int)rc;
    viper_handle_close(shm);
    req = (struct blk_request){ .op = BLK_INFO };
    if ((rc = call(&req, &rep, NULL)) != VIPER_OK)
        return (int)rc;
    if (rep.flags & BLK_F_READONLY)
        return VIPER_ERR_ACCESS_DENIED;
    uint64_t blocks = rep.sectors / SECTORS_PER_BLOCK;
    blkio_dev.nblocks = blocks > UINT32_MAX ? UINT32_MAX : (uint32_t)blocks;
    return VIPER_OK;
}
