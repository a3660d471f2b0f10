/*
 * tests/host/test_edit.c - the editor's core (src/user/edit/{buffer,keys,view}.c)
 * on the host: bytes in as a terminal sends them, the text and the screen out.
 *
 * Load-then-save is the identity on awkward files; typing, Enter, Backspace
 * and Delete (joins across lines included) give exactly the expected bytes;
 * the cursor is clamped on short lines and keeps its wanted column; long
 * lines scroll sideways; ed_draw sends only changed rows; ^Q asks before
 * losing changes; a failed save keeps everything; Find wraps; and random
 * input never breaks the invariants (under ASan/UBSan).  file.c runs on the
 * host's filesystem in a fresh temporary directory: saves give exactly the
 * typed bytes and leave no NAME.tmp, an unchanged file saves back
 * byte-for-byte with its mode, and failed saves change nothing.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/user/edit/edit.h"
#include "harness.h"

#define ESC "\x1b"
#define UP ESC "[A"
#define DOWN ESC "[B"
#define RIGHT ESC "[C"
#define LEFT ESC "[D"

static char screen[65536];   /* what ed_draw sent since the last reset */
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

/* Feed n bytes; the last action other than ED_NONE. */
static enum ed_action feedn(struct ed *e, const char *s, size_t n)
{
    enum ed_action last = ED_NONE;
    for (size_t i = 0; i < n; i++) {
        enum ed_action a = ed_byte(e, (unsigned char)s[i]);
        if (a != ED_NONE)
            last = a;
    }
    return last;
}

static enum ed_action feed(struct ed *e, const char *s)
{
    return feedn(e, s, strlen(s));
}

/* Does the buffer hold exactly want[0..n)? */
static bool text_is(const struct ed *e, const char *want, size_t n)
{
    size_t len = 0;
    char *t = ed_text(e, &len);
    bool same = t != NULL && len == n && memcmp(t, want, n) == 0;
    if (!same)
        printf("  text: %zu bytes \"%.*s\", want %zu \"%.*s\"\n", len, (int)len, t ? t : "", n,
               (int)n, want);
    free(t);
    return same;
}

#define TEXT_IS(e, lit) text_is((e), (lit), sizeof(lit) - 1)

static void fresh(struct ed *e, const char *data)
{
    ed_init(e, "t.txt", 80, 25);
    ed_load(e, data, strlen(data));
}

HOST_TEST(load_save_identity)
{
    static const struct {
        const char *s;
        size_t n, lines;
    } files[] = {
        { "", 0, 1 },           { "a", 1, 1 },        { "a\n", 2, 2 },
        { "\n\n", 2, 3 },       { "a\n\nb", 4, 3 },   { "x\r\ny\tz\n", 7, 3 },
        { "\x80\xff\0q\n", 5, 2 },
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct ed e;
        ed_init(&e, "t", 80, 25);
        REQUIRE(ed_load(&e, files[i].s, files[i].n));
        CHECK(e.nlines == files[i].lines);
        CHECK(!e.modified);
        CHECK(text_is(&e, files[i].s, files[i].n));
        ed_free(&e);
    }
}

HOST_TEST(typing_and_enter)
{
    struct ed e;
    fresh(&e, "");
    CHECK(feed(&e, "hello\rworld\n!") == ED_NONE);
    CHECK(TEXT_IS(&e, "hello\nworld\n!"));
    CHECK(e.modified && e.cy == 2 && e.cx == 1);
    feed(&e, UP UP ESC "[F\r");   /* End of the first line, Enter: an empty line after it */
    CHECK(TEXT_IS(&e, "hello\n\nworld\n!"));
    feed(&e, "\x01mid" ESC "[4~.");   /* ^A, type, End, type */
    CHECK(TEXT_IS(&e, "hello\nmid.\nworld\n!"));
    feed(&e, ESC "[1~" ESC "OF" ESC "OH>");   /* every Home/End spelling */
    CHECK(TEXT_IS(&e, "hello\n>mid.\nworld\n!"));
    feed(&e, "\t");
    CHECK(TEXT_IS(&e, "hello\n>\tmid.\nworld\n!"));
    ed_free(&e);
}

