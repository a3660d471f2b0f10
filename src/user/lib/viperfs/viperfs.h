/*
 * viperfs/viperfs.h - pure ViperFS code: checksums, checks, block mapping,
 * directory blocks, a read-only tree walker and the journal.
 *
 * The same .c files build into fsd (over its block cache) and into the host
 * tools (over an image file), so they use only memcpy/memset/memcmp/strlen
 * and reach the disk only through struct viperfs_dev.  Every value read from
 * disk is checked before it is used: a bad one gives VIPER_ERR_BAD_FORMAT
 * (fsd's EIO), never an out-of-range access.  Functions return VIPER_OK or a
 * negative VIPER_ERR_* code; `why` out-parameters (may be NULL) get a short
 * static reason for fsck's messages.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <viper/errors.h>
#include <viperfs/format.h>

/* A block device: 4 KiB blocks, numbered 0 .. nblocks-1. */
struct viperfs_dev {
    void *ctx;
    uint32_t nblocks;
    int (*read)(void *ctx, uint32_t blockno, union viperfs_block *out);
    int (*write)(void *ctx, uint32_t blockno, const union viperfs_block *in);
    int (*flush)(void *ctx);    /* earlier writes are durable when it returns */
};

/* An open filesystem: a checked superblock and scratch space (not thread-safe). */
struct viperfs {
    struct viperfs_dev *dev;
    struct viperfs_super sb;
    /* What viperfs_namei looks names and inodes up with; NULL (viperfs_open sets both so) is
     * the library's own viperfs_lookup and viperfs_read_inode, which copy and check every
     * block they read.  A caller that keeps checked blocks in a cache (fsd) puts in its own,
     * with the same results and errors. */
    int (*lookup)(uint32_t dir, const char *name, size_t len, uint32_t *ino);
    int (*get_inode)(uint32_t ino, struct viperfs_inode *out);
    union viperfs_block meta;   /* inode table, indirect and directory blocks */
    union viperfs_block data;   /* file data for partial reads; the journal's second buffer */
};

/* ---- crc32c.c ---- */
uint32_t viperfs_crc32c_update(uint32_t state, const void *p, size_t n);  /* raw, state starts at ~0 */
uint32_t viperfs_crc32c(const void *p, size_t n);
/* CRC32C of n bytes with the 4 bytes at field_off read as zero (how every checksum is taken). */
uint32_t viperfs_crc_skip(const void *p, size_t n, size_t field_off);

/* ---- check.c: superblock, block headers, inodes, bitmaps ---- */
int viperfs_super_check(const struct viperfs_super *sb, uint32_t dev_blocks, const char **why);
void viperfs_super_seal(struct viperfs_super *sb);
/* Fill in a metadata block's header and checksum. */
void viperfs_block_seal(union viperfs_block *b, uint32_t magic, uint32_t blockno, uint32_t tag);
int viperfs_block_check(const union viperfs_block *b, uint32_t magic, uint32_t blockno,
                        const char **why);
/* Is b a block that may hold file data, directory or indirect blocks?  (Inline, like
 * viperfs_inode_locate: fsd's read path runs both on every read.) */
static inline bool viperfs_data_block_ok(const struct viperfs_super *sb, uint32_t b)
{
    uint32_t end = sb->block_count - ((sb->feature_compat & VIPERFS_COMPAT_BACKUP_SB) ? 1 : 0);
    return b >= sb->data_start && b < end;
}
/* Blocks below data_start, the backup superblock: never free. */
bool viperfs_block_reserved(const struct viperfs_super *sb, uint32_t b);
void viperfs_inode_seal(struct viperfs_inode *in);
/* A used inode's checksum, type, flags, size and block pointers. */
int viperfs_inode_check(const struct viperfs_super *sb, const struct viperfs_inode *in,
                        const char **why);
/* Where inode ino lives: block number and index within the block. */
static inline int viperfs_inode_locate(const struct viperfs_super *sb, uint32_t ino,
                                       uint32_t *blockno, uint32_t *index)
{
    if (ino == 0 || ino >= sb->inode_count)
        return VIPER_ERR_OUT_OF_RANGE;
    *blockno = sb->itable_start + ino / VIPERFS_INODES_PER_BLOCK;
    *index = ino % VIPERFS_INODES_PER_BLOCK;
    return VIPER_OK;
}
uint32_t viperfs_mode_to_ft(uint16_t mode);   /* VIPERFS_FT_* or 0 */
bool viperfs_bit_get(const union viperfs_block *b, uint32_t bit);
void viperfs_bit_set(union viperfs_block *b, uint32_t bit, bool on);

