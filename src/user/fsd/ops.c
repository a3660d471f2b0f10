/*
 * fsd/ops.c - the operations of proto/fs.h on open files (open, close, read,
 * write, seek, truncate), the helpers names.c shares, and the dispatch.
 *
 * Each operation checks every number the client sent (descriptor, buffer
 * range, path length) before touching anything, then runs as one
 * transaction: fsd_commit() at the end, fsd_abort() on any error, so a
 * failed operation changes nothing.  Open files are counted per inode
 * (open_refs): an unlinked file stays readable through the descriptors
 * that have it open and is freed at the last close.
 *
 * Paths: "SYS:x" is /x and "C:x" is /c/x (where the commands are);
 * anything without a colon before its first slash is a Unix path from the
 * root (libc sends absolute paths).  Errors are VIPER_ERR_* or, for what
 * those cannot say, the FS_ERR_* codes of proto/fs.h.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <viper/errors.h>

#include "fsd.h"

#define MAX_OPEN 128u
#define TYPE(in) FSD_TYPE(in)

bool fsd_mounted FSD_HOT_DATA;

static struct {
    uint32_t ino, refs;
} open_refs[MAX_OPEN];

static const struct {
    const char *name, *prefix;
} assigns[] = { { "SYS", "/" }, { "DH0", "/" }, { "C", "/c/" } };   /* as the shell names them */

int fsd_ref_find(uint32_t ino)
{
    for (unsigned i = 0; i < MAX_OPEN; i++)
        if (open_refs[i].refs && open_refs[i].ino == ino)
            return (int)i;
    return -1;
}

static int ref_get(uint32_t ino)
{
    int i = fsd_ref_find(ino);
    for (unsigned k = 0; i < 0 && k < MAX_OPEN; k++)
        if (open_refs[k].refs == 0)
            i = (int)k;
    if (i < 0)
        return FS_ERR_TOO_MANY_OPEN;
    open_refs[i].ino = ino;
    open_refs[i].refs++;
    return VIPER_OK;
}

/* Drop one open reference; the last one frees an inode that lost its last name. */
static void ref_put(uint32_t ino)
{
    int i = fsd_ref_find(ino);
    struct viperfs_inode in;
    if (i < 0 || --open_refs[i].refs > 0)
        return;
    if (inode_get(ino, &in) == VIPER_OK && in.links == 0) {
        if (inode_free(ino) == VIPER_OK)
            fsd_commit();
        else
            fsd_abort();
    }
}

FSD_HOT bool fsd_range_ok(const struct fsd_client *c, uint64_t off, uint64_t len)
{
    return c->buf && off <= c->buflen && len <= c->buflen - off;
}

/* Copy a path out of the client's buffer and apply assigns. */
int fsd_get_path(const struct fsd_client *c, uint64_t off, uint32_t len, char *out)
{
    char raw[FS_PATH_MAX + 1];
    if (len > FS_PATH_MAX)
        return FS_ERR_NAME_TOO_LONG;
    if (len == 0 || !fsd_range_ok(c, off, len))
        return VIPER_ERR_INVALID;
    memcpy(raw, c->buf + off, len);
    raw[len] = '\0';
    if (strlen(raw) != len)
        return VIPER_ERR_INVALID;
    const char *colon = strchr(raw, ':'), *slash = strchr(raw, '/');
    if (!colon || (slash && slash < colon)) {
        memcpy(out, raw, len + 1);
        return VIPER_OK;
    }
    for (unsigned i = 0; i < sizeof(assigns) / sizeof(assigns[0]); i++) {
        size_t n = strlen(assigns[i].name), p = strlen(assigns[i].prefix);
        if ((size_t)(colon - raw) != n || memcmp(raw, assigns[i].name, n) != 0)
            continue;
        if (p + len - n - 1 > FS_PATH_MAX)
            return FS_ERR_NAME_TOO_LONG;
        memcpy(out, assigns[i].prefix, p);
        memcpy(out + p, colon + 1, len - n);
        return VIPER_OK;
    }
    return VIPER_ERR_NOT_FOUND;
}

/* Resolve a whole path; too many symlinks is ELOOP, a file in the middle ENOTDIR. */
int fsd_lookup(const char *path, bool follow, uint32_t *ino)
{
    int rc = viperfs_namei(&fs, path, follow, ino);
    return rc == VIPER_ERR_LIMIT ? FS_ERR_LOOP : rc == VIPER_ERR_INVALID ? FS_ERR_NOT_A_DIR : rc;
}