HOST_TEST(deleting_across_lines)
{
    struct ed e;
    fresh(&e, "ab\ncd\nef");
    feed(&e, "\x7f" ESC "[3~");   /* nothing before the start; Delete takes 'a' */
    CHECK(TEXT_IS(&e, "b\ncd\nef"));
    feed(&e, DOWN ESC "[H\x7f");   /* Backspace at a line start joins with the line above */
    CHECK(TEXT_IS(&e, "bcd\nef"));
    CHECK(e.cy == 0 && e.cx == 1);
    feed(&e, ESC "[F" ESC "[3~");   /* Delete at a line end joins the next line */
    CHECK(TEXT_IS(&e, "bcdef"));
    CHECK(e.nlines == 1 && e.cx == 3);
    feed(&e, ESC "[F\x04\x04\x04");   /* ^D at the very end: nothing */
    CHECK(TEXT_IS(&e, "bcdef"));
    feed(&e, "\x08\x08\x7f\x7f\x7f\x7f");   /* ^H and DEL both back up; stop at the start */
    CHECK(TEXT_IS(&e, ""));
    CHECK(e.cx == 0 && e.cy == 0 && e.nlines == 1);
    ed_free(&e);
}

HOST_TEST(cursor_clamping)
{
    struct ed e;
    fresh(&e, "a long first line\nab\n\nanother long line");
    feed(&e, ESC "[F");   /* column 17 */
    feed(&e, DOWN);
    CHECK(e.cy == 1 && e.cx == 2);   /* clamped to the short line */
    feed(&e, DOWN);
    CHECK(e.cy == 2 && e.cx == 0);
    feed(&e, DOWN);
    CHECK(e.cy == 3 && e.cx == 17);   /* the wanted column came back */
    feed(&e, DOWN DOWN ESC "[6~");
    CHECK(e.cy == 3 && e.cx == 17);   /* nothing below the last line */
    feed(&e, RIGHT RIGHT);
    CHECK(e.cy == 3 && e.cx == 17);   /* nothing after the end */
    feed(&e, ESC "[5~");
    CHECK(e.cy == 0 && e.cx == 17);   /* PgUp to the top, same column */
    feed(&e, ESC "[H" LEFT UP);
    CHECK(e.cy == 0 && e.cx == 0);    /* Left and Up at the start stay */
    feed(&e, DOWN ESC "[F" RIGHT);   /* Right at a line end: the next line's start */
    CHECK(e.cy == 2 && e.cx == 0);
    feed(&e, LEFT);                  /* Left at a line start: the line above's end */
    CHECK(e.cy == 1 && e.cx == 2);
    feed(&e, ESC "[1;5C" ESC "[Z" ESC "[99~");   /* a modified arrow moves; unknowns do nothing */
    CHECK(e.cy == 2 && e.cx == 0);
    CHECK(TEXT_IS(&e, "a long first line\nab\n\nanother long line"));
    CHECK(!e.modified);
    ed_free(&e);
}

HOST_TEST(tabs_and_columns)
{
    struct ed e;
    char row[ED_MAX_COLS];
    fresh(&e, "\tx\nab\tc\n0123456789");
    CHECK(ed_col(&e.lines[0], 1) == 8 && ed_col(&e.lines[1], 3) == 8);
    CHECK(ed_off_at(&e.lines[0], 5) == 0 && ed_off_at(&e.lines[0], 8) == 1);
    size_t n = ed_render_row(&e, 1, row);
    CHECK(n == 9 && memcmp(row, "ab      c", 9) == 0);
    feed(&e, DOWN DOWN ESC "[F" UP UP);   /* column 10 -> after the tab on line 0 */
    CHECK(e.cy == 0 && e.cx == 2);
    feed(&e, DOWN ESC "[H" RIGHT RIGHT RIGHT DOWN);   /* column 8 on line 1 -> 8 on line 2 */
    CHECK(e.cy == 2 && e.cx == 8);
    ed_free(&e);
}

