/*
 * dir.c - opendir/readdir/closedir over fsd's FS_READDIR, which fills the
 * transfer buffer with packed fs_dirent records; they are copied into the
 * DIR so other calls may use the buffer between readdir()s.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <viper/errors.h>

#include "fs_client.h"

#define DIR_BUF 4096

struct viper_dir {
    int fd;
    size_t len, pos;          /* records in buf[pos..len) */
    int at_end;
    struct dirent ent;
    uint8_t buf[DIR_BUF];
};

DIR *opendir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return NULL;
    DIR *d = calloc(1, sizeof *d);
    if (!d) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    d->fd = fd;
    return d;
}

static int refill(DIR *d)
{
    int32_t remote;
    uint32_t conn, got_conn = 0;
    if (fs_fd_remote(d->fd, &remote, &conn))
        return set_errno(FS_ERR_BAD_FD);
    struct fs_request rq = { .op = FS_READDIR, .fd = remote, .len = DIR_BUF,
                             .buf_off = FS_DATA_OFF };
    struct fs_reply rp;
    int rc = fs_call(&rq, NULL, NULL, &rp, &got_conn);
    if (!rc && got_conn != conn)
        rc = FS_ERR_BAD_FD;
    if (rc)
        return set_errno(rc);
    if (rp.value > DIR_BUF)
        return set_errno(VIPER_ERR_IO);
    memcpy(d->buf, fs_data(), rp.value);
    d->len = rp.value;
    d->pos = 0;
    d->at_end = rp.value == 0;
    return 0;
}

struct dirent *readdir(DIR *d)
{
    for (;;) {
        if (d->pos + sizeof(struct fs_dirent) <= d->len) {
            const struct fs_dirent *e = (const void *)(d->buf + d->pos);
            if (e->rec_len < sizeof *e + e->name_len || e->rec_len % 8 ||
                d->pos + e->rec_len > d->len) {
                errno = EIO;   /* a malformed listing: stop rather than misread */
                d->at_end = 1;
                d->len = d->pos = 0;
                return NULL;
            }
            d->pos += e->rec_len;
            d->ent.d_ino = e->ino;
            d->ent.d_type = e->type == (FS_S_IFDIR >> 12) ? DT_DIR
                          : e->type == (FS_S_IFREG >> 12) ? DT_REG
                          : e->type == (FS_S_IFLNK >> 12) ? DT_LNK : DT_UNKNOWN;
            memcpy(d->ent.d_name, e->name, e->name_len);
            d->ent.d_name[e->name_len] = '\0';
            return &d->ent;
        }
        if (d->at_end || refill(d))
            return NULL;
        if (d->at_end)
            return NULL;
    }
}

int closedir(DIR *d)
{
    int rc = close(d->fd);
    free(d);
    return rc;
}