/* Split path into its parent directory (resolved) and last name. */
int fsd_parent(const char *path, uint32_t *dir, char *name, size_t *len)
{
    char parent[FS_PATH_MAX + 1];
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    *len = n - start;
    if (*len > VIPERFS_NAME_MAX)
        return FS_ERR_NAME_TOO_LONG;
    if (!viperfs_name_ok(path + start, *len) || (*len == 1 && path[start] == '.') ||
        (*len == 2 && path[start] == '.' && path[start + 1] == '.'))
        return VIPER_ERR_INVALID;
    memcpy(name, path + start, *len);
    name[*len] = '\0';
    memcpy(parent, path, start);
    parent[start] = '\0';
    struct viperfs_inode in;
    int rc = fsd_lookup(parent, true, dir);
    if (rc == VIPER_OK)
        rc = inode_get(*dir, &in);
    if (rc == VIPER_OK && TYPE(&in) != VIPERFS_S_IFDIR)
        rc = FS_ERR_NOT_A_DIR;
    return rc;
}

void fsd_fill_stat(uint32_t ino, const struct viperfs_inode *in, struct fs_stat *st)
{
    memset(st, 0, sizeof(*st));
    st->ino = ino;
    st->mode = in->mode;   /* ViperFS keeps the Unix type bits: FS_S_IF* */
    st->nlink = in->links;
    st->size = in->size;
    st->blocks = in->nblocks;
    st->atime_ns = in->atime;
    st->mtime_ns = in->mtime;
    st->ctime_ns = in->ctime;
}

FSD_HOT struct ofile *fsd_fd(struct fsd_client *c, int32_t fd)
{
    if (fd < 0 || (uint32_t)fd >= FSD_MAX_FDS || !c->files[fd].used)
        return NULL;
    return &c->files[fd];
}

/* Finish a changing operation: commit on success, undo on failure. */
int fsd_finish(int rc)
{
    if (rc == VIPER_OK)
        return fsd_commit();
    fsd_abort();
    return rc;
}

/* ---- open, close ---- */

static int create_file(const char *path, uint32_t mode, uint32_t *ino)
{
    uint32_t dir;
    char name[VIPERFS_NAME_MAX + 1];
    size_t len;
    struct viperfs_inode din, in;
    int rc = fsd_parent(path, &dir, name, &len);
    if (rc == VIPER_OK && dir_lookup(dir, name, len, ino) == VIPER_OK)
        return VIPER_ERR_NOT_FOUND;   /* the name is a dangling symlink */
    if (rc == VIPER_OK)
        rc = inode_alloc((uint16_t)(VIPERFS_S_IFREG | (mode & 07777)), ino, &in);
    if (rc == VIPER_OK)
        rc = inode_get(dir, &din);
    if (rc == VIPER_OK)
        rc = dir_add(dir, &din, name, len, *ino, VIPERFS_FT_REG);
    if (rc == VIPER_OK) {
        din.mtime = din.ctime = fsd_now();
        rc = inode_put(dir, &din);
    }
    return fsd_finish(rc);
}

static int op_open(struct fsd_client *c, const struct fs_request *req, struct fs_reply *rep)
{
    char path[FS_PATH_MAX + 1];
    uint32_t ino, fl = req->flags;
    struct viperfs_inode in;
    int fd = -1;
    if ((fl & FS_O_ACCMODE) == FS_O_ACCMODE ||
        (fl & ~(FS_O_ACCMODE | FS_O_CREAT | FS_O_EXCL | FS_O_TRUNC | FS_O_APPEND | FS_O_DIRECTORY)))
        return VIPER_ERR_INVALID;
    bool writable = (fl & FS_O_ACCMODE) != FS_O_RDONLY;
    for (unsigned i = 0; i < FSD_MAX_FDS && fd < 0; i++)
        if (!c->files[i].used)
            fd = (int)i;
    if (fd < 0)
        return FS_ERR_TOO_MANY_OPEN;
    int rc = fsd_get_path(c, req->path_off, req->path_len, path);
    if (rc != VIPER_OK)
        return rc;
    rc = fsd_lookup(path, true, &ino);
    if (rc == VIPER_OK && (fl & FS_O_CREAT) && (fl & FS_O_EXCL))
        return FS_ERR_EXISTS;
    if (rc == VIPER_ERR_NOT_FOUND && (fl & FS_O_CREAT))
        rc = create_file(path, req->mode, &ino);
    if (rc == VIPER_OK)
        rc = inode_get(ino, &in);
    if (rc != VIPER_OK)
        return rc;
    bool is_dir = TYPE(&in) == VIPERFS_S_IFDIR;
    if (!is_dir && (fl & FS_O_DIRECTORY))
        return FS_ERR_NOT_A_DIR;
    if (is_dir && writable)
        return FS_ERR_IS_A_DIR;
    if ((rc = ref_get(ino)) != VIPER_OK)
        return rc;
    if ((fl & FS_O_TRUNC) && writable && !is_dir && in.size > 0) {
        rc = inode_truncate(ino, &in, 0);
        if (rc == VIPER_OK)
            rc = inode_put(ino, &in);
        if ((rc = fsd_finish(rc)) != VIPER_OK) {
            ref_put(ino);
            return rc;
        }
    }
    c->files[fd] = (struct ofile){ .used = true, .ino = ino, .flags = fl };
    rep->value = (uint64_t)fd;
    return VIPER_OK;
}

