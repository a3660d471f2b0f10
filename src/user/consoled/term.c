/*
 * term.c - the terminal emulator: bytes in, a grid of cells out.
 *
 * The grid is a ring of rows (term.top is screen row 0), so scrolling one
 * line clears one row instead of moving them all; each changed screen row
 * is marked dirty and render.c draws only those.  Understood: printable
 * ASCII, \r \n \b \t, and CSI sequences for colours (SGR 0 1 22 30-37 39
 * 40-47 49) and cursor control (H f A B C D J K).  Everything else is
 * parsed and dropped, so it never shows up as garbage.  A character
 * written in the last column leaves the cursor there with a wrap pending
 * (the next character starts a new line), as terminals do.
 */
#include <string.h>
#include "consoled.h"

#define DEFAULT_ATTR 0x07u   /* light grey on black */

enum { ST_NORMAL, ST_ESC, ST_CSI };

struct term term;

static void mark(unsigned y)
{
    if (y < term.rows)
        term.dirty[y] = true;
}

static void clear_cells(unsigned y, unsigned x0, unsigned x1)
{
    for (unsigned x = x0; x < x1 && x < term.cols; x++)
        *term_cell(y, x) = (struct cell){ ' ', (uint8_t)(term.attr & 0x70u) | 0x07u };
    mark(y);
}

void term_init(unsigned cols, unsigned rows)
{
    memset(&term, 0, sizeof term);
    term.cols = cols < TERM_MAX_COLS ? cols : TERM_MAX_COLS;
    term.rows = rows < TERM_MAX_ROWS ? rows : TERM_MAX_ROWS;
    term.attr = DEFAULT_ATTR;
    for (unsigned y = 0; y < term.rows; y++)
        clear_cells(y, 0, term.cols);
    /* nothing to draw: a new framebuffer is zeroed, which is what blank cells look like */
    memset(term.dirty, 0, sizeof term.dirty);
}

static void scroll_up(void)
{
    term.top = (term.top + 1) % term.rows;
    /* screen row i now shows what row i+1 showed: its dirty flag moves with it */
    memmove(term.dirty, term.dirty + 1, (term.rows - 1) * sizeof term.dirty[0]);
    term.dirty[term.rows - 1] = false;
    clear_cells(term.rows - 1, 0, term.cols);
    term.scrolled++;
}

static void newline(void)
{
    if (term.cy + 1 < term.rows)
        term.cy++;
    else
        scroll_up();
}

static void put_char(uint8_t c)
{
    if (term.cx >= term.cols) {   /* the pending wrap */
        term.cx = 0;
        newline();
    }
    *term_cell(term.cy, term.cx) = (struct cell){ c, term.attr };
    mark(term.cy);
    term.cx++;
}

static unsigned param(unsigned i, unsigned dflt)
{
    return i < term.nparams && term.params[i] ? term.params[i] : dflt;
}

static void sgr(void)
{
    if (term.nparams == 0)
        term.nparams = 1;   /* ESC [ m is ESC [ 0 m */
    for (unsigned i = 0; i < term.nparams; i++) {
        unsigned p = term.params[i];
        unsigned fg = term.attr & 0x7u, bg = ATTR_BG(term.attr);
        if (p == 0) {
            fg = 7, bg = 0, term.bold = false;
        } else if (p == 1) {
            term.bold = true;
        } else if (p == 22) {
            term.bold = false;
        } else if (p >= 30 && p <= 37) {
            fg = p - 30;
        } else if (p == 39) {
            fg = 7;
        } else if (p >= 40 && p <= 47) {
            bg = p - 40;
        } else if (p == 49) {
            bg = 0;
        }
        term.attr = (uint8_t)(bg << 4 | (term.bold ? 8u : 0u) | fg);
    }
}

