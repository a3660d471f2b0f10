/*
 * libc/stdio.c - buffered streams: the console ones (stdin, stdout,
 * stderr) and the core every stream shares (fstream.c opens files).
 *
 * A stream is a buffer in front of a descriptor (files: read()/write(),
 * file.c) or of the console (fd -1).  The console is the
 * program's startup handle 1 when that is a channel (to consoled,
 * proto/console.h): output goes as CON_WRITE messages and input comes from
 * CON_READ.  Otherwise (a test run as init, consoled itself) output goes to
 * viper_debug_write() and there is no input; output also falls back to
 * debug_write if consoled goes away, so nothing printed is lost.
 *
 * stdout is line buffered: it is written out when a '\n' goes in, when the
 * buffer fills, on fflush() and at exit().  stderr uses the same buffer but
 * is flushed at the end of every call, so one fprintf(stderr, ...) is one
 * console write.  Formatting is format_v() from the kernel's lib/format.c,
 * with the stream as its sink.  No locking: one thread at a time may print.
 */
#include <lib/format.h>
#include <proto/console.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <viper/handles.h>
#include <viper/sys.h>

#include "stdio_impl.h"

static char stdout_buf[STDIO_CONSOLE_BUF], stderr_buf[STDIO_CONSOLE_BUF];
static char stdin_buf[CON_DATA_MAX];
static struct viper_file stdout_file = { stdout_buf, sizeof stdout_buf, 0, 0, -1, true, 0 };
static struct viper_file stderr_file = { stderr_buf, sizeof stderr_buf, 0, 0, -1, false, 0 };
static struct viper_file stdin_file = { stdin_buf, sizeof stdin_buf, 0, 0, -1, false, 0 };
FILE *const stdout = &stdout_file;
FILE *const stderr = &stderr_file;
FILE *const stdin = &stdin_file;

enum { CON_UNKNOWN, CON_CHANNEL, CON_NONE };
static int console_kind = CON_UNKNOWN;

/* The console channel (startup handle 1), or VIPER_HANDLE_INVALID. */
static viper_handle_t console(void)
{
    viper_handle_t h = viper_startup_handle(1);
    if (console_kind == CON_UNKNOWN) {
        uint64_t type = 0;
        bool chan = h != VIPER_HANDLE_INVALID && viper_cap_query(h, &type, NULL) == VIPER_OK &&
                    type == VIPER_OBJ_CHANNEL;
        console_kind = chan ? CON_CHANNEL : CON_NONE;
    }
    return console_kind == CON_CHANNEL ? h : VIPER_HANDLE_INVALID;
}

static void console_write(const char *p, size_t n)
{
    viper_handle_t h = console();
    while (n > 0 && h != VIPER_HANDLE_INVALID) {
        struct con_request q;
        q.op = CON_WRITE;
        q.len = n < CON_DATA_MAX ? (uint32_t)n : CON_DATA_MAX;
        memcpy(q.data, p, q.len);
        struct viper_msg m = { (uint64_t)(uintptr_t)&q, 8 + q.len, 0, 0 };
        if (viper_chan_send(h, &m, 0) != VIPER_OK) {
            console_kind = CON_NONE;   /* consoled is gone: the kernel log from now on */
            break;
        }
        p += q.len;
        n -= q.len;
    }
    if (n > 0)
        viper_debug_write(p, n);
}

int stream_flush(FILE *f)
{
    if (f == stdin)
        return 0;   /* typed input cannot be given back */
    if (f->state & STREAM_READING) {
        /* Give back what was read ahead, so the descriptor's offset is the stream's. */
        if (f->len > f->pos && lseek(f->fd, (off_t)f->pos - (off_t)f->len, SEEK_CUR) < 0)
            f->state |= STREAM_ERROR;
        f->state &= ~STREAM_READING;
        f->len = f->pos = 0;
        return 0;
    }
    int rc = 0;
    if (f->len > 0) {
        if (f->fd < 0) {
            console_write(f->buf, f->len);
        } else if (write(f->fd, f->buf, f->len) != (ssize_t)f->len) {
            f->state |= STREAM_ERROR;
            rc = EOF;
        }
    }
    f->len = 0;
    return rc;
}