static int op_close(struct fsd_client *c, const struct fs_request *req)
{
    struct ofile *f = fsd_fd(c, req->fd);
    if (!f)
        return FS_ERR_BAD_FD;
    f->used = false;
    ref_put(f->ino);
    return VIPER_OK;
}

void fsd_close_all(struct fsd_client *c)
{
    for (unsigned i = 0; i < FSD_MAX_FDS; i++)
        if (c->files[i].used) {
            c->files[i].used = false;
            ref_put(c->files[i].ino);
        }
}

/* ---- data ---- */

/* Copy chunk bytes of disk block blk (0: a hole) from byte boff into dst. */
FSD_HOT static int copy_block(uint32_t blk, uint64_t boff, uint8_t *dst, uint64_t chunk)
{
    if (blk == 0) {
        memset(dst, 0, chunk);
        return VIPER_OK;
    }
    struct buf *b = bget(blk);
    if (!b)
        return VIPER_ERR_IO;
    memcpy(dst, b->data->bytes + boff, chunk);
    bput(b);
    return VIPER_OK;
}

/* Copy up to len bytes at off (clamped to the size) straight from cached blocks into dst;
 * f remembers the size, the direct blocks (each checked as inode_bmap would) and the last
 * block's mapping. */
static int read_blocks(struct ofile *f, const struct viperfs_inode *in, uint64_t off, uint8_t *dst,
                       uint64_t len, size_t *got)
{
    *got = 0;
    f->map_gen = 0;
    if (off >= in->size)
        return VIPER_OK;
    for (unsigned i = 0; i < VIPERFS_NDIRECT; i++) {
        uint32_t b = in->direct[i];
        bool usable = !(in->flags & VIPERFS_INODE_INLINE) &&
                      (b == 0 || viperfs_data_block_ok(&fs.sb, b));
        f->map_direct[i] = usable ? b : MAP_NONE;
    }
    if (len > in->size - off)
        len = in->size - off;
    while (*got < len) {
        uint64_t pos = off + *got, chunk = VIPERFS_BLOCK_SIZE - pos % VIPERFS_BLOCK_SIZE;
        uint32_t blk;
        if (chunk > len - *got)
            chunk = len - *got;
        int rc = inode_bmap(f->ino, in, pos / VIPERFS_BLOCK_SIZE, &blk);
        if (rc == VIPER_OK)
            rc = copy_block(blk, pos % VIPERFS_BLOCK_SIZE, dst + *got, chunk);
        if (rc != VIPER_OK)
            return rc;
        *got += chunk;
        f->map_gen = fsd_meta_gen;
        f->map_size = in->size;
        f->map_fb = pos / VIPERFS_BLOCK_SIZE;
        f->map_blk = blk;
    }
    return VIPER_OK;
}

/*
 * A read within one block of what f mapped last, nothing changed since (a loop of small
 * reads, or reads anywhere in the direct blocks): *blk is its disk block (0: a hole).
 */
FSD_HOT static bool read_mapped(const struct ofile *f, uint64_t off, uint64_t len, uint32_t *blk)
{
    uint64_t fb = off / VIPERFS_BLOCK_SIZE;
    if (f->map_gen != fsd_meta_gen || off >= f->map_size ||
        off % VIPERFS_BLOCK_SIZE + len > VIPERFS_BLOCK_SIZE)
        return false;
    *blk = fb < VIPERFS_NDIRECT ? f->map_direct[fb] : fb == f->map_fb ? f->map_blk : MAP_NONE;
    return *blk != MAP_NONE;
}

