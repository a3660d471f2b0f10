/*
 * edit/buffer.c - the text as an array of lines, and the edits on it.
 *
 * Each line owns a heap array that doubles when it fills, so typing at a
 * point costs a memmove of the rest of that one line.  Enter and the joins
 * done by Backspace/Delete at a line's edge move the line pointers after
 * the cursor (an array of struct ed_line, 24 bytes each).  An edit that
 * cannot get memory changes nothing and says so on the message row.
 * Invariants: nlines >= 1, cy < nlines, cx <= lines[cy].len.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "edit.h"

static bool line_reserve(struct ed_line *l, size_t need)
{
    if (need <= l->cap)
        return true;
    size_t cap = l->cap ? l->cap : 16;
    while (cap < need)
        cap *= 2;
    char *s = realloc(l->s, cap);
    if (s == NULL)
        return false;
    l->s = s;
    l->cap = cap;
    return true;
}

static bool lines_reserve(struct ed *e, size_t need)
{
    if (need <= e->lines_cap)
        return true;
    size_t cap = e->lines_cap ? e->lines_cap * 2 : 64;
    while (cap < need)
        cap *= 2;
    struct ed_line *v = realloc(e->lines, cap * sizeof *v);
    if (v == NULL)
        return false;
    e->lines = v;
    e->lines_cap = cap;
    return true;
}

/* Append a line holding s[0..n); false without memory. */
static bool push_line(struct ed *e, const char *s, size_t n)
{
    if (!lines_reserve(e, e->nlines + 1))
        return false;
    struct ed_line *l = &e->lines[e->nlines];
    *l = (struct ed_line){ NULL, 0, 0 };
    if (!line_reserve(l, n ? n : 1))
        return false;
    memcpy(l->s, s, n);
    l->len = n;
    e->nlines++;
    return true;
}

static void clear_lines(struct ed *e)
{
    for (size_t i = 0; i < e->nlines; i++)
        free(e->lines[i].s);
    e->nlines = 0;
    e->cy = e->cx = e->want_col = e->top = e->left = 0;
}

void ed_init(struct ed *e, const char *name, unsigned cols, unsigned rows)
{
    memset(e, 0, sizeof *e);
    e->name = name;
    ed_resize(e, cols, rows);
}

void ed_free(struct ed *e)
{
    clear_lines(e);
    free(e->lines);
    e->lines = NULL;
    e->lines_cap = 0;
}

bool ed_load(struct ed *e, const char *data, size_t len)
{
    size_t start = 0;
    bool ok = true;

    clear_lines(e);
    for (size_t i = 0; i <= len && ok; i++) {
        if (i == len || data[i] == '\n') {
            ok = push_line(e, data + start, i - start);
            start = i + 1;
        }
    }
    if (!ok) {
        clear_lines(e);
        if (!push_line(e, "", 0))
            return false;   /* not even one line: the caller gives up */
    }
    e->modified = false;
    return ok;
}

char *ed_text(const struct ed *e, size_t *len)
{
    size_t n = 0;
    for (size_t i = 0; i < e->nlines; i++)
        n += e->lines[i].len + (i > 0);   /* and the '\n' before it */
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    char *p = out;
    for (size_t i = 0; i < e->nlines; i++) {
        if (i > 0)
            *p++ = '\n';
        memcpy(p, e->lines[i].s, e->lines[i].len);
        p += e->lines[i].len;
    }
    *len = n;
    return out;
}

void ed_message(struct ed *e, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}

static bool no_memory(struct ed *e)
{
    ed_message(e, "out of memory: not changed");
    return false;
}

bool ed_insert(struct ed *e, const char *s, size_t n)
{
    struct ed_line *l = &e->lines[e->cy];
    if (!line_reserve(l, l->len + n))
        return no_memory(e);
    memmove(l->s + e->cx + n, l->s + e->cx, l->len - e->cx);
    memcpy(l->s + e->cx, s, n);
    l->len += n;
    e->cx += n;
    e->modified = true;
    return true;
}

bool ed_newline(struct ed *e)
{
    struct ed_line tail = { NULL, 0, 0 };
    struct ed_line *l = &e->lines[e->cy];
    size_t n = l->len - e->cx;

    if (!line_reserve(&tail, n ? n : 1) || !lines_reserve(e, e->nlines + 1)) {
        free(tail.s);
        return no_memory(e);
    }
    l = &e->lines[e->cy];   /* lines_reserve may have moved the array */
    memcpy(tail.s, l->s + e->cx, n);
    tail.len = n;
    l->len = e->cx;
    memmove(&e->lines[e->cy + 2], &e->lines[e->cy + 1],
            (e->nlines - e->cy - 1) * sizeof *e->lines);
    e->lines[e->cy + 1] = tail;
    e->nlines++;
    e->cy++;
    e->cx = 0;
    e->modified = true;
    return true;
}

/* Append line y + 1 to line y and remove it. */
static bool join_next(struct ed *e, size_t y)
{
    struct ed_line *a = &e->lines[y], *b = &e->lines[y + 1];
    if (!line_reserve(a, a->len + b->len))
        return no_memory(e);
    memcpy(a->s + a->len, b->s, b->len);
    a->len += b->len;
    free(b->s);
    memmove(b, b + 1, (e->nlines - y - 2) * sizeof *b);
    e->nlines--;
    e->modified = true;
    return true;
}

static void remove_byte(struct ed *e, size_t off)
{
    struct ed_line *l = &e->lines[e->cy];
    memmove(l->s + off, l->s + off + 1, l->len - off - 1);
    l->len--;
    e->modified = true;
}

bool ed_backspace(struct ed *e)
{
    if (e->cx > 0) {
        remove_byte(e, --e->cx);
        return true;
    }
    if (e->cy == 0)
        return false;
    size_t x = e->lines[e->cy - 1].len;
    if (!join_next(e, e->cy - 1))
        return false;
    e->cy--;
    e->cx = x;
    return true;
}

bool ed_delete(struct ed *e)
{
    if (e->cx < e->lines[e->cy].len) {
        remove_byte(e, e->cx);
        return true;
    }
    return e->cy + 1 < e->nlines && join_next(e, e->cy);
}
