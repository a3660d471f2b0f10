/*
 * bootargs.c - splitting the command line into key[=value] words.
 *
 * The line is copied once into a fixed buffer and split in place; lookups
 * walk the words.  Overlong lines are cut at the buffer size with a warning.
 */
#include <stdbool.h>
#include "kernel/bootargs.h"
#include "kernel/log.h"
#include "lib/string.h"

#define CMDLINE_MAX 512
#define ARGS_MAX    32

static char cmdline_buf[CMDLINE_MAX];
static const char *words[ARGS_MAX];
static int nwords;

static const char *const known[] = { "loglevel", "quiet", "test", "nonce", "init" };

/* Length of the key part of a word (up to '=' or the end). */
static size_t key_len(const char *w)
{
    const char *eq = strchr(w, '=');
    return eq ? (size_t)(eq - w) : strlen(w);
}

static bool is_known(const char *w)
{
    size_t n = key_len(w);
    for (unsigned i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strlen(known[i]) == n && strncmp(known[i], w, n) == 0)
            return true;
    return false;
}

const char *bootarg(const char *key)
{
    size_t n = strlen(key);
    for (int i = 0; i < nwords; i++) {
        if (key_len(words[i]) == n && strncmp(words[i], key, n) == 0)
            return words[i][n] == '=' ? words[i] + n + 1 : "";
    }
    return NULL;
}

void bootargs_parse(const char *cmdline)
{
    if (strlcpy(cmdline_buf, cmdline, sizeof cmdline_buf) >= sizeof cmdline_buf)
        pr_warn("warning: boot arguments longer than %d bytes were cut", CMDLINE_MAX - 1);
    for (char *p = cmdline_buf; *p;) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        if (nwords == ARGS_MAX) {
            pr_warn("warning: more than %d boot arguments; the rest are ignored", ARGS_MAX);
            break;
        }
        words[nwords++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    if (bootarg("quiet"))
        log_level = LOG_WARN;
    const char *lvl = bootarg("loglevel");
    if (lvl && lvl[0] >= '0' && lvl[0] <= '7' && lvl[1] == '\0')
        log_level = lvl[0] - '0';
    else if (lvl)
        pr_warn("warning: loglevel=%s is not a level 0-7", lvl);
    for (int i = 0; i < nwords; i++)
        if (!is_known(words[i]))
            kprintf("warning: unknown boot argument '%s'\n", words[i]);
}
