/*
 * viperfs/check.c - is this superblock, block or inode well-formed?
 *
 * Everything fsd and the host tools read from disk passes one of these
 * checks before any field of it is used as a size, an index or a block
 * number.  The superblock check pins the layout down exactly (regions in
 * order, no gaps), so a checked superblock bounds every later access.
 * Sums are taken in 64 bits so that hostile 32-bit fields cannot wrap.
 */
#include <viper/errors.h>
#include <viperfs/viperfs.h>

static int fail(const char **why, const char *reason, int err)
{
    if (why)
        *why = reason;
    return err;
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

static int super_layout_check(const struct viperfs_super *sb, const char **why)
{
    uint64_t bbitmap = (uint64_t)sb->journal_start + sb->journal_blocks;
    uint64_t ibitmap = bbitmap + sb->bbitmap_blocks;
    uint64_t itable = ibitmap + sb->ibitmap_blocks;
    uint64_t data = itable + sb->itable_blocks;

    if (sb->journal_start != 1 || sb->journal_blocks < VIPERFS_JOURNAL_MIN)
        return fail(why, "bad journal location", VIPER_ERR_BAD_FORMAT);
    if (sb->bbitmap_start != bbitmap || sb->ibitmap_start != ibitmap ||
        sb->itable_start != itable || sb->data_start != data)
        return fail(why, "regions out of order", VIPER_ERR_BAD_FORMAT);
    if (sb->bbitmap_blocks < div_up(sb->block_count, VIPERFS_BITMAP_BITS) ||
        sb->ibitmap_blocks < div_up(sb->inode_count, VIPERFS_BITMAP_BITS))
        return fail(why, "bitmaps too small", VIPER_ERR_BAD_FORMAT);
    if ((uint64_t)sb->itable_blocks * VIPERFS_INODES_PER_BLOCK != sb->inode_count)
        return fail(why, "inode table size does not match inode count", VIPER_ERR_BAD_FORMAT);
    /* room for the root directory's block, and the backup superblock */
    if (data + 2 > sb->block_count)
        return fail(why, "no data blocks", VIPER_ERR_BAD_FORMAT);
    return VIPER_OK;
}

int viperfs_super_check(const struct viperfs_super *sb, uint32_t dev_blocks, const char **why)
{
    if (sb->magic != VIPERFS_MAGIC)
        return fail(why, "bad magic", VIPER_ERR_BAD_FORMAT);
    if (viperfs_crc_skip(sb, sizeof(*sb), offsetof(struct viperfs_super, crc)) != sb->crc)
        return fail(why, "bad superblock checksum", VIPER_ERR_BAD_FORMAT);
    if (sb->version != VIPERFS_VERSION)
        return fail(why, "unknown version", VIPER_ERR_NOT_SUPPORTED);
    if (sb->feature_incompat & ~VIPERFS_INCOMPAT_KNOWN)
        return fail(why, "unknown incompatible feature", VIPER_ERR_NOT_SUPPORTED);
    if (sb->block_size != VIPERFS_BLOCK_SIZE)
        return fail(why, "block size is not 4096", VIPER_ERR_BAD_FORMAT);
    if (sb->block_count > dev_blocks)
        return fail(why, "filesystem larger than the device", VIPER_ERR_BAD_FORMAT);
    if (sb->inode_count < VIPERFS_INODES_PER_BLOCK || sb->inode_count % VIPERFS_INODES_PER_BLOCK)
        return fail(why, "bad inode count", VIPER_ERR_BAD_FORMAT);
    if (sb->root_ino != VIPERFS_ROOT_INO)
        return fail(why, "bad root inode", VIPER_ERR_BAD_FORMAT);
    if (sb->free_blocks > sb->block_count || sb->free_inodes > sb->inode_count)
        return fail(why, "free counts out of range", VIPER_ERR_BAD_FORMAT);
    return super_layout_check(sb, why);
}

void viperfs_super_seal(struct viperfs_super *sb)
{
    sb->crc = viperfs_crc_skip(sb, sizeof(*sb), offsetof(struct viperfs_super, crc));
}

void viperfs_block_seal(union viperfs_block *b, uint32_t magic, uint32_t blockno, uint32_t tag)
{
    b->hdr.magic = magic;
    b->hdr.blockno = blockno;
    b->hdr.tag = tag;
    b->hdr.crc = viperfs_crc_skip(b->bytes, VIPERFS_BLOCK_SIZE, offsetof(struct viperfs_bhdr, crc));
}

int viperfs_block_check(const union viperfs_block *b, uint32_t magic, uint32_t blockno,
                        const char **why)
{
    if (b->hdr.magic != magic)
        return fail(why, "wrong block kind", VIPER_ERR_BAD_FORMAT);
    if (b->hdr.blockno != blockno)
        return fail(why, "block written to the wrong place", VIPER_ERR_BAD_FORMAT);
    if (viperfs_crc_skip(b->bytes, VIPERFS_BLOCK_SIZE, offsetof(struct viperfs_bhdr, crc)) !=
        b->hdr.crc)
        return fail(why, "bad block checksum", VIPER_ERR_BAD_FORMAT);
    return VIPER_OK;
}

bool viperfs_block_reserved(const struct viperfs_super *sb, uint32_t b)
{
    return b < sb->block_count && !viperfs_data_block_ok(sb, b);
}

void viperfs_inode_seal(struct viperfs_inode *in)
{
    in->crc = viperfs_crc_skip(in, sizeof(*in), offsetof(struct viperfs_inode, crc));
}

uint32_t viperfs_mode_to_ft(uint16_t mode)
{
    switch (mode & VIPERFS_S_IFMT) {
    case VIPERFS_S_IFREG: return VIPERFS_FT_REG;
    case VIPERFS_S_IFDIR: return VIPERFS_FT_DIR;
    case VIPERFS_S_IFLNK: return VIPERFS_FT_SYMLINK;
    default: return 0;
    }
}

static int inode_pointers_check(const struct viperfs_super *sb, const struct viperfs_inode *in,
                                const char **why)
{
    for (int i = 0; i < VIPERFS_NDIRECT; i++)
        if (in->direct[i] && !viperfs_data_block_ok(sb, in->direct[i]))
            return fail(why, "direct block out of range", VIPER_ERR_BAD_FORMAT);
    if ((in->indirect && !viperfs_data_block_ok(sb, in->indirect)) ||
        (in->dindirect && !viperfs_data_block_ok(sb, in->dindirect)) ||
        (in->tindirect && !viperfs_data_block_ok(sb, in->tindirect)))
        return fail(why, "indirect block out of range", VIPER_ERR_BAD_FORMAT);
    return VIPER_OK;
}

static int symlink_check(const struct viperfs_inode *in, const char **why)
{
    bool is_inline = in->flags & VIPERFS_INODE_INLINE;
    if (in->size == 0 || in->size > VIPERFS_SYMLINK_MAX)
        return fail(why, "bad symlink length", VIPER_ERR_BAD_FORMAT);
    if (is_inline != (in->size <= VIPERFS_INLINE_MAX))
        return fail(why, "symlink inline flag does not match its length", VIPER_ERR_BAD_FORMAT);
    if (!is_inline && (in->direct[0] == 0 || in->direct[1] || in->indirect || in->dindirect ||
                       in->tindirect))
        return fail(why, "symlink blocks wrong", VIPER_ERR_BAD_FORMAT);
    return VIPER_OK;
}

int viperfs_inode_check(const struct viperfs_super *sb, const struct viperfs_inode *in,
                        const char **why)
{
    if (in->mode == 0)
        return fail(why, "inode is free", VIPER_ERR_NOT_FOUND);
    if (viperfs_crc_skip(in, sizeof(*in), offsetof(struct viperfs_inode, crc)) != in->crc)
        return fail(why, "bad inode checksum", VIPER_ERR_BAD_FORMAT);
    if (viperfs_mode_to_ft(in->mode) == 0)
        return fail(why, "bad inode type", VIPER_ERR_BAD_FORMAT);
    if (in->flags & ~VIPERFS_INODE_FLAGS_KNOWN)
        return fail(why, "unknown inode flags", VIPER_ERR_BAD_FORMAT);
    if ((in->mode & VIPERFS_S_IFMT) == VIPERFS_S_IFLNK) {
        int rc = symlink_check(in, why);
        if (rc != VIPER_OK || (in->flags & VIPERFS_INODE_INLINE))
            return rc;
    } else if (in->flags & VIPERFS_INODE_INLINE) {
        return fail(why, "inline flag on a non-symlink", VIPER_ERR_BAD_FORMAT);
    }
    if ((in->mode & VIPERFS_S_IFMT) == VIPERFS_S_IFDIR &&
        (in->size == 0 || in->size % VIPERFS_BLOCK_SIZE ||
         in->size / VIPERFS_BLOCK_SIZE > sb->block_count))
        return fail(why, "bad directory size", VIPER_ERR_BAD_FORMAT);
    return inode_pointers_check(sb, in, why);
}

bool viperfs_bit_get(const union viperfs_block *b, uint32_t bit)
{
    return (b->bitmap.bits[bit / 8] >> (bit % 8)) & 1;
}

void viperfs_bit_set(union viperfs_block *b, uint32_t bit, bool on)
{
    uint8_t mask = (uint8_t)(1u << (bit % 8));
    if (on)
        b->bitmap.bits[bit / 8] |= mask;
    else
        b->bitmap.bits[bit / 8] &= (uint8_t)~mask;
}
