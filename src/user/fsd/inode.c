/*
 * fsd/inode.c - inodes and blocks: allocation from the bitmaps, block
 * mapping that allocates, truncation, and the superblock's counts.
 *
 * Every change goes through the block cache as part of the running
 * transaction (bmeta), and every changed metadata block is resealed at
 * once, so whatever a transaction logs is a valid block.  Block numbers
 * read from indirect blocks are checked like the read-only library does:
 * a bad one is an error for this file (BAD_FORMAT, EIO to the client),
 * never a write outside the data area.
 */
#include <string.h>
#include <viper/errors.h>
#include <viper/sys.h>
#include <viper/time.h>

#include "fsd.h"

#define PTRS VIPERFS_PTRS_PER_BLOCK
_Static_assert(VIPERFS_INODES_PER_BLOCK <= 16, "struct buf's inodes_ok has a bit per inode");

static bool super_changed;
static uint32_t block_hint, inode_hint;

uint64_t fsd_now(void)
{
    uint64_t ns = 0;
    return viper_clock_wall(&ns) == VIPER_OK ? ns : viper_now_ns();
}

/* Straight from the cached inode table block (the library's viperfs_read_inode would copy
 * the whole block first); checked the same way, but only once while the block stays
 * unchanged in the cache: the check (a CRC of 256 bytes) cost more than all the rest of
 * a cached 4 KiB read. */
FSD_WARM int inode_get(uint32_t ino, struct viperfs_inode *out)
{
    uint32_t blockno, index;
    if (viperfs_inode_locate(&fs.sb, ino, &blockno, &index) != VIPER_OK)
        return VIPER_ERR_BAD_FORMAT;
    struct buf *b = bget(blockno);
    if (!b)
        return VIPER_ERR_IO;
    *out = b->data->inodes[index];
    uint16_t bit = (uint16_t)(1u << index);
    int rc = VIPER_OK;
    if (!(b->inodes_ok & bit) && (rc = viperfs_inode_check(&fs.sb, out, NULL)) == VIPER_OK)
        b->inodes_ok |= bit;
    bput(b);
    return rc;
}

int inode_put(uint32_t ino, const struct viperfs_inode *in)
{
    uint32_t blockno, index;
    if (viperfs_inode_locate(&fs.sb, ino, &blockno, &index) != VIPER_OK)
        return VIPER_ERR_BAD_FORMAT;
    struct buf *b = bget(blockno);
    if (!b)
        return VIPER_ERR_IO;
    b->data->inodes[index] = *in;
    viperfs_inode_seal(&b->data->inodes[index]);
    bmeta(b);
    bput(b);
    return VIPER_OK;
}

/* Find a clear bit below limit in a bitmap, starting near *hint, that ok() accepts; set it. */
static int bitmap_take(uint32_t start, uint32_t nblocks, uint32_t magic, uint32_t limit,
                       bool (*ok)(uint32_t), uint32_t *hint, uint32_t *out)
{
    for (uint32_t k = 0; k <= nblocks; k++) {
        uint32_t i = (*hint / VIPERFS_BITMAP_BITS + k) % nblocks;
        struct buf *b = bget(start + i);
        if (!b)
            return VIPER_ERR_IO;
        if (viperfs_block_check(b->data, magic, start + i, NULL) != VIPER_OK) {
            bput(b);
            return VIPER_ERR_BAD_FORMAT;
        }
        uint32_t from = k == 0 ? *hint % VIPERFS_BITMAP_BITS : 0;
        for (uint32_t bit = from; bit < VIPERFS_BITMAP_BITS; bit++) {
            uint64_t n = (uint64_t)i * VIPERFS_BITMAP_BITS + bit;
            if (n >= limit)
                break;
            if (!viperfs_bit_get(b->data, bit) && ok((uint32_t)n)) {
                viperfs_bit_set(b->data, bit, true);
                viperfs_block_seal(b->data, magic, start + i, 0);
                bmeta(b);
                bput(b);
                *out = (uint32_t)n;
                *hint = (uint32_t)n + 1;
                return VIPER_OK;
            }
        }
        bput(b);
    }
    return FS_ERR_NO_SPACE;
}

