/*
 * con_util.h - what the console tests share: a test running as init (the
 * registry and the device root as startup handles 0 and 1) starts consoled
 * (and inputd) itself with the startup handles docs/console.md lists, then
 * talks to CON: like any client.
 *
 * spawn takes no empty slots, so a slot that holds "nothing" gets a timer
 * object: not a channel (so libc does not take it for a console) and not a
 * device (so consoled takes the screen as absent).
 */
#pragma once
#include <proto/console.h>
#include <stdbool.h>
#include "ipc_util.h"

#define CON_REG_RIGHTS (VIPER_RIGHT_CREATE | VIPER_RIGHT_TRAVERSE | VIPER_RIGHT_TRANSFER)
#define CON_DMA_RIGHTS (VIPER_RIGHT_DMA_ACCESS | VIPER_RIGHT_TRANSFER)
#define VIRTIO_GPU_ID   16u
#define VIRTIO_INPUT_ID 18u

static uint64_t con_reg, con_root;   /* startup handles 0 and 1 */

/* The device-table index of the nth device of this kind (and virtio ID), or -1. */
static inline int64_t con_find(uint32_t kind, uint32_t virtio_id, unsigned nth)
{
    for (uint64_t i = 0; i < 256; i++) {
        uint64_t base, size, id;
        if (viper_dev_info(con_root, i, &base, &size, &id) != VIPER_OK)
            break;
        if ((id >> 32) == kind && (kind != VIPER_DEV_VIRTIO_MMIO || (uint32_t)id == virtio_id) &&
            nth-- == 0)
            return (int64_t)i;
    }
    return -1;
}

/* A handle standing for an empty startup slot (see above). */
static inline viper_handle_t con_none(void)
{
    uint64_t t = 0;
    UT_CHECK_EQ(viper_timer_create(&t), VIPER_OK);
    return (viper_handle_t)t;
}

/* The device at index, opened; con_none() when index < 0. */
static inline viper_handle_t con_dev(int64_t index)
{
    uint64_t d = 0;
    if (index < 0)
        return con_none();
    UT_CHECK_EQ(viper_dev_open(con_root, (uint64_t)index, &d), VIPER_OK);
    return (viper_handle_t)d;
}

static inline viper_handle_t con_derive(uint64_t h, uint64_t rights)
{
    uint64_t d = 0;
    UT_CHECK_EQ(viper_cap_derive(h, rights, &d), VIPER_OK);
    return (viper_handle_t)d;
}

static inline int64_t con_spawn(const char *path, const viper_handle_t *hs, uint64_t n)
{
    const char *const argv[] = { path, NULL };
    int64_t pid = -1;
    fflush(stdout);
    UT_CHECK_EQ(viper_spawn(path, argv, NULL, (const uint32_t *)hs, n, &pid), VIPER_OK);
    return pid;
}

/* Start consoled: the UART, plus ramfb and/or the first virtio-gpu when asked. */
static inline int64_t con_start_consoled(int ramfb, int gpu)
{
    int64_t uart = con_find(VIPER_DEV_PL011, 0, 0);
    UT_CHECK(uart >= 0);
    int64_t fwcfg = ramfb ? con_find(VIPER_DEV_FW_CFG, 0, 0) : -1;
    int64_t vgpu = gpu ? con_find(VIPER_DEV_VIRTIO_MMIO, VIRTIO_GPU_ID, 0) : -1;
    UT_CHECK(!ramfb || fwcfg >= 0);
    UT_CHECK(!gpu || vgpu >= 0);
    viper_handle_t hs[6] = { con_derive(con_reg, CON_REG_RIGHTS), con_none(), con_dev(uart),
                             con_dev(fwcfg), con_dev(vgpu), con_derive(con_root, CON_DMA_RIGHTS) };
    return con_spawn("/consoled", hs, 6);
}

/* Start inputd on the nth virtio-input device; -1 when there is none. */
static inline int64_t con_start_inputd(unsigned nth)
{
    int64_t dev = con_find(VIPER_DEV_VIRTIO_MMIO, VIRTIO_INPUT_ID, nth);
    if (dev < 0)
        return -1;
    viper_handle_t hs[4] = { con_derive(con_reg, VIPER_RIGHT_TRAVERSE | VIPER_RIGHT_TRANSFER),
                             con_none(), con_dev(dev), con_derive(con_root, CON_DMA_RIGHTS) };
    return con_spawn("/inputd", hs, 4);
}

