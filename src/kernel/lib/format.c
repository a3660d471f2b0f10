/*
 * lib/format.c - printf-style formatting into a character sink.
 *
 * One pass over the format string; each conversion is parsed into a struct
 * format_spec, its argument fetched, and the result emitted as
 * [left pad][sign/prefix][zero pad][body][right pad].  Numbers are rendered
 * right to left into a small stack buffer, so nothing here allocates, uses
 * floating point (the kernel is built general-regs-only) or calls another
 * kernel service: kprintf may use it from an exception handler, and the host
 * tests compare it against the C library's snprintf.  The va_list is copied
 * once and passed by pointer, because AArch64's va_list is a struct and
 * passing it by value to helpers would not advance the caller's copy.
 */
#include <lib/format.h>
#include <stdbool.h>
#include <stdint.h>

#define FORMAT_MAX_WIDTH 4096 /* cap on width/precision: keeps counts in range */

enum format_len { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE, LEN_PTRDIFF };

struct format_spec {
    bool left;       /* '-' */
    bool zero;       /* '0' */
    bool plus;       /* '+' */
    bool space;      /* ' ' */
    bool alt;        /* '#' */
    int width;       /* 0 if absent */
    int precision;   /* -1 if absent */
    enum format_len len;
};

struct format_out {
    format_sink_fn sink;
    void *ctx;
    int count;
};

static void out_char(struct format_out *out, char c)
{
    out->sink(out->ctx, c);
    out->count++;
}

static void out_repeat(struct format_out *out, char c, int n)
{
    for (; n > 0; n--)
        out_char(out, c);
}

static void out_str(struct format_out *out, const char *s, int n)
{
    for (int i = 0; i < n; i++)
        out_char(out, s[i]);
}

/* Parse a decimal number at *p, saturating at FORMAT_MAX_WIDTH. */
static int parse_num(const char **p)
{
    int v = 0;

    while (**p >= '0' && **p <= '9') {
        if (v < FORMAT_MAX_WIDTH)
            v = v * 10 + (**p - '0');
        (*p)++;
    }
    return v < FORMAT_MAX_WIDTH ? v : FORMAT_MAX_WIDTH;
}

static int clamp_arg(int v)
{
    return v < FORMAT_MAX_WIDTH ? v : FORMAT_MAX_WIDTH;
}

/* Parse flags, width, precision and length after '%'; *p ends on the conversion. */
static void parse_spec(const char **p, struct format_spec *spec, va_list *ap)
{
    *spec = (struct format_spec){ .precision = -1, .len = LEN_INT };
    for (;; (*p)++) {
        char c = **p;
        if (c == '-')
            spec->left = true;
        else if (c == '0')
            spec->zero = true;
        else if (c == '+')
            spec->plus = true;
        else if (c == ' ')
            spec->space = true;
        else if (c == '#')
            spec->alt = true;
        else
            break;
    }
    if (**p == '*') {
        int w = va_arg(*ap, int);
        (*p)++;
        if (w < 0) {
            spec->left = true;
            w = w == INT32_MIN ? FORMAT_MAX_WIDTH : -w;
        }
        spec->width = clamp_arg(w);
    } else {
        spec->width = parse_num(p);
    }
    if (**p == '.') {
        (*p)++;
        if (**p == '*') {
            int prec = va_arg(*ap, int);
            (*p)++;
            spec->precision = prec < 0 ? -1 : clamp_arg(prec);
        } else {
            spec->precision = parse_num(p);
        }
    }
    switch (**p) {
    case 'h':
        (*p)++;
        spec->len = LEN_SHORT;
        if (**p == 'h') {
            (*p)++;
            spec->len = LEN_CHAR;
        }
        break;
    case 'l':
        (*p)++;
        spec->len = LEN_LONG;
        if (**p == 'l') {
            (*p)++;
            spec->len = LEN_LLONG;
        }
        break;
    case 'z':
        (*p)++;
        spec->len = LEN_SIZE;
        break;
    case 't':
        (*p)++;
        spec->len = LEN_PTRDIFF;
        break;
    default:
        break;
    }
}

static int64_t fetch_signed(const struct format_spec *spec, va_list *ap)
{
    switch (spec->len) {
    case LEN_CHAR:
        return (signed char)va_arg(*ap, int);
    case LEN_SHORT:
        return (short)va_arg(*ap, int);
    case LEN_LONG:
        return va_arg(*ap, long);
    case LEN_LLONG:
        return va_arg(*ap, long long);
    case LEN_SIZE:
        return (int64_t)va_arg(*ap, size_t); /* %zd: the signed type of size_t's width */
    case LEN_PTRDIFF:
        return va_arg(*ap, ptrdiff_t);
    default:
        return va_arg(*ap, int);
    }
}

static uint64_t fetch_unsigned(const struct format_spec *spec, va_list *ap)
{
    switch (spec->len) {
    case LEN_CHAR:
        return (unsigned char)va_arg(*ap, unsigned int);
    case LEN_SHORT:
        return (unsigned short)va_arg(*ap, unsigned int);
    case LEN_LONG:
        return va_arg(*ap, unsigned long);
    case LEN_LLONG:
        return va_arg(*ap, unsigned long long);
    case LEN_SIZE:
        return va_arg(*ap, size_t);
    case LEN_PTRDIFF:
        return (uint64_t)va_arg(*ap, ptrdiff_t);
    default:
        return va_arg(*ap, unsigned int);
    }
}

