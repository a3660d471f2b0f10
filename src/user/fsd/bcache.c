/*
 * fsd/bcache.c - the block cache and metadata transactions.
 *
 * A fixed pool of 4 KiB buffers, found through a hash of block numbers and
 * kept on an LRU list; a pinned buffer (pins > 0) is never evicted.  File
 * data is written back lazily: a dirty data buffer goes to disk when it is
 * evicted, before any transaction commits, with a flush between them and the
 * journal (ordered mode: metadata never points at blocks whose contents
 * have not reached the disk), and at sync.
 *
 * Metadata changes are grouped in the running transaction: bmeta() pins
 * the buffer and lists it.  txn_commit() writes the dirty data, logs the
 * listed blocks to the journal (one flush) and writes them to their home
 * locations.  Checkpoints (flush, journal superblock, flush) happen only
 * when the journal is full, so an operation costs one flush.  Until then
 * the journal's rule holds through freed[]: a block freed by a transaction
 * that is not yet checkpointed is not handed out again (bcache_reusable),
 * so replaying an old copy can never overwrite file data in it.
 * txn_abort() forgets the listed buffers' contents, so the next bget reads
 * the old block back from the disk.
 */
#include <stdlib.h>
#include <string.h>
#include <viper/errors.h>

#include "fsd.h"

#define HASH_SIZE 1024u
#define TXN_MAX 512u

struct viperfs fs FSD_HOT_DATA_LARGE;
struct viperfs_journal journal;
uint64_t fsd_meta_gen FSD_HOT_DATA = 1;

static struct viperfs jfs;              /* the journal's view: writes go straight to the disk */
static struct buf *bufs FSD_HOT_DATA;
static unsigned nbufs FSD_HOT_DATA;
static struct buf lru FSD_HOT_DATA;     /* sentinel: lru.next is the most recently used */
static uint32_t lru_moves FSD_HOT_DATA; /* buffers put at the front so far (lru_front) */
/* Hash chains by buffer number + 1 (0 ends a chain; struct buf's hnext links them): 16 bits,
 * so the buckets fit on the hot data page beside the rest. */
static uint16_t hash[HASH_SIZE] FSD_HOT_DATA;
static struct buf *txn[TXN_MAX];
static unsigned ntxn;
static bool txn_overflow;
static uint8_t *freed;                  /* per block: FREED_* */
static bool freed_running;              /* some block is FREED_RUNNING */

#define FREED_COMMITTED 1               /* by a committed transaction, not checkpointed */
#define FREED_RUNNING   2               /* by the running transaction */

static unsigned hslot(uint32_t blockno)
{
    return (blockno * 2654435761u) % HASH_SIZE;
}

static void lru_unlink(struct buf *b)
{
    b->prev->next = b->next;
    b->next->prev = b->prev;
}

static void lru_front(struct buf *b)
{
    b->front_at = ++lru_moves;
    b->next = lru.next;
    b->prev = &lru;
    lru.next->prev = b;
    lru.next = b;
}

/* Buffer number + 1 of b, and back: what the hash chains hold. */
static uint16_t buf_id(const struct buf *b)
{
    return (uint16_t)(b - bufs + 1);
}

static struct buf *buf_of(uint16_t id)
{
    return id ? &bufs[id - 1] : NULL;
}

static void hash_remove(struct buf *b)
{
    for (uint16_t *p = &hash[hslot(b->blockno)]; *p; p = &buf_of(*p)->hnext)
        if (*p == buf_id(b)) {
            *p = b->hnext;
            return;
        }
}

static int cache_read(void *ctx, uint32_t blockno, union viperfs_block *out)
{
    (void)ctx;
    struct buf *b = bget(blockno);
    if (!b)
        return VIPER_ERR_IO;
    memcpy(out, b->data, sizeof(*out));
    bput(b);
    return VIPER_OK;
}

static int cache_write(void *ctx, uint32_t blockno, const union viperfs_block *in)
{
    (void)ctx;
    struct buf *b = bget_new(blockno);
    if (!b)
        return VIPER_ERR_NO_MEMORY;
    memcpy(b->data, in, sizeof(*in));
    bmeta(b);
    bput(b);
    return VIPER_OK;
}

static int cache_flush(void *ctx)
{
    (void)ctx;
    return bcache_sync();
}

static struct viperfs_dev cache_dev = { NULL, 0, cache_read, cache_write, cache_flush };

