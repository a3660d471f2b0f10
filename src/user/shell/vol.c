/*
 * shell/vol.c - file operations on the boot filesystem and on the disk
 * (see vol.h).
 *
 * The boot filesystem is read-only: every change to it fails with
 * "read-only filesystem" after the usual checks (a missing source is still
 * "object not found").  Disk paths go to libc's POSIX calls unchanged: they
 * are absolute, so libc's own current directory never matters.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <viper/errors.h>
#include "path.h"
#include "shell.h"
#include "vol.h"

#define CHUNK 4096u
#define READ_ONLY "read-only filesystem"

static bool on_disk(const char *path)
{
    return path[0] == '/';
}

static const char *disk_error(void)
{
    return errno == ENOENT ? "object not found" : strerror(errno);
}

const char *vol_stat(const char *path, struct vol_entry *e)
{
    if (on_disk(path)) {
        struct stat st;
        if (stat(path, &st) != 0)
            return disk_error();
        *e = (struct vol_entry){ S_ISDIR(st.st_mode), (uint64_t)st.st_size, NULL };
        return NULL;
    }
    struct bootfs_entry b;
    int err = sh.have_fs ? bootfs_lookup(&sh.fs, path, &b) : VIPER_ERR_NOT_FOUND;
    if (err != VIPER_OK)
        return sh_strerror(err);
    *e = (struct vol_entry){ b.kind == BOOTFS_DIR, b.size, b.data };
    return NULL;
}

struct boot_listing {
    vol_list_fn fn;
    void *ctx;
};

static int boot_entry(void *ctx, const struct bootfs_entry *b)
{
    struct boot_listing *l = ctx;
    struct vol_entry e = { b->kind == BOOTFS_DIR, b->size, b->data };
    return l->fn(l->ctx, b->name, b->namelen, &e);
}

const char *vol_list(const char *dir, bool sizes, vol_list_fn fn, void *ctx)
{
    if (!on_disk(dir)) {
        struct boot_listing l = { fn, ctx };
        int err = sh.have_fs ? bootfs_list(&sh.fs, dir, boot_entry, &l) : VIPER_ERR_NOT_FOUND;
        return err == VIPER_OK ? NULL : sh_strerror(err);
    }
    DIR *d = opendir(dir);
    if (!d)
        return disk_error();
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        struct vol_entry e = { de->d_type == DT_DIR, 0, NULL };
        char path[PATH_LEN];
        struct stat st;
        if (sizes && snprintf(path, sizeof path, "%s/%s", strcmp(dir, "/") ? dir : "",
                              de->d_name) < (int)sizeof path && stat(path, &st) == 0)
            e.size = (uint64_t)st.st_size;
        if (fn(ctx, de->d_name, strlen(de->d_name), &e))
            break;
    }
    closedir(d);
    return NULL;
}

const char *vol_read(const char *path, void (*sink)(const void *p, size_t n))
{
    struct vol_entry e;
    const char *err = vol_stat(path, &e);

    if (err)
        return err;
    if (e.dir)
        return "object is a directory";
    if (!on_disk(path)) {
        sink(e.data, e.size);
        return NULL;
    }
    static char buf[CHUNK];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return disk_error();
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        sink(buf, (size_t)n);
    err = n < 0 ? disk_error() : NULL;
    close(fd);
    return err;
}

/* Copy the file at from (already known: e) into the new disk file fd. */
static const char *copy_into(int fd, const char *from, const struct vol_entry *e)
{
    static char buf[CHUNK];

    if (!on_disk(from))
        return write(fd, e->data, e->size) == (ssize_t)e->size ? NULL : disk_error();
    int in = open(from, O_RDONLY);
    if (in < 0)
        return disk_error();
    const char *err = NULL;
    ssize_t n;
    while (!err && (n = read(in, buf, sizeof buf)) != 0)
        err = n < 0 || write(fd, buf, (size_t)n) != n ? disk_error() : NULL;
    close(in);
    return err;
}

const char *vol_copy(const char *from, const char *to)
{
    struct vol_entry src, dst;
    char target[PATH_LEN];
    const char *err = vol_stat(from, &src);

    if (err)
        return err;
    if (src.dir)
        return "object is a directory";
    if (!on_disk(to))
        return READ_ONLY;
    snprintf(target, sizeof target, "%s", to);
    if (!vol_stat(to, &dst) && dst.dir) {   /* into a directory, under the same name */
        const char *base = strrchr(from, '/') ? strrchr(from, '/') + 1 : from;
        if (snprintf(target, sizeof target, "%s/%s", strcmp(to, "/") ? to : "", base) >=
            (int)sizeof target)
            return "path too long";
    }
    int fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return disk_error();
    err = copy_into(fd, from, &src);
    if (!err && fsync(fd) != 0)
        err = disk_error();
    if (close(fd) != 0 && !err)
        err = disk_error();
    return err;
}

const char *vol_delete(const char *path)
{
    struct vol_entry e;
    const char *err = vol_stat(path, &e);

    if (err)
        return err;
    if (!on_disk(path))
        return READ_ONLY;
    if (strcmp(path, "/") == 0)
        return "cannot delete the root";
    return (e.dir ? rmdir(path) : unlink(path)) == 0 ? NULL : disk_error();
}

const char *vol_makedir(const char *path)
{
    if (!on_disk(path))
        return READ_ONLY;
    return mkdir(path, 0755) == 0 ? NULL : disk_error();
}

const char *vol_rename(const char *from, const char *to)
{
    struct vol_entry e;
    const char *err = vol_stat(from, &e);

    if (err)
        return err;
    if (!on_disk(from) || !on_disk(to))
        return READ_ONLY;
    return rename(from, to) == 0 ? NULL : disk_error();
}
