/*
 * edit/file.c - reading the file into the buffer and saving it (docs/edit.md).
 *
 * Only the POSIX file API (open, read, write, fsync, rename, stat), so the
 * same code runs in /edit over fsd and in the host test over the host's
 * filesystem.  A save never touches the original until the new bytes are on
 * disk: they go to NAME.tmp, which is fsync'd and renamed over NAME (rename
 * is atomic in fsd), and then the directory is fsync'd so the rename is
 * durable too.  A failure at any step removes NAME.tmp and leaves NAME and
 * the buffer (still modified) as they were.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "edit.h"

/* Read fd to its end into the buffer; NULL, or why not. */
static const char *read_into(struct ed *e, int fd)
{
    size_t len = 0, cap = 4096;
    char *data = malloc(cap);
    const char *why = data == NULL ? "out of memory" : NULL;
    ssize_t n = 0;

    while (why == NULL && (n = read(fd, data + len, cap - len)) > 0) {
        len += (size_t)n;
        if (len < cap)
            continue;
        char *more = realloc(data, cap *= 2);
        if (more == NULL)
            why = "out of memory";
        else
            data = more;
    }
    if (why == NULL && n < 0)
        why = strerror(errno);
    if (why == NULL && !ed_load(e, data, len))
        why = "out of memory";
    free(data);
    return why;
}

const char *ed_file_load(struct ed *e, const char *path)
{
    struct stat st;
    const char *why = NULL;
    int fd = -1;

    if (stat(path, &st) != 0 && errno == ENOENT) {
        ed_message(e, "new file");
        why = ed_load(e, "", 0) ? NULL : "out of memory";
    } else if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) != 0) {
        why = strerror(errno);
    } else if (S_ISDIR(st.st_mode)) {
        why = "is a directory";
    } else {
        why = read_into(e, fd);
    }
    if (fd >= 0)
        close(fd);
    return why;
}

/* The directory holding path, as the path to open for fsync. */
static void dir_of(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/'), *colon = strrchr(path, ':');
    if (slash)
        snprintf(dir, size, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    else if (colon)
        snprintf(dir, size, "%.*s", (int)(colon - path + 1), path);
    else
        snprintf(dir, size, ".");
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k <= 0) {
            errno = k == 0 ? EIO : errno;
            return false;
        }
        p += k;
        n -= (size_t)k;
    }
    return true;
}

void ed_file_save(struct ed *e)
{
    const char *path = e->name;
    char tmp[ED_PATH_MAX + 8], why[ED_PATH_MAX + 128], dir[ED_PATH_MAX];
    size_t len = 0;
    struct stat st;
    unsigned mode = stat(path, &st) == 0 ? st.st_mode & 07777 : 0644;

    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        ed_saved(e, false, 0, "the name is too long");
        return;
    }
    char *data = ed_text(e, &len);
    if (data == NULL) {
        ed_saved(e, false, 0, "out of memory");
        return;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode), err = 0;
    const char *failed = tmp;
    if (fd < 0) {
        err = errno;
    } else {
        if (!write_all(fd, data, len) || fsync(fd) != 0)
            err = errno;
        if (close(fd) != 0 && err == 0)
            err = errno;
        if (err == 0 && rename(tmp, path) != 0)
            err = errno, failed = path;
        if (err != 0)
            unlink(tmp);
    }
    free(data);
    if (err != 0) {
        snprintf(why, sizeof why, "%s: %s", failed, strerror(err));
        ed_saved(e, false, 0, why);
        return;
    }
    dir_of(path, dir, sizeof dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    ed_saved(e, true, len, NULL);
}
