/*
 * file.c - descriptors: open, read, write and the other calls of
 * <unistd.h>, <fcntl.h> and <sys/stat.h>, over fsd (fs_client.h).
 *
 * libc keeps a small table mapping its descriptors to fsd's: 0-2 are the
 * console (stdio), the rest are fsd descriptors tagged with the connection
 * they were opened on, so after fsd restarts an old descriptor fails with
 * EBADF instead of naming someone else's file.  Reads and writes larger
 * than the transfer buffer go as several requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <viper/errors.h>

#include "fs_client.h"

#define FD_MAX 64

enum fd_kind { FD_FREE, FD_CONSOLE, FD_FSD };

static struct {
    enum fd_kind kind;
    int32_t remote;      /* fsd's descriptor */
    uint32_t conn;       /* the connection it belongs to */
} fds[FD_MAX] FS_HOT_DATA = {
    [0] = { FD_CONSOLE, 0, 0 }, [1] = { FD_CONSOLE, 1, 0 }, [2] = { FD_CONSOLE, 2, 0 },
};

/* The request for fd's fsd descriptor, or -1 with errno = EBADF. */
FS_HOT static int fsd_fd(int fd, struct fs_request *rq)
{
    if (fd < 0 || fd >= FD_MAX || fds[fd].kind != FD_FSD) {
        errno = EBADF;
        return -1;
    }
    *rq = (struct fs_request){ .fd = fds[fd].remote };   /* stores, not a call to memset */
    return 0;
}

/* Send a request on fd's connection; a reply from a newer connection means fd is stale. */
FS_HOT static int fd_call(int fd, struct fs_request *rq, struct fs_reply *rp)
{
    uint32_t conn = 0;
    int rc = fs_call(rq, NULL, NULL, rp, &conn);
    if (rc == VIPER_OK && conn != fds[fd].conn)
        rc = FS_ERR_BAD_FD;   /* (fsd restarted: that descriptor number is not ours) */
    return rc;
}

/* A path request: rq.fd = -1, paths made absolute. */
static int path_call(struct fs_request *rq, const char *path, const char *path2,
                     struct fs_reply *rp)
{
    char a[FS_PATH_MAX + 1], b[FS_PATH_MAX + 1];
    int rc = fs_abspath(path, a, sizeof a);
    if (!rc && path2)
        rc = fs_abspath(path2, b, sizeof b);
    if (rc)
        return rc;
    rq->fd = -1;
    return fs_call(rq, a, path2 ? b : NULL, rp, NULL);
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & O_CREAT) ? va_arg(ap, mode_t) : 0;
    va_end(ap);
    int fd = 3;
    while (fd < FD_MAX && fds[fd].kind != FD_FREE)
        fd++;
    if (fd == FD_MAX) {
        errno = EMFILE;
        return -1;
    }
    struct fs_request rq = { .op = FS_OPEN, .flags = (uint32_t)flags, .mode = mode & 07777 };
    struct fs_reply rp;
    uint32_t conn = 0;
    char a[FS_PATH_MAX + 1];
    int rc = fs_abspath(path, a, sizeof a);
    if (!rc) {
        rq.fd = -1;
        rc = fs_call(&rq, a, NULL, &rp, &conn);
    }
    if (rc)
        return set_errno(rc);
    fds[fd].kind = FD_FSD;
    fds[fd].remote = (int32_t)rp.value;
    fds[fd].conn = conn;
    return fd;
}

