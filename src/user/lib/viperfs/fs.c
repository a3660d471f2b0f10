/*
 * viperfs/fs.c - reading an open filesystem: inodes, block mapping, file
 * contents, symlinks, directories and path lookup.
 *
 * Nothing here writes, so the host tools, fsck and the fuzzer share it with
 * fsd.  Each step re-checks what it reads (an indirect block's header, its
 * owner and every pointer) instead of trusting an earlier pass, so a
 * corrupt image costs at most an error for the file that needs the bad
 * block.  The scratch blocks in struct viperfs make it single-threaded:
 * fs->meta for inode table, indirect and directory blocks, fs->data for
 * file contents.
 */
#include <string.h>
#include <viper/errors.h>
#include <viperfs/viperfs.h>

#define PTRS VIPERFS_PTRS_PER_BLOCK
#define MAX_SYMLINKS 8
#define PATH_MAX_LEN 4095

int viperfs_open(struct viperfs *fs, struct viperfs_dev *dev, const char **why)
{
    fs->dev = dev;
    fs->lookup = NULL;
    fs->get_inode = NULL;
    if (dev->nblocks == 0 || dev->read(dev->ctx, 0, &fs->meta) != VIPER_OK) {
        if (why)
            *why = "cannot read the superblock";
        return VIPER_ERR_IO;
    }
    memcpy(&fs->sb, &fs->meta.super, sizeof(fs->sb));
    return viperfs_super_check(&fs->sb, dev->nblocks, why);
}

int viperfs_read_inode(struct viperfs *fs, uint32_t ino, struct viperfs_inode *out, const char **why)
{
    uint32_t blockno, index;
    if (viperfs_inode_locate(&fs->sb, ino, &blockno, &index) != VIPER_OK) {
        if (why)
            *why = "inode number out of range";
        return VIPER_ERR_BAD_FORMAT;
    }
    if (fs->dev->read(fs->dev->ctx, blockno, &fs->meta) != VIPER_OK) {
        if (why)
            *why = "cannot read the inode table";
        return VIPER_ERR_IO;
    }
    memcpy(out, &fs->meta.inodes[index], sizeof(*out));
    return viperfs_inode_check(&fs->sb, out, why);
}

/* Read indirect block blk of inode ino into fs->meta and check it. */
static int read_indirect(struct viperfs *fs, uint32_t ino, uint32_t blk)
{
    if (!viperfs_data_block_ok(&fs->sb, blk))
        return VIPER_ERR_BAD_FORMAT;
    if (fs->dev->read(fs->dev->ctx, blk, &fs->meta) != VIPER_OK)
        return VIPER_ERR_IO;
    if (viperfs_block_check(&fs->meta, VIPERFS_INDIRECT_MAGIC, blk, NULL) != VIPER_OK ||
        fs->meta.hdr.tag != ino)
        return VIPER_ERR_BAD_FORMAT;
    return VIPER_OK;
}

int viperfs_bmap(struct viperfs *fs, uint32_t ino, const struct viperfs_inode *in, uint64_t fblock,
                 uint32_t *out)
{
    uint32_t blk;
    int depth;
    if (in->flags & VIPERFS_INODE_INLINE)
        return VIPER_ERR_INVALID;
    if (fblock < VIPERFS_NDIRECT) {
        blk = in->direct[fblock];
        depth = 0;
    } else if ((fblock -= VIPERFS_NDIRECT) < PTRS) {
        blk = in->indirect;
        depth = 1;
    } else if ((fblock -= PTRS) < (uint64_t)PTRS * PTRS) {
        blk = in->dindirect;
        depth = 2;
    } else if ((fblock -= (uint64_t)PTRS * PTRS) < (uint64_t)PTRS * PTRS * PTRS) {
        blk = in->tindirect;
        depth = 3;
    } else {
        return VIPER_ERR_OUT_OF_RANGE;
    }
    for (int level = depth - 1; level >= 0 && blk != 0; level--) {
        uint64_t span = level == 2 ? (uint64_t)PTRS * PTRS : level == 1 ? PTRS : 1;
        int rc = read_indirect(fs, ino, blk);
        if (rc != VIPER_OK)
            return rc;
        blk = fs->meta.ind.ptr[(fblock / span) % PTRS];
    }
    if (blk != 0 && !viperfs_data_block_ok(&fs->sb, blk))
        return VIPER_ERR_BAD_FORMAT;
    *out = blk;
    return VIPER_OK;
}

