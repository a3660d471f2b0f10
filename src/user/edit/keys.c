/*
 * edit/keys.c - typed bytes to keys, keys to edits and actions.
 *
 * The decoder knows what a terminal and inputd send (docs/console.md):
 * ESC [ <n> ~ and ESC [ A..D/H/F, ESC O A..D/H/F.  Parameters after the
 * first (xterm's ";5" modifiers) are read and ignored; a sequence with an
 * unknown final byte is dropped whole, so it never types garbage.  ESC
 * followed by anything else is an Esc press and then that byte: there is
 * no timer, so a lone Esc acts when the next byte comes.
 *
 * Saving and quitting need I/O: ed_key returns ED_SAVE / ED_QUIT and the
 * front end does the work (and reports a save with ed_saved).
 */
#include <string.h>
#include "edit.h"

#define ESC 0x1b

enum { DEC_GROUND, DEC_ESC, DEC_CSI, DEC_SS3 };

/* The key for a CSI or SS3 final byte (and the first parameter for '~'); 0 if none. */
static int sequence_key(unsigned char final, unsigned param)
{
    switch (final) {
    case 'A': return ED_K_UP;
    case 'B': return ED_K_DOWN;
    case 'C': return ED_K_RIGHT;
    case 'D': return ED_K_LEFT;
    case 'H': return ED_K_HOME;
    case 'F': return ED_K_END;
    case '~':
        switch (param) {
        case 1: case 7: return ED_K_HOME;
        case 4: case 8: return ED_K_END;
        case 3: return ED_K_DEL;
        case 5: return ED_K_PGUP;
        case 6: return ED_K_PGDN;
        }
    }
    return 0;
}

enum ed_action ed_byte(struct ed *e, unsigned char c)
{
    switch (e->dec.state) {
    case DEC_ESC:
        e->dec.state = c == '[' ? DEC_CSI : c == 'O' ? DEC_SS3 : DEC_GROUND;
        e->dec.param = e->dec.nparam = 0;
        if (e->dec.state != DEC_GROUND)
            return ED_NONE;
        enum ed_action a = ed_key(e, ESC);
        return a != ED_NONE ? a : ed_byte(e, c);
    case DEC_CSI:
        if (c >= '0' && c <= '9') {
            if (e->dec.nparam == 0 && e->dec.param < 1000)
                e->dec.param = e->dec.param * 10 + (c - '0');
            return ED_NONE;
        }
        if (c >= 0x20 && c < 0x40) {   /* more parameters, intermediates */
            e->dec.nparam += c == ';';
            return ED_NONE;
        }
        e->dec.state = DEC_GROUND;
        if (c < 0x20 || c > 0x7e)   /* broken sequence: the byte is typed on its own */
            return ed_byte(e, c);
        int k = sequence_key(c, e->dec.param);
        return k ? ed_key(e, k) : ED_NONE;
    case DEC_SS3: {
        e->dec.state = DEC_GROUND;
        int k = sequence_key(c, 0);
        return k ? ed_key(e, k) : ED_NONE;
    }
    default:
        if (c == ESC) {
            e->dec.state = DEC_ESC;
            return ED_NONE;
        }
        return ed_key(e, c);
    }
}

/* ---- movement ---------------------------------------------------------------- */

static void set_x(struct ed *e, size_t x)
{
    e->cx = x;
    e->want_col = ed_col(&e->lines[e->cy], x);
}

/* Move to line y, as near the wanted column as that line allows. */
static void go_line(struct ed *e, size_t y)
{
    e->cy = y < e->nlines ? y : e->nlines - 1;
    e->cx = ed_off_at(&e->lines[e->cy], e->want_col);
}

static void move(struct ed *e, int key)
{
    size_t page = ed_text_rows(e);
    const struct ed_line *l = &e->lines[e->cy];

    switch (key) {
    case ED_K_LEFT:
        if (e->cx > 0)
            set_x(e, e->cx - 1);
        else if (e->cy > 0)
            e->cy--, set_x(e, e->lines[e->cy].len);
        break;
    case ED_K_RIGHT:
        if (e->cx < l->len)
            set_x(e, e->cx + 1);
        else if (e->cy + 1 < e->nlines)
            e->cy++, set_x(e, 0);
        break;
    case ED_K_UP:
        if (e->cy > 0)
            go_line(e, e->cy - 1);
        break;
    case ED_K_DOWN:
        go_line(e, e->cy + 1);
        break;
    case ED_K_HOME:
        set_x(e, 0);
        break;
    case ED_K_END:
        set_x(e, l->len);
        break;
    case ED_K_PGUP:   /* the view moves a page with the cursor */
        e->top = e->top > page ? e->top - page : 0;
        go_line(e, e->cy > page ? e->cy - page : 0);
        break;
    case ED_K_PGDN:
        if (e->top + page < e->nlines)
            e->top += page;
        go_line(e, e->cy + page);
        break;
    }
}

