/*
 * edit/edit.h - the editor's core: the text, the keys, the view.  No I/O.
 *
 * /edit (docs/edit.md) is this core plus main.c, which alone talks to
 * consoled and fsd.  The core is also built for the host and tested there
 * (tests/host/test_edit.c).
 *
 * The text is an array of lines, each a growable byte array without its
 * '\n': the file's bytes are the lines joined by '\n', so a file ending in
 * a newline has an empty last line and load-then-save is the identity.
 * There is always at least one line.  The cursor is (cy, cx): a line index
 * and a byte offset in that line, cx <= that line's length.  Display
 * columns differ from byte offsets only through tabs (to the next multiple
 * of ED_TAB); every other byte is one column.
 *
 * Files: buffer.c (lines and edits), keys.c (bytes to keys to edits and
 * actions, the Find prompt), view.c (scrolling, rows, minimal redraw), and
 * file.c (load and save through the POSIX file API, so also host-tested).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define ED_TAB 8u
#define ED_MSG_MAX 160u
#define ED_PROMPT_MAX 64u
#define ED_MAX_COLS 400u   /* larger screens are used up to this */
#define ED_MAX_ROWS 200u
#define ED_PATH_MAX 1024u

/* Keys: a byte 0..255 is itself; these come from escape sequences. */
enum ed_keycode {
    ED_K_UP = 0x100,
    ED_K_DOWN,
    ED_K_LEFT,
    ED_K_RIGHT,
    ED_K_HOME,
    ED_K_END,
    ED_K_PGUP,
    ED_K_PGDN,
    ED_K_DEL,
};

/* What the front end must do after a key (ed_byte, ed_key). */
enum ed_action {
    ED_NONE = 0,
    ED_SAVE,   /* write ed_text() to the file, then report with ed_saved() */
    ED_QUIT,   /* leave (unsaved changes were confirmed) */
    ED_REDRAW, /* ^L: forget the screen copy and draw everything */
};

#define ED_CTRL(c) ((c) & 0x1f)

struct ed_line {
    char *s;
    size_t len, cap;
};

struct ed {
    struct ed_line *lines;
    size_t nlines, lines_cap;   /* nlines >= 1 once loaded */
    size_t cy, cx;              /* cursor: line, byte offset */
    size_t want_col;            /* the display column Up/Down/PgUp/PgDn aim for */
    size_t top, left;           /* first line shown, first display column shown */
    unsigned cols, rows;        /* screen size; the text has rows - 2 */
    const char *name;           /* shown in the status line */
    bool modified;
    bool quit_armed;            /* ^Q was pressed with unsaved changes */
    bool finding;               /* the Find prompt is open */
    char msg[ED_MSG_MAX];       /* the message row; cleared by the next key */
    char prompt[ED_PROMPT_MAX]; /* Find text being typed */
    size_t prompt_len;
    char last_find[ED_PROMPT_MAX];
    struct {                    /* escape sequence decoder */
        int state;
        unsigned param, nparam;
    } dec;
};

/* buffer.c */
void ed_init(struct ed *e, const char *name, unsigned cols, unsigned rows);
void ed_free(struct ed *e);
/* Replace the text with data[0..len) (split at '\n'); cursor to the top.  false: no memory
 * (the buffer is then one empty line). */
bool ed_load(struct ed *e, const char *data, size_t len);
/* The file's bytes (malloc'd, *len of them; NULL without memory). */
char *ed_text(const struct ed *e, size_t *len);
bool ed_insert(struct ed *e, const char *s, size_t n);   /* at the cursor, which moves past */
bool ed_newline(struct ed *e);                           /* split the line at the cursor */
bool ed_backspace(struct ed *e);                         /* false: nothing before the cursor */
bool ed_delete(struct ed *e);                            /* false: nothing after the cursor */
void ed_message(struct ed *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* keys.c */
/* Feed one typed byte; a completed key is applied (ed_key). */
enum ed_action ed_byte(struct ed *e, unsigned char c);
enum ed_action ed_key(struct ed *e, int key);
/* The front end's report on an ED_SAVE: ok, or why not (the buffer stays modified). */
void ed_saved(struct ed *e, bool ok, size_t bytes, const char *why);

/* view.c */
size_t ed_col(const struct ed_line *l, size_t off);         /* display column of byte off */
size_t ed_off_at(const struct ed_line *l, size_t col);      /* byte offset shown at column col */
unsigned ed_text_rows(const struct ed *e);
void ed_resize(struct ed *e, unsigned cols, unsigned rows);
void ed_scroll(struct ed *e);   /* move top/left so the cursor is on screen */
/* Screen row r (0-based) as text, at most e->cols bytes into out; its length. */
size_t ed_render_row(const struct ed *e, unsigned r, char *out);
void ed_cursor_pos(const struct ed *e, unsigned *row, unsigned *col);   /* 0-based */

/* file.c */
/* Load path (missing: an empty new file, "new file" on the message row); NULL, or why not. */
const char *ed_file_load(struct ed *e, const char *path);
/* ^S: save to e->name through e->name.tmp, fsync and rename; reported with ed_saved. */
void ed_file_save(struct ed *e);

/* The rows as last drawn, for minimal redraw. */
struct ed_screen {
    unsigned cols, rows;
    char *text;        /* rows * cols bytes */
    size_t *len;       /* rows lengths; (size_t)-1: unknown, draw it */
};
typedef void ed_out_fn(void *ctx, const char *s, size_t n);
bool ed_screen_init(struct ed_screen *s, unsigned cols, unsigned rows);
void ed_screen_free(struct ed_screen *s);
void ed_screen_forget(struct ed_screen *s);
/* Scroll, send the rows that differ from the copy (and update it), place the cursor;
 * returns how many rows were sent. */
unsigned ed_draw(struct ed *e, struct ed_screen *s, ed_out_fn *out, void *ctx);
