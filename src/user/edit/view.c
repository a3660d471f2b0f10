/*
 * edit/view.c - what the screen shows, and drawing only what changed.
 *
 * The screen is rows-2 text rows, a status row (black on white: SGR
 * colours, which consoled's screen draws too, unlike inverse video) and a
 * message row.  Text rows show lines top.. from display column left; all
 * rows shift sideways together.  ed_draw renders every row into a scratch
 * buffer and compares it with the copy of what was last sent
 * (struct ed_screen): equal rows cost nothing, so one typed character
 * sends its row, the status row and a cursor move.  A row never goes past
 * the last column, and the message row stops one short of it, so the
 * terminal never wraps or scrolls under us.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "edit.h"

static size_t next_col(char c, size_t col)
{
    return c == '\t' ? (col / ED_TAB + 1) * ED_TAB : col + 1;
}

size_t ed_col(const struct ed_line *l, size_t off)
{
    size_t col = 0;
    for (size_t i = 0; i < off && i < l->len; i++)
        col = next_col(l->s[i], col);
    return col;
}

size_t ed_off_at(const struct ed_line *l, size_t col)
{
    size_t c = 0;
    for (size_t i = 0; i < l->len; i++) {
        c = next_col(l->s[i], c);
        if (c > col)
            return i;
    }
    return l->len;
}

unsigned ed_text_rows(const struct ed *e)
{
    return e->rows - 2;
}

void ed_resize(struct ed *e, unsigned cols, unsigned rows)
{
    e->cols = cols < 16 ? 16 : cols > ED_MAX_COLS ? ED_MAX_COLS : cols;
    e->rows = rows < 3 ? 3 : rows > ED_MAX_ROWS ? ED_MAX_ROWS : rows;
}

void ed_scroll(struct ed *e)
{
    size_t page = ed_text_rows(e), step = e->cols / 4;
    size_t col = ed_col(&e->lines[e->cy], e->cx);

    if (e->top >= e->nlines)
        e->top = e->nlines - 1;
    if (e->cy < e->top)
        e->top = e->cy;
    else if (e->cy >= e->top + page)
        e->top = e->cy - page + 1;
    /* Sideways in quarter screens, so typing on at a long line's end shifts now and then. */
    if (col < e->left)
        e->left = col > step ? col - step : 0;
    else if (col >= e->left + e->cols)
        e->left = col - e->cols + step;
}

/* Line l's cells from display column left, at most cols of them. */
static size_t render_line(const struct ed_line *l, size_t left, size_t cols, char *out)
{
    size_t n = 0, col = 0;
    for (size_t i = 0; i < l->len && col < left + cols; i++) {
        unsigned char c = (unsigned char)l->s[i];
        size_t end = next_col((char)c, col);
        for (; col < end && col < left + cols; col++) {
            if (col < left)
                continue;
            out[n++] = c == '\t' ? ' ' : c < 0x20 || c >= 0x7f ? '?' : (char)c;
        }
    }
    return n;
}

static size_t render_status(const struct ed *e, char *out)
{
    char right[64];
    int rn = snprintf(right, sizeof right, "%zu:%zu  %zu line%s ", e->cy + 1,
                      ed_col(&e->lines[e->cy], e->cx) + 1, e->nlines, e->nlines == 1 ? "" : "s");
    size_t rlen = (size_t)rn < e->cols ? (size_t)rn : 0;
    char left[ED_MAX_COLS + 1];
    snprintf(left, sizeof left, " %s%s", e->name, e->modified ? " [modified]" : "");
    size_t llen = strlen(left);
    if (llen > e->cols - rlen)
        llen = e->cols - rlen;
    memcpy(out, left, llen);
    memset(out + llen, ' ', e->cols - rlen - llen);
    memcpy(out + e->cols - rlen, right, rlen);
    return e->cols;
}

size_t ed_render_row(const struct ed *e, unsigned r, char *out)
{
    unsigned text = ed_text_rows(e);

    if (r < text) {
        size_t y = e->top + r;
        if (y >= e->nlines) {
            out[0] = '~';
            return 1;
        }
        return render_line(&e->lines[y], e->left, e->cols, out);
    }
    if (r == text)
        return render_status(e, out);
    size_t max = e->cols - 1;
    if (!e->finding) {
        size_t n = strnlen(e->msg, max);
        memcpy(out, e->msg, n);
        return n;
    }
    /* "Find: " and as much of the end of the typed text as fits. */
    size_t n = 6, skip = e->prompt_len + n > max ? e->prompt_len + n - max : 0;
    memcpy(out, "Find: ", n);
    memcpy(out + n, e->prompt + skip, e->prompt_len - skip);
    return n + e->prompt_len - skip;
}

void ed_cursor_pos(const struct ed *e, unsigned *row, unsigned *col)
{
    if (e->finding) {
        size_t c = 6 + e->prompt_len;
        *row = e->rows - 1;
        *col = c < e->cols - 1 ? (unsigned)c : e->cols - 1;
        return;
    }
    *row = (unsigned)(e->cy - e->top);
    *col = (unsigned)(ed_col(&e->lines[e->cy], e->cx) - e->left);
}

bool ed_screen_init(struct ed_screen *s, unsigned cols, unsigned rows)
{
    s->cols = cols;
    s->rows = rows;
    s->text = malloc((size_t)cols * rows);
    s->len = malloc(rows * sizeof *s->len);
    if (s->text == NULL || s->len == NULL) {
        ed_screen_free(s);
        return false;
    }
    ed_screen_forget(s);
    return true;
}

void ed_screen_free(struct ed_screen *s)
{
    free(s->text);
    free(s->len);
    s->text = NULL;
    s->len = NULL;
}

void ed_screen_forget(struct ed_screen *s)
{
    for (unsigned r = 0; r < s->rows; r++)
        s->len[r] = (size_t)-1;
}

static void out_str(ed_out_fn *out, void *ctx, const char *str)
{
    out(ctx, str, strlen(str));
}

unsigned ed_draw(struct ed *e, struct ed_screen *s, ed_out_fn *out, void *ctx)
{
    char row[ED_MAX_COLS], seq[32];
    unsigned sent = 0, cr, cc;

    ed_scroll(e);
    for (unsigned r = 0; r < s->rows && r < e->rows; r++) {
        size_t n = ed_render_row(e, r, row);
        char *old = s->text + (size_t)r * s->cols;
        if (n > s->cols || (s->len[r] == n && memcmp(old, row, n) == 0))
            continue;
        bool status = r == ed_text_rows(e);
        snprintf(seq, sizeof seq, "\x1b[%u;1H%s", r + 1, status ? "\x1b[30;47m" : "");
        out_str(out, ctx, seq);
        out(ctx, row, n);
        /* Erase the rest; not after a full row (the cursor waits on its last cell). */
        out_str(out, ctx, status ? "\x1b[0m" : n < e->cols ? "\x1b[K" : "");
        memcpy(old, row, n);
        s->len[r] = n;
        sent++;
    }
    ed_cursor_pos(e, &cr, &cc);
    snprintf(seq, sizeof seq, "\x1b[%u;%uH", cr + 1, cc + 1);
    out_str(out, ctx, seq);
    return sent;
}