/* Erase in display (J) or line (K): 0 cursor to end, 1 start to cursor, 2 all. */
static void erase(bool display, unsigned mode)
{
    unsigned cx = term.cx < term.cols ? term.cx : term.cols - 1;
    if (mode == 0) {
        clear_cells(term.cy, cx, term.cols);
        for (unsigned y = term.cy + 1; display && y < term.rows; y++)
            clear_cells(y, 0, term.cols);
    } else if (mode == 1) {
        clear_cells(term.cy, 0, cx + 1);
        for (unsigned y = 0; display && y < term.cy; y++)
            clear_cells(y, 0, term.cols);
    } else if (mode == 2) {
        for (unsigned y = display ? 0 : term.cy; y < (display ? term.rows : term.cy + 1); y++)
            clear_cells(y, 0, term.cols);
    }
}

static unsigned clamp(int v, unsigned max)
{
    return v < 0 ? 0 : (unsigned)v >= max ? max - 1 : (unsigned)v;
}

static void csi_final(uint8_t c)
{
    int cx = (int)(term.cx < term.cols ? term.cx : term.cols - 1), cy = (int)term.cy;
    switch (c) {
    case 'm': sgr(); return;
    case 'H':
    case 'f':
        term.cy = clamp((int)param(0, 1) - 1, term.rows);
        term.cx = clamp((int)param(1, 1) - 1, term.cols);
        return;
    case 'A': term.cy = clamp(cy - (int)param(0, 1), term.rows); term.cx = (unsigned)cx; return;
    case 'B': term.cy = clamp(cy + (int)param(0, 1), term.rows); term.cx = (unsigned)cx; return;
    case 'C': term.cx = clamp(cx + (int)param(0, 1), term.cols); return;
    case 'D': term.cx = clamp(cx - (int)param(0, 1), term.cols); return;
    case 'J': erase(true, term.nparams ? term.params[0] : 0); return;
    case 'K': erase(false, term.nparams ? term.params[0] : 0); return;
    default: return;   /* not ours: dropped */
    }
}

static void csi_byte(uint8_t c)
{
    if (c >= '0' && c <= '9') {
        if (term.nparams == 0)
            term.nparams = 1;
        unsigned *p = &term.params[term.nparams - 1];
        if (*p < 10000)
            *p = *p * 10 + (c - '0');
    } else if (c == ';') {
        if (term.nparams == 0)
            term.nparams = 1;
        if (term.nparams < sizeof term.params / sizeof term.params[0])
            term.params[term.nparams++] = 0;
    } else if (c >= 0x40 && c <= 0x7e) {
        csi_final(c);
        term.state = ST_NORMAL;
    } else if (c < 0x20 || c > 0x7e) {
        term.state = ST_NORMAL;   /* a broken sequence: give up on it */
    }
    /* intermediates and '?' private markers (0x20-0x3f) are skipped */
}

static void control(uint8_t c)
{
    switch (c) {
    case '\r': term.cx = 0; return;
    case '\n': term.cx = 0; newline(); return;   /* ONLCR: programs write bare \n */
    case '\b': if (term.cx > 0) term.cx = (term.cx >= term.cols ? term.cols : term.cx) - 1; return;
    case '\t':
        term.cx = (term.cx + 8) & ~7u;
        if (term.cx >= term.cols)
            term.cx = term.cols - 1;
        return;
    case 0x1b:
        term.state = ST_ESC;
        return;
    default: return;   /* bell and the rest: nothing to draw */
    }
}

static void term_byte(uint8_t c)
{
    switch (term.state) {
    case ST_ESC:
        if (c == '[') {
            term.state = ST_CSI;
            term.nparams = 0;
            memset(term.params, 0, sizeof term.params);
        } else {
            term.state = ST_NORMAL;   /* ESC x: two-byte sequences are not ours */
        }
        return;
    case ST_CSI:
        csi_byte(c);
        return;
    default:
        break;
    }
    if (c < 0x20 || c == 0x7f)
        control(c);
    else if (c < 0x7f)
        put_char(c);
    else if (c >= 0xc0)
        put_char(0x7f);   /* the start of a UTF-8 character: one box */
    /* UTF-8 continuation bytes (0x80-0xbf) add nothing */
}

void term_write(const uint8_t *p, size_t n)
{
    if (term.rows == 0)
        return;
    for (size_t i = 0; i < n; i++)
        term_byte(p[i]);
}