FSD_HOT static int op_read(struct fsd_client *c, const struct fs_request *req, struct fs_reply *rep)
{
    struct ofile *f = fsd_fd(c, req->fd);
    struct viperfs_inode in;
    size_t got = 0;
    if (!f || (f->flags & FS_O_ACCMODE) == FS_O_WRONLY)
        return FS_ERR_BAD_FD;
    if (req->len > FS_IO_MAX || !fsd_range_ok(c, req->buf_off, req->len))
        return VIPER_ERR_OUT_OF_RANGE;
    uint64_t off = req->op == FS_PREAD ? req->offset : f->off, len = req->len;
    uint8_t *dst = c->buf + req->buf_off;
    uint32_t blk;
    int rc;
    if (read_mapped(f, off, len, &blk)) {
        got = len < f->map_size - off ? len : f->map_size - off;
        rc = copy_block(blk, off % VIPERFS_BLOCK_SIZE, dst, got);
    } else {
        rc = inode_get(f->ino, &in);
        if (rc == VIPER_OK && TYPE(&in) == VIPERFS_S_IFDIR)
            rc = FS_ERR_IS_A_DIR;
        if (rc == VIPER_OK)
            rc = read_blocks(f, &in, off, dst, len, &got);
    }
    if (rc != VIPER_OK)
        return rc;
    if (req->op == FS_READ)
        f->off += got;
    rep->value = got;
    return VIPER_OK;
}

/* Copy len bytes from src into the file at off; *done is how many made it. */
static int write_blocks(uint32_t ino, struct viperfs_inode *in, uint64_t off, const uint8_t *src,
                        uint64_t len, uint64_t *done)
{
    *done = 0;
    while (*done < len) {
        uint64_t pos = off + *done;
        uint32_t boff = (uint32_t)(pos % VIPERFS_BLOCK_SIZE), blk;
        uint64_t chunk = VIPERFS_BLOCK_SIZE - boff;
        bool fresh;
        if (chunk > len - *done)
            chunk = len - *done;
        int rc = inode_bmap_alloc(ino, in, pos / VIPERFS_BLOCK_SIZE, &blk, &fresh);
        if (rc != VIPER_OK)
            return rc;
        struct buf *b = fresh || chunk == VIPERFS_BLOCK_SIZE ? bget_new(blk) : bget(blk);
        if (!b)
            return VIPER_ERR_IO;
        memcpy(b->data->bytes + boff, src + *done, chunk);
        bdata(b);
        bput(b);
        *done += chunk;
    }
    return VIPER_OK;
}

static int op_write(struct fsd_client *c, const struct fs_request *req, struct fs_reply *rep)
{
    struct ofile *f = fsd_fd(c, req->fd);
    struct viperfs_inode in;
    uint64_t done = 0;
    if (!f || (f->flags & FS_O_ACCMODE) == FS_O_RDONLY)
        return FS_ERR_BAD_FD;
    if (req->len > FS_IO_MAX || !fsd_range_ok(c, req->buf_off, req->len))
        return VIPER_ERR_OUT_OF_RANGE;
    int rc = inode_get(f->ino, &in);
    if (rc != VIPER_OK)
        return rc;
    uint64_t off = req->op == FS_PWRITE ? req->offset : (f->flags & FS_O_APPEND) ? in.size : f->off;
    if (off > UINT64_MAX - req->len)
        return VIPER_ERR_OUT_OF_RANGE;
    rc = write_blocks(f->ino, &in, off, c->buf + req->buf_off, req->len, &done);
    if (done == 0 && rc != VIPER_OK)
        return fsd_finish(rc);
    /* a short write (the disk filled up) keeps what was written */
    if (off + done > in.size)
        in.size = off + done;
    in.mtime = in.ctime = fsd_now();
    int prc = fsd_finish(inode_put(f->ino, &in));
    if (prc != VIPER_OK)
        return prc;
    if (req->op == FS_WRITE)
        f->off = off + done;
    rep->value = done;
    return VIPER_OK;
}

