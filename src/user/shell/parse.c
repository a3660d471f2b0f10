/*
 * shell/parse.c - command-line words (see parse.h).
 *
 * One pass over the line, copying each word's bytes into w->buf with its
 * quotes and escapes already resolved; w->argv points into buf.  Every copy
 * is bounds-checked, so a line of any length fails cleanly.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "parse.h"

static bool put(struct words *w, size_t *used, char c)
{
    if (*used >= PARSE_BUF_BYTES - 1)
        return false;
    w->buf[(*used)++] = c;
    return true;
}

/* At "$RC" (not followed by a name character)? */
static bool at_rc(const char *p)
{
    if (p[0] != '$' || p[1] != 'R' || p[2] != 'C')
        return false;
    char c = p[3];
    return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
}

static bool put_rc(struct words *w, size_t *used, long rc)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%ld", rc);

    for (int i = 0; i < n; i++)
        if (!put(w, used, num[i]))
            return false;
    return true;
}

/* The character after the escape * in a quoted string. */
static char unescape(char c)
{
    return c == 'n' || c == 'N' ? '\n' : c == 'e' || c == 'E' ? '\x1b' : c;
}

int parse_line(const char *line, long last_rc, struct words *w, const char **err)
{
    const char *p = line;
    size_t used = 0;

    w->argc = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == ';')
            break;
        if ((unsigned)w->argc == PARSE_WORDS_MAX) {
            *err = "too many arguments";
            return -1;
        }
        w->argv[w->argc++] = w->buf + used;
        bool quoted = false, ok = true;
        while (ok && *p != '\0' && (quoted || (*p != ' ' && *p != '\t' && *p != ';'))) {
            if (*p == '"') {
                quoted = !quoted;
                p++;
            } else if (quoted && *p == '*' && p[1] != '\0') {
                ok = put(w, &used, unescape(p[1]));
                p += 2;
            } else if (at_rc(p)) {
                ok = put_rc(w, &used, last_rc);
                p += 3;
            } else {
                ok = put(w, &used, *p++);
            }
        }
        if (!ok) {
            *err = "line too long";
            return -1;
        }
        if (quoted) {
            *err = "unmatched quotes";
            return -1;
        }
        w->buf[used++] = '\0';
    }
    w->argv[w->argc] = NULL;
    return 0;
}