static void stream_put(FILE *f, char c)
{
    if (f->state & STREAM_READING)
        stream_flush(f);
    f->buf[f->len++] = c;
    if (f->len == f->cap || (c == '\n' && f->line_buffered))
        stream_flush(f);
}

/* End of a call: unbuffered streams go out now. */
static void stream_done(FILE *f)
{
    if (f->fd < 0 && !f->line_buffered)   /* stderr; file streams wait until full */
        stream_flush(f);
}

static void stream_sink(void *ctx, char c)
{
    stream_put(ctx, c);
}

int fflush(FILE *f)
{
    if (f == NULL) {
        stream_flush(stdout);
        stream_flush(stderr);
        return fstream_flush_all();
    }
    return stream_flush(f);
}

int fputc(int c, FILE *f)
{
    stream_put(f, (char)c);
    stream_done(f);
    return (unsigned char)c;
}

int fputs(const char *s, FILE *f)
{
    while (*s != '\0')
        stream_put(f, *s++);
    stream_done(f);
    return (f->state & STREAM_ERROR) ? EOF : 0;
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
    int n = format_v(stream_sink, f, fmt, ap);

    stream_done(f);
    return n;
}

int fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = vfprintf(f, fmt, ap);
    va_end(ap);
    return n;
}

/* Refill stdin with one CON_READ (blocks until something is typed); false at end of input. */
static bool stdin_fill(void)
{
    viper_handle_t h = console();
    if (h == VIPER_HANDLE_INVALID)
        return false;
    fflush(stdout);   /* a prompt shows before we wait */
    struct con_request q = { .op = CON_READ, .len = CON_DATA_MAX };
    struct con_reply r;
    struct viper_msg mq = { (uint64_t)(uintptr_t)&q, 8, 0, 0 };
    struct viper_msg mr = { (uint64_t)(uintptr_t)&r, sizeof r, 0, 0 };
    uint64_t len = 0;
    if (viper_chan_call(h, &mq, &mr, VIPER_DEADLINE_INFINITE, 0, &len, NULL) != VIPER_OK ||
        len < 8 || r.status != VIPER_OK || r.len == 0 || r.len > len - 8 ||
        r.len > stdin_file.cap)
        return false;
    memcpy(stdin_file.buf, r.data, r.len);
    stdin_file.len = r.len;
    stdin_file.pos = 0;
    return true;
}

/* Refill a file stream's buffer from its descriptor; false at the end or on an error. */
static bool file_fill(FILE *f)
{
    if (!(f->state & STREAM_READING)) {
        if (stream_flush(f))
            return false;
        f->state |= STREAM_READING;
    }
    ssize_t n = read(f->fd, f->buf, f->cap);
    f->pos = 0;
    f->len = n > 0 ? (size_t)n : 0;
    if (n <= 0)
        f->state |= n == 0 ? STREAM_EOF : STREAM_ERROR;
    return n > 0;
}

int fgetc(FILE *f)
{
    if (f == stdout || f == stderr)
        return EOF;
    if (f->pos == f->len && !(f == stdin ? stdin_fill() : file_fill(f))) {
        if (f == stdin)
            f->state |= STREAM_EOF;
        return EOF;
    }
    return (unsigned char)f->buf[f->pos++];
}

int getchar(void)
{
    return fgetc(stdin);
}

int putchar(int c)
{
    return fputc(c, stdout);
}

int puts(const char *s)
{
    while (*s != '\0')
        stream_put(stdout, *s++);
    stream_put(stdout, '\n');
    return 0;
}

int vprintf(const char *fmt, va_list ap)
{
    return vfprintf(stdout, fmt, ap);
}

int printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = vfprintf(stdout, fmt, ap);
    va_end(ap);
    return n;
}