HOST_TEST(long_lines_scroll_sideways)
{
    struct ed e;
    struct ed_screen s;
    char row[ED_MAX_COLS], line[300];
    fresh(&e, "short\n");
    REQUIRE(ed_screen_init(&s, e.cols, e.rows));
    feed(&e, DOWN);
    for (int i = 0; i < 200; i++)
        line[i] = (char)('a' + i % 26);
    feedn(&e, line, 200);
    ed_draw(&e, &s, capture, NULL);
    unsigned r, c;
    ed_cursor_pos(&e, &r, &c);
    CHECK(e.left > 0 && e.left <= 200 && r == 1 && c < e.cols && e.left + c == 200);
    size_t n = ed_render_row(&e, 1, row);
    CHECK(n == 200 - e.left && memcmp(row, line + e.left, n) == 0);
    feed(&e, ESC "[H");
    ed_draw(&e, &s, capture, NULL);
    CHECK(e.left == 0);
    CHECK(ed_render_row(&e, 0, row) == 5 && memcmp(row, "short", 5) == 0);
    CHECK(ed_render_row(&e, 1, row) == e.cols && memcmp(row, line, e.cols) == 0);
    CHECK(ed_render_row(&e, 2, row) == 1 && row[0] == '~');   /* past the end */
    feed(&e, "\r");
    CHECK(e.lines[1].len == 0 && e.lines[2].len == 200 && e.nlines == 3);
    char want[320] = "short\n\n";
    memcpy(want + 7, line, 200);
    CHECK(text_is(&e, want, 207));
    ed_screen_free(&s);
    ed_free(&e);
}

HOST_TEST(minimal_redraw)
{
    struct ed e;
    struct ed_screen s;
    char text[2000] = "";
    for (int i = 0; i < 60; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "line %d\n", i);
    fresh(&e, text);
    REQUIRE(ed_screen_init(&s, e.cols, e.rows));
    CHECK(ed_draw(&e, &s, capture, NULL) == 25);   /* the first draw sends everything */
    CHECK(ed_draw(&e, &s, capture, NULL) == 0);
    feed(&e, "X");
    screen_len = 0;
    CHECK(ed_draw(&e, &s, capture, NULL) == 2);     /* the line and the status row */
    CHECK(strstr(screen, ESC "[1;1HXline 0" ESC "[K") != NULL);
    CHECK(strstr(screen, "t.txt [modified]") != NULL && strstr(screen, "1:2  61 lines") != NULL);
    CHECK(strstr(screen, ESC "[1;2H") != NULL);     /* the cursor after the X */
    feed(&e, DOWN);
    CHECK(ed_draw(&e, &s, capture, NULL) == 1);     /* only the status row */
    for (int i = 0; i < 22; i++)
        feed(&e, DOWN);
    CHECK(ed_draw(&e, &s, capture, NULL) == 24);    /* scrolled one line: every text row */
    CHECK(e.top == 1 && e.cy == 23);
    feed(&e, ESC "[6~");
    CHECK(e.top == 24 && e.cy == 46);
    feed(&e, ESC "[5~" ESC "[5~");
    CHECK(e.top == 0 && e.cy == 0);
    CHECK(feed(&e, "\x0c") == ED_REDRAW);
    ed_screen_forget(&s);
    CHECK(ed_draw(&e, &s, capture, NULL) == 25);
    ed_screen_free(&s);
    ed_free(&e);
}

HOST_TEST(quit_asks_when_modified)
{
    struct ed e;
    fresh(&e, "x");
    CHECK(feed(&e, "\x11") == ED_QUIT);   /* nothing changed: ^Q quits */
    feed(&e, "y");
    CHECK(feed(&e, "\x11") == ED_NONE);
    CHECK(strstr(e.msg, "unsaved changes") != NULL);
    CHECK(feed(&e, RIGHT "\x11") == ED_NONE);   /* another key in between disarms it */
    CHECK(feed(&e, "\x11") == ED_QUIT);
    ed_free(&e);
}