/* ---- Find ---------------------------------------------------------------------- */

/* Where needle[0..n) starts in line l at or after byte from, or -1. */
static long find_in(const struct ed_line *l, size_t from, const char *needle, size_t n)
{
    for (size_t i = from; i + n <= l->len; i++)
        if (memcmp(l->s + i, needle, n) == 0)
            return (long)i;
    return -1;
}

/* Search forward from just after the cursor, wrapping round to it; the last line looked
 * at (k == nlines) is the cursor's own again, up to the cursor. */
static void find(struct ed *e, const char *needle)
{
    size_t n = strlen(needle), y0 = e->cy, x0 = e->cx;

    for (size_t k = 0; k <= e->nlines; k++) {
        size_t y = (y0 + k) % e->nlines;
        size_t from = k == 0 ? x0 + 1 : 0;
        long x = from <= e->lines[y].len ? find_in(&e->lines[y], from, needle, n) : -1;
        if (x < 0 || (k == e->nlines && (size_t)x > x0))
            continue;
        e->cy = y;
        set_x(e, (size_t)x);
        if (y0 + k >= e->nlines)
            ed_message(e, "search wrapped");
        return;
    }
    ed_message(e, "not found: %s", needle);
}

static enum ed_action find_key(struct ed *e, int key)
{
    if (key == '\r' || key == '\n') {
        e->finding = false;
        if (e->prompt_len > 0) {
            memcpy(e->last_find, e->prompt, e->prompt_len);
            e->last_find[e->prompt_len] = '\0';
        }
        if (e->last_find[0] != '\0')
            find(e, e->last_find);
    } else if (key == ESC || key == ED_CTRL('G')) {
        e->finding = false;
    } else if (key == 0x7f || key == ED_CTRL('H')) {
        if (e->prompt_len > 0)
            e->prompt_len--;
    } else if (key >= 0x20 && key <= 0xff && key != 0x7f &&
               e->prompt_len + 1 < sizeof e->prompt) {
        e->prompt[e->prompt_len++] = (char)key;
    }
    return ED_NONE;
}

/* ---- dispatch ------------------------------------------------------------------ */

enum ed_action ed_key(struct ed *e, int key)
{
    bool armed = e->quit_armed;

    e->quit_armed = false;
    e->msg[0] = '\0';
    if (e->finding)
        return find_key(e, key);
    switch (key) {
    case ED_CTRL('Q'):
        if (!e->modified || armed)
            return ED_QUIT;
        e->quit_armed = true;
        ed_message(e, "unsaved changes: ^Q again quits without saving, ^S saves");
        return ED_NONE;
    case ED_CTRL('S'):
        return ED_SAVE;
    case ED_CTRL('L'):
        return ED_REDRAW;
    case ED_CTRL('F'):
        e->finding = true;
        e->prompt_len = 0;
        return ED_NONE;
    case ED_CTRL('A'):
        key = ED_K_HOME;
        break;
    case ED_CTRL('E'):
        key = ED_K_END;
        break;
    case ED_CTRL('D'):
        key = ED_K_DEL;
        break;
    }
    if (key == '\r' || key == '\n') {
        ed_newline(e);
    } else if (key == 0x7f || key == ED_CTRL('H')) {
        ed_backspace(e);
    } else if (key == ED_K_DEL) {
        ed_delete(e);
    } else if (key >= ED_K_UP) {
        move(e, key);
        return ED_NONE;
    } else if (key == '\t' || (key >= 0x20 && key != 0x7f)) {
        char c = (char)key;
        ed_insert(e, &c, 1);
    } else {
        return ED_NONE;   /* other control bytes do nothing */
    }
    e->want_col = ed_col(&e->lines[e->cy], e->cx);
    return ED_NONE;
}

void ed_saved(struct ed *e, bool ok, size_t bytes, const char *why)
{
    if (ok) {
        e->modified = false;
        ed_message(e, "saved %zu bytes to %s", bytes, e->name);
    } else {
        ed_message(e, "save failed: %s", why);
    }
}
