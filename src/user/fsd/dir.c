/*
 * fsd/dir.c - directories: lookup, add, remove, re-point "..", emptiness.
 *
 * Everything goes through the block cache.  Each block is checked
 * (viperfs_dirblock_check) before it is read or changed, once while it
 * stays unchanged in the cache, and resealed after a change, inside the
 * running transaction.  A directory grows by
 * whole blocks and never shrinks: a removed entry's space is merged into
 * its neighbour and reused by later adds.
 */
#include <string.h>
#include <viper/errors.h>

#include "fsd.h"

/* Block fb of directory dir, pinned and checked: the whole check (a CRC of 4 KiB and every
 * entry) once while the block stays unchanged in the cache, the owner tag every time. */
static int dir_block(uint32_t dir, const struct viperfs_inode *din, uint64_t fb, struct buf **out)
{
    uint32_t blk;
    int rc = inode_bmap(dir, din, fb, &blk);
    if (rc != VIPER_OK)
        return rc;
    if (blk == 0)
        return VIPER_ERR_BAD_FORMAT;   /* directories have no holes */
    struct buf *b = bget(blk);
    if (!b)
        return VIPER_ERR_IO;
    if (b->checked_magic != VIPERFS_DIR_MAGIC &&
        viperfs_dirblock_check(b->data, blk, b->data->hdr.tag, NULL) == VIPER_OK)
        b->checked_magic = VIPERFS_DIR_MAGIC;
    if (b->checked_magic != VIPERFS_DIR_MAGIC || b->data->hdr.tag != dir) {
        bput(b);
        return VIPER_ERR_BAD_FORMAT;
    }
    *out = b;
    return VIPER_OK;
}

/* Through the cache, as dir_block checks (the library's viperfs_lookup copies and checks
 * the inode and every block it reads on every call). */
int dir_lookup(uint32_t dir, const char *name, size_t len, uint32_t *ino)
{
    struct viperfs_inode din;
    int rc = inode_get(dir, &din);
    if (rc != VIPER_OK)
        return rc;
    if (FSD_TYPE(&din) != VIPERFS_S_IFDIR)
        return VIPER_ERR_INVALID;
    for (uint64_t fb = 0; fb < din.size / VIPERFS_BLOCK_SIZE; fb++) {
        struct buf *b;
        if ((rc = dir_block(dir, &din, fb, &b)) != VIPER_OK)
            return rc;
        uint32_t off = 0;
        struct viperfs_dentry e;
        while ((rc = viperfs_dirblock_next(b->data, &off, &e)) == 1) {
            if (e.ino >= fs.sb.inode_count) {
                rc = VIPER_ERR_BAD_FORMAT;
                break;
            }
            if (e.name_len == len && memcmp(e.name, name, len) == 0) {
                *ino = e.ino;
                bput(b);
                return VIPER_OK;
            }
        }
        bput(b);
        if (rc < 0)
            return rc;
    }
    return VIPER_ERR_NOT_FOUND;
}

static void dir_block_changed(uint32_t dir, struct buf *b)
{
    viperfs_block_seal(b->data, VIPERFS_DIR_MAGIC, b->blockno, dir);
    bmeta(b);
    bput(b);
}

/* A new, empty directory block at file block fb of dir (the caller writes the inode). */
static int dir_grow(uint32_t dir, struct viperfs_inode *din, uint64_t fb, struct buf **out)
{
    uint32_t blk;
    bool fresh;
    int rc = inode_bmap_alloc(dir, din, fb, &blk, &fresh);
    if (rc != VIPER_OK)
        return rc;
    struct buf *b = bget_new(blk);
    if (!b)
        return VIPER_ERR_NO_MEMORY;
    viperfs_dirblock_init(b->data);
    din->size = (fb + 1) * VIPERFS_BLOCK_SIZE;
    *out = b;
    return VIPER_OK;
}