static int bitmap_clear(uint32_t start, uint32_t magic, uint32_t n)
{
    uint32_t blockno = start + n / VIPERFS_BITMAP_BITS;
    struct buf *b = bget(blockno);
    if (!b)
        return VIPER_ERR_IO;
    if (viperfs_block_check(b->data, magic, blockno, NULL) != VIPER_OK) {
        bput(b);
        return VIPER_ERR_BAD_FORMAT;
    }
    viperfs_bit_set(b->data, n % VIPERFS_BITMAP_BITS, false);
    viperfs_block_seal(b->data, magic, blockno, 0);
    bmeta(b);
    bput(b);
    return VIPER_OK;
}

static int block_alloc(uint32_t *out)
{
    if (block_hint < fs.sb.data_start)
        block_hint = fs.sb.data_start;
    int rc = bitmap_take(fs.sb.bbitmap_start, fs.sb.bbitmap_blocks, VIPERFS_BBITMAP_MAGIC,
                         fs.sb.block_count, bcache_reusable, &block_hint, out);
    if (rc == VIPER_OK && !viperfs_data_block_ok(&fs.sb, *out))
        rc = VIPER_ERR_BAD_FORMAT;   /* a reserved block marked free: the bitmap is damaged */
    if (rc == VIPER_OK) {
        fs.sb.free_blocks -= fs.sb.free_blocks > 0;
        super_changed = true;
    }
    return rc;
}

static int block_free(uint32_t b)
{
    int rc = bitmap_clear(fs.sb.bbitmap_start, VIPERFS_BBITMAP_MAGIC, b);
    if (rc == VIPER_OK) {
        bcache_freed(b);
        fs.sb.free_blocks += fs.sb.free_blocks < fs.sb.block_count;
        super_changed = true;
    }
    return rc;
}

/* Inode slots are metadata, so any free one may be reused at once (replay rewrites them in order). */
static bool any_inode(uint32_t ino)
{
    (void)ino;
    return true;
}

int inode_alloc(uint16_t mode, uint32_t *ino, struct viperfs_inode *out)
{
    struct viperfs_inode in;
    uint32_t blockno, index;
    int rc = bitmap_take(fs.sb.ibitmap_start, fs.sb.ibitmap_blocks, VIPERFS_IBITMAP_MAGIC,
                         fs.sb.inode_count, any_inode, &inode_hint, ino);
    if (rc != VIPER_OK)
        return rc;
    if (viperfs_inode_locate(&fs.sb, *ino, &blockno, &index) != VIPER_OK)
        return VIPER_ERR_BAD_FORMAT;
    struct buf *b = bget(blockno);
    if (!b)
        return VIPER_ERR_IO;
    uint32_t generation = b->data->inodes[index].generation + 1;
    bput(b);
    memset(&in, 0, sizeof(in));
    in.mode = mode;
    in.links = 1;
    in.atime = in.mtime = in.ctime = in.crtime = fsd_now();
    in.generation = generation;
    fs.sb.free_inodes -= fs.sb.free_inodes > 0;
    super_changed = true;
    *out = in;
    return inode_put(*ino, &in);
}

/* A new block for slot *slot: an indirect block (sealed, logged) or a data block. */
static int slot_fill(uint32_t ino, struct viperfs_inode *in, uint32_t *slot, bool indirect)
{
    uint32_t nb;
    int rc = block_alloc(&nb);
    if (rc != VIPER_OK)
        return rc;
    if (indirect) {
        struct buf *b = bget_new(nb);
        if (!b)
            return VIPER_ERR_NO_MEMORY;
        viperfs_block_seal(b->data, VIPERFS_INDIRECT_MAGIC, nb, ino);
        bmeta(b);
        bput(b);
    }
    *slot = nb;
    in->nblocks++;
    return VIPER_OK;
}

/*
 * Indirect block blk of inode ino, pinned in *out.  The check (magic, number and a CRC32C of
 * 4 KiB, far more than the rest of a cached read) is made once while the block stays
 * unchanged in the cache; the owner tag every time.
 */
