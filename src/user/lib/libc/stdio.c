/*
 * libc/stdio.c - buffered console output, and console input.
 *
 * A stream is a small buffer in front of the console.  The console is the
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
#include <viper/handles.h>
#include <viper/sys.h>

#define STDIO_BUF_SIZE 256

struct viper_file {
    char buf[STDIO_BUF_SIZE];
    size_t len;
    bool line_buffered;   /* flush on '\n'; otherwise flush at the end of each call */
};

static struct viper_file stdout_file = { .line_buffered = true };
static struct viper_file stderr_file = { .line_buffered = false };
static struct viper_file stdin_file;   /* len bytes in buf, read from pos */
static size_t stdin_pos;
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

static void stream_flush(FILE *f)
{
    if (f->len > 0)
        console_write(f->buf, f->len);
    f->len = 0;
}

static void stream_put(FILE *f, char c)
{
    f->buf[f->len++] = c;
    if (f->len == sizeof(f->buf) || (c == '\n' && f->line_buffered))
        stream_flush(f);
}

/* End of a call: unbuffered streams go out now. */
static void stream_done(FILE *f)
{
    if (!f->line_buffered)
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
    } else {
        stream_flush(f);
    }
    return 0;
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
    return 0;
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
    if (viper_chan_call(h, &mq, &mr, VIPER_DEADLINE_INFINITE, &len, NULL) != VIPER_OK ||
        len < 8 || r.status != VIPER_OK || r.len == 0 || r.len > len - 8 ||
        r.len > sizeof stdin_file.buf)
        return false;
    memcpy(stdin_file.buf, r.data, r.len);
    stdin_file.len = r.len;
    stdin_pos = 0;
    return true;
}

int fgetc(FILE *f)
{
    if (f != stdin)
        return EOF;
    if (stdin_pos == stdin_file.len && !stdin_fill())
        return EOF;
    return (unsigned char)stdin_file.buf[stdin_pos++];
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
