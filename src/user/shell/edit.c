/*
 * shell/edit.c - line editing, history and completion (see edit.h).
 *
 * The line is a byte array with a cursor.  Typing at the end of the line is
 * echoed as is and backspace there is "\b \b": the common cases cost one or
 * three bytes on a 115200-baud line.  Every other change redraws: carriage
 * return, prompt, line, erase to end of line, then the cursor moved back to
 * its place.  Escape sequences are decoded by a small state machine that
 * drops what it does not know, so a stray key never lands in the line.
 */
#include <stdio.h>
#include <string.h>
#include "edit.h"

enum { ESC_NONE, ESC_START, ESC_CSI, ESC_SS3 };

#define CTRL(c) ((c) & 0x1f)

static void out(struct edit *e, const char *s, size_t n)
{
    if (n > 0)
        e->write(e->ctx, s, n);
}

static void outs(struct edit *e, const char *s)
{
    out(e, s, strlen(s));
}

/* Move the terminal's cursor n columns left (dir 'D') or right ('C'). */
static void cursor_move(struct edit *e, size_t n, char dir)
{
    char seq[24];

    if (n > 0)
        out(e, seq, (size_t)snprintf(seq, sizeof seq, "\x1b[%zu%c", n, dir));
}

static void redraw(struct edit *e)
{
    outs(e, "\r");
    outs(e, e->prompt);
    out(e, e->line, e->len);
    outs(e, "\x1b[K");
    cursor_move(e, e->len - e->pos, 'D');
}

static void set_line(struct edit *e, const char *s)
{
    size_t n = strlen(s);

    if (n > EDIT_LINE_MAX - 1)
        n = EDIT_LINE_MAX - 1;
    memcpy(e->line, s, n);
    e->len = e->pos = n;
    redraw(e);
}

static void insert(struct edit *e, const char *s, size_t n)
{
    if (n > EDIT_LINE_MAX - 1 - e->len)
        n = EDIT_LINE_MAX - 1 - e->len;
    if (n == 0)
        return;
    bool at_end = e->pos == e->len;
    memmove(e->line + e->pos + n, e->line + e->pos, e->len - e->pos);
    memcpy(e->line + e->pos, s, n);
    e->len += n;
    e->pos += n;
    if (at_end)
        out(e, s, n);
    else
        redraw(e);
}

/* Remove line[from, to). */
static void erase(struct edit *e, size_t from, size_t to)
{
    if (from >= to)
        return;
    bool tail = to == e->len && e->pos == to && to - from == 1;
    memmove(e->line + from, e->line + to, e->len - to);
    e->len -= to - from;
    if (e->pos >= to)
        e->pos -= to - from;
    else if (e->pos > from)
        e->pos = from;
    if (tail)
        outs(e, "\b \b");
    else
        redraw(e);
}

static void move_to(struct edit *e, size_t pos)
{
    if (pos < e->pos)
        cursor_move(e, e->pos - pos, 'D');
    else
        cursor_move(e, pos - e->pos, 'C');
    e->pos = pos;
}

static const char *hist_at(const struct edit *e, unsigned back)
{
    return e->hist[(e->nhist - back) % EDIT_HISTORY];
}

/* Up (older, dir 1) or down (newer, dir -1) through the history. */
static void history_step(struct edit *e, int dir)
{
    unsigned limit = e->nhist < EDIT_HISTORY ? e->nhist : EDIT_HISTORY;

    if ((dir > 0 && e->back >= limit) || (dir < 0 && e->back == 0))
        return;
    if (e->back == 0) {
        memcpy(e->draft, e->line, e->len);
        e->draft[e->len] = '\0';
    }
    e->back += (unsigned)dir;
    set_line(e, e->back == 0 ? e->draft : hist_at(e, e->back));
}

static void history_add(struct edit *e, const char *s)
{
    if (s[0] == '\0' || (e->nhist > 0 && strcmp(hist_at(e, 1), s) == 0))
        return;
    memcpy(e->hist[e->nhist % EDIT_HISTORY], s, strlen(s) + 1);
    e->nhist++;
}

void edit_candidate(struct edit *e, const char *s, size_t n, char suffix)
{
    if (e->ncand == EDIT_CANDS_MAX || n + 1 > EDIT_POOL_BYTES - e->pool_used)
        return;
    e->cand[e->ncand] = (uint16_t)e->pool_used;
    e->cand_suffix[e->ncand++] = suffix;
    memcpy(e->pool + e->pool_used, s, n);
    e->pool[e->pool_used + n] = '\0';
    e->pool_used += n + 1;
}

static void list_candidates(struct edit *e)
{
    outs(e, "\r\n");
    for (unsigned i = 0; i < e->ncand; i++) {
        outs(e, e->pool + e->cand[i]);
        if (e->cand_suffix[i] == '/')
            outs(e, "/");
        outs(e, i + 1 < e->ncand ? "  " : "\r\n");
    }
    redraw(e);
}

