/*
 * viperfs/dir.c - directory blocks: variable-length entries after the header.
 *
 * Entries tile bytes 16..4095 of the block exactly; each rec_len reaches
 * the next entry.  A free entry (ino 0) only holds space.  Removing merges
 * an entry into the one before it; adding splits the slack off an entry
 * whose rec_len is longer than its name needs.  The fixed part of an entry
 * is copied out with memcpy because entries sit at any 4-byte offset.
 */
#include <string.h>
#include <viper/errors.h>
#include <viperfs/viperfs.h>

#define DIR_END VIPERFS_BLOCK_SIZE

static uint32_t dirent_need(uint32_t name_len)
{
    return (VIPERFS_DIRENT_HDR + name_len + 3) & ~3u;
}

static void dirent_get(const union viperfs_block *b, uint32_t off, struct viperfs_dirent *d)
{
    memcpy(d, b->bytes + off, sizeof(*d));
}

static void dirent_put(union viperfs_block *b, uint32_t off, const struct viperfs_dirent *d)
{
    memcpy(b->bytes + off, d, sizeof(*d));
}

bool viperfs_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > VIPERFS_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (name[i] == '/' || name[i] == '\0')
            return false;
    return true;
}

void viperfs_dirblock_init(union viperfs_block *b)
{
    struct viperfs_dirent d = { .ino = 0, .rec_len = DIR_END - VIPERFS_HDR_SIZE };
    memset(b, 0, sizeof(*b));
    dirent_put(b, VIPERFS_HDR_SIZE, &d);
}

/* The entry at off, if its layout is sound (the checks every walk needs). */
static int dirent_at(const union viperfs_block *b, uint32_t off, struct viperfs_dirent *d)
{
    if (off + VIPERFS_DIRENT_HDR > DIR_END)
        return VIPER_ERR_BAD_FORMAT;
    dirent_get(b, off, d);
    if (d->rec_len < VIPERFS_DIRENT_HDR || d->rec_len % 4 || off + d->rec_len > DIR_END)
        return VIPER_ERR_BAD_FORMAT;
    if (d->ino != 0 && d->rec_len < dirent_need(d->name_len))
        return VIPER_ERR_BAD_FORMAT;
    return VIPER_OK;
}

int viperfs_dirblock_check(const union viperfs_block *b, uint32_t blockno, uint32_t dir_ino,
                           const char **why)
{
    int rc = viperfs_block_check(b, VIPERFS_DIR_MAGIC, blockno, why);
    if (rc != VIPER_OK)
        return rc;
    if (b->hdr.tag != dir_ino) {
        if (why)
            *why = "directory block belongs to another inode";
        return VIPER_ERR_BAD_FORMAT;
    }
    for (uint32_t off = VIPERFS_HDR_SIZE; off < DIR_END;) {
        struct viperfs_dirent d;
        if (dirent_at(b, off, &d) != VIPER_OK) {
            if (why)
                *why = "bad directory entry length";
            return VIPER_ERR_BAD_FORMAT;
        }
        if (d.ino != 0 && (!viperfs_name_ok((const char *)b->bytes + off + VIPERFS_DIRENT_HDR,
                                            d.name_len) ||
                           (d.type != VIPERFS_FT_REG && d.type != VIPERFS_FT_DIR &&
                            d.type != VIPERFS_FT_SYMLINK))) {
            if (why)
                *why = "bad directory entry name or type";
            return VIPER_ERR_BAD_FORMAT;
        }
        off += d.rec_len;
    }
    return VIPER_OK;
}

int viperfs_dirblock_next(const union viperfs_block *b, uint32_t *off, struct viperfs_dentry *e)
{
    if (*off == 0)
        *off = VIPERFS_HDR_SIZE;
    while (*off < DIR_END) {
        struct viperfs_dirent d;
        uint32_t at = *off;
        if (dirent_at(b, at, &d) != VIPER_OK)
            return VIPER_ERR_BAD_FORMAT;
        *off += d.rec_len;
        if (d.ino == 0)
            continue;
        e->ino = d.ino;
        e->type = d.type;
        e->name_len = d.name_len;
        e->rec_len = d.rec_len;
        e->off = at;
        e->name = (const char *)b->bytes + at + VIPERFS_DIRENT_HDR;
        return 1;
    }
    return 0;
}

int viperfs_dirblock_add(union viperfs_block *b, const char *name, size_t len, uint32_t ino,
                         uint8_t type)
{
    if (!viperfs_name_ok(name, len) || ino == 0)
        return VIPER_ERR_INVALID;
    uint32_t need = dirent_need((uint32_t)len);
    for (uint32_t off = VIPERFS_HDR_SIZE; off < DIR_END;) {
        struct viperfs_dirent d;
        if (dirent_at(b, off, &d) != VIPER_OK)
            return VIPER_ERR_BAD_FORMAT;
        uint32_t used = d.ino ? dirent_need(d.name_len) : 0;
        if (d.rec_len - used >= need) {
            struct viperfs_dirent n = { ino, (uint16_t)(d.rec_len - used), (uint8_t)len, type };
            if (used) {
                d.rec_len = (uint16_t)used;
                dirent_put(b, off, &d);
            }
            dirent_put(b, off + used, &n);
            memcpy(b->bytes + off + used + VIPERFS_DIRENT_HDR, name, len);
            return VIPER_OK;
        }
        off += d.rec_len;
    }
    return VIPER_ERR_LIMIT;
}

int viperfs_dirblock_remove(union viperfs_block *b, uint32_t off)
{
    uint32_t prev = 0;
    for (uint32_t at = VIPERFS_HDR_SIZE; at < DIR_END;) {
        struct viperfs_dirent d;
        if (dirent_at(b, at, &d) != VIPER_OK)
            return VIPER_ERR_BAD_FORMAT;
        if (at == off) {
            if (prev == 0) {
                d.ino = 0;
                d.name_len = 0;
                dirent_put(b, at, &d);
            } else {
                struct viperfs_dirent p;
                dirent_get(b, prev, &p);
                p.rec_len = (uint16_t)(p.rec_len + d.rec_len);
                dirent_put(b, prev, &p);
            }
            return VIPER_OK;
        }
        prev = at;
        at += d.rec_len;
    }
    return VIPER_ERR_NOT_FOUND;
}
