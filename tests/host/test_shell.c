/*
 * tests/host/test_shell.c - the shell's pure parts on the host: the line
 * editor (src/user/shell/edit.c) driven by the bytes a terminal sends, the
 * word splitter (parse.c), path resolution (path.c), and the boot
 * filesystem reader (src/user/lib/bootfs/bootfs.c) on the archive
 * test_cpio also reads (argv[1]/test.cpio), every truncation of it parsed
 * from a heap buffer of exactly that length so ASan sees any overread.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootfs/bootfs.h>
#include <viper/errors.h>

#include "../../src/user/shell/edit.h"
#include "../../src/user/shell/parse.h"
#include "../../src/user/shell/path.h"
#include "harness.h"

/* ---- the editor ---------------------------------------------------------- */

static char screen[8192];   /* everything the editor wrote since the last reset */
static size_t screen_len;

static void capture(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    if (n > sizeof screen - 1 - screen_len)
        n = sizeof screen - 1 - screen_len;
    memcpy(screen + screen_len, s, n);
    screen_len += n;
    screen[screen_len] = '\0';
}

static const char *const commands[] = { "Dir", "Date", "Delete", "Echo" };

static void complete_commands(void *ctx, struct edit *e, const char *word, size_t len, bool first)
{
    (void)ctx;
    if (!first)
        return;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strncmp(commands[i], word, len) == 0)
            edit_candidate(e, commands[i], strlen(commands[i]), ' ');
}

static struct edit ed;

static void fresh(void)
{
    edit_init(&ed, capture, complete_commands, NULL);
    edit_start(&ed, "SYS:> ");
    screen_len = 0;
    screen[0] = '\0';
}

/* Feed s; returns the status after its last byte. */
static enum edit_status type(const char *s)
{
    enum edit_status st = EDIT_MORE;
    for (; *s; s++)
        st = edit_key(&ed, (uint8_t)*s);
    return st;
}

HOST_TEST(edit_plain_line)
{
    fresh();
    CHECK(type("echo hi") == EDIT_MORE);
    CHECK(strcmp(screen, "echo hi") == 0);   /* typing at the end is plain echo */
    CHECK(type("\r") == EDIT_ENTER);
    CHECK(strcmp(edit_line(&ed), "echo hi") == 0);
    CHECK(strstr(screen, "\r\n") != NULL);
}

HOST_TEST(edit_crlf_is_one_enter)
{
    fresh();
    CHECK(type("a\r") == EDIT_ENTER);
    edit_start(&ed, "> ");
    CHECK(type("\n") == EDIT_MORE);   /* the LF of CR LF */
    CHECK(type("b\n") == EDIT_ENTER); /* a lone LF ends a line */
    CHECK(strcmp(edit_line(&ed), "b") == 0);
}

HOST_TEST(edit_cursor_keys)
{
    fresh();
    type("ac\x1b[Db");
    CHECK(ed.pos == 2);
    type("\x1b[H>\x1b[F<");
    CHECK(type("\r") == EDIT_ENTER);
    CHECK(strcmp(edit_line(&ed), ">abc<") == 0);
    fresh();
    type("yz\x1b[1~x\x1b[4~!\x1bOH[\x1bOF]");
    type("\x1b[C\x1b[C");   /* right at the end: nothing */
    type("\r");
    CHECK(strcmp(edit_line(&ed), "[xyz!]") == 0);
    fresh();
    type("abc\x01X\x05Y\x02\x02Z\x06W");   /* ^A ^E ^B ^F */
    type("\r");
    CHECK(strcmp(edit_line(&ed), "XabZcWY") == 0);
}

HOST_TEST(edit_deleting)
{
    fresh();
    type("abx\x7f");
    CHECK(strstr(screen, "\b \b") != NULL);   /* backspace at the end */
    type("c\r");
    CHECK(strcmp(edit_line(&ed), "abc") == 0);
    fresh();
    type("foo bar\x1b[D\x1b[D\x1b[D\x15\r");   /* ^U kills what is before the cursor */
    CHECK(strcmp(edit_line(&ed), "bar") == 0);
    fresh();
    type("foo bar  baz\x17\r");   /* ^W: the word before the cursor */
    CHECK(strcmp(edit_line(&ed), "foo bar  ") == 0);
    fresh();
    type("foo bar  \x17\r");      /* ^W over trailing spaces too */
    CHECK(strcmp(edit_line(&ed), "foo ") == 0);
    fresh();
    type("abcd\x1b[D\x1b[D\x1b[3~\x08\r");   /* Delete under, backspace before */
    CHECK(strcmp(edit_line(&ed), "ad") == 0);
    fresh();
    type("abcd\x01\x0b\r");       /* ^K */
    CHECK(strcmp(edit_line(&ed), "") == 0);
    fresh();
    type("\x7f\x08\x04\x15\x17\r");   /* deleting nothing is harmless */
    CHECK(strcmp(edit_line(&ed), "") == 0);
}