/* Tab: replace the word before the cursor by the candidates' common prefix. */
static void complete(struct edit *e)
{
    size_t start = e->pos;
    bool second = e->after_tab;

    while (start > 0 && e->line[start - 1] != ' ')
        start--;
    bool first = true;
    for (size_t i = 0; i < start; i++)
        first = first && e->line[i] == ' ';
    e->ncand = 0;
    e->pool_used = 0;
    if (e->complete)
        e->complete(e->ctx, e, e->line + start, e->pos - start, first);
    e->after_tab = true;
    if (e->ncand == 0)
        return;
    const char *c0 = e->pool + e->cand[0];
    size_t common = strlen(c0);
    for (unsigned i = 1; i < e->ncand; i++) {
        const char *ci = e->pool + e->cand[i];
        size_t k = 0;
        while (k < common && ci[k] == c0[k])
            k++;
        common = k;
    }
    char word[EDIT_LINE_MAX];
    memcpy(word, c0, common);
    if (e->ncand == 1 && e->cand_suffix[0])
        word[common++] = e->cand_suffix[0];
    size_t old = e->pos - start;
    if (common > old || memcmp(word, e->line + start, common) != 0) {
        erase(e, start, e->pos);
        insert(e, word, common);
    } else if (e->ncand > 1 && second) {
        list_candidates(e);
    }
}

static enum edit_status control_key(struct edit *e, uint8_t c)
{
    size_t w;

    switch (c) {
    case '\r':
    case '\n':
        e->line[e->len] = '\0';
        outs(e, "\r\n");
        history_add(e, e->line);
        return EDIT_ENTER;
    case CTRL('C'):
        e->len = e->pos = 0;
        e->line[0] = '\0';
        outs(e, "^C\r\n");
        return EDIT_CANCEL;
    case 0x7f:
    case CTRL('H'):
        if (e->pos > 0)
            erase(e, e->pos - 1, e->pos);
        break;
    case CTRL('D'):
        erase(e, e->pos, e->pos < e->len ? e->pos + 1 : e->pos);
        break;
    case CTRL('A'):
        move_to(e, 0);
        break;
    case CTRL('E'):
        move_to(e, e->len);
        break;
    case CTRL('B'):
        move_to(e, e->pos > 0 ? e->pos - 1 : 0);
        break;
    case CTRL('F'):
        move_to(e, e->pos < e->len ? e->pos + 1 : e->len);
        break;
    case CTRL('U'):
        erase(e, 0, e->pos);
        break;
    case CTRL('K'):
        erase(e, e->pos, e->len);
        break;
    case CTRL('W'):
        w = e->pos;
        while (w > 0 && e->line[w - 1] == ' ')
            w--;
        while (w > 0 && e->line[w - 1] != ' ')
            w--;
        erase(e, w, e->pos);
        break;
    case CTRL('P'):
        history_step(e, 1);
        break;
    case CTRL('N'):
        history_step(e, -1);
        break;
    case CTRL('L'):
        redraw(e);
        break;
    case '\t':
        complete(e);
        break;
    default:
        break;   /* other control characters are ignored */
    }
    return EDIT_MORE;
}

/* The final byte of ESC [ ... or ESC O ... */
static void escape_key(struct edit *e, uint8_t c)
{
    int n = e->esclen ? e->escarg[0] - '0' : 0;

    if (c == '~')
        c = n == 1 || n == 7 ? 'H' : n == 4 || n == 8 ? 'F' : n == 3 ? 'd' : 0;
    switch (c) {
    case 'A':
        history_step(e, 1);
        break;
    case 'B':
        history_step(e, -1);
        break;
    case 'C':
        move_to(e, e->pos < e->len ? e->pos + 1 : e->len);
        break;
    case 'D':
        move_to(e, e->pos > 0 ? e->pos - 1 : 0);
        break;
    case 'H':
        move_to(e, 0);
        break;
    case 'F':
        move_to(e, e->len);
        break;
    case 'd':   /* Delete */
        erase(e, e->pos, e->pos < e->len ? e->pos + 1 : e->pos);
        break;
    default:
        break;
    }
}

enum edit_status edit_key(struct edit *e, uint8_t c)
{
    bool after_cr = e->after_cr, after_tab = e->after_tab;

    e->after_cr = false;
    e->after_tab = false;
    switch (e->esc) {
    case ESC_START:
        e->esc = c == '[' ? ESC_CSI : c == 'O' ? ESC_SS3 : ESC_NONE;
        e->esclen = 0;
        if (e->esc != ESC_NONE)
            return EDIT_MORE;
        break;   /* ESC then an ordinary key: the key counts */
    case ESC_CSI:
        if ((c >= '0' && c <= '9') || c == ';') {
            if (e->esclen < sizeof e->escarg)
                e->escarg[e->esclen++] = (char)c;
            return EDIT_MORE;
        }
        e->esc = ESC_NONE;
        if (c >= 0x40 && c <= 0x7e)
            escape_key(e, c);
        return EDIT_MORE;
    case ESC_SS3:
        e->esc = ESC_NONE;
        escape_key(e, c);
        return EDIT_MORE;
    default:
        break;
    }
    if (c == 0x1b) {
        e->esc = ESC_START;
        return EDIT_MORE;
    }
    if (c == '\n' && after_cr)
        return EDIT_MORE;   /* the LF of a CR LF: the CR already ended the line */
    if (c == '\t')
        e->after_tab = after_tab;
    if (c < 0x20 || c == 0x7f) {
        e->after_cr = c == '\r';
        return control_key(e, c);
    }
    char ch = (char)c;
    insert(e, &ch, 1);
    return EDIT_MORE;
}

void edit_init(struct edit *e, edit_write_fn write, edit_complete_fn complete, void *ctx)
{
    memset(e, 0, sizeof *e);
    e->write = write;
    e->complete = complete;
    e->ctx = ctx;
    e->prompt = "";
}

void edit_start(struct edit *e, const char *prompt)
{
    e->prompt = prompt;
    e->len = e->pos = 0;
    e->line[0] = '\0';
    e->back = 0;
    e->esc = ESC_NONE;
    outs(e, prompt);
}

const char *edit_line(const struct edit *e)
{
    return e->line;
}