FSD_WARM static int indirect_get(uint32_t ino, uint32_t blk, struct buf **out)
{
    if (!viperfs_data_block_ok(&fs.sb, blk))
        return VIPER_ERR_BAD_FORMAT;
    struct buf *b = bget(blk);
    if (!b)
        return VIPER_ERR_IO;
    if (b->checked_magic != VIPERFS_INDIRECT_MAGIC &&
        viperfs_block_check(b->data, VIPERFS_INDIRECT_MAGIC, blk, NULL) == VIPER_OK)
        b->checked_magic = VIPERFS_INDIRECT_MAGIC;
    if (b->checked_magic != VIPERFS_INDIRECT_MAGIC || b->data->hdr.tag != ino) {
        bput(b);
        return VIPER_ERR_BAD_FORMAT;
    }
    *out = b;
    return VIPER_OK;
}

/* inode_bmap and inode_bmap_alloc: in is written only with alloc. */
FSD_WARM static int bmap(uint32_t ino, struct viperfs_inode *in, uint64_t fb, bool alloc,
                        uint32_t *out, bool *fresh)
{
    uint32_t *slot;
    int depth, rc;
    *fresh = false;
    *out = 0;
    if (in->flags & VIPERFS_INODE_INLINE)
        return VIPER_ERR_INVALID;   /* direct[] holds a symlink's target, not blocks */
    if (fb < VIPERFS_NDIRECT) {
        slot = &in->direct[fb];
        depth = 0;
    } else if ((fb -= VIPERFS_NDIRECT) < PTRS) {
        slot = &in->indirect;
        depth = 1;
    } else if ((fb -= PTRS) < (uint64_t)PTRS * PTRS) {
        slot = &in->dindirect;
        depth = 2;
    } else if ((fb -= (uint64_t)PTRS * PTRS) < (uint64_t)PTRS * PTRS * PTRS) {
        slot = &in->tindirect;
        depth = 3;
    } else {
        return VIPER_ERR_OUT_OF_RANGE;
    }
    bool made = *slot == 0;
    if (made && !alloc)
        return VIPER_OK;   /* a hole */
    if (made && (rc = slot_fill(ino, in, slot, depth > 0)) != VIPER_OK)
        return rc;
    uint32_t blk = *slot;
    for (int level = depth - 1; level >= 0; level--) {
        uint64_t span = level == 2 ? (uint64_t)PTRS * PTRS : level == 1 ? PTRS : 1;
        struct buf *b;
        if ((rc = indirect_get(ino, blk, &b)) != VIPER_OK)
            return rc;
        uint32_t *p = &b->data->ind.ptr[(fb / span) % PTRS];
        made = false;
        if (*p == 0) {
            if (!alloc) {
                bput(b);
                return VIPER_OK;   /* a hole */
            }
            if ((rc = slot_fill(ino, in, p, level > 0)) != VIPER_OK) {
                bput(b);
                return rc;
            }
            viperfs_block_seal(b->data, VIPERFS_INDIRECT_MAGIC, blk, ino);
            bmeta(b);
            made = true;
        }
        blk = *p;
        bput(b);
    }
    if (!viperfs_data_block_ok(&fs.sb, blk))
        return VIPER_ERR_BAD_FORMAT;
    *out = blk;
    *fresh = made;   /* the data block (the last pointer followed) is new */
    return VIPER_OK;
}

FSD_WARM int inode_bmap(uint32_t ino, const struct viperfs_inode *in, uint64_t fb, uint32_t *out)
{
    bool fresh;
    return bmap(ino, (struct viperfs_inode *)in, fb, false, out, &fresh);
}

int inode_bmap_alloc(uint32_t ino, struct viperfs_inode *in, uint64_t fb, uint32_t *out,
                     bool *fresh)
{
    return bmap(ino, in, fb, true, out, fresh);
}

