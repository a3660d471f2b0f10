/*
 * fsd/names.c - the operations on names: stat, unlink and rmdir, mkdir, rename,
 * symlink and readlink, and directory listing (READDIR).
 *
 * Same rules as ops.c: every number from the client is checked first, and a
 * changing operation is one transaction (fsd_finish commits or undoes it).
 * Rename is one transaction however much it touches, so it is atomic: the
 * replaced file, the new entry, the old entry, a moved directory's ".." and
 * both parents' link counts change together or not at all.
 */
#include <string.h>
#include <viper/errors.h>

#include "fsd.h"

#define ROOT VIPERFS_ROOT_INO
#define TYPE(in) FSD_TYPE(in)

int op_stat(struct fsd_client *c, const struct fs_request *req, struct fs_reply *rep)
{
    char path[FS_PATH_MAX + 1];
    uint32_t ino;
    struct viperfs_inode in;
    if (req->op == FS_FSTAT) {
        struct ofile *f = fsd_fd(c, req->fd);
        if (!f)
            return FS_ERR_BAD_FD;
        ino = f->ino;
    } else {
        int rc = fsd_get_path(c, req->path_off, req->path_len, path);
        if (rc == VIPER_OK)
            rc = fsd_lookup(path, req->op == FS_STAT, &ino);
        if (rc != VIPER_OK)
            return rc;
    }
    int rc = inode_get(ino, &in);
    if (rc == VIPER_OK)
        fsd_fill_stat(ino, &in, &rep->stat);
    return rc;
}

/* Remove one name of ino from dir; free the inode when no name and no descriptor is left. */
static int drop_name(uint32_t dir, const char *name, size_t len, uint32_t ino)
{
    struct viperfs_inode in, din;
    int rc = dir_remove(dir, name, len);
    if (rc == VIPER_OK)
        rc = inode_get(ino, &in);
    if (rc != VIPER_OK)
        return rc;
    bool is_dir = TYPE(&in) == VIPERFS_S_IFDIR;
    in.links = is_dir ? 0 : (uint16_t)(in.links ? in.links - 1 : 0);
    in.ctime = fsd_now();
    if (is_dir && (rc = inode_get(dir, &din)) == VIPER_OK) {
        din.links -= din.links > 2;
        rc = inode_put(dir, &din);
    }
    if (rc != VIPER_OK)
        return rc;
    if (in.links == 0 && fsd_ref_find(ino) < 0)
        return inode_free(ino);
    return inode_put(ino, &in);
}

int op_unlink(struct fsd_client *c, const struct fs_request *req)
{
    char path[FS_PATH_MAX + 1], name[VIPERFS_NAME_MAX + 1];
    uint32_t dir, ino;
    size_t len;
    struct viperfs_inode in;
    bool empty;
    int rc = fsd_get_path(c, req->path_off, req->path_len, path);
    if (rc == VIPER_OK)
        rc = fsd_parent(path, &dir, name, &len);
    if (rc == VIPER_OK)
        rc = dir_lookup(dir, name, len, &ino);
    if (rc == VIPER_OK)
        rc = inode_get(ino, &in);
    if (rc != VIPER_OK)
        return rc;
    bool is_dir = TYPE(&in) == VIPERFS_S_IFDIR;
    if (is_dir != (req->op == FS_RMDIR))
        return is_dir ? FS_ERR_IS_A_DIR : FS_ERR_NOT_A_DIR;
    if (is_dir && (rc = dir_is_empty(ino, &empty)) != VIPER_OK)
        return rc;
    if (is_dir && !empty)
        return FS_ERR_NOT_EMPTY;
    if (is_dir && fsd_ref_find(ino) >= 0)
        return VIPER_ERR_BUSY;
    return fsd_finish(drop_name(dir, name, len, ino));
}

int op_mkdir(struct fsd_client *c, const struct fs_request *req)
{
    char path[FS_PATH_MAX + 1], name[VIPERFS_NAME_MAX + 1];
    uint32_t dir, ino;
    size_t len;
    struct viperfs_inode in, din;
    int rc = fsd_get_path(c, req->path_off, req->path_len, path);
    if (rc == VIPER_OK)
        rc = fsd_parent(path, &dir, name, &len);
    if (rc != VIPER_OK)
        return rc;
    if (dir_lookup(dir, name, len, &ino) == VIPER_OK)
        return FS_ERR_EXISTS;
    rc = inode_alloc((uint16_t)(VIPERFS_S_IFDIR | (req->mode & 07777)), &ino, &in);
    if (rc == VIPER_OK) {
        in.links = 2;
        rc = dir_init(ino, &in, dir);
    }
    if (rc == VIPER_OK)
        rc = inode_put(ino, &in);
    if (rc == VIPER_OK)
        rc = inode_get(dir, &din);
    if (rc == VIPER_OK)
        rc = dir_add(dir, &din, name, len, ino, VIPERFS_FT_DIR);
    if (rc == VIPER_OK) {
        din.links++;
        din.mtime = din.ctime = fsd_now();
        rc = inode_put(dir, &din);
    }
    return fsd_finish(rc);
}