int bcache_init(unsigned n)
{
    if (n >= UINT16_MAX)
        return VIPER_ERR_INVALID;   /* more than the hash chains' 16 bits can name */
    bufs = calloc(n, sizeof(*bufs));
    /* page-aligned (one block more, never freed): a block is then one page to touch */
    uint8_t *raw = malloc((size_t)(n + 1) * sizeof(union viperfs_block));
    if (!bufs || !raw)
        return VIPER_ERR_NO_MEMORY;
    const uintptr_t mask = VIPERFS_BLOCK_SIZE - 1;
    union viperfs_block *data = (union viperfs_block *)(((uintptr_t)raw + mask) & ~mask);
    nbufs = n;
    lru.next = lru.prev = &lru;
    for (unsigned i = 0; i < n; i++) {
        bufs[i].data = &data[i];
        lru_front(&bufs[i]);
    }
    cache_dev.nblocks = blkio_dev.nblocks;
    fs.dev = &cache_dev;
    fs.lookup = dir_lookup;   /* path resolution through the cache, each block checked once */
    fs.get_inode = inode_get;
    jfs.dev = &blkio_dev;
    freed = calloc(fs.sb.block_count, 1);
    return freed ? VIPER_OK : VIPER_ERR_NO_MEMORY;
}

void bcache_freed(uint32_t blockno)
{
    if (blockno < fs.sb.block_count) {
        freed[blockno] = FREED_RUNNING;
        freed_running = true;
    }
}

bool bcache_reusable(uint32_t blockno)
{
    return blockno < fs.sb.block_count && freed[blockno] == 0;
}

bool bcache_pending(void)
{
    for (uint32_t b = 0; b < fs.sb.block_count; b++)
        if (freed[b] == FREED_COMMITTED)
            return true;
    return false;
}

/* The running transaction's frees become committed ones (or, aborted, never happened). */
static void freed_settle(uint8_t to)
{
    if (!freed_running)
        return;
    for (uint32_t b = 0; b < fs.sb.block_count; b++)
        if (freed[b] == FREED_RUNNING)
            freed[b] = to;
    freed_running = false;
}

int bcache_checkpoint(void)
{
    jfs.sb = fs.sb;
    int rc = viperfs_journal_checkpoint(&jfs, &journal);
    for (uint32_t b = 0; rc == VIPER_OK && b < fs.sb.block_count; b++)
        if (freed[b] == FREED_COMMITTED)
            freed[b] = 0;
    return rc;
}

static int write_out(struct buf *b)
{
    int rc = blkio_dev.write(NULL, b->blockno, b->data);
    if (rc == VIPER_OK)
        b->dirty = false;
    return rc;
}

/* b's contents changed (or were read anew): every check made on them is void. */
static inline void buf_changed(struct buf *b)
{
    b->inodes_ok = 0;
    b->checked_magic = 0;
}

/* The buffer for blockno, pinned; read from the disk when read is set and it is not cached. */
FSD_HOT static struct buf *lookup(uint32_t blockno, bool read)
{
    struct buf *b;
    for (b = buf_of(hash[hslot(blockno)]); b; b = buf_of(b->hnext))
        if (b->blockno == blockno && b->valid)
            break;
    if (!b) {
        for (b = lru.prev; b != &lru && b->pins; b = b->prev)
            ;
        if (b == &lru)
            return NULL;   /* everything pinned: the transaction is too big */
        if (b->valid && b->dirty && write_out(b) != VIPER_OK)
            return NULL;
        if (b->valid)
            hash_remove(b);
        b->valid = false;
        b->blockno = blockno;
        if (read && blkio_dev.read(NULL, blockno, b->data) != VIPER_OK)
            return NULL;
        if (!read)
            memset(b->data, 0, sizeof(*b->data));
        b->valid = true;
        b->dirty = false;
        buf_changed(b);
        b->hnext = hash[hslot(blockno)];
        hash[hslot(blockno)] = buf_id(b);
    }
    /* A hit that went to the front fewer than nbufs / 4 moves ago is still in the front
     * quarter, far from eviction: it stays where it is, and its neighbours' headers (other
     * pages, often) are left alone.  A loop over a few blocks relinks nothing. */
    if (lru_moves - b->front_at >= nbufs / 4) {
        lru_unlink(b);
        lru_front(b);
    }
    b->pins++;
    return b;
}

FSD_HOT struct buf *bget(uint32_t blockno)
{
    return blockno < fs.sb.block_count || fs.sb.block_count == 0 ? lookup(blockno, true) : NULL;
}