/* Free the blocks under *slot at file block first (level 0: data) from file block keep on. */
static int free_tree(uint32_t ino, struct viperfs_inode *in, uint32_t *slot, int level,
                     uint64_t first, uint64_t keep, bool *changed)
{
    uint32_t blk = *slot;
    uint64_t span = level == 3 ? (uint64_t)PTRS * PTRS : level == 2 ? PTRS : 1;
    if (blk == 0 || first + span * (level ? PTRS : 1) <= keep)
        return VIPER_OK;   /* nothing here, or all of it is kept */
    if (!viperfs_data_block_ok(&fs.sb, blk))
        return VIPER_ERR_BAD_FORMAT;
    if (level > 0) {
        struct buf *b;
        int rc = indirect_get(ino, blk, &b);
        if (rc != VIPER_OK)
            return rc;
        bool ch = false;
        for (uint32_t i = 0; i < PTRS && rc == VIPER_OK; i++)
            rc = free_tree(ino, in, &b->data->ind.ptr[i], level - 1, first + i * span, keep, &ch);
        if (ch && first < keep) {
            viperfs_block_seal(b->data, VIPERFS_INDIRECT_MAGIC, blk, ino);
            bmeta(b);
        }
        bput(b);
        if (rc != VIPER_OK)
            return rc;
    }
    if (first < keep)
        return VIPER_OK;
    int rc = block_free(blk);
    if (rc == VIPER_OK) {
        *slot = 0;
        *changed = true;
        in->nblocks -= in->nblocks > 0;
    }
    return rc;
}

int inode_truncate(uint32_t ino, struct viperfs_inode *in, uint64_t size)
{
    uint64_t keep = (size + VIPERFS_BLOCK_SIZE - 1) / VIPERFS_BLOCK_SIZE;
    bool ch = false;
    int rc = VIPER_OK;
    if (in->flags & VIPERFS_INODE_INLINE) {
        in->size = size;
        return VIPER_OK;
    }
    for (int i = 0; i < VIPERFS_NDIRECT && rc == VIPER_OK; i++)
        rc = free_tree(ino, in, &in->direct[i], 0, (uint64_t)i, keep, &ch);
    if (rc == VIPER_OK)
        rc = free_tree(ino, in, &in->indirect, 1, VIPERFS_NDIRECT, keep, &ch);
    if (rc == VIPER_OK)
        rc = free_tree(ino, in, &in->dindirect, 2, VIPERFS_NDIRECT + PTRS, keep, &ch);
    if (rc == VIPER_OK)
        rc = free_tree(ino, in, &in->tindirect, 3, VIPERFS_NDIRECT + PTRS + (uint64_t)PTRS * PTRS,
                       keep, &ch);
    if (rc != VIPER_OK)
        return rc;
    /* the kept part of the last block reads as zeros if the file grows again */
    uint32_t blk;
    if (size % VIPERFS_BLOCK_SIZE && size < in->size &&
        inode_bmap(ino, in, size / VIPERFS_BLOCK_SIZE, &blk) == VIPER_OK && blk) {
        struct buf *b = bget(blk);
        if (!b)
            return VIPER_ERR_IO;
        memset(b->data->bytes + size % VIPERFS_BLOCK_SIZE, 0,
               VIPERFS_BLOCK_SIZE - size % VIPERFS_BLOCK_SIZE);
        bdata(b);
        bput(b);
    }
    in->size = size;
    in->mtime = in->ctime = fsd_now();
    return VIPER_OK;
}

int inode_free(uint32_t ino)
{
    struct viperfs_inode in;
    int rc = inode_get(ino, &in);
    if (rc == VIPER_OK)
        rc = inode_truncate(ino, &in, 0);
    if (rc != VIPER_OK)
        return rc;
    uint32_t generation = in.generation;
    memset(&in, 0, sizeof(in));
    in.generation = generation;
    if ((rc = inode_put(ino, &in)) != VIPER_OK ||
        (rc = bitmap_clear(fs.sb.ibitmap_start, VIPERFS_IBITMAP_MAGIC, ino)) != VIPER_OK)
        return rc;
    fs.sb.free_inodes += fs.sb.free_inodes < fs.sb.inode_count;
    super_changed = true;
    return VIPER_OK;
}

int fsd_commit(void)
{
    if (super_changed) {
        struct buf *b = bget(0);
        if (!b) {
            txn_abort();
            return VIPER_ERR_IO;
        }
        fs.sb.write_time = fsd_now();
        viperfs_super_seal(&fs.sb);
        memcpy(&b->data->super, &fs.sb, sizeof(fs.sb));
        bmeta(b);
        bput(b);
        super_changed = false;
    }
    return txn_commit();
}

void fsd_abort(void)
{
    super_changed = false;
    txn_abort();
    struct buf *b = bget(0);
    if (b) {
        memcpy(&fs.sb, &b->data->super, sizeof(fs.sb));
        bput(b);
    }
}

void super_dirty(void)
{
    super_changed = true;
}
