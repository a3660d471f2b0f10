/*
 * render.c - draws the terminal's cell grid into every framebuffer.
 *
 * A frame draws only what changed since the last one: the pixels move up
 * once for all the lines scrolled (one memmove), then every dirty row is
 * redrawn, then the cursor (its cell in inverse colours).  Each display
 * sees the same frame; one that needs telling (virtio-gpu) gets the pixel
 * rows that changed through its flush hook.
 */
#include <string.h>
#include "consoled.h"

/* The 16 colours: 0-7 normal, 8-15 bright (bold), XRGB8888. */
static const uint32_t palette[16] = {
    0x000000, 0xaa0000, 0x00aa00, 0xaa5500, 0x0000aa, 0xaa00aa, 0x00aaaa, 0xaaaaaa,
    0x555555, 0xff5555, 0x55ff55, 0xffff55, 0x5555ff, 0xff55ff, 0x55ffff, 0xffffff,
};

static struct display *displays[DISPLAYS_MAX];
static unsigned ndisplays;
static bool cursor_drawn;
static unsigned cursor_x, cursor_y;   /* where the inverse cell is on the screens */

bool render_add(struct display *d)
{
    if (ndisplays == DISPLAYS_MAX)
        return false;
    displays[ndisplays++] = d;
    return true;
}

unsigned render_count(void)
{
    return ndisplays;
}

void render_cells(unsigned *cols, unsigned *rows)
{
    unsigned c = TERM_MAX_COLS, r = TERM_MAX_ROWS;
    for (unsigned i = 0; i < ndisplays; i++) {
        if (displays[i]->width / FONT_W < c)
            c = displays[i]->width / FONT_W;
        if (displays[i]->height / FONT_H < r)
            r = displays[i]->height / FONT_H;
    }
    *cols = c;
    *rows = r;
}

static void draw_cell(const struct display *d, unsigned x, unsigned y, struct cell c,
                      bool inverse)
{
    uint32_t fg = palette[ATTR_FG(c.attr)], bg = palette[ATTR_BG(c.attr)];
    if (inverse) {
        uint32_t t = fg;
        fg = bg;
        bg = t;
    }
    const uint8_t *glyph = font_bits[c.ch >= 32 && c.ch <= 127 ? c.ch - 32 : 0];
    uint32_t *p = d->fb + (size_t)y * FONT_H * d->stride + (size_t)x * FONT_W;
    for (unsigned row = 0; row < FONT_H; row++, p += d->stride) {
        uint8_t bits = glyph[row];
        for (unsigned col = 0; col < FONT_W; col++)
            p[col] = bits & (0x80u >> col) ? fg : bg;
    }
}

/* Move the text area's pixels up by n lines (n < rows). */
static void scroll_pixels(const struct display *d, unsigned n)
{
    size_t line = (size_t)FONT_H * d->stride;
    memmove(d->fb, d->fb + n * line, (term.rows - n) * line * sizeof d->fb[0]);
}

void render_frame(void)
{
    unsigned cx = term.cx < term.cols ? term.cx : term.cols - 1;
    unsigned lo = term.rows, hi = 0;   /* screen rows drawn: [lo, hi] */
    if (term.scrolled) {
        if (term.scrolled < term.rows)
            for (unsigned i = 0; i < ndisplays; i++)
                scroll_pixels(displays[i], term.scrolled);
        lo = 0, hi = term.rows - 1;
        cursor_drawn = cursor_drawn && cursor_y >= term.scrolled;
        cursor_y -= cursor_drawn ? term.scrolled : 0;
    }
    if (cursor_drawn && (cursor_x != cx || cursor_y != term.cy))
        term.dirty[cursor_y] = true;   /* redrawn below without the inverse */
    for (unsigned y = 0; y < term.rows; y++) {
        if (!term.dirty[y])
            continue;
        term.dirty[y] = false;
        lo = y < lo ? y : lo;
        hi = y > hi ? y : hi;
        for (unsigned i = 0; i < ndisplays; i++)
            for (unsigned x = 0; x < term.cols; x++)
                draw_cell(displays[i], x, y, *term_cell(y, x), false);
    }
    bool moved = !cursor_drawn || cursor_x != cx || cursor_y != term.cy;
    if (moved || (lo <= term.cy && term.cy <= hi)) {
        for (unsigned i = 0; i < ndisplays; i++)
            draw_cell(displays[i], cx, term.cy, *term_cell(term.cy, cx), true);
        cursor_drawn = true, cursor_x = cx, cursor_y = term.cy;
        lo = term.cy < lo ? term.cy : lo;
        hi = term.cy > hi ? term.cy : hi;
    }
    term.scrolled = 0;
    if (lo > hi)
        return;
    for (unsigned i = 0; i < ndisplays; i++)
        if (displays[i]->flush)
            displays[i]->flush(displays[i], lo * FONT_H, (hi + 1) * FONT_H);
}