int viperfs_read(struct viperfs *fs, uint32_t ino, const struct viperfs_inode *in, uint64_t off,
                 void *buf, size_t len, size_t *got)
{
    uint8_t *dst = buf;
    *got = 0;
    if (off >= in->size)
        return VIPER_OK;
    if (len > in->size - off)
        len = (size_t)(in->size - off);
    while (len > 0) {
        uint32_t boff = (uint32_t)(off % VIPERFS_BLOCK_SIZE), blk;
        size_t chunk = VIPERFS_BLOCK_SIZE - boff;
        if (chunk > len)
            chunk = len;
        int rc = viperfs_bmap(fs, ino, in, off / VIPERFS_BLOCK_SIZE, &blk);
        if (rc != VIPER_OK)
            return rc;
        if (blk == 0) {
            memset(dst, 0, chunk);
        } else {
            if (fs->dev->read(fs->dev->ctx, blk, &fs->data) != VIPER_OK)
                return VIPER_ERR_IO;
            memcpy(dst, fs->data.bytes + boff, chunk);
        }
        dst += chunk;
        off += chunk;
        len -= chunk;
        *got += chunk;
    }
    return VIPER_OK;
}

int viperfs_readlink(struct viperfs *fs, uint32_t ino, const struct viperfs_inode *in, char *buf,
                     size_t cap)
{
    size_t got;
    if ((in->mode & VIPERFS_S_IFMT) != VIPERFS_S_IFLNK || in->size > VIPERFS_SYMLINK_MAX ||
        cap <= in->size)
        return VIPER_ERR_INVALID;
    if (in->flags & VIPERFS_INODE_INLINE) {
        memcpy(buf, (const uint8_t *)in + offsetof(struct viperfs_inode, direct), in->size);
        got = in->size;
    } else {
        int rc = viperfs_read(fs, ino, in, 0, buf, in->size, &got);
        if (rc != VIPER_OK)
            return rc;
    }
    buf[got] = '\0';
    if (got != in->size || strlen(buf) != got)
        return VIPER_ERR_BAD_FORMAT;  /* a hole or a NUL inside the target */
    return VIPER_OK;
}

int viperfs_dir_iterate(struct viperfs *fs, uint32_t dir, const struct viperfs_inode *in,
                        viperfs_dir_fn fn, void *arg)
{
    if ((in->mode & VIPERFS_S_IFMT) != VIPERFS_S_IFDIR)
        return VIPER_ERR_INVALID;
    uint64_t nblocks = in->size / VIPERFS_BLOCK_SIZE;
    for (uint64_t fb = 0; fb < nblocks; fb++) {
        uint32_t blk, off = 0;
        struct viperfs_dentry e;
        int rc = viperfs_bmap(fs, dir, in, fb, &blk);
        if (rc != VIPER_OK)
            return rc;
        if (blk == 0)
            return VIPER_ERR_BAD_FORMAT;   /* directories have no holes */
        if (fs->dev->read(fs->dev->ctx, blk, &fs->data) != VIPER_OK)
            return VIPER_ERR_IO;
        if (viperfs_dirblock_check(&fs->data, blk, dir, NULL) != VIPER_OK)
            return VIPER_ERR_BAD_FORMAT;
        while ((rc = viperfs_dirblock_next(&fs->data, &off, &e)) == 1) {
            if (e.ino >= fs->sb.inode_count)
                return VIPER_ERR_BAD_FORMAT;
            if ((rc = fn(arg, &e)) != 0)
                return rc;
        }
        if (rc < 0)
            return rc;
    }
    return VIPER_OK;
}