HOST_TEST(edit_history)
{
    fresh();
    type("one\r");
    edit_start(&ed, "> ");
    type("two\r");
    edit_start(&ed, "> ");
    type("two\r");            /* a repeat is kept once */
    edit_start(&ed, "> ");
    type("dra");
    type("\x1b[A");
    CHECK(strcmp(ed.line, "two") == 0 && ed.len == 3);
    type("\x1b[A");
    CHECK(ed.len == 3 && memcmp(ed.line, "one", 3) == 0);
    type("\x1b[A");           /* nothing older */
    CHECK(ed.len == 3 && memcmp(ed.line, "one", 3) == 0);
    type("\x1b[B\x1b[B");     /* back to the draft */
    CHECK(ed.len == 3 && memcmp(ed.line, "dra", 3) == 0);
    type("\x10!\r");          /* ^P, edit the recalled line */
    CHECK(strcmp(edit_line(&ed), "two!") == 0);
    for (int i = 0; i < 40; i++) {   /* more lines than the history holds */
        char line[16];
        snprintf(line, sizeof line, "l%d\r", i);
        edit_start(&ed, "> ");
        type(line);
    }
    edit_start(&ed, "> ");
    for (int i = 0; i < 40; i++)
        type("\x1b[A");
    CHECK(ed.len == 2 && memcmp(ed.line, "l8", 2) == 0);   /* the 32nd newest */
}

HOST_TEST(edit_completion)
{
    fresh();
    type("Ec\t");
    CHECK(strncmp(ed.line, "Echo ", 5) == 0 && ed.len == 5);
    fresh();
    type("D\t");
    CHECK(ed.len == 1);                 /* Dir, Date, Delete share only "D" */
    type("\t");
    CHECK(strstr(screen, "Dir  Date  Delete") != NULL);   /* a second Tab lists them */
    type("e\t");
    CHECK(ed.len == 7 && memcmp(ed.line, "Delete ", 7) == 0);
    fresh();
    type("x Ec\t");                     /* not the first word: no commands */
    CHECK(ed.len == 4);
}

HOST_TEST(edit_bounds_and_junk)
{
    fresh();
    for (int i = 0; i < 400; i++)
        edit_key(&ed, 'x');
    CHECK(ed.len == EDIT_LINE_MAX - 1);
    fresh();
    type("\x1b[5~\x1b[99;99Ra\x1bxb\x1b[12345678901234567890D\x01\x02" "c");
    type("\r");
    CHECK(strcmp(edit_line(&ed), "caxb") == 0);
    fresh();
    type("abc\x03");                    /* ^C drops the line */
    CHECK(ed.len == 0);
}

/* ---- words -------------------------------------------------------------------- */

