/*
 * shell/io.c - console I/O over CON: (see io.h).
 *
 * All of the shell's output passes through one buffer, so its bytes reach
 * the console in order whether they go to consoled or, with no console
 * server, straight to the kernel.  Each child gets a connection of its own
 * (a shared channel end would hand one reader's reply to the other, since
 * whoever receives first takes it); before opening it the shell waits for
 * consoled to answer a CON_INFO on the shell's connection, which it does
 * only after showing everything queued before it, so the child's output
 * cannot overtake the shell's.  The shell keeps a second end of the child's
 * connection and, once a foreground child has exited, makes the same round
 * trip on it, so the next prompt cannot overtake the child's last words.
 */
#include <proto/console.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <viper/sys.h>
#include <viper/time.h>
#include "io.h"

#define RECONNECT_NS 50000000ull   /* between tries to reach CON: */

static viper_handle_t con = VIPER_HANDLE_INVALID;
static viper_handle_t registry;
static char obuf[CON_DATA_MAX];
static size_t olen;

static bool reconnect(void)
{
    uint64_t h;

    if (con != VIPER_HANDLE_INVALID)
        viper_handle_close(con);
    con = VIPER_HANDLE_INVALID;
    if (viper_registry_open(registry, CON_NAME, &h) != VIPER_OK)
        return false;
    con = (viper_handle_t)h;
    return true;
}

void io_init(viper_handle_t console, viper_handle_t reg)
{
    uint64_t type;

    registry = reg;
    if (console != VIPER_HANDLE_INVALID && viper_cap_query(console, &type, NULL) == VIPER_OK &&
        type == VIPER_OBJ_CHANNEL)
        con = console;
    else
        reconnect();
}

void io_flush(void)
{
    struct con_request rq;

    if (olen == 0)
        return;
    rq.op = CON_WRITE;
    rq.len = (uint32_t)olen;
    memcpy(rq.data, obuf, olen);
    struct viper_msg m = { (uint64_t)&rq, (uint32_t)(8 + olen), 0, 0 };
    bool sent = false;
    for (int tries = 0; tries < 2 && !sent; tries++) {
        if (con == VIPER_HANDLE_INVALID && !reconnect())
            break;
        sent = viper_chan_send(con, &m, 0) == VIPER_OK;
        if (!sent)
            reconnect();   /* consoled went away; its successor gets the bytes */
    }
    if (!sent)
        viper_debug_write(obuf, olen);
    olen = 0;
}

void io_write(const char *s, size_t n)
{
    while (n > 0) {
        size_t k = sizeof obuf - olen < n ? sizeof obuf - olen : n;
        memcpy(obuf + olen, s, k);
        olen += k;
        s += k;
        n -= k;
        if (olen == sizeof obuf)
            io_flush();
    }
}

void io_puts(const char *s)
{
    io_write(s, strlen(s));
}

int io_printf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1)
        n = sizeof buf - 1;
    if (n > 0)
        io_write(buf, (size_t)n);
    return n;
}

size_t io_read(char *buf, size_t max)
{
    struct con_request rq = { CON_READ, (uint32_t)(max < CON_DATA_MAX ? max : CON_DATA_MAX), {0} };
    struct con_reply rp;
    struct viper_msg out = { (uint64_t)&rq, 8, 0, 0 };
    struct viper_msg in = { (uint64_t)&rp, sizeof rp, 0, 0 };
    uint64_t len;

    io_flush();
    for (;;) {
        if (con == VIPER_HANDLE_INVALID && !reconnect()) {
            viper_sleep_ns(RECONNECT_NS);
            continue;
        }
        int64_t err = viper_chan_call(con, &out, &in, VIPER_DEADLINE_INFINITE, 0, &len, NULL);
        if (err == VIPER_OK) {
            if (len >= 8 && rp.status == VIPER_OK && rp.len > 0 && rp.len <= rq.len &&
                len >= 8 + (uint64_t)rp.len) {
                memcpy(buf, rp.data, rp.len);
                return rp.len;
            }
            viper_sleep_ns(RECONNECT_NS);   /* an error reply: do not spin on it */
        } else if (!reconnect()) {
            viper_sleep_ns(RECONNECT_NS);
        }
    }
}

/* A CON_INFO round trip on h: consoled answers only after what was queued before it. */
static bool io_barrier(viper_handle_t h)
{
    struct con_request rq = { CON_INFO, 0, {0} };
    struct con_reply rp;
    struct viper_msg out = { (uint64_t)&rq, 8, 0, 0 };
    struct viper_msg in = { (uint64_t)&rp, sizeof rp, 0, 0 };

    return viper_chan_call(h, &out, &in, VIPER_DEADLINE_INFINITE, 0, NULL, NULL) == VIPER_OK;
}

viper_handle_t io_console_for_child(viper_handle_t *watch)
{
    uint64_t h, w;

    io_flush();
    *watch = VIPER_HANDLE_INVALID;
    if (con == VIPER_HANDLE_INVALID || !io_barrier(con) ||
        viper_registry_open(registry, CON_NAME, &h) != VIPER_OK)
        return VIPER_HANDLE_INVALID;
    if (viper_handle_dup(h, &w) == VIPER_OK)
        *watch = (viper_handle_t)w;
    return (viper_handle_t)h;
}

void io_console_done(viper_handle_t watch)
{
    if (watch == VIPER_HANDLE_INVALID)
        return;
    io_barrier(watch);   /* the child is gone: no one else reads on this channel */
    viper_handle_close(watch);
}
