/*
 * consoled.c - the console server: registers "CON:" and serves every client
 * (proto/console.h) from one wait_many loop over the new-client endpoint,
 * the UART's interrupt and each client's channel (docs/console.md).
 *
 * Output goes to the serial line and the terminal emulator; a frame is drawn
 * when the loop has handled everything that was ready, at most every
 * FRAME_NS (a timer brings the loop back for the next one), so a burst of
 * output costs one redraw.  Input from the UART and from inputd collects in
 * one ring; the newest pending CON_READ gets it.  consoled never blocks on a
 * client (replies are non-blocking) and reads no client while the TX ring
 * lacks room for one message: writers then wait in their full queues.
 */
#include <proto/console.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <viper/handles.h>
#include <viper/sys.h>
#include <viper/time.h>
#include "consoled.h"

#define CLIENTS_MAX   64
#define INPUT_RING    4096u   /* power of two */
#define BATCH         16      /* messages taken from one client per round */
#define SERIAL_COLS   80u
#define SERIAL_ROWS   25u
#define FRAME_NS      16000000ull   /* at most about 60 frames a second */

struct client {
    uint64_t ch;              /* 0: a free slot */
    uint32_t read_len;        /* a CON_READ is pending for up to this many bytes; 0: none */
    uint64_t read_seq;        /* when it was asked (newest wins) */
};

static struct client clients[CLIENTS_MAX];
static uint64_t listen_ep;
static uint64_t read_seq;
static uint8_t input[INPUT_RING];
static uint32_t in_head, in_tail;
static uint64_t frame_timer;          /* fires when the next frame may be drawn; 0: none */
static uint64_t last_frame;           /* when the last one was */
static bool frame_pending, timer_armed;

void con_log(const char *fmt, ...)
{
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof buf - 2)
        n = sizeof buf - 2;
    buf[n++] = '\n';
    viper_debug_write(buf, (uint64_t)n);
}

void input_push(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (in_tail - in_head < INPUT_RING)   /* a full ring drops what is typed */
            input[in_tail++ % INPUT_RING] = p[i];
    }
}

static int64_t reply(uint64_t ch, const struct con_reply *r)
{
    struct viper_msg m = { (uint64_t)(uintptr_t)r, 8 + r->len, 0, 0 };
    return viper_chan_send(ch, &m, VIPER_CHAN_NONBLOCK);
}

static void reply_status(uint64_t ch, int32_t status)
{
    struct con_reply r = { .status = status, .len = 0 };
    reply(ch, &r);
}

static void drop_client(struct client *c)
{
    viper_handle_close(c->ch);
    memset(c, 0, sizeof *c);
}

/* Give waiting input to the newest pending reader, as long as there are both. */
static void deliver_input(void)
{
    while (in_head != in_tail) {
        struct client *best = NULL;
        for (int i = 0; i < CLIENTS_MAX; i++)
            if (clients[i].ch && clients[i].read_len &&
                (!best || clients[i].read_seq > best->read_seq))
                best = &clients[i];
        if (!best)
            return;
        struct con_reply r = { .status = VIPER_OK, .len = 0 };
        while (r.len < best->read_len && in_head + r.len != in_tail)
            r.data[r.len] = input[(in_head + r.len) % INPUT_RING], r.len++;
        best->read_len = 0;
        if (reply(best->ch, &r) == VIPER_OK)
            in_head += r.len;   /* a client not taking its replies loses the read, not the bytes */
    }
}

static void output(const uint8_t *p, size_t n)
{
    uart_write(p, n);
    term_write(p, n);
    frame_pending = render_count() > 0;
}

/* Draw the screens if something changed, but not more often than every FRAME_NS: a fast
 * writer then costs one frame per interval, however many messages it sends. */
static void maybe_render(void)
{
    if (!frame_pending)
        return;
    uint64_t now = viper_now_ns();
    if (frame_timer && now - last_frame < FRAME_NS) {
        if (!timer_armed)
            timer_armed = viper_timer_set(frame_timer, last_frame + FRAME_NS) == VIPER_OK;
        if (timer_armed)
            return;
    }
    render_frame();
    last_frame = now;
    frame_pending = false;
}