HOST_TEST(parse_words)
{
    struct words w;
    const char *err = NULL;

    CHECK(parse_line("  Echo  a\tb   ", 0, &w, &err) == 0);
    CHECK(w.argc == 3 && strcmp(w.argv[0], "Echo") == 0 && strcmp(w.argv[2], "b") == 0);
    CHECK(w.argv[3] == NULL);
    CHECK(parse_line("Echo \"two words\" x\"y z\"w", 0, &w, &err) == 0);
    CHECK(w.argc == 3 && strcmp(w.argv[1], "two words") == 0 && strcmp(w.argv[2], "xy zw") == 0);
    CHECK(parse_line("Echo \"q*\"*n*e**\"", 0, &w, &err) == 0);
    CHECK(w.argc == 2 && strcmp(w.argv[1], "q\"\n\x1b*") == 0);
    CHECK(parse_line("Echo $RC x$RC $RCX \"$RC\" ; comment", 20, &w, &err) == 0);
    CHECK(w.argc == 5 && strcmp(w.argv[1], "20") == 0 && strcmp(w.argv[2], "x20") == 0);
    CHECK(strcmp(w.argv[3], "$RCX") == 0 && strcmp(w.argv[4], "20") == 0);
    CHECK(parse_line("", 0, &w, &err) == 0 && w.argc == 0);
    CHECK(parse_line("Echo \"open", 0, &w, &err) == -1 && strcmp(err, "unmatched quotes") == 0);
    char many[200] = "";
    for (int i = 0; i < 40; i++)
        strcat(many, "a ");
    CHECK(parse_line(many, 0, &w, &err) == -1);
    char big[1200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(parse_line(big, 0, &w, &err) == -1);
}

/* ---- paths ----------------------------------------------------------------------- */

HOST_TEST(path_resolve)
{
    struct paths p;
    char out[PATH_LEN], show[64];
    const char *err = NULL;

    paths_init(&p);
    paths_show(&p, show, sizeof show);
    CHECK(strcmp(show, "SYS:") == 0);
    CHECK(paths_resolve(&p, "tests/x", out, &err) == 0 && strcmp(out, "tests/x") == 0);
    CHECK(paths_resolve(&p, "sys:tests//./y/../z", out, &err) == 0 && strcmp(out, "tests/z") == 0);
    CHECK(paths_resolve(&p, "C:../../a", out, &err) == 0 && strcmp(out, "a") == 0);
    CHECK(paths_resolve(&p, "NOPE:a", out, &err) == -1 && strcmp(err, "unknown assign") == 0);
    CHECK(paths_assign(&p, "T:", "tests", &err) == 0);
    CHECK(paths_resolve(&p, "t:sub", out, &err) == 0 && strcmp(out, "tests/sub") == 0);
    paths_cd(&p, "T:sub", "tests/sub");
    paths_show(&p, show, sizeof show);
    CHECK(strcmp(show, "T:sub") == 0);
    CHECK(paths_resolve(&p, "../x", out, &err) == 0 && strcmp(out, "tests/x") == 0);
    CHECK(paths_resolve(&p, "/bench", out, &err) == 0 && strcmp(out, "bench") == 0);
    paths_cd(&p, "/bench", "bench");           /* outside T: -> shown under SYS: */
    paths_show(&p, show, sizeof show);
    CHECK(strcmp(show, "SYS:bench") == 0);
    CHECK(paths_unassign(&p, "T", &err) == 0 && paths_find(&p, "T:", 2) == NULL);
    CHECK(paths_unassign(&p, "SYS:", &err) == -1);
    CHECK(paths_assign(&p, "a/b", "", &err) == -1);
    /* The disk volume: resolved paths start with "/", which ".." never removes. */
    CHECK(paths_assign(&p, "DH0:", "/", &err) == 0);
    CHECK(paths_resolve(&p, "dh0:a/../b", out, &err) == 0 && strcmp(out, "/b") == 0);
    CHECK(paths_resolve(&p, "DH0:../..", out, &err) == 0 && strcmp(out, "/") == 0);
    paths_cd(&p, "DH0:docs", "/docs");
    paths_show(&p, show, sizeof show);
    CHECK(strcmp(show, "DH0:docs") == 0);
    CHECK(paths_resolve(&p, "/x", out, &err) == 0 && strcmp(out, "/x") == 0);
    CHECK(paths_resolve(&p, "../y", out, &err) == 0 && strcmp(out, "/y") == 0);
    paths_cd(&p, "..", "/");
    paths_show(&p, show, sizeof show);
    CHECK(strcmp(show, "DH0:") == 0);
    paths_cd(&p, "SYS:tests", "tests");   /* back on the boot filesystem */
    paths_show(&p, show, sizeof show);
    CHECK(strcmp(show, "SYS:tests") == 0);
    CHECK(paths_resolve(&p, "/", out, &err) == 0 && strcmp(out, "") == 0);
    char longp[600];
    memset(longp, 'a', sizeof longp);
    for (size_t i = 10; i < sizeof longp; i += 10)
        longp[i] = '/';
    longp[sizeof longp - 1] = '\0';
    CHECK(paths_resolve(&p, longp, out, &err) == -1 && strcmp(err, "path too long") == 0);
}

/* ---- the boot filesystem ------------------------------------------------------------ */

static uint8_t *archive;
static size_t archive_len;

struct listing {
    char names[16][32];
    uint32_t kinds[16];
    int n;
};

static int collect(void *ctx, const struct bootfs_entry *e)
{
    struct listing *l = ctx;
    if (l->n < 16) {
        snprintf(l->names[l->n], sizeof l->names[0], "%.*s", (int)e->namelen, e->name);
        l->kinds[l->n++] = e->kind;
    }
    return 0;
}

HOST_TEST(bootfs_reads)
{
    struct bootfs fs;
    struct bootfs_entry e;
    struct listing l = { .n = 0 };

    REQUIRE(archive != NULL);
    CHECK(bootfs_size(archive, archive_len) > 0 && bootfs_size(archive, archive_len) <= archive_len);
    bootfs_open(&fs, archive, archive_len);
    CHECK(bootfs_lookup(&fs, "hello.txt", &e) == VIPER_OK && e.kind == BOOTFS_FILE);
    CHECK(e.size == 12 && memcmp(e.data, "hello, cpio\n", 12) == 0);
    CHECK(e.namelen == 9 && memcmp(e.name, "hello.txt", 9) == 0);
    CHECK(bootfs_lookup(&fs, "dir/sub", &e) == VIPER_OK && e.kind == BOOTFS_DIR);
    CHECK(e.namelen == 3 && memcmp(e.name, "sub", 3) == 0);
    CHECK(bootfs_lookup(&fs, "dir/five", &e) == VIPER_OK && e.size == 5);
    CHECK(bootfs_lookup(&fs, "dir/fiv", &e) == VIPER_ERR_NOT_FOUND);
    CHECK(bootfs_lookup(&fs, "", &e) == VIPER_OK && e.kind == BOOTFS_DIR);
    CHECK(bootfs_list(&fs, "", collect, &l) == VIPER_OK);
    CHECK(l.n == 7);   /* a ab abc abcd dir empty hello.txt */
    bool dir_seen = false;
    for (int i = 0; i < l.n; i++)
        dir_seen = dir_seen || (strcmp(l.names[i], "dir") == 0 && l.kinds[i] == BOOTFS_DIR);
    CHECK(dir_seen);
    l.n = 0;
    CHECK(bootfs_list(&fs, "dir", collect, &l) == VIPER_OK && l.n == 2);
    CHECK(bootfs_list(&fs, "hello.txt", collect, &l) == VIPER_ERR_NOT_FOUND);
    CHECK(bootfs_list(&fs, "nope", collect, &l) == VIPER_ERR_NOT_FOUND);
}

HOST_TEST(bootfs_truncated)
{
    struct bootfs fs;
    struct bootfs_entry e;
    struct listing l;

    REQUIRE(archive != NULL);
    size_t full = bootfs_size(archive, archive_len);
    for (size_t n = 0; n < full; n++) {   /* every prefix: an error, never an overread */
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, archive, n);
        CHECK(bootfs_size(cut, n) == 0);
        bootfs_open(&fs, cut, n);
        l.n = 0;
        bootfs_list(&fs, "", collect, &l);
        bootfs_lookup(&fs, "dir/sub/numbers", &e);
        free(cut);
    }
    uint8_t *bad = malloc(archive_len);
    memcpy(bad, archive, archive_len);
    memcpy(bad + 6 + 6 * 8, "FFFFFFFF", 8);   /* the first member's file size */
    bootfs_open(&fs, bad, archive_len);
    CHECK(bootfs_lookup(&fs, "abcd", &e) == VIPER_ERR_BAD_FORMAT);
    free(bad);
}

static void load_archive(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/test.cpio", dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    archive_len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    archive = malloc(archive_len);
    if (fread(archive, 1, archive_len, f) != archive_len) {
        free(archive);
        archive = NULL;
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    host_binary = "test_shell";
    load_archive(argc > 1 ? argv[1] : ".");
    host_run(edit_plain_line);
    host_run(edit_crlf_is_one_enter);
    host_run(edit_cursor_keys);
    host_run(edit_deleting);
    host_run(edit_history);
    host_run(edit_completion);
    host_run(edit_bounds_and_junk);
    host_run(parse_words);
    host_run(path_resolve);
    host_run(bootfs_reads);
    host_run(bootfs_truncated);
    free(archive);
    return host_summary();
}
