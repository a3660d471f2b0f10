/*
 * shell/edit.h - the shell's line editor: keys in, terminal output out.
 *
 * Pure C with no system calls (host-tested by tests/host/test_shell.c):
 * the caller feeds every byte typed with edit_key() and gets output through
 * the write callback, as ANSI sequences for a VT100-like terminal (the
 * serial line and consoled's screen both understand them).  Tab asks the
 * complete callback for the candidates for the word before the cursor; the
 * callback answers with edit_candidate().
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EDIT_LINE_MAX   256u   /* bytes in a line, NUL included */
#define EDIT_HISTORY    32u    /* lines remembered */
#define EDIT_CANDS_MAX  64u    /* completion candidates kept */
#define EDIT_POOL_BYTES 2048u  /* their text */

enum edit_status {
    EDIT_MORE,     /* keep feeding keys */
    EDIT_ENTER,    /* a line is ready: edit_line() */
    EDIT_CANCEL,   /* ^C: the line was dropped */
};

struct edit;
typedef void (*edit_write_fn)(void *ctx, const char *s, size_t n);
/* word[0..len) is what is before the cursor; first: it is the line's first word. */
typedef void (*edit_complete_fn)(void *ctx, struct edit *e, const char *word, size_t len,
                                 bool first);

struct edit {
    char line[EDIT_LINE_MAX];
    size_t len, pos;             /* bytes in line; the cursor, 0..len */
    const char *prompt;
    uint8_t esc;                 /* escape-sequence state */
    char escarg[8];              /* the digits of ESC [ n ~ */
    size_t esclen;
    bool after_cr;               /* swallow the LF of a CR LF */
    bool after_tab;              /* a second Tab in a row lists the choices */
    char hist[EDIT_HISTORY][EDIT_LINE_MAX];
    unsigned nhist;              /* lines in hist, the newest at (nhist - 1) % EDIT_HISTORY */
    unsigned back;               /* while browsing: how far back (0: the line being typed) */
    char draft[EDIT_LINE_MAX];   /* the line being typed, while browsing history */
    char pool[EDIT_POOL_BYTES];
    size_t pool_used;
    uint16_t cand[EDIT_CANDS_MAX];
    char cand_suffix[EDIT_CANDS_MAX];
    unsigned ncand;
    edit_write_fn write;
    edit_complete_fn complete;
    void *ctx;
};

void edit_init(struct edit *e, edit_write_fn write, edit_complete_fn complete, void *ctx);

/* Show prompt and start an empty line. */
void edit_start(struct edit *e, const char *prompt);

/* Take one typed byte. */
enum edit_status edit_key(struct edit *e, uint8_t c);

/* The finished line (valid after EDIT_ENTER until the next edit_start). */
const char *edit_line(const struct edit *e);

/* From the complete callback: s[0..n) may replace the word, followed by suffix (0: none). */
void edit_candidate(struct edit *e, const char *s, size_t n, char suffix);