/* ---- dir.c: directory blocks ---- */
struct viperfs_dentry {
    uint32_t ino;
    uint8_t type;
    uint8_t name_len;
    uint16_t rec_len;
    uint32_t off;               /* of the entry in its block */
    const char *name;           /* points into the block; not NUL-terminated */
};
bool viperfs_name_ok(const char *name, size_t len);
void viperfs_dirblock_init(union viperfs_block *b);   /* one free entry; seal it after */
/* Header, checksum and every entry's layout. */
int viperfs_dirblock_check(const union viperfs_block *b, uint32_t blockno, uint32_t dir_ino,
                           const char **why);
/* Step through a checked block: *off starts at 0; returns 1 with an entry, 0 at the end.
 * Free entries (ino 0) are skipped. */
int viperfs_dirblock_next(const union viperfs_block *b, uint32_t *off, struct viperfs_dentry *e);
/* Add a name (caller checked it is new); VIPER_ERR_LIMIT if the block has no room. */
int viperfs_dirblock_add(union viperfs_block *b, const char *name, size_t len, uint32_t ino,
                         uint8_t type);
/* Remove the entry at off (from viperfs_dirblock_next). */
int viperfs_dirblock_remove(union viperfs_block *b, uint32_t off);

/* ---- fs.c: an open filesystem, read-only ---- */
/* Read and check the superblock (no journal replay: see viperfs_journal_replay). */
int viperfs_open(struct viperfs *fs, struct viperfs_dev *dev, const char **why);
int viperfs_read_inode(struct viperfs *fs, uint32_t ino, struct viperfs_inode *out, const char **why);
/* Disk block of file block fblock (0 for a hole). */
int viperfs_bmap(struct viperfs *fs, uint32_t ino, const struct viperfs_inode *in, uint64_t fblock,
                 uint32_t *out);
/* Read up to len bytes at off (clamped to the size); *got is what was read. */
int viperfs_read(struct viperfs *fs, uint32_t ino, const struct viperfs_inode *in, uint64_t off,
                 void *buf, size_t len, size_t *got);
/* A symlink's target, NUL-terminated; cap must be > VIPERFS_SYMLINK_MAX. */
int viperfs_readlink(struct viperfs *fs, uint32_t ino, const struct viperfs_inode *in, char *buf,
                     size_t cap);
/* Call fn for each entry of directory dir (stops early when fn returns non-zero, which is returned). */
typedef int (*viperfs_dir_fn)(void *arg, const struct viperfs_dentry *e);
int viperfs_dir_iterate(struct viperfs *fs, uint32_t dir, const struct viperfs_inode *in,
                        viperfs_dir_fn fn, void *arg);
int viperfs_lookup(struct viperfs *fs, uint32_t dir, const char *name, size_t len, uint32_t *ino);
/* Resolve an absolute or root-relative path; symlinks are followed (the last one only
 * if follow_last), at most 8 per call.  NOT_FOUND, INVALID (a component before the last is
 * not a directory: ENOTDIR), BAD_FORMAT, LIMIT (a symlink loop, or the path is too long). */
int viperfs_namei(struct viperfs *fs, const char *path, bool follow_last, uint32_t *ino);

/* ---- journal.c ---- */
struct viperfs_journal {
    uint32_t start;             /* journal_start: the journal superblock */
    uint32_t log_blocks;        /* ring size */
    uint32_t first, seq;        /* oldest live transaction (as on disk) */
    uint32_t head, next_seq;    /* where and with which number the next one goes */
};
/* mkfs: a fresh journal superblock in b. */
void viperfs_journal_format(const struct viperfs_super *sb, union viperfs_block *b);
int viperfs_journal_load(struct viperfs *fs, struct viperfs_journal *j, const char **why);
/* Replay committed transactions, then record that they are done; *count = how many. */
int viperfs_journal_replay(struct viperfs *fs, struct viperfs_journal *j, uint32_t *count);
/* Log one transaction (copies of blocks[i] for targets[i]) and flush.  After this the
 * caller writes the home blocks, then calls viperfs_journal_checkpoint. */
int viperfs_journal_commit(struct viperfs *fs, struct viperfs_journal *j, uint32_t count,
                           const uint32_t *targets, const union viperfs_block *const *blocks,
                           uint64_t now);
/* Flush, then move the journal superblock past every committed transaction. */
int viperfs_journal_checkpoint(struct viperfs *fs, struct viperfs_journal *j);
/* Rewrite an empty journal (fsck, when the journal superblock is damaged). */
int viperfs_journal_reset(struct viperfs *fs);
