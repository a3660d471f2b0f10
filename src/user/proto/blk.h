/*
 * proto/blk.h - the block protocol (blkd, registered as "BLK0:").
 *
 * A client first sends BLK_ATTACH with one handle: a shared-memory object
 * (READ and WRITE rights) for its data, of at least `length` bytes.  After
 * that BLK_READ / BLK_WRITE name sectors and a byte offset into that buffer;
 * data never travels in messages.  Requests are pipelined: a client may
 * have up to BLK_MAX_INFLIGHT requests whose replies it has not yet
 * received, and replies come back in completion order, each carrying the
 * request's id.  A client that exceeds the limit (so its reply queue could
 * fill) is disconnected.  BLK_FLUSH replies once every write whose reply
 * the client already received is on stable storage.  docs/blkd.md.
 */
#pragma once
#include <stdint.h>

#define BLK_NAME "BLK0:"
#define BLK_SECTOR_SIZE  512u
#define BLK_MAX_SECTORS  64u      /* per READ or WRITE: 32 KiB */
#define BLK_MAX_INFLIGHT 32u      /* requests per client without a received reply */

enum blk_op {
    BLK_ATTACH = 1,   /* handle: the data buffer (shm); length: its size in bytes */
    BLK_INFO   = 2,   /* reply: sectors, sector_size, flags */
    BLK_READ   = 3,   /* sectors [sector, sector+count) -> buffer[offset, offset+count*512) */
    BLK_WRITE  = 4,   /* buffer[offset, ...) -> sectors [sector, sector+count) */
    BLK_FLUSH  = 5,   /* make completed writes durable */
};

#define BLK_F_READONLY 1u         /* INFO flags: writes fail with ACCESS_DENIED */

struct blk_request {
    uint32_t op;                  /* enum blk_op */
    uint32_t count;               /* READ, WRITE: sectors, 1..BLK_MAX_SECTORS */
    uint64_t id;                  /* chosen by the client, echoed in the reply */
    uint64_t sector;              /* READ, WRITE: first sector */
    uint64_t offset;              /* READ, WRITE: byte offset in the buffer; ATTACH: length */
};

struct blk_reply {
    int32_t status;               /* VIPER_OK or a VIPER_ERR_* (see docs/blkd.md) */
    uint32_t op;                  /* the request's op */
    uint64_t id;                  /* the request's id */
    uint64_t sectors;             /* INFO: the disk's size in sectors */
    uint32_t sector_size;         /* INFO: BLK_SECTOR_SIZE */
    uint32_t flags;               /* INFO: BLK_F_* */
};
