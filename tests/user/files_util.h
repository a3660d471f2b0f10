/*
 * files_util.h - for the file-API tests (files_*.c) and the crash tests
 * (crash_*.c): start blkd and fsd as vinit would, then use nothing but
 * libc's file API (<stdio.h>, <unistd.h>, <fcntl.h>, <sys/stat.h>,
 * <dirent.h>, errno), which reaches "FSD:" through our registry handle.
 *
 * The test runs as init with QEMU given a ViperFS image the grader made with
 * mkfs.viperfs (grade/tests_files.py, grade/tests_crash.py).  We hold the
 * device root: /blkd gets the virtio-blk device and a DMA-only root, /fsd a
 * registry that may CREATE (it registers "FSD:").
 *
 * File contents follow fu_fill(): 64-bit words from a key and the word's
 * index (a murmur3 finaliser), so a block in the wrong place or a stale
 * block shows, and the grader (grade/tests_files.py, words()) makes the same
 * bytes.  fu_crc32() is the IEEE CRC-32 (zlib.crc32 on the host).
 */
#pragma once
#include "ipc_util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <virtio/virtio.h>

#define FU_MS 1000000ull
#define FU_SEC (1000 * FU_MS)

static UT_UNUSED uint64_t fu_reg;
static UT_UNUSED int64_t fu_blkd_pid, fu_fsd_pid;

static inline uint64_t fu_fnv(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

/* Word j of the content with this key. */
static inline uint64_t fu_word(uint64_t key, uint64_t j)
{
    uint64_t x = key ^ (j * 0x9e3779b97f4a7c15ull);
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* The n bytes at file offset off of the content with this key. */
static inline void fu_fill(uint64_t key, uint64_t off, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t pos = off + i;
        out[i] = (uint8_t)(fu_word(key, pos / 8) >> (8 * (pos % 8)));
    }
}

/* The offset of the first byte of data that differs from the content, or -1. */
static inline int64_t fu_mismatch(uint64_t key, uint64_t off, const uint8_t *data, size_t n)
{
    uint8_t want[256];
    for (size_t done = 0; done < n;) {
        size_t k = n - done < sizeof want ? n - done : sizeof want;
        fu_fill(key, off + done, want, k);
        for (size_t i = 0; i < k; i++)
            if (data[done + i] != want[i])
                return (int64_t)(off + done + i);
        done += k;
    }
    return -1;
}

static inline uint32_t fu_crc32(uint32_t crc, const void *data, size_t n)
{
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    const uint8_t *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static inline int64_t fu_spawn(const char *path, const char *const *argv, const char *const *envp,
                               const uint32_t *hs, unsigned n, int64_t *pid)
{
    fflush(stdout);
    return viper_spawn(path, argv, envp, hs, n, pid);
}

/* blkd, then fsd; 0 once "FSD:" is registered. */
static inline int fu_start(void)
{
    uint64_t root = viper_startup_handle(1), idx = 0, dev = 0, dma = 0, r1 = 0, r2 = 0, ch = 0;
    fu_reg = viper_startup_handle(0);
    UT_CHECK_EQ(virtio_find(root, VIRTIO_ID_BLOCK, 0, &idx), VIPER_OK);
    UT_CHECK_EQ(viper_dev_open(root, idx, &dev), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(root, VIPER_RIGHT_DMA_ACCESS | VIPER_RIGHT_TRANSFER, &dma),
                VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(fu_reg, VIPER_RIGHT_CREATE | VIPER_RIGHT_TRANSFER, &r1), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(fu_reg, VIPER_RIGHT_CREATE | VIPER_RIGHT_TRAVERSE |
                                 VIPER_RIGHT_TRANSFER, &r2), VIPER_OK);
    if (ut_case_failures)
        return -1;
    const char *const bargv[] = { "blkd", NULL }, *const fargv[] = { "fsd", NULL };
    const char *const envp[] = { NULL };
    uint32_t bh[3] = { (uint32_t)r1, (uint32_t)dev, (uint32_t)dma }, fh[1] = { (uint32_t)r2 };
    UT_CHECK_EQ(fu_spawn("/blkd", bargv, envp, bh, 3, &fu_blkd_pid), VIPER_OK);
    UT_CHECK_EQ(fu_spawn("/fsd", fargv, envp, fh, 1, &fu_fsd_pid), VIPER_OK);
    uint64_t end = viper_now_ns() + 10 * FU_SEC;
    int64_t rc;
    while ((rc = viper_registry_open(fu_reg, "FSD:", &ch)) != VIPER_OK && viper_now_ns() < end)
        viper_sleep_ns(5 * FU_MS);
    UT_CHECK_EQ(rc, VIPER_OK);
    if (rc == VIPER_OK)
        viper_handle_close(ch);
    return ut_case_failures ? -1 : 0;
}

static inline void fu_stop(void)
{
    viper_kill(fu_fsd_pid);
    viper_wait(fu_fsd_pid, 0, NULL, NULL, NULL);
    viper_kill(fu_blkd_pid);
    viper_wait(fu_blkd_pid, 0, NULL, NULL, NULL);
}

/* Is fsd still there and answering? (a path call that must succeed) */
static inline int fu_fsd_alive(void)
{
    struct stat st;
    return stat("/", &st) == 0 && S_ISDIR(st.st_mode);
}

/* Start this program again as a helper: argv = { prog, "--child", role, arg }, our nonce in its
 * environment and a registry handle that can reach FSD: as its startup handle 0. */
static inline int64_t fu_spawn_self(const char *prog, const char *role, const char *arg)
{
    char path[64], env[64];
    uint64_t r = 0;
    int64_t pid = -1;
    snprintf(path, sizeof path, "/tests/%s", prog);
    snprintf(env, sizeof env, "NONCE=%s", ut_nonce);
    UT_CHECK_EQ(viper_cap_derive(fu_reg, VIPER_RIGHT_TRAVERSE | VIPER_RIGHT_TRANSFER, &r),
                VIPER_OK);
    const char *const argv[] = { prog, "--child", role, arg, NULL }, *const envp[] = { env, NULL };
    uint32_t hs[1] = { (uint32_t)r };
    int64_t rc = fu_spawn(path, argv, envp, hs, 1, &pid);
    UT_CHECK_EQ(rc, VIPER_OK);
    return rc == VIPER_OK ? pid : rc;
}

/* Write the whole buffer (several write() calls if need be); 0 or -1 with errno. */
static inline int fu_write_all(int fd, const void *data, size_t n)
{
    const uint8_t *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A whole file's size and CRC-32; 0 or -1 with errno. */
static inline int fu_crc_file(const char *path, uint64_t *size, uint32_t *crc)
{
    static uint8_t chunk[32768];
    int fd = open(path, O_RDONLY);
    ssize_t n;
    *size = 0;
    *crc = 0;
    if (fd < 0)
        return -1;
    while ((n = read(fd, chunk, sizeof chunk)) > 0) {
        *crc = fu_crc32(*crc, chunk, (size_t)n);
        *size += (uint64_t)n;
    }
    close(fd);
    return n < 0 ? -1 : 0;
}
