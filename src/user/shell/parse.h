/*
 * shell/parse.h - splitting a command line into words.
 *
 * Words are separated by spaces and tabs.  "Double quotes" keep spaces; in
 * them the AmigaDOS escape character * gives *" (a quote), *n (newline),
 * *e (ESC) and ** (a star).  $RC anywhere is replaced by the last return
 * code.  An unquoted ; starts a comment.  Pure C, host-tested.
 */
#pragma once
#include <stddef.h>

#define PARSE_WORDS_MAX 32u
#define PARSE_BUF_BYTES 512u

struct words {
    int argc;
    char *argv[PARSE_WORDS_MAX + 1];   /* NULL-terminated */
    char buf[PARSE_BUF_BYTES];
};

/* Split line into w; 0, or -1 with *err set to why (unmatched quote, too many words). */
int parse_line(const char *line, long last_rc, struct words *w, const char **err);