HOST_TEST(save_reports)
{
    struct ed e;
    fresh(&e, "one\ntwo\n");
    feed(&e, DOWN ESC "[F" "!" DOWN "three");
    CHECK(feed(&e, "\x13") == ED_SAVE);
    CHECK(TEXT_IS(&e, "one\ntwo!\nthree"));
    ed_saved(&e, false, 0, "/nodir/t.txt.tmp: No such file or directory");
    CHECK(e.modified && strstr(e.msg, "save failed: /nodir/t.txt.tmp") == e.msg);
    CHECK(TEXT_IS(&e, "one\ntwo!\nthree"));   /* nothing lost */
    CHECK(feed(&e, "\x11") == ED_NONE);       /* still asks */
    ed_saved(&e, true, 14, NULL);
    CHECK(!e.modified && strcmp(e.msg, "saved 14 bytes to t.txt") == 0);
    CHECK(feed(&e, "\x11") == ED_QUIT);
    ed_free(&e);
}

HOST_TEST(find_wraps)
{
    struct ed e;
    char row[ED_MAX_COLS];
    fresh(&e, "alpha beta\ngamma beta\ndelta");
    feed(&e, "\x06" "beta");
    CHECK(e.finding && ed_render_row(&e, 24, row) == 10 && memcmp(row, "Find: beta", 10) == 0);
    feed(&e, "\r");
    CHECK(!e.finding && e.cy == 0 && e.cx == 6);
    feed(&e, "\x06\r");   /* empty: the same again */
    CHECK(e.cy == 1 && e.cx == 6 && e.msg[0] == '\0');
    feed(&e, "\x06\r");
    CHECK(e.cy == 0 && e.cx == 6 && strcmp(e.msg, "search wrapped") == 0);
    feed(&e, "\x06zzX\x7f\r");
    CHECK(e.cy == 0 && e.cx == 6 && strcmp(e.msg, "not found: zz") == 0);
    feed(&e, "\x06" "del\x07");   /* ^G cancels */
    CHECK(!e.finding && e.cy == 0);
    feed(&e, "\x06" "del" ESC "q");   /* Esc cancels; the byte after it is typed */
    CHECK(!e.finding && TEXT_IS(&e, "alpha qbeta\ngamma beta\ndelta"));
    ed_free(&e);
}

HOST_TEST(random_input_keeps_invariants)
{
    static const char *const bits[] = { UP, DOWN, LEFT, RIGHT, ESC "[5~", ESC "[6~", ESC "[3~",
                                        ESC "[H", ESC "[F", "\r", "\x7f", "\t", ESC, ESC "[",
                                        "\x06", "\x07", "\x0c", "\x13", "\x11" };
    struct ed e;
    struct ed_screen s;
    fresh(&e, "seed\n\tline\n");
    ed_resize(&e, 20, 6);
    REQUIRE(ed_screen_init(&s, e.cols, e.rows));
    srand(1234);
    for (int i = 0; i < 20000; i++) {
        if (rand() % 3 == 0) {
            const char *b = bits[rand() % (sizeof bits / sizeof bits[0])];
            feed(&e, b);
        } else {
            char c = (char)(rand() % 3 ? 'a' + rand() % 26 : rand() % 256);
            feedn(&e, &c, 1);
        }
        REQUIRE(e.nlines >= 1 && e.cy < e.nlines && e.cx <= e.lines[e.cy].len);
        if (i % 7 == 0) {
            screen_len = 0;
            ed_draw(&e, &s, capture, NULL);
            unsigned r, c;
            ed_cursor_pos(&e, &r, &c);
            REQUIRE(r < e.rows && c < e.cols);
        }
    }
    ed_screen_free(&s);
    ed_free(&e);
}


/* ---- file.c on the host's filesystem --------------------------------------- */

static char tmpdir[64];

static void in_tmp(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", tmpdir, name);
}

