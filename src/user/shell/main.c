/*
 * shell/main.c - the shell (/shell): read a line, run it, remember its
 * return code; the command table, tab completion, and talking to vinit.
 *
 * Startup handles (docs/vinit.md): 0 the registry, 1 the console, 2 the
 * boot filesystem (read-only), 3 the control channel to vinit.  Any of them
 * may be missing (a test can start the shell by hand): the shell then does
 * without that part.  Keys typed ahead of the prompt are kept in inbuf, so
 * several lines sent at once are all run, in order.
 */
#include <proto/fs.h>
#include <proto/vinit.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <viper/handles.h>
#include <viper/sys.h>
#include "edit.h"
#include "io.h"
#include "parse.h"
#include "shell.h"
#include "vol.h"

struct shell sh;

const struct command sh_commands[] = {
    { "Dir", "ls", cmd_dir, "[path]" },
    { "List", NULL, cmd_list, "[path]" },
    { "Type", "cat", cmd_type, "[HEX] file..." },
    { "Copy", "cp", cmd_copy, "from to" },
    { "Delete", "rm", cmd_delete, "path" },
    { "MakeDir", "mkdir", cmd_makedir, "path" },
    { "Rename", "mv", cmd_rename, "from to" },
    { "CD", NULL, cmd_cd, "[path]" },
    { "Assign", NULL, cmd_assign, "[NAME: [path]]" },
    { "Avail", "free", cmd_avail, "" },
    { "Status", "ps", cmd_status, "[name]" },
    { "Run", NULL, cmd_run, "command [args]" },
    { "Break", "kill", cmd_break, "pid" },
    { "Why", NULL, cmd_why, "" },
    { "Echo", NULL, cmd_echo, "[args]" },
    { "Version", NULL, cmd_version, "" },
    { "Date", NULL, cmd_date, "" },
    { "Shutdown", NULL, cmd_shutdown, "" },
    { "Reboot", NULL, cmd_reboot, "" },
    { "Help", NULL, cmd_help, "" },
};
const unsigned sh_ncommands = sizeof sh_commands / sizeof sh_commands[0];

static struct edit ed;
static char inbuf[64];
static size_t inpos, inlen;

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive: does s start with the n bytes of prefix? */
static bool starts_nocase(const char *s, const char *prefix, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0' || lower(s[i]) != lower(prefix[i]))
            return false;
    return true;
}

static bool same_nocase(const char *a, const char *b)
{
    size_t n = strlen(b);
    return strlen(a) == n && starts_nocase(a, b, n);
}

int sh_fail(int rc, const char *cmd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(sh.why, sizeof sh.why, fmt, ap);
    va_end(ap);
    io_printf("%s: %s\n", cmd, sh.why);
    return rc;
}

const char *sh_strerror(int64_t err)
{
    switch (err) {
    case VIPER_ERR_NOT_FOUND:
        return "object not found";
    case VIPER_ERR_ACCESS_DENIED:
        return "access denied";
    case VIPER_ERR_NO_MEMORY:
        return "not enough memory";
    case VIPER_ERR_LIMIT:
        return "limit reached";
    case VIPER_ERR_BAD_FORMAT:
        return "not an executable";
    case VIPER_ERR_INVALID:
        return "invalid argument";
    case VIPER_ERR_PEER_CLOSED:
        return "server gone";
    case VIPER_ERR_BAD_HANDLE:
        return "not available";
    default:
        return "error";
    }
}

int64_t sh_ask_vinit(uint32_t op, int64_t arg)
{
    struct vinit_request rq = { op, 0, arg };
    struct vinit_reply rp;
    struct viper_msg out = { (uint64_t)&rq, sizeof rq, 0, 0 };
    struct viper_msg in = { (uint64_t)&rp, sizeof rp, 0, 0 };
    uint64_t len;

    io_flush();
    if (sh.control == VIPER_HANDLE_INVALID)
        return VIPER_ERR_BAD_HANDLE;
    int64_t err = viper_chan_call(sh.control, &out, &in, VIPER_DEADLINE_INFINITE, 0, &len, NULL);
    if (err != VIPER_OK)
        return err;
    return len == sizeof rp ? rp.status : VIPER_ERR_INVALID;
}

/* ---- completion ------------------------------------------------------------ */

struct completing {
    struct edit *e;
    const char *dirpart;   /* the typed directory, kept in front of every candidate */
    size_t dirlen;
    const char *prefix;
    size_t plen;
    bool programs;         /* first word: files are commands, offered without a directory */
};

static int complete_entry(void *ctx, const char *name, size_t namelen, const struct vol_entry *v)
{
    struct completing *c = ctx;
    char word[EDIT_LINE_MAX];

    if (namelen < c->plen || memcmp(name, c->prefix, c->plen) != 0 || (c->programs && v->dir))
        return 0;
    int n = snprintf(word, sizeof word, "%.*s%.*s", (int)c->dirlen, c->dirpart, (int)namelen,
                     name);
    if (n > 0 && (size_t)n < sizeof word)
        edit_candidate(c->e, word, (size_t)n, v->dir ? '/' : ' ');
    return 0;
}