struct buf *bget_new(uint32_t blockno)
{
    struct buf *b = blockno < fs.sb.block_count ? lookup(blockno, false) : NULL;
    if (b) {
        memset(b->data, 0, sizeof(*b->data));
        buf_changed(b);
    }
    return b;
}

void bmeta(struct buf *b)
{
    b->dirty = true;
    buf_changed(b);
    fsd_meta_gen++;
    if (b->in_txn)
        return;
    if (ntxn == TXN_MAX) {
        txn_overflow = true;
        return;
    }
    b->in_txn = true;
    b->pins++;
    txn[ntxn++] = b;
}

void bdata(struct buf *b)
{
    b->dirty = true;
    buf_changed(b);
}

/* Every dirty buffer outside the transaction (file data) to the disk; *wrote says if any. */
static int write_data(bool *wrote)
{
    *wrote = false;
    for (unsigned i = 0; i < nbufs; i++)
        if (bufs[i].valid && bufs[i].dirty && !bufs[i].in_txn) {
            int rc = write_out(&bufs[i]);
            if (rc != VIPER_OK)
                return rc;
            *wrote = true;
        }
    return VIPER_OK;
}

static void txn_release(void)
{
    for (unsigned i = 0; i < ntxn; i++) {
        txn[i]->in_txn = false;
        txn[i]->pins--;
    }
    ntxn = 0;
    txn_overflow = false;
}

int txn_commit(void)
{
    static uint32_t targets[TXN_MAX];
    static const union viperfs_block *blocks[TXN_MAX];
    if (txn_overflow || ntxn > VIPERFS_JDESC_MAX || ntxn + 3 > journal.log_blocks) {
        txn_abort();
        return VIPER_ERR_LIMIT;
    }
    /* Ordered data: durable before the commit block can be.  Between two flushes a disk
     * may persist writes in any order, and the commit's checksum covers only the log. */
    bool wrote;
    int rc = write_data(&wrote);
    if (rc == VIPER_OK && wrote && ntxn > 0)
        rc = blkio_dev.flush(NULL);
    if (rc != VIPER_OK || ntxn == 0) {
        if (rc != VIPER_OK)
            txn_abort();
        return rc;
    }
    for (unsigned i = 0; i < ntxn; i++) {
        targets[i] = txn[i]->blockno;
        blocks[i] = txn[i]->data;
    }
    jfs.sb = fs.sb;
    rc = viperfs_journal_commit(&jfs, &journal, ntxn, targets, blocks, fsd_now());
    if (rc == VIPER_ERR_LIMIT && (rc = bcache_checkpoint()) == VIPER_OK)   /* journal full */
        rc = viperfs_journal_commit(&jfs, &journal, ntxn, targets, blocks, fsd_now());
    if (rc != VIPER_OK) {
        txn_abort();
        return rc;
    }
    /* Committed: from here a crash is repaired by replay, so errors only get reported. */
    freed_settle(FREED_COMMITTED);
    for (unsigned i = 0; i < ntxn && rc == VIPER_OK; i++)
        rc = write_out(txn[i]);
    txn_release();
    return rc;
}

void txn_abort(void)
{
    bool super = false;
    fsd_meta_gen++;
    freed_settle(0);
    for (unsigned i = 0; i < ntxn; i++) {
        super |= txn[i]->blockno == 0;
        txn[i]->dirty = false;
        hash_remove(txn[i]);
        txn[i]->valid = false;
    }
    txn_release();
    struct buf *b = super ? bget(0) : NULL;
    if (b) {
        memcpy(&fs.sb, &b->data->super, sizeof(fs.sb));
        bput(b);
    }
}

int bcache_sync(void)
{
    int rc = txn_commit();
    return rc != VIPER_OK ? rc : blkio_dev.flush(NULL);
}

/* Mount: replay the journal straight on the disk, then read the superblock through the cache. */
int bcache_mount(const char **why)
{
    uint32_t n;
    jfs.dev = &blkio_dev;
    int rc = viperfs_open(&jfs, &blkio_dev, why);
    if (rc == VIPER_OK && (rc = viperfs_journal_load(&jfs, &journal, why)) == VIPER_OK &&
        (rc = viperfs_journal_replay(&jfs, &journal, &n)) == VIPER_OK && n > 0)
        rc = viperfs_open(&jfs, &blkio_dev, why);
    if (rc != VIPER_OK)
        return rc;
    fs.sb = jfs.sb;
    cache_dev.nblocks = blkio_dev.nblocks;
    return VIPER_OK;
}