/* A channel to CON:, retrying while consoled starts (5 s at most); 0 on failure. */
static inline uint64_t con_connect(void)
{
    uint64_t ch = 0;
    int64_t rc = VIPER_ERR_NOT_FOUND;
    /* PEER_CLOSED: the name still points at a consoled that died; a new one replaces it */
    for (int i = 0; i < 500 && (rc == VIPER_ERR_NOT_FOUND || rc == VIPER_ERR_PEER_CLOSED); i++) {
        rc = viper_registry_open(con_reg, CON_NAME, &ch);
        if (rc != VIPER_OK)
            viper_sleep_ns(10 * IPC_MS);
    }
    UT_CHECK_EQ(rc, VIPER_OK);
    return rc == VIPER_OK ? ch : 0;
}

static inline int64_t con_write(uint64_t ch, const void *p, size_t n)
{
    int64_t rc = VIPER_OK;
    const uint8_t *b = p;
    while (n > 0 && rc == VIPER_OK) {
        struct con_request q = { .op = CON_WRITE };
        q.len = n < CON_DATA_MAX ? (uint32_t)n : CON_DATA_MAX;
        memcpy(q.data, b, q.len);
        rc = ipc_send(ch, &q, 8 + q.len, NULL, 0, 0);
        b += q.len;
        n -= q.len;
    }
    return rc;
}

static inline int64_t con_puts(uint64_t ch, const char *s)
{
    return con_write(ch, s, strlen(s));
}

/* One request of len bytes and its reply (into *r); the reply's status, or a call error. */
static inline int64_t con_call(uint64_t ch, const void *req, uint32_t len, struct con_reply *r,
                               uint64_t *rlen)
{
    struct viper_msg mq = ipc_msg(req, len, NULL, 0), mr = ipc_msg(r, sizeof *r, NULL, 0);
    memset(r, 0, sizeof *r);
    int64_t rc = viper_chan_call(ch, &mq, &mr, ipc_after_ms(10000), 0, rlen, NULL);
    return rc == VIPER_OK ? r->status : rc;
}

static inline int64_t con_info(uint64_t ch, uint32_t *cols, uint32_t *rows)
{
    struct con_request q = { .op = CON_INFO };
    struct con_reply r;
    uint64_t len = 0;
    int64_t rc = con_call(ch, &q, 8, &r, &len);
    UT_CHECK_EQ(len, 8 + sizeof r.info);
    *cols = r.info.cols;
    *rows = r.info.rows;
    return rc;
}

/* Read typed bytes until '\r' (or cap-1 bytes) into buf, always NUL-terminated; returns how
 * many, or -1 when a read fails. */
static inline int con_read_line(uint64_t ch, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        struct con_request q = { .op = CON_READ, .len = (uint32_t)(cap - 1 - n) };
        if (q.len > CON_DATA_MAX)
            q.len = CON_DATA_MAX;
        struct con_reply r;
        uint64_t len = 0;
        struct viper_msg mq = ipc_msg(&q, 8, NULL, 0), mr = ipc_msg(&r, sizeof r, NULL, 0);
        int64_t rc = viper_chan_call(ch, &mq, &mr, ipc_after_ms(60000), 0, &len, NULL);
        UT_CHECK_EQ(rc, VIPER_OK);
        UT_CHECK_EQ(r.status, VIPER_OK);
        if (rc != VIPER_OK || r.status != VIPER_OK || r.len == 0 || r.len > q.len ||
            len != 8 + r.len) {
            buf[n] = '\0';
            return -1;
        }
        bool end = false;
        for (uint32_t i = 0; i < r.len; i++)
            end |= (buf[n++] = (char)r.data[i]) == '\r';
        if (end)
            break;
    }
    buf[n] = '\0';
    return (int)n;
}

/* s with control bytes as \xNN, for the grader to compare. */
static inline void con_escape(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s && o + 5 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
    }
    out[o] = '\0';
}