int creat(const char *path, mode_t mode)
{
    return open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

int close(int fd)
{
    struct fs_request rq;
    struct fs_reply rp;
    if (fd >= 0 && fd < FD_MAX && fds[fd].kind == FD_CONSOLE) {
        fds[fd].kind = FD_FREE;
        return 0;
    }
    if (fsd_fd(fd, &rq))
        return -1;
    rq.op = FS_CLOSE;
    int rc = fd_call(fd, &rq, &rp);
    fds[fd].kind = FD_FREE;   /* gone either way */
    return rc ? set_errno(rc) : 0;
}

static ssize_t console_read(void *out, size_t len)
{
    if (len == 0)
        return 0;
    int c = fgetc(stdin);   /* what is typed, one byte at a time (a short read) */
    if (c == EOF)
        return 0;
    *(char *)out = (char)c;
    return 1;
}

static ssize_t console_write(int fd, const void *data, size_t len)
{
    FILE *f = fd == 2 ? stderr : stdout;
    const char *p = data;
    for (size_t i = 0; i < len; i++)
        fputc(p[i], f);
    fflush(f);
    return (ssize_t)len;
}

/* READ/WRITE/PREAD/PWRITE in chunks of the transfer buffer; bytes moved or -1. */
FS_HOT static ssize_t transfer(int fd, uint32_t op, void *data, size_t len, off_t offset)
{
    struct fs_request rq;
    struct fs_reply rp;
    size_t done = 0;
    int writing = op == FS_WRITE || op == FS_PWRITE;
    if (fsd_fd(fd, &rq))
        return -1;
    rq.op = op;
    rq.buf_off = FS_DATA_OFF;
    while (done < len) {   /* (fs_call changes only rq's path fields) */
        uint32_t n = len - done < FS_DATA_MAX ? (uint32_t)(len - done) : FS_DATA_MAX;
        rq.len = n;
        rq.offset = (uint64_t)offset + done;
        if (!fs_live(fds[fd].conn))
            return done ? (ssize_t)done : set_errno(FS_ERR_BAD_FD);   /* fsd restarted */
        if (writing)
            memcpy(fs_data(), (const char *)data + done, n);
        int rc = fd_call(fd, &rq, &rp);
        if (rc)
            return done ? (ssize_t)done : set_errno(rc);
        if (rp.value > n)
            return set_errno(VIPER_ERR_IO);   /* fsd claims more than was asked */
        if (!writing)
            memcpy((char *)data + done, fs_data(), rp.value);
        done += rp.value;
        if (rp.value < n)
            break;   /* end of file, or the disk is full */
    }
    return (ssize_t)done;
}

FS_HOT ssize_t read(int fd, void *buf, size_t len)
{
    if (fd >= 0 && fd < FD_MAX && fds[fd].kind == FD_CONSOLE)
        return console_read(buf, len);
    return transfer(fd, FS_READ, buf, len, 0);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    if (fd >= 0 && fd < FD_MAX && fds[fd].kind == FD_CONSOLE)
        return console_write(fd, buf, len);
    return transfer(fd, FS_WRITE, (void *)buf, len, 0);
}

FS_HOT ssize_t pread(int fd, void *buf, size_t len, off_t offset)
{
    return transfer(fd, FS_PREAD, buf, len, offset);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t offset)
{
    return transfer(fd, FS_PWRITE, (void *)buf, len, offset);
}

/* An fd request with no data: its reply's value, or -1. */
static int64_t fd_simple(int fd, uint32_t op, uint32_t flags, uint64_t offset,
                         struct fs_reply *rp)
{
    struct fs_request rq;
    if (fd >= 0 && fd < FD_MAX && fds[fd].kind == FD_CONSOLE) {
        errno = op == FS_SEEK ? ESPIPE : EINVAL;
        return -1;
    }
    if (fsd_fd(fd, &rq))
        return -1;
    rq.op = op;
    rq.flags = flags;
    rq.offset = offset;
    int rc = fd_call(fd, &rq, rp);
    return rc ? set_errno(rc) : (int64_t)rp->value;
}

off_t lseek(int fd, off_t offset, int whence)
{
    struct fs_reply rp;
    return fd_simple(fd, FS_SEEK, (uint32_t)whence, (uint64_t)offset, &rp);
}

int fsync(int fd)
{
    struct fs_reply rp;
    return fd_simple(fd, FS_FSYNC, 0, 0, &rp) < 0 ? -1 : 0;
}

int ftruncate(int fd, off_t size)
{
    struct fs_reply rp;
    if (size < 0) {
        errno = EINVAL;
        return -1;
    }
    return fd_simple(fd, FS_TRUNCATE, 0, (uint64_t)size, &rp) < 0 ? -1 : 0;
}

static void to_stat(const struct fs_stat *s, struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_ino = s->ino;
    st->st_mode = s->mode;
    st->st_nlink = s->nlink;
    st->st_size = (off_t)s->size;
    st->st_blocks = (int64_t)s->blocks * 8;
    st->st_blksize = 4096;
    st->st_atim = (struct timespec){ (time_t)(s->atime_ns / 1000000000), (long)(s->atime_ns % 1000000000) };
    st->st_mtim = (struct timespec){ (time_t)(s->mtime_ns / 1000000000), (long)(s->mtime_ns % 1000000000) };
    st->st_ctim = (struct timespec){ (time_t)(s->ctime_ns / 1000000000), (long)(s->ctime_ns % 1000000000) };
}

int fstat(int fd, struct stat *st)
{
    struct fs_reply rp;
    if (fd_simple(fd, FS_FSTAT, 0, 0, &rp) < 0)
        return -1;
    to_stat(&rp.stat, st);
    return 0;
}

static int path_op(uint32_t op, const char *path, const char *path2, uint32_t mode,
                   struct fs_reply *rp)
{
    struct fs_request rq = { .op = op, .mode = mode };
    int rc = path_call(&rq, path, path2, rp);
    return rc ? set_errno(rc) : 0;
}

int stat(const char *path, struct stat *st)
{
    struct fs_reply rp;
    if (path_op(FS_STAT, path, NULL, 0, &rp))
        return -1;
    to_stat(&rp.stat, st);
    return 0;
}

int lstat(const char *path, struct stat *st)
{
    struct fs_reply rp;
    if (path_op(FS_LSTAT, path, NULL, 0, &rp))
        return -1;
    to_stat(&rp.stat, st);
    return 0;
}

int mkdir(const char *path, mode_t mode)
{
    struct fs_reply rp;
    return path_op(FS_MKDIR, path, NULL, mode & 07777, &rp);
}

int unlink(const char *path)
{
    struct fs_reply rp;
    return path_op(FS_UNLINK, path, NULL, 0, &rp);
}

int rmdir(const char *path)
{
    struct fs_reply rp;
    return path_op(FS_RMDIR, path, NULL, 0, &rp);
}

int rename(const char *from, const char *to)
{
    struct fs_reply rp;
    return path_op(FS_RENAME, from, to, 0, &rp);
}

int remove(const char *path)
{
    struct stat st;
    if (lstat(path, &st))
        return -1;
    return S_ISDIR(st.st_mode) ? rmdir(path) : unlink(path);
}

int symlink(const char *target, const char *path)
{
    struct fs_request rq = { .op = FS_SYMLINK };
    struct fs_reply rp;
    char b[FS_PATH_MAX + 1];
    int rc = fs_abspath(path, b, sizeof b);
    if (!rc) {
        rq.fd = -1;
        rc = fs_call(&rq, target, b, &rp, NULL);   /* the target is stored as written */
    }
    return rc ? set_errno(rc) : 0;
}

ssize_t readlink(const char *path, char *out, size_t len)
{
    struct fs_request rq = { .op = FS_READLINK, .buf_off = FS_DATA_OFF };
    struct fs_reply rp;
    rq.len = len < FS_DATA_MAX ? (uint32_t)len : FS_DATA_MAX;
    int rc = path_call(&rq, path, NULL, &rp);
    if (rc)
        return set_errno(rc);
    size_t n = rp.value < rq.len ? rp.value : rq.len;
    memcpy(out, fs_data(), n);
    return (ssize_t)n;
}

int statfs(const char *path, struct statfs *out)
{
    struct fs_reply rp;
    if (path_op(FS_STATFS, path, NULL, 0, &rp))
        return -1;
    *out = (struct statfs){
        .f_bsize = rp.statfs.block_size, .f_blocks = rp.statfs.blocks,
        .f_bfree = rp.statfs.free_blocks, .f_files = rp.statfs.inodes,
        .f_ffree = rp.statfs.free_inodes, .f_namelen = rp.statfs.name_max,
        .f_readonly = rp.statfs.read_only,
    };
    return 0;
}

int chdir(const char *path)
{
    char a[FS_PATH_MAX + 1];
    struct stat st;
    int rc = fs_abspath(path, a, sizeof a);
    if (rc)
        return set_errno(rc);
    if (stat(a, &st))
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return fs_chdir(a) ? set_errno(FS_ERR_NAME_TOO_LONG) : 0;
}

char *getcwd(char *out, size_t size)
{
    if (strlcpy(out, fs_cwd(), size) >= size) {
        errno = ERANGE;
        return NULL;
    }
    return out;
}

int isatty(int fd)
{
    return fd >= 0 && fd < FD_MAX && fds[fd].kind == FD_CONSOLE;
}

/* For dir.c: the fsd descriptor and connection behind fd. */
int fs_fd_remote(int fd, int32_t *remote, uint32_t *conn)
{
    if (fd < 0 || fd >= FD_MAX || fds[fd].kind != FD_FSD)
        return -1;
    *remote = fds[fd].remote;
    *conn = fds[fd].conn;
    return 0;
}