static bool file_is(const char *path, const char *want, size_t n)
{
    char buf[4096];
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    size_t got = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return got == n && memcmp(buf, want, n) == 0;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

HOST_TEST(file_new_and_saved)
{
    char path[128], tmp[160];
    struct ed e;
    in_tmp(path, sizeof path, "new.txt");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ed_init(&e, path, 80, 25);
    REQUIRE(ed_file_load(&e, path) == NULL);
    CHECK(strcmp(e.msg, "new file") == 0 && !exists(path));
    feed(&e, "one\rtwo" LEFT "X" ESC "[F\r");
    CHECK(feed(&e, "\x13") == ED_SAVE);
    ed_file_save(&e);
    CHECK(!e.modified && strstr(e.msg, "saved 9 bytes to ") == e.msg);
    CHECK(file_is(path, "one\ntwXo\n", 9));
    CHECK(!exists(tmp));
    ed_free(&e);
}

HOST_TEST(file_unchanged_round_trip)
{
    static const char data[] = "no\tnewline\r\n\0\xff at the end";
    char path[128];
    struct ed e;
    struct stat st;
    in_tmp(path, sizeof path, "old.bin");
    FILE *f = fopen(path, "wb");
    REQUIRE(f != NULL);
    fwrite(data, 1, sizeof data - 1, f);
    fclose(f);
    chmod(path, 0600);
    ed_init(&e, path, 80, 25);
    REQUIRE(ed_file_load(&e, path) == NULL);
    CHECK(e.nlines == 2 && !e.modified && e.msg[0] == '\0');
    ed_file_save(&e);
    CHECK(file_is(path, data, sizeof data - 1));
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    ed_free(&e);
}

HOST_TEST(file_failures_keep_everything)
{
    char path[128], want[256], dir[128];
    struct ed e;
    in_tmp(path, sizeof path, "nodir/f.txt");
    ed_init(&e, path, 80, 25);
    REQUIRE(ed_file_load(&e, path) == NULL);
    feed(&e, "keep me");
    ed_file_save(&e);
    snprintf(want, sizeof want, "save failed: %s.tmp: No such file or directory", path);
    CHECK(strcmp(e.msg, want) == 0);
    CHECK(e.modified && TEXT_IS(&e, "keep me"));
    ed_free(&e);

    in_tmp(dir, sizeof dir, "adir");
    REQUIRE(mkdir(dir, 0755) == 0);
    ed_init(&e, dir, 80, 25);
    CHECK(ed_file_load(&e, dir) != NULL && strcmp(ed_file_load(&e, dir), "is a directory") == 0);
    REQUIRE(ed_load(&e, "x", 1));
    feed(&e, "y");
    ed_file_save(&e);   /* NAME.tmp is written, but the rename over a directory fails */
    snprintf(want, sizeof want, "save failed: %s: ", dir);
    CHECK(strncmp(e.msg, want, strlen(want)) == 0 && e.modified);
    snprintf(want, sizeof want, "%s.tmp", dir);
    CHECK(!exists(want));
    ed_free(&e);
    rmdir(dir);
}

int main(void)
{
    host_binary = "test_edit";
    host_run(load_save_identity);
    host_run(typing_and_enter);
    host_run(deleting_across_lines);
    host_run(cursor_clamping);
    host_run(tabs_and_columns);
    host_run(long_lines_scroll_sideways);
    host_run(minimal_redraw);
    host_run(quit_asks_when_modified);
    host_run(save_reports);
    host_run(find_wraps);
    host_run(random_input_keeps_invariants);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_edit.XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    host_run(file_new_and_saved);
    host_run(file_unchanged_round_trip);
    host_run(file_failures_keep_everything);
    char path[128];
    const char *const made[] = { "new.txt", "old.bin" };
    for (size_t i = 0; i < sizeof made / sizeof made[0]; i++) {
        in_tmp(path, sizeof path, made[i]);
        unlink(path);
    }
    rmdir(tmpdir);
    return host_summary();
}
