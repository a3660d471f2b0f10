/*
 * libc/stdio.c - buffered console output.
 *
 * A stream is a small buffer in front of viper_debug_write().  stdout is line
 * buffered: it is written out when a '\n' goes in, when the buffer fills, on
 * fflush() and at exit().  stderr uses the same buffer but is flushed at the
 * end of every call, so one fprintf(stderr, ...) is one console write.
 * Formatting is format_v() from the kernel's lib/format.c, with the stream
 * as its sink.  No locking: one thread at a time may print.
 */
#include <lib/format.h>
#include <stdbool.h>
#include <stdio.h>
#include <viper/sys.h>

#define STDIO_BUF_SIZE 256

struct viper_file {
    char buf[STDIO_BUF_SIZE];
    size_t len;
    bool line_buffered;   /* flush on '\n'; otherwise flush at the end of each call */
};

static struct viper_file stdout_file = { .line_buffered = true };
static struct viper_file stderr_file = { .line_buffered = false };
FILE *const stdout = &stdout_file;
FILE *const stderr = &stderr_file;

static void stream_flush(FILE *f)
{
    if (f->len > 0)
        viper_debug_write(f->buf, f->len);
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
