/*
 * fs_util.h - for the fsd tests: start blkd and fsd as init would, and a
 * small client of proto/fs.h that puts paths and data in its own buffer.
 *
 * The test runs as init with QEMU given a ViperFS image the grader made
 * (grade/tests_fs.py); we hold the device root, so we spawn /blkd with its
 * device and a DMA-only root, then /fsd with a registry that may CREATE.
 * File contents the grader checks follow fs_pattern(): a key from the nonce,
 * changed per 4 KiB block, so a block in the wrong place shows.
 */
#pragma once
#include "ipc_util.h"

#include <proto/fs.h>
#include <virtio/virtio.h>

#define FS_MS 1000000ull
#define FS_SEC (1000 * FS_MS)
#define FSC_BUF (2u << 20)           /* the client's buffer: paths, then data */
#define FSC_PATH2 4096u
#define FSC_DATA 8192u
#define FSC_DATA_MAX (FSC_BUF - FSC_DATA)

static uint64_t fs_reg, fs_root, fs_chan;
static int64_t fs_blkd_pid, fs_fsd_pid;
static uint8_t *fs_buf;
static uint8_t fs_key[16];

static inline uint64_t fs_fnv(const uint8_t *p, uint64_t n, uint64_t h)
{
    for (uint64_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}
#define FS_FNV_INIT 0xcbf29ce484222325ull

/* The grader's pattern (grade/tests_fs.py, pattern()). */
static inline uint8_t fs_pattern(uint64_t i)
{
    return (uint8_t)(fs_key[i % 16] + (i / 4096) * 7);
}

static inline void fs_key_init(void)
{
    uint64_t h = fs_fnv((const uint8_t *)ut_nonce, strlen(ut_nonce), FS_FNV_INIT);
    for (int i = 0; i < 16; i++) {
        h = h * 6364136223846793005ull + 1442695040888963407ull;
        fs_key[i] = (uint8_t)(h >> 56);
    }
}

static inline int64_t fs_spawn(const char *path, const uint32_t *hs, unsigned n, int64_t *pid)
{
    const char *argv[] = { path + 1, NULL };
    return viper_spawn(path, argv, NULL, hs, n, pid);
}

/* A connection to FSD: (waiting up to 10 s for fsd to register) with a fresh buffer attached;
 * replaces fs_chan and fs_buf (a forked child makes its own).  0 when it worked. */
static inline int fs_connect(void)
{
    uint64_t shm = 0, va = 0;
    uint64_t end = viper_now_ns() + 10 * FS_SEC;
    int64_t rc;
    while ((rc = viper_registry_open(fs_reg, FS_NAME, &fs_chan)) != VIPER_OK &&
           viper_now_ns() < end)
        viper_sleep_ns(5 * FS_MS);
    UT_CHECK_EQ(rc, VIPER_OK);
    UT_CHECK_EQ(viper_shm_create(FSC_BUF, &shm), VIPER_OK);
    UT_CHECK_EQ(viper_shm_map(shm, 0, VIPER_PROT_READ | VIPER_PROT_WRITE, &va), VIPER_OK);
    fs_buf = (uint8_t *)(uintptr_t)va;
    struct fs_request req = { .op = FS_ATTACH, .fd = -1 };
    struct fs_reply rep;
    viper_handle_t h = (viper_handle_t)shm;
    struct viper_msg m = ipc_msg(&req, sizeof req, &h, 1), r = ipc_msg(&rep, sizeof rep, NULL, 0);
    UT_CHECK_EQ(viper_chan_call(fs_chan, &m, &r, viper_now_ns() + 10 * FS_SEC, 0, NULL, NULL),
                VIPER_OK);
    UT_CHECK_EQ(rep.status, VIPER_OK);
    UT_CHECK_EQ(rep.value, FSC_BUF);
    return ut_case_failures ? -1 : 0;
}

/* blkd, then fsd, then our connection; 0 when all went well. */
static inline int fs_start(void)
{
    uint64_t idx = 0, dev = 0, dma = 0, r1 = 0, r2 = 0;
    fs_reg = viper_startup_handle(0);
    fs_root = viper_startup_handle(1);
    UT_CHECK_EQ(virtio_find(fs_root, VIRTIO_ID_BLOCK, 0, &idx), VIPER_OK);
    UT_CHECK_EQ(viper_dev_open(fs_root, idx, &dev), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(fs_root, VIPER_RIGHT_DMA_ACCESS | VIPER_RIGHT_TRANSFER, &dma),
                VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(fs_reg, VIPER_RIGHT_CREATE | VIPER_RIGHT_TRANSFER, &r1), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(fs_reg, VIPER_RIGHT_CREATE | VIPER_RIGHT_TRAVERSE |
                                 VIPER_RIGHT_TRANSFER, &r2), VIPER_OK);   /* fsd opens BLK0: */
    uint32_t bh[3] = { (uint32_t)r1, (uint32_t)dev, (uint32_t)dma }, fh[1] = { (uint32_t)r2 };
    UT_CHECK_EQ(fs_spawn("/blkd", bh, 3, &fs_blkd_pid), VIPER_OK);
    UT_CHECK_EQ(fs_spawn("/fsd", fh, 1, &fs_fsd_pid), VIPER_OK);
    return ut_case_failures ? -1 : fs_connect();
}

static inline void fs_stop(void)
{
    viper_kill(fs_fsd_pid);
    viper_wait(fs_fsd_pid, 0, NULL, NULL, NULL);
    viper_kill(fs_blkd_pid);
    viper_wait(fs_blkd_pid, 0, NULL, NULL, NULL);
}

/* One request; returns the reply's status (or the transport's error). */
static inline int64_t fs_call(struct fs_request *req, struct fs_reply *rep)
{
    struct viper_msg m = ipc_msg(req, sizeof *req, NULL, 0), r = ipc_msg(rep, sizeof *rep, NULL, 0);
    memset(rep, 0, sizeof *rep);
    int64_t rc = viper_chan_call(fs_chan, &m, &r, viper_now_ns() + 30 * FS_SEC, 0, NULL, NULL);
    return rc != VIPER_OK ? rc : rep->status;
}

/* A request naming path (and path2) in the buffer. */
static inline struct fs_request fs_req(uint32_t op, const char *path, const char *path2)
{
    struct fs_request req = { .op = op, .fd = -1 };
    if (path) {
        req.path_len = (uint32_t)strlen(path);
        memcpy(fs_buf, path, req.path_len);
    }
    if (path2) {
        req.path2_off = FSC_PATH2;
        req.path2_len = (uint32_t)strlen(path2);
        memcpy(fs_buf + FSC_PATH2, path2, req.path2_len);
    }
    return req;
}

static inline int64_t fs_path_op(uint32_t op, const char *path, const char *path2, uint32_t mode)
{
    struct fs_request req = fs_req(op, path, path2);
    struct fs_reply rep;
    req.mode = mode;
    return fs_call(&req, &rep);
}

/* Open; returns the descriptor or a negative status. */
static inline int64_t fs_open(const char *path, uint32_t flags, uint32_t mode)
{
    struct fs_request req = fs_req(FS_OPEN, path, NULL);
    struct fs_reply rep;
    req.flags = flags;
    req.mode = mode;
    int64_t rc = fs_call(&req, &rep);
    return rc != VIPER_OK ? rc : (int64_t)rep.value;
}

static inline int64_t fs_close(int64_t fd)
{
    struct fs_request req = { .op = FS_CLOSE, .fd = (int32_t)fd };
    struct fs_reply rep;
    return fs_call(&req, &rep);
}

/* READ/WRITE/PREAD/PWRITE of len bytes at the buffer's data area; bytes moved or an error. */
static inline int64_t fs_io(uint32_t op, int64_t fd, uint64_t off, uint32_t len)
{
    struct fs_request req = { .op = op, .fd = (int32_t)fd, .offset = off, .buf_off = FSC_DATA,
                              .len = len };
    struct fs_reply rep;
    int64_t rc = fs_call(&req, &rep);
    return rc != VIPER_OK ? rc : (int64_t)rep.value;
}

static inline int64_t fs_stat(uint32_t op, const char *path, struct fs_stat *st)
{
    struct fs_request req = fs_req(op, path, NULL);
    struct fs_reply rep;
    int64_t rc = fs_call(&req, &rep);
    if (rc == VIPER_OK)
        *st = rep.stat;
    return rc;
}

/* A whole file's FNV-1a and size (read in big chunks); status. */
static inline int64_t fs_hash_file(const char *path, uint64_t *hash, uint64_t *size)
{
    int64_t fd = fs_open(path, FS_O_RDONLY, 0), n;
    *hash = FS_FNV_INIT;
    *size = 0;
    if (fd < 0)
        return fd;
    while ((n = fs_io(FS_READ, fd, 0, 256 * 1024)) > 0) {
        *hash = fs_fnv(fs_buf + FSC_DATA, (uint64_t)n, *hash);
        *size += (uint64_t)n;
    }
    fs_close(fd);
    return n < 0 ? n : VIPER_OK;
}