static int op_seek(struct fsd_client *c, const struct fs_request *req, struct fs_reply *rep)
{
    struct ofile *f = fsd_fd(c, req->fd);
    struct viperfs_inode in;
    if (!f)
        return FS_ERR_BAD_FD;
    int64_t delta = (int64_t)req->offset, base;
    if (req->flags == FS_SEEK_SET)
        base = 0;
    else if (req->flags == FS_SEEK_CUR)
        base = (int64_t)f->off;
    else if (req->flags == FS_SEEK_END && inode_get(f->ino, &in) == VIPER_OK)
        base = (int64_t)in.size;
    else
        return VIPER_ERR_INVALID;
    if ((delta > 0 && base > INT64_MAX - delta) || base + delta < 0)
        return VIPER_ERR_INVALID;
    if (inode_get(f->ino, &in) == VIPER_OK && TYPE(&in) == VIPERFS_S_IFDIR && base + delta != 0)
        return VIPER_ERR_INVALID;   /* a directory's position is fsd's own; only rewinding */
    f->off = (uint64_t)(base + delta);
    rep->value = f->off;
    return VIPER_OK;
}

static int op_truncate(struct fsd_client *c, const struct fs_request *req)
{
    struct ofile *f = fsd_fd(c, req->fd);
    struct viperfs_inode in;
    if (!f || (f->flags & FS_O_ACCMODE) == FS_O_RDONLY)
        return FS_ERR_BAD_FD;
    int rc = inode_get(f->ino, &in);
    if (rc == VIPER_OK)
        rc = inode_truncate(f->ino, &in, req->offset);
    if (rc == VIPER_OK)
        rc = inode_put(f->ino, &in);
    return fsd_finish(rc);
}

static int op_statfs(struct fs_reply *rep)
{
    rep->statfs = (struct fs_statfs){ VIPERFS_BLOCK_SIZE, fs.sb.block_count, fs.sb.free_blocks,
                                      fs.sb.inode_count, fs.sb.free_inodes, VIPERFS_NAME_MAX, 0 };
    return VIPER_OK;
}

/* Every request but a read (out of line: the switch and its calls would push the read
 * path past its code page). */
static __attribute__((noinline)) int dispatch_other(struct fsd_client *c,
                                                    const struct fs_request *req,
                                                    struct fs_reply *rep)
{
    switch (req->op) {
    case FS_OPEN: return op_open(c, req, rep);
    case FS_CLOSE: return op_close(c, req);
    case FS_WRITE: case FS_PWRITE: return op_write(c, req, rep);
    case FS_SEEK: return op_seek(c, req, rep);
    case FS_FSTAT: case FS_STAT: case FS_LSTAT: return op_stat(c, req, rep);
    case FS_TRUNCATE: return op_truncate(c, req);
    case FS_UNLINK: case FS_RMDIR: return op_unlink(c, req);
    case FS_RENAME: return op_rename(c, req);
    case FS_MKDIR: return op_mkdir(c, req);
    case FS_READDIR: return op_readdir(c, req, rep);
    case FS_SYMLINK: return op_symlink(c, req);
    case FS_READLINK: return op_readlink(c, req, rep);
    case FS_FSYNC: return fsd_fd(c, req->fd) ? bcache_sync() : FS_ERR_BAD_FD;
    case FS_SYNC: return bcache_sync();
    case FS_STATFS: return op_statfs(rep);
    default: return VIPER_ERR_NOT_SUPPORTED;
    }
}

FSD_HOT static int dispatch(struct fsd_client *c, const struct fs_request *req, struct fs_reply *rep)
{
    if (req->op == FS_PREAD || req->op == FS_READ)
        return op_read(c, req, rep);
    return dispatch_other(c, req, rep);
}

FSD_HOT int fsd_op(struct fsd_client *c, const struct fs_request *req, struct fs_reply *rep)
{
    if (!fsd_mounted)
        return VIPER_ERR_IO;
    if (!c->buf)
        return VIPER_ERR_BAD_HANDLE;   /* ATTACH first */
    int rc = dispatch(c, req, rep);
    if (rc == FS_ERR_NO_SPACE && bcache_pending() && bcache_checkpoint() == VIPER_OK)
        rc = dispatch(c, req, rep);   /* freed blocks waited for a checkpoint; the try was undone */
    if (rc == VIPER_ERR_BAD_FORMAT && !(fs.sb.state & VIPERFS_STATE_ERRORS)) {
        /* damage seen: say so in the superblock, for fsck and the next mount */
        printf("fsd: the filesystem is damaged (op %u); run fsck.viperfs\n", req->op);
        fs.sb.state |= VIPERFS_STATE_ERRORS;
        super_dirty();
        fsd_commit();
    }
    return rc;
}