/*
 * Emit one integer.  sign is "", "-", "+" or " "; base 8, 10 or 16.
 * `upper` selects X digits; `prefix` is "0x"/"0X" for %#x and %p.
 */
static void emit_number(struct format_out *out, const struct format_spec *spec, uint64_t v,
                        unsigned base, bool upper, const char *sign, const char *prefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[24]; /* 22 octal digits hold a 64-bit value */
    int n = 0;

    while (v != 0) {
        buf[sizeof(buf) - 1 - n++] = digits[v % base];
        v /= base;
    }
    int prec = spec->precision;
    /* %#o: the first digit must be 0, so raise the precision if needed. */
    if (base == 8 && spec->alt && (prec <= n))
        prec = n + 1;
    if (prec < 0)
        prec = 1; /* "%d" of 0 prints "0", "%.0d" of 0 prints nothing */
    int zeros = prec > n ? prec - n : 0;
    int slen = 0, plen = 0;
    while (sign[slen] != '\0')
        slen++;
    while (prefix[plen] != '\0')
        plen++;
    int body = slen + plen + zeros + n;
    int pad = spec->width > body ? spec->width - body : 0;

    if (spec->zero && !spec->left && spec->precision < 0) {
        zeros += pad;
        pad = 0;
    }
    if (!spec->left)
        out_repeat(out, ' ', pad);
    out_str(out, sign, slen);
    out_str(out, prefix, plen);
    out_repeat(out, '0', zeros);
    out_str(out, buf + sizeof(buf) - n, n);
    if (spec->left)
        out_repeat(out, ' ', pad);
}

/* Emit n bytes of s padded to the field width (%s, %c). */
static void emit_padded(struct format_out *out, const struct format_spec *spec, const char *s,
                        int n)
{
    int pad = spec->width > n ? spec->width - n : 0;

    if (!spec->left)
        out_repeat(out, ' ', pad);
    out_str(out, s, n);
    if (spec->left)
        out_repeat(out, ' ', pad);
}

static void emit_string(struct format_out *out, const struct format_spec *spec, const char *s)
{
    int n = 0;

    if (s == NULL)
        s = "(null)";
    while ((spec->precision < 0 || n < spec->precision) && s[n] != '\0')
        n++;
    emit_padded(out, spec, s, n);
}

static void emit_signed(struct format_out *out, const struct format_spec *spec, va_list *ap)
{
    int64_t v = fetch_signed(spec, ap);
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    const char *sign = v < 0 ? "-" : spec->plus ? "+" : spec->space ? " " : "";

    emit_number(out, spec, mag, 10, false, sign, "");
}

/*
 * Emit conversion conv (spec already parsed).
 * Returns false for an unknown conversion, which the caller prints verbatim.
 */
static bool emit_conversion(struct format_out *out, const struct format_spec *spec, char conv,
                            va_list *ap)
{
    uint64_t u;

    switch (conv) {
    case 'd':
    case 'i':
        emit_signed(out, spec, ap);
        return true;
    case 'u':
        emit_number(out, spec, fetch_unsigned(spec, ap), 10, false, "", "");
        return true;
    case 'o':
        emit_number(out, spec, fetch_unsigned(spec, ap), 8, false, "", "");
        return true;
    case 'x':
    case 'X':
        u = fetch_unsigned(spec, ap);
        emit_number(out, spec, u, 16, conv == 'X', "",
                    spec->alt && u != 0 ? (conv == 'X' ? "0X" : "0x") : "");
        return true;
    case 'p': {
        struct format_spec p = { .left = spec->left, .width = spec->width, .precision = 16 };
        emit_number(out, &p, (uintptr_t)va_arg(*ap, void *), 16, false, "", "0x");
        return true;
    }
    case 'c': {
        char c = (char)va_arg(*ap, int);
        emit_padded(out, spec, &c, 1);
        return true;
    }
    case 's':
        emit_string(out, spec, va_arg(*ap, const char *));
        return true;
    case '%':
        out_char(out, '%');
        return true;
    default:
        return false;
    }
}

int format_v(format_sink_fn sink, void *ctx, const char *fmt, va_list ap)
{
    struct format_out out = { .sink = sink, .ctx = ctx, .count = 0 };
    struct format_spec spec;
    va_list args;

    va_copy(args, ap);
    while (*fmt != '\0') {
        if (*fmt != '%') {
            out_char(&out, *fmt++);
            continue;
        }
        const char *start = fmt++;
        parse_spec(&fmt, &spec, &args);
        if (*fmt != '\0' && emit_conversion(&out, &spec, *fmt, &args)) {
            fmt++;
            continue;
        }
        /* Unknown or truncated conversion: show it as written. */
        if (*fmt != '\0')
            fmt++;
        out_str(&out, start, (int)(fmt - start));
    }
    va_end(args);
    return out.count;
}

struct format_buf {
    char *buf;
    size_t size;
    size_t pos;
};

static void buf_sink(void *ctx, char c)
{
    struct format_buf *b = ctx;

    if (b->pos + 1 < b->size)
        b->buf[b->pos] = c;
    b->pos++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct format_buf b = { .buf = buf, .size = size, .pos = 0 };
    int n = format_v(buf_sink, &b, fmt, ap);

    if (size > 0)
        buf[b.pos < size ? b.pos : size - 1] = '\0';
    return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