/* One request from c (len bytes in q). */
static void handle_request(struct client *c, const struct con_request *q, uint64_t len)
{
    bool fits = len >= 8 && q->len <= CON_DATA_MAX && len >= 8 + (uint64_t)q->len;
    switch (len >= 4 ? q->op : 0) {
    case CON_WRITE:   /* no reply to say it was malformed: dropped */
        if (fits)
            output(q->data, q->len);
        return;
    case CON_INPUT:
        if (fits)
            input_push(q->data, q->len);
        return;
    case CON_READ:
        if (len < 8 || q->len == 0 || q->len > CON_DATA_MAX) {
            reply_status(c->ch, VIPER_ERR_INVALID);
            return;
        }
        c->read_len = q->len;
        c->read_seq = ++read_seq;
        return;
    case CON_INFO: {
        struct con_reply r = { .status = VIPER_OK, .len = sizeof r.info };
        r.info.cols = term.cols;
        r.info.rows = term.rows;
        reply(c->ch, &r);
        return;
    }
    default:
        reply_status(c->ch, VIPER_ERR_INVALID);
    }
}

/* Take up to BATCH messages from c while the TX ring has room for each. */
static void serve_client(struct client *c)
{
    for (int k = 0; k < BATCH && uart_tx_room() >= 2 * CON_DATA_MAX; k++) {
        struct con_request q;
        viper_handle_t hs[VIPER_MSG_MAX_HANDLES];
        struct viper_msg m = { (uint64_t)(uintptr_t)&q, sizeof q, VIPER_MSG_MAX_HANDLES,
                               (uint64_t)(uintptr_t)hs };
        uint64_t len = 0, nh = 0;
        int64_t rc = viper_chan_recv(c->ch, &m, VIPER_DEADLINE_POLL, &len, &nh);
        if (rc == VIPER_ERR_WOULD_BLOCK)
            return;
        if (rc != VIPER_OK) {   /* PEER_CLOSED, or a message we cannot take (LIMIT) */
            drop_client(c);
            return;
        }
        for (uint64_t i = 0; i < nh; i++)   /* the protocol carries no handles */
            viper_handle_close(hs[i]);
        handle_request(c, &q, len);
    }
}

/* New clients: each registry_open sends us one message carrying our end. */
static void accept_clients(void)
{
    for (;;) {
        char name[32];
        viper_handle_t hs[VIPER_MSG_MAX_HANDLES];
        struct viper_msg m = { (uint64_t)(uintptr_t)name, sizeof name, VIPER_MSG_MAX_HANDLES,
                               (uint64_t)(uintptr_t)hs };
        uint64_t len = 0, nh = 0;
        if (viper_chan_recv(listen_ep, &m, VIPER_DEADLINE_POLL, &len, &nh) != VIPER_OK)
            return;
        struct client *c = NULL;
        for (int i = 0; i < CLIENTS_MAX && !c; i++)
            if (!clients[i].ch)
                c = &clients[i];
        for (uint64_t i = 0; i < nh; i++) {
            if (i == 0 && c) {
                c->ch = hs[0];
            } else {
                viper_handle_close(hs[i]);   /* no room: the client sees PEER_CLOSED */
            }
        }
    }
}

