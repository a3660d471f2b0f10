/*
 * edit/main.c - /edit: the editor's front end (docs/edit.md).
 *
 * The only file of the editor that does I/O.  The file is read whole at
 * start and written by ^S through a temporary file and rename.  The console
 * is used through its protocol (proto/console.h) on startup handle 1 rather
 * than through stdio: one CON_READ returns everything typed so far, the
 * editor applies all of it and only then draws, so keys that arrive
 * together (a paste, a fast typist, a grader) cost one redraw; output is
 * gathered into full CON_WRITE messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <proto/console.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <viper/handles.h>
#include <viper/sys.h>
#include "edit.h"

#define RC_ERROR 10
#define RC_FAIL 20
#define PATH_MAX_LEN 1024

static viper_handle_t con;
static struct con_request outq = { .op = CON_WRITE };

static void out_flush(void)
{
    struct viper_msg m = { (uint64_t)(uintptr_t)&outq, 8 + outq.len, 0, 0 };
    if (outq.len > 0)
        viper_chan_send(con, &m, 0);
    outq.len = 0;
}

static void out_bytes(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    while (n > 0) {
        if (outq.len == CON_DATA_MAX)
            out_flush();
        size_t k = CON_DATA_MAX - outq.len < n ? CON_DATA_MAX - outq.len : n;
        memcpy(outq.data + outq.len, s, k);
        outq.len += (uint32_t)k;
        s += k;
        n -= k;
    }
}

/* One chan_call on the console; the reply's payload length, or -1. */
static long con_call(struct con_request *q, uint32_t qlen, struct con_reply *r)
{
    struct viper_msg mq = { (uint64_t)(uintptr_t)q, qlen, 0, 0 };
    struct viper_msg mr = { (uint64_t)(uintptr_t)r, sizeof *r, 0, 0 };
    uint64_t len = 0;
    if (viper_chan_call(con, &mq, &mr, VIPER_DEADLINE_INFINITE, &len, NULL) != VIPER_OK ||
        len < 8 || r->status != VIPER_OK || r->len > len - 8)
        return -1;
    return (long)r->len;
}

static bool console_open(unsigned *cols, unsigned *rows)
{
    uint64_t type = 0;
    con = viper_startup_handle(1);
    if (con == VIPER_HANDLE_INVALID || viper_cap_query(con, &type, NULL) != VIPER_OK ||
        type != VIPER_OBJ_CHANNEL)
        return false;
    struct con_request q = { .op = CON_INFO };
    struct con_reply r;
    if (con_call(&q, 8, &r) >= (long)sizeof r.info && r.info.cols > 0 && r.info.rows > 0) {
        *cols = r.info.cols;
        *rows = r.info.rows;
    }
    return true;
}

/* Wait for typed bytes; how many (0: the console is gone). */
static size_t con_read(uint8_t *buf)
{
    struct con_request q = { .op = CON_READ, .len = CON_DATA_MAX };
    struct con_reply r;
    long n = con_call(&q, 8, &r);
    if (n <= 0 || n > (long)CON_DATA_MAX)
        return 0;
    memcpy(buf, r.data, (size_t)n);
    return (size_t)n;
}

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

/* The file into the buffer; a missing file is a new one.  false: the reason is printed. */
static bool load(struct ed *e, const char *path)
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
    if (why != NULL)
        fprintf(stderr, "edit: %s: %s\n", path, why);
    return why == NULL;
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

/* ^S: NAME.tmp written and fsync'd, renamed over NAME, then the directory fsync'd so the
 * rename is on disk too.  Any failure leaves NAME as it was and the buffer modified. */
static void save(struct ed *e, const char *path)
{
    char tmp[PATH_MAX_LEN], why[ED_MSG_MAX], dir[PATH_MAX_LEN];
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

/* Apply typed bytes; false once the editor should quit. */
static bool apply(struct ed *e, struct ed_screen *scr, const uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (ed_byte(e, buf[i])) {
        case ED_SAVE:
            save(e, e->name);
            break;
        case ED_QUIT:
            return false;
        case ED_REDRAW:
            ed_screen_forget(scr);
            out_bytes(NULL, "\x1b[H\x1b[2J", 7);
            break;
        case ED_NONE:
            break;
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    unsigned cols = 80, rows = 25;
    struct ed e;
    struct ed_screen scr;
    uint8_t in[CON_DATA_MAX];

    if (argc != 2 || strlen(argv[1]) + 5 > PATH_MAX_LEN) {
        fprintf(stderr, "usage: edit file\n");
        return RC_ERROR;
    }
    if (!console_open(&cols, &rows)) {
        fprintf(stderr, "edit: no console\n");
        return RC_FAIL;
    }
    ed_init(&e, argv[1], cols, rows);
    if (!load(&e, argv[1])) {
        ed_free(&e);
        return RC_ERROR;
    }
    if (!ed_screen_init(&scr, e.cols, e.rows)) {
        fprintf(stderr, "edit: out of memory\n");
        ed_free(&e);
        return RC_FAIL;
    }
    fflush(stdout);
    out_bytes(NULL, "\x1b[0m\x1b[H\x1b[2J", 11);
    size_t n = 0;
    do {
        ed_draw(&e, &scr, out_bytes, NULL);
        out_flush();
        n = con_read(in);
    } while (n > 0 && apply(&e, &scr, in, n));
    out_bytes(NULL, "\x1b[H\x1b[2J", 7);   /* leave a clean screen to the shell */
    out_flush();
    ed_screen_free(&scr);
    ed_free(&e);
    return 0;
}