/* Is dir inside the tree of (or equal to) ancestor?  Walks ".." up to the root. */
static int is_within(uint32_t dir, uint32_t ancestor, bool *within)
{
    *within = false;
    for (unsigned depth = 0; depth < 4096; depth++) {
        if (dir == ancestor) {
            *within = true;
            return VIPER_OK;
        }
        if (dir == ROOT)
            return VIPER_OK;
        int rc = dir_lookup(dir, "..", 2, &dir);
        if (rc != VIPER_OK)
            return rc;
    }
    return VIPER_ERR_BAD_FORMAT;   /* a loop of ".." entries */
}

int op_rename(struct fsd_client *c, const struct fs_request *req)
{
    char from[FS_PATH_MAX + 1], to[FS_PATH_MAX + 1];
    char sname[VIPERFS_NAME_MAX + 1], dname[VIPERFS_NAME_MAX + 1];
    uint32_t sdir, ddir, ino, old = 0;
    size_t slen, dlen;
    struct viperfs_inode in, oin, din;
    bool within, empty;
    int rc = fsd_get_path(c, req->path_off, req->path_len, from);
    if (rc == VIPER_OK)
        rc = fsd_get_path(c, req->path2_off, req->path2_len, to);
    if (rc == VIPER_OK)
        rc = fsd_parent(from, &sdir, sname, &slen);
    if (rc == VIPER_OK)
        rc = fsd_parent(to, &ddir, dname, &dlen);
    if (rc == VIPER_OK)
        rc = dir_lookup(sdir, sname, slen, &ino);
    if (rc == VIPER_OK)
        rc = inode_get(ino, &in);
    if (rc != VIPER_OK)
        return rc;
    bool is_dir = TYPE(&in) == VIPERFS_S_IFDIR;
    if (is_dir && ((rc = is_within(ddir, ino, &within)) != VIPER_OK || within))
        return rc != VIPER_OK ? rc : FS_ERR_CROSS_DIR;   /* into its own subtree */
    if (dir_lookup(ddir, dname, dlen, &old) == VIPER_OK) {
        if (old == ino)
            return VIPER_OK;   /* the same file under both names: nothing to do */
        if ((rc = inode_get(old, &oin)) != VIPER_OK)
            return rc;
        if ((TYPE(&oin) == VIPERFS_S_IFDIR) != is_dir)
            return is_dir ? FS_ERR_NOT_A_DIR : FS_ERR_IS_A_DIR;
        if (is_dir && (rc = dir_is_empty(old, &empty)) != VIPER_OK)
            return rc;
        if (is_dir && !empty)
            return FS_ERR_NOT_EMPTY;
        rc = drop_name(ddir, dname, dlen, old);   /* the replaced file, in the same transaction */
    }
    if (rc == VIPER_OK)
        rc = inode_get(ddir, &din);
    if (rc == VIPER_OK)
        rc = dir_add(ddir, &din, dname, dlen, ino, (uint8_t)viperfs_mode_to_ft(in.mode));
    if (rc == VIPER_OK) {
        din.links += is_dir && sdir != ddir;
        din.mtime = din.ctime = fsd_now();
        rc = inode_put(ddir, &din);
    }
    if (rc == VIPER_OK)
        rc = dir_remove(sdir, sname, slen);
    if (rc == VIPER_OK && is_dir && sdir != ddir) {
        rc = dir_set_dotdot(ino, ddir);
        if (rc == VIPER_OK)
            rc = inode_get(sdir, &din);
        if (rc == VIPER_OK) {
            din.links -= din.links > 2;
            rc = inode_put(sdir, &din);
        }
    }
    return fsd_finish(rc);
}

int op_symlink(struct fsd_client *c, const struct fs_request *req)
{
    char path[FS_PATH_MAX + 1], target[FS_PATH_MAX + 1], name[VIPERFS_NAME_MAX + 1];
    uint32_t dir, ino, blk;
    size_t len;
    bool fresh;
    struct viperfs_inode in, din;
    uint32_t tlen = req->path_len;
    if (tlen > FS_PATH_MAX)
        return FS_ERR_NAME_TOO_LONG;
    if (tlen == 0 || !fsd_range_ok(c, req->path_off, tlen))
        return VIPER_ERR_INVALID;
    memcpy(target, c->buf + req->path_off, tlen);
    target[tlen] = '\0';
    if (strlen(target) != tlen)
        return VIPER_ERR_INVALID;
    int rc = fsd_get_path(c, req->path2_off, req->path2_len, path);
    if (rc == VIPER_OK)
        rc = fsd_parent(path, &dir, name, &len);
    if (rc != VIPER_OK)
        return rc;
    if (dir_lookup(dir, name, len, &ino) == VIPER_OK)
        return FS_ERR_EXISTS;
    rc = inode_alloc(VIPERFS_S_IFLNK | 0777, &ino, &in);
    if (rc == VIPER_OK && tlen <= VIPERFS_INLINE_MAX) {
        in.flags = VIPERFS_INODE_INLINE;
        memcpy((uint8_t *)&in + offsetof(struct viperfs_inode, direct), target, tlen);
    } else if (rc == VIPER_OK && (rc = inode_bmap_alloc(ino, &in, 0, &blk, &fresh)) == VIPER_OK) {
        struct buf *b = bget_new(blk);
        if (!b)
            rc = VIPER_ERR_NO_MEMORY;
        else {
            memcpy(b->data->bytes, target, tlen);
            bdata(b);
            bput(b);
        }
    }
    if (rc == VIPER_OK) {
        in.size = tlen;
        rc = inode_put(ino, &in);
    }
    if (rc == VIPER_OK)
        rc = inode_get(dir, &din);
    if (rc == VIPER_OK)
        rc = dir_add(dir, &din, name, len, ino, VIPERFS_FT_SYMLINK);
    return fsd_finish(rc);
}