int dir_add(uint32_t dir, struct viperfs_inode *din, const char *name, size_t len, uint32_t ino,
            uint8_t type)
{
    uint64_t nb = din->size / VIPERFS_BLOCK_SIZE;
    struct buf *b;
    int rc;
    for (uint64_t fb = 0; fb < nb; fb++) {
        if ((rc = dir_block(dir, din, fb, &b)) != VIPER_OK)
            return rc;
        rc = viperfs_dirblock_add(b->data, name, len, ino, type);
        if (rc == VIPER_OK) {
            dir_block_changed(dir, b);
            return VIPER_OK;
        }
        bput(b);
        if (rc != VIPER_ERR_LIMIT)
            return rc;
    }
    if ((rc = dir_grow(dir, din, nb, &b)) != VIPER_OK)
        return rc;
    rc = viperfs_dirblock_add(b->data, name, len, ino, type);
    dir_block_changed(dir, b);
    if (rc == VIPER_OK)
        rc = inode_put(dir, din);
    return rc;
}

/* Find name in dir: its block (pinned) and entry. */
static int dir_find(uint32_t dir, const char *name, size_t len, struct buf **out,
                    struct viperfs_dentry *e)
{
    struct viperfs_inode din;
    int rc = inode_get(dir, &din);
    if (rc != VIPER_OK)
        return rc;
    for (uint64_t fb = 0; fb < din.size / VIPERFS_BLOCK_SIZE; fb++) {
        struct buf *b;
        uint32_t off = 0;
        if ((rc = dir_block(dir, &din, fb, &b)) != VIPER_OK)
            return rc;
        while (viperfs_dirblock_next(b->data, &off, e) == 1)
            if (e->name_len == len && memcmp(e->name, name, len) == 0) {
                *out = b;
                return VIPER_OK;
            }
        bput(b);
    }
    return VIPER_ERR_NOT_FOUND;
}

int dir_remove(uint32_t dir, const char *name, size_t len)
{
    struct buf *b;
    struct viperfs_dentry e;
    int rc = dir_find(dir, name, len, &b, &e);
    if (rc != VIPER_OK)
        return rc;
    rc = viperfs_dirblock_remove(b->data, e.off);
    dir_block_changed(dir, b);
    return rc;
}

int dir_set_dotdot(uint32_t dir, uint32_t parent)
{
    struct buf *b;
    struct viperfs_dentry e;
    struct viperfs_dirent d;
    int rc = dir_find(dir, "..", 2, &b, &e);
    if (rc != VIPER_OK)
        return rc;
    memcpy(&d, b->data->bytes + e.off, sizeof(d));
    d.ino = parent;
    memcpy(b->data->bytes + e.off, &d, sizeof(d));
    dir_block_changed(dir, b);
    return VIPER_OK;
}

static int count_entry(void *arg, const struct viperfs_dentry *e)
{
    bool dot = (e->name_len == 1 && e->name[0] == '.') ||
               (e->name_len == 2 && e->name[0] == '.' && e->name[1] == '.');
    if (!dot)
        *(bool *)arg = false;
    return 0;
}

int dir_is_empty(uint32_t dir, bool *empty)
{
    struct viperfs_inode din;
    int rc = inode_get(dir, &din);
    *empty = true;
    return rc != VIPER_OK ? rc : viperfs_dir_iterate(&fs, dir, &din, count_entry, empty);
}

int dir_init(uint32_t dir, struct viperfs_inode *in, uint32_t parent)
{
    struct buf *b;
    int rc = dir_grow(dir, in, 0, &b);
    if (rc != VIPER_OK)
        return rc;
    viperfs_dirblock_add(b->data, ".", 1, dir, VIPERFS_FT_DIR);
    viperfs_dirblock_add(b->data, "..", 2, parent, VIPERFS_FT_DIR);
    dir_block_changed(dir, b);
    return VIPER_OK;
}