static void complete_word(void *ctx, struct edit *e, const char *word, size_t len, bool first)
{
    char typed[EDIT_LINE_MAX], dir[PATH_LEN];
    const char *err;
    size_t cut = len;

    (void)ctx;
    while (cut > 0 && word[cut - 1] != '/' && word[cut - 1] != ':')
        cut--;
    struct completing c = { e, word, cut, word + cut, len - cut, first && cut == 0 };
    if (cut == 0) {
        for (unsigned i = 0; first && i < sh_ncommands; i++)
            if (starts_nocase(sh_commands[i].name, word, len))
                edit_candidate(e, sh_commands[i].name, strlen(sh_commands[i].name), ' ');
        for (unsigned i = 0; i < sh.paths.nassigns; i++)
            if (starts_nocase(sh.paths.assigns[i].name, word, len)) {
                snprintf(typed, sizeof typed, "%s:", sh.paths.assigns[i].name);
                edit_candidate(e, typed, strlen(typed), 0);
            }
    }
    snprintf(typed, sizeof typed, "%.*s", (int)cut, word);
    if (paths_resolve(&sh.paths, first && cut == 0 ? "C:" : typed, dir, &err) == 0)
        vol_list(dir, false, complete_entry, &c);
}

/* ---- the loop ------------------------------------------------------------------ */

static void edit_out(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    io_write(s, n);
}

static uint8_t next_key(void)
{
    if (inpos == inlen) {
        inlen = io_read(inbuf, sizeof inbuf);
        inpos = 0;
    }
    return (uint8_t)inbuf[inpos++];
}

static const struct command *find_command(const char *name)
{
    for (unsigned i = 0; i < sh_ncommands; i++)
        if (same_nocase(name, sh_commands[i].name) ||
            (sh_commands[i].alias && same_nocase(name, sh_commands[i].alias)))
            return &sh_commands[i];
    return NULL;
}

static void run_line(const char *line)
{
    static struct words w;
    const char *err;

    if (parse_line(line, sh.rc, &w, &err) != 0) {
        sh.rc = sh_fail(RC_ERROR, "shell", "%s", err);
        return;
    }
    if (w.argc == 0)
        return;
    const struct command *c = find_command(w.argv[0]);
    if (c && c->run == cmd_why) {   /* Why explains the last failure; it does not replace it */
        cmd_why(w.argc, w.argv);
        return;
    }
    sh.why[0] = '\0';
    sh.rc = c ? c->run(w.argc, w.argv) : sh_run_program(w.argc, w.argv, false);
}

/* Collect background programs that have ended. */
static void reap_background(void)
{
    int64_t pid, reason, code;

    while (viper_wait(-1, VIPER_WAIT_NOHANG, &pid, &reason, &code) == VIPER_OK)
        if (reason != VIPER_EXIT_NORMAL || code != 0)
            io_printf("[pid %lld ended: %s %lld]\n", (long long)pid,
                      reason == VIPER_EXIT_NORMAL ? "rc" : "reason", (long long)
                      (reason == VIPER_EXIT_NORMAL ? code : reason));
}

int main(void)
{
    char where[PATH_LEN + ASSIGN_NAME], prompt[sizeof where + 2];

    sh.registry = viper_startup_handle(0);
    sh.control = viper_startup_handle(3);
    io_init(viper_startup_handle(1), sh.registry);
    sh.have_fs = bootfs_map(viper_startup_handle(2), &sh.fs) == VIPER_OK;
    paths_init(&sh.paths);
    uint64_t fsd;
    const char *err;
    if (viper_registry_open(sh.registry, FS_NAME, &fsd) == VIPER_OK) {
        /* A disk: it is the system volume (as fsd and every program see it), and the
         * read-only boot filesystem stays reachable as BOOT: (and C:, where programs
         * are run from). */
        viper_handle_close(fsd);
        paths_assign(&sh.paths, "DH0", "/", &err);
        paths_assign(&sh.paths, "SYS", "/", &err);
        paths_assign(&sh.paths, "BOOT", "", &err);
        paths_cd(&sh.paths, "SYS:", "/");
    }
    edit_init(&ed, edit_out, complete_word, NULL);
    io_puts("ViperOS shell: Help lists the commands.\n");
    sh_ask_vinit(VINIT_READY, 0);
    for (;;) {
        reap_background();
        paths_show(&sh.paths, where, sizeof where);
        snprintf(prompt, sizeof prompt, "%s> ", where);
        edit_start(&ed, prompt);
        enum edit_status st;
        while ((st = edit_key(&ed, next_key())) == EDIT_MORE)
            continue;
        if (st == EDIT_ENTER)
            run_line(edit_line(&ed));
    }
}