static _Noreturn void serve_forever(void)
{
    static struct viper_wait_item items[3 + CLIENTS_MAX];
    static struct client *owner[3 + CLIENTS_MAX];
    for (;;) {
        deliver_input();
        maybe_render();
        bool room = uart_tx_room() >= 2 * CON_DATA_MAX;
        uint64_t n = 0;
        items[n++] = (struct viper_wait_item){ (uint32_t)uart_irq(), VIPER_SIGNAL_IRQ, 0, 0 };
        items[n++] = (struct viper_wait_item){ (uint32_t)listen_ep, VIPER_SIGNAL_READABLE, 0, 0 };
        uint64_t first = n;                        /* the clients start here */
        if (timer_armed)
            items[n++] = (struct viper_wait_item){ (uint32_t)frame_timer,
                                                   VIPER_SIGNAL_TIMER_FIRED, 0, 0 };
        uint64_t timer_item = timer_armed ? first++ : 0;
        for (int i = 0; i < CLIENTS_MAX; i++) {
            if (!clients[i].ch)
                continue;
            owner[n] = &clients[i];
            items[n++] = (struct viper_wait_item){
                (uint32_t)clients[i].ch,
                (room ? VIPER_SIGNAL_READABLE : 0) | VIPER_SIGNAL_PEER_CLOSED, 0, 0 };
        }
        if (viper_wait_many(items, n, VIPER_DEADLINE_INFINITE, NULL) != VIPER_OK)
            continue;
        if (items[0].pending & VIPER_SIGNAL_IRQ)
            uart_service();
        if (items[1].pending & VIPER_SIGNAL_READABLE)
            accept_clients();
        if (timer_item && (items[timer_item].pending & VIPER_SIGNAL_TIMER_FIRED)) {
            viper_timer_set(frame_timer, 0);   /* disarm: maybe_render draws now */
            timer_armed = false;
        }
        for (uint64_t k = first; k < n; k++)
            if (items[k].pending & items[k].signals)
                serve_client(owner[k]);
    }
}

static bool is_type(uint64_t h, uint64_t want)
{
    uint64_t type = 0;
    return h != VIPER_HANDLE_INVALID && viper_cap_query(h, &type, NULL) == VIPER_OK &&
           type == want;
}

/* Bring up the screens we were given handles for; a failing one is reported and skipped. */
static void screens_init(uint64_t fwcfg, uint64_t gpu, uint64_t dma)
{
    static struct display ramfb_display, gpu_display;
    if (!is_type(dma, VIPER_OBJ_DEVROOT))
        return;
    if (font_init() != VIPER_OK) {
        con_log("consoled: the built-in font is malformed; no screen");
        return;
    }
    if (is_type(fwcfg, VIPER_OBJ_DEVICE)) {
        int64_t rc = ramfb_init(fwcfg, dma, &ramfb_display);
        if (rc == VIPER_OK)
            render_add(&ramfb_display);
        else if (rc != VIPER_ERR_NOT_FOUND)   /* NOT_FOUND: no -device ramfb, nothing to say */
            con_log("consoled: ramfb: error %lld", (long long)rc);
    }
    if (is_type(gpu, VIPER_OBJ_DEVICE)) {
        int64_t rc = gpu_init(gpu, dma, &gpu_display);
        if (rc == VIPER_OK)
            render_add(&gpu_display);
        else
            con_log("consoled: virtio-gpu: error %lld", (long long)rc);
    }
}

int main(void)
{
    uint64_t reg = viper_startup_handle(0), uart_dev = viper_startup_handle(2);
    if (!is_type(uart_dev, VIPER_OBJ_DEVICE)) {
        con_log("consoled: no UART device handle (startup handle 2)");
        return 1;
    }
    int64_t rc = uart_init(uart_dev);
    if (rc != VIPER_OK) {
        con_log("consoled: UART: error %lld", (long long)rc);
        return 1;
    }
    screens_init(viper_startup_handle(3), viper_startup_handle(4), viper_startup_handle(5));
    unsigned cols = SERIAL_COLS, rows = SERIAL_ROWS;
    if (render_count()) {
        render_cells(&cols, &rows);
        if (viper_timer_create(&frame_timer) != VIPER_OK)
            frame_timer = 0;   /* then every batch is drawn at once */
    }
    term_init(cols, rows);
    frame_pending = render_count() > 0;   /* the first frame: a cleared screen and the cursor */

    uint64_t ep = 0;
    rc = viper_chan_create(&listen_ep, &ep);
    if (rc == VIPER_OK)
        rc = viper_registry_register(reg, CON_NAME, ep);
    if (rc != VIPER_OK) {
        con_log("consoled: cannot register %s: error %lld", CON_NAME, (long long)rc);
        return 1;
    }
    con_log("consoled: %s ready: serial, %u screen(s), %ux%u", CON_NAME, render_count(), cols,
            rows);
    serve_forever();
}