int op_readlink(struct fsd_client *c, const struct fs_request *req, struct fs_reply *rep)
{
    char path[FS_PATH_MAX + 1], target[VIPERFS_SYMLINK_MAX + 1];
    uint32_t ino;
    struct viperfs_inode in;
    int rc = fsd_get_path(c, req->path_off, req->path_len, path);
    if (rc == VIPER_OK)
        rc = fsd_lookup(path, false, &ino);
    if (rc == VIPER_OK)
        rc = inode_get(ino, &in);
    if (rc == VIPER_OK && TYPE(&in) != VIPERFS_S_IFLNK)
        rc = VIPER_ERR_INVALID;
    if (rc == VIPER_OK)
        rc = viperfs_readlink(&fs, ino, &in, target, sizeof(target));
    if (rc != VIPER_OK)
        return rc;
    uint64_t n = in.size < req->len ? in.size : req->len;   /* truncated like readlink(2) */
    if (!fsd_range_ok(c, req->buf_off, n))
        return VIPER_ERR_OUT_OF_RANGE;
    memcpy(c->buf + req->buf_off, target, n);
    rep->value = in.size;
    return VIPER_OK;
}

/* ---- directories, sync, statfs ---- */

static uint8_t dirent_type(uint8_t ft)
{
    return ft == VIPERFS_FT_DIR ? FS_S_IFDIR >> 12 : ft == VIPERFS_FT_SYMLINK ? FS_S_IFLNK >> 12
                                                                             : FS_S_IFREG >> 12;
}

/* Entries from the descriptor's position (a byte position in the directory) on. */
int op_readdir(struct fsd_client *c, const struct fs_request *req, struct fs_reply *rep)
{
    struct ofile *f = fsd_fd(c, req->fd);
    struct viperfs_inode in;
    uint64_t used = 0;
    if (!f)
        return FS_ERR_BAD_FD;
    if (!fsd_range_ok(c, req->buf_off, req->len))
        return VIPER_ERR_OUT_OF_RANGE;
    int rc = inode_get(f->ino, &in);
    if (rc != VIPER_OK)
        return rc;
    if (TYPE(&in) != VIPERFS_S_IFDIR)
        return FS_ERR_NOT_A_DIR;
    uint64_t end = in.size;
    for (uint64_t fb = f->off / VIPERFS_BLOCK_SIZE; fb < end / VIPERFS_BLOCK_SIZE; fb++) {
        uint32_t blk, off = fb == f->off / VIPERFS_BLOCK_SIZE ? f->off % VIPERFS_BLOCK_SIZE : 0;
        struct viperfs_dentry e;
        if ((rc = inode_bmap(f->ino, &in, fb, &blk)) != VIPER_OK)
            return rc;
        struct buf *b = blk ? bget(blk) : NULL;
        if (!b)
            return VIPER_ERR_IO;
        if (viperfs_dirblock_check(b->data, blk, f->ino, NULL) != VIPER_OK) {
            bput(b);
            return VIPER_ERR_BAD_FORMAT;
        }
        while (viperfs_dirblock_next(b->data, &off, &e) == 1) {
            uint16_t rec = (uint16_t)((sizeof(struct fs_dirent) + e.name_len + 1 + 7) & ~7u);
            if (used + rec > req->len) {
                bput(b);
                if (used == 0)
                    return VIPER_ERR_OUT_OF_RANGE;   /* not even one entry fits */
                f->off = fb * VIPERFS_BLOCK_SIZE + e.off;
                rep->value = used;
                return VIPER_OK;
            }
            uint8_t *dst = c->buf + req->buf_off + used;
            struct fs_dirent d = { e.ino, rec, dirent_type(e.type), e.name_len };
            memset(dst, 0, rec);
            memcpy(dst, &d, sizeof(d));
            memcpy(dst + offsetof(struct fs_dirent, name), e.name, e.name_len);
            used += rec;
        }
        bput(b);
    }
    f->off = end;
    rep->value = used;
    return VIPER_OK;
}
