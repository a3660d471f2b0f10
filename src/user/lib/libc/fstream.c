/*
 * fstream.c - file streams: fopen and friends over descriptors (file.c),
 * sharing the buffering core in stdio.c.  Open streams are kept on a list
 * so fflush(NULL) and exit() can write them all out.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdio_impl.h"

struct open_stream {
    struct viper_file f;
    struct open_stream *next;
    char buf[STDIO_FILE_BUF];
};

static struct open_stream *streams;

int fstream_flush_all(void)
{
    int rc = 0;
    for (struct open_stream *s = streams; s; s = s->next)
        if (stream_flush(&s->f))
            rc = EOF;
    return rc;
}

/* open() flags for an fopen mode, or -1. */
static int mode_flags(const char *mode)
{
    int plus = strchr(mode, '+') != NULL;
    switch (mode[0]) {
    case 'r': return plus ? O_RDWR : O_RDONLY;
    case 'w': return (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC;
    case 'a': return (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND;
    default: return -1;
    }
}

FILE *fdopen(int fd, const char *mode)
{
    if (mode_flags(mode) < 0) {
        errno = EINVAL;
        return NULL;
    }
    struct open_stream *s = calloc(1, sizeof *s);
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    s->f.buf = s->buf;
    s->f.cap = sizeof s->buf;
    s->f.fd = fd;
    s->next = streams;
    streams = s;
    return &s->f;
}

FILE *fopen(const char *path, const char *mode)
{
    int flags = mode_flags(mode);
    if (flags < 0) {
        errno = EINVAL;
        return NULL;
    }
    int fd = open(path, flags, 0644);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, mode);
    if (!f)
        close(fd);
    return f;
}

int fclose(FILE *f)
{
    struct open_stream **pp = &streams;
    while (*pp && &(*pp)->f != f)
        pp = &(*pp)->next;
    if (!*pp) {
        errno = EBADF;   /* not a file stream (or closed already) */
        return EOF;
    }
    struct open_stream *s = *pp;
    int rc = stream_flush(f);
    if (close(f->fd))
        rc = EOF;
    *pp = s->next;
    free(s);
    return rc;
}

size_t fwrite(const void *data, size_t size, size_t n, FILE *f)
{
    size_t total = size * n;
    if (size == 0 || n == 0)
        return 0;
    if (f->fd >= 0 && total >= f->cap) {
        /* Large writes skip the buffer (after what is already in it). */
        if (stream_flush(f))
            return 0;
        ssize_t w = write(f->fd, data, total);
        if (w < 0) {
            f->state |= STREAM_ERROR;
            return 0;
        }
        return (size_t)w / size;
    }
    const char *p = data;
    for (size_t i = 0; i < total; i++)
        if (fputc(p[i], f) == EOF && (f->state & STREAM_ERROR))
            return i / size;
    return n;
}

size_t fread(void *data, size_t size, size_t n, FILE *f)
{
    size_t total = size * n, done = 0;
    char *p = data;
    if (size == 0 || n == 0)
        return 0;
    while (done < total) {
        int c = fgetc(f);
        if (c == EOF)
            break;
        p[done++] = (char)c;
        /* Copy whatever is read ahead in one go. */
        if ((f->state & STREAM_READING) || f == stdin) {
            size_t avail = f->len - f->pos, want = total - done;
            size_t k = avail < want ? avail : want;
            memcpy(p + done, f->buf + f->pos, k);
            f->pos += k;
            done += k;
        }
    }
    return done / size;
}

char *fgets(char *out, int size, FILE *f)
{
    int i = 0;
    if (size <= 0)
        return NULL;
    while (i < size - 1) {
        int c = fgetc(f);
        if (c == EOF)
            break;
        out[i++] = (char)c;
        if (c == '\n')
            break;
    }
    out[i] = '\0';
    return i ? out : NULL;
}

int fseek(FILE *f, long offset, int whence)
{
    if (f->fd < 0) {
        errno = ESPIPE;
        return -1;
    }
    if (stream_flush(f))
        return -1;
    f->state &= ~STREAM_EOF;
    return lseek(f->fd, offset, whence) < 0 ? -1 : 0;
}

long ftell(FILE *f)
{
    if (f->fd < 0) {
        errno = ESPIPE;
        return -1;
    }
    off_t at = lseek(f->fd, 0, SEEK_CUR);
    if (at < 0)
        return -1;
    return (f->state & STREAM_READING) ? (long)(at - (off_t)(f->len - f->pos))
                                       : (long)(at + (off_t)f->len);
}

void rewind(FILE *f)
{
    fseek(f, 0, SEEK_SET);
    f->state &= ~STREAM_ERROR;
}

int feof(FILE *f)
{
    return (f->state & STREAM_EOF) != 0;
}

int ferror(FILE *f)
{
    return (f->state & STREAM_ERROR) != 0;
}

void clearerr(FILE *f)
{
    f->state &= ~(STREAM_EOF | STREAM_ERROR);
}

int fileno(FILE *f)
{
    return f->fd >= 0 ? f->fd : (f == stdin ? 0 : f == stdout ? 1 : 2);
}