struct lookup_arg {
    const char *name;
    size_t len;
    uint32_t ino;
};

static int lookup_match(void *arg, const struct viperfs_dentry *e)
{
    struct lookup_arg *a = arg;
    if (e->name_len != a->len || memcmp(e->name, a->name, a->len) != 0)
        return 0;
    a->ino = e->ino;
    return 1;
}

int viperfs_lookup(struct viperfs *fs, uint32_t dir, const char *name, size_t len, uint32_t *ino)
{
    struct viperfs_inode in;
    struct lookup_arg a = { name, len, 0 };
    int rc = viperfs_read_inode(fs, dir, &in, NULL);
    if (rc != VIPER_OK)
        return rc;
    rc = viperfs_dir_iterate(fs, dir, &in, lookup_match, &a);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return VIPER_ERR_NOT_FOUND;
    *ino = a.ino;
    return VIPER_OK;
}

/* Replace path with target + "/" + rest (rest points into path). */
static int splice_link(char *path, const char *target, const char *rest)
{
    char tmp[PATH_MAX_LEN + 1];
    size_t tl = strlen(target), rl = strlen(rest);
    if (tl + 1 + rl > PATH_MAX_LEN)
        return VIPER_ERR_LIMIT;
    memcpy(tmp, target, tl);
    tmp[tl] = '/';
    memcpy(tmp + tl + 1, rest, rl + 1);
    memcpy(path, tmp, tl + rl + 2);
    return VIPER_OK;
}

int viperfs_namei(struct viperfs *fs, const char *path, bool follow_last, uint32_t *ino)
{
    char buf[PATH_MAX_LEN + 1], target[VIPERFS_SYMLINK_MAX + 1];
    uint32_t cur = fs->sb.root_ino;
    int links = 0;
    if (strnlen(path, sizeof(buf)) > PATH_MAX_LEN)
        return VIPER_ERR_LIMIT;
    memcpy(buf, path, strlen(path) + 1);
    for (const char *p = buf;;) {
        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        const char *end = p;
        while (*end && *end != '/')
            end++;
        size_t len = (size_t)(end - p);
        const char *rest = end;
        while (*rest == '/')
            rest++;
        if (len == 1 && p[0] == '.') {
            p = rest;
            continue;
        }
        uint32_t child;
        struct viperfs_inode in;
        int rc = fs->lookup ? fs->lookup(cur, p, len, &child)
                            : viperfs_lookup(fs, cur, p, len, &child);
        if (rc == VIPER_OK)
            rc = fs->get_inode ? fs->get_inode(child, &in) : viperfs_read_inode(fs, child, &in, NULL);
        if (rc != VIPER_OK)
            return rc == VIPER_ERR_NOT_FOUND && len > VIPERFS_NAME_MAX ? VIPER_ERR_LIMIT : rc;
        bool last = *rest == '\0';
        if ((in.mode & VIPERFS_S_IFMT) == VIPERFS_S_IFLNK && (!last || follow_last)) {
            if (++links > MAX_SYMLINKS)
                return VIPER_ERR_LIMIT;
            if ((rc = viperfs_readlink(fs, child, &in, target, sizeof(target))) != VIPER_OK)
                return rc;
            if (target[0] == '/')
                cur = fs->sb.root_ino;
            if ((rc = splice_link(buf, target, rest)) != VIPER_OK)
                return rc;
            p = buf;
            continue;
        }
        if (!last && (in.mode & VIPERFS_S_IFMT) != VIPERFS_S_IFDIR)
            return VIPER_ERR_INVALID;   /* ENOTDIR */
        cur = child;
        p = rest;
    }
    *ino = cur;
    return VIPER_OK;
}
