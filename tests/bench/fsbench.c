/*
 * fsbench.c - the filesystem figures of `make bench`, run as init on a
 * ViperFS disk (tools/bench attaches a copy of build/disk.img): it starts
 * blkd and fsd as vinit would, then measures through libc's file API
 *   fsd_read_4k      pread of 4 KiB from a cached file (one fsd round trip), into a
 *                    page-aligned buffer, from each of its 16 pages in turn (as on Linux)
 *   fsd_seq_write    a 4 MiB file in 64 KiB writes, then fsync   (MB/s)
 *   fsd_seq_read     the same file read back in 64 KiB reads     (MB/s)
 *   fsd_create_unlink  create + close + unlink of an empty file  (op/s)
 * Each figure is the median of BENCH_BATCHES batches (bench_util.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <virtio/virtio.h>
#include <viper/handles.h>
#include <viper/sys.h>
#include <viper/time.h>

#include "bench_util.h"

#define SEQ_BYTES (4u << 20)
#define SEQ_CHUNK (64u << 10)
#define CREATES   20

#define READ_PAGES 16   /* fsd_read_4k reads these pages of one file in turn, as Linux's does */

static uint8_t chunk[SEQ_CHUNK] __attribute__((aligned(4096)));

static int64_t spawn(const char *path, const uint32_t *hs, unsigned n)
{
    const char *argv[] = { path + 1, NULL };
    int64_t pid = -1;
    return viper_spawn(path, argv, NULL, hs, n, &pid) == VIPER_OK ? pid : -1;
}

/* blkd on the virtio disk, then fsd, with the handles vinit would give them. */
static int start_servers(void)
{
    uint64_t reg = viper_startup_handle(VIPER_INIT_HANDLE_REGISTRY);
    uint64_t root = viper_startup_handle(VIPER_INIT_HANDLE_DEVROOT);
    uint64_t idx, dev, dma, r1, r2;
    if (virtio_find(root, VIRTIO_ID_BLOCK, 0, &idx) != VIPER_OK ||
        viper_dev_open(root, idx, &dev) != VIPER_OK ||
        viper_cap_derive(root, VIPER_RIGHT_DMA_ACCESS | VIPER_RIGHT_TRANSFER, &dma) != VIPER_OK ||
        viper_cap_derive(reg, VIPER_RIGHT_CREATE | VIPER_RIGHT_TRANSFER, &r1) != VIPER_OK ||
        viper_cap_derive(reg, VIPER_RIGHT_CREATE | VIPER_RIGHT_TRAVERSE | VIPER_RIGHT_TRANSFER,
                         &r2) != VIPER_OK)
        return -1;
    uint32_t bh[3] = { (uint32_t)r1, (uint32_t)dev, (uint32_t)dma }, fh[1] = { (uint32_t)r2 };
    if (spawn("/blkd", bh, 3) < 0 || spawn("/fsd", fh, 1) < 0)
        return -1;
    /* libc connects to FSD: on first use; wait until fsd has registered. */
    for (int i = 0; i < 1000; i++) {
        int fd = open("/", O_RDONLY | O_DIRECTORY);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        viper_sleep_ns(10000000);
    }
    return -1;
}

static int bench_read_4k(void)
{
    uint64_t t[BENCH_BATCHES];
    int fd = open("/bench-read", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, chunk, READ_PAGES * 4096) != READ_PAGES * 4096)
        return -1;
    for (int b = -1; b < BENCH_BATCHES; b++) {
        uint64_t t0 = bench_ticks();
        for (int i = 0; i < 100; i++)
            if (pread(fd, chunk, 4096, (off_t)(i % READ_PAGES) * 4096) != 4096)
                return -1;
        if (b >= 0)
            t[b] = bench_ticks() - t0;
    }
    bench_report("fsd_read_4k", t, 100, "us");
    return close(fd);
}

/* MB/s from per-batch ticks of `bytes` each (the median batch). */
static void report_rate(const char *name, uint64_t *t, uint64_t bytes)
{
    uint64_t med = bench_median(t, BENCH_BATCHES);
    uint64_t kbps = med ? bytes * bench_hz() / med / 1000 : 0;   /* kB/s */
    printf("bench: %s %lu.%03lu MB/s\n", name, (unsigned long)(kbps / 1000),
           (unsigned long)(kbps % 1000));
}

static int bench_seq(void)
{
    static uint64_t tw[BENCH_BATCHES], tr[BENCH_BATCHES];
    for (unsigned i = 0; i < sizeof chunk; i++)
        chunk[i] = (uint8_t)(i * 7);
    for (int b = 0; b < BENCH_BATCHES; b++) {
        int fd = open("/bench-seq", O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            return -1;
        uint64_t t0 = bench_ticks();
        for (unsigned off = 0; off < SEQ_BYTES; off += SEQ_CHUNK)
            if (write(fd, chunk, SEQ_CHUNK) != SEQ_CHUNK)
                return -1;
        if (fsync(fd))
            return -1;
        tw[b] = bench_ticks() - t0;
        t0 = bench_ticks();
        for (unsigned off = 0; off < SEQ_BYTES; off += SEQ_CHUNK)
            if (pread(fd, chunk, SEQ_CHUNK, off) != SEQ_CHUNK)
                return -1;
        tr[b] = bench_ticks() - t0;
        close(fd);
    }
    report_rate("fsd_seq_write", tw, SEQ_BYTES);
    report_rate("fsd_seq_read", tr, SEQ_BYTES);
    return unlink("/bench-seq");
}

static int bench_create_unlink(void)
{
    uint64_t t[BENCH_BATCHES];
    char name[32];
    for (int b = -1; b < BENCH_BATCHES; b++) {
        uint64_t t0 = bench_ticks();
        for (int i = 0; i < CREATES; i++) {
            snprintf(name, sizeof name, "/bench-c%d", i);
            int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
            if (fd < 0 || close(fd) || unlink(name))
                return -1;
        }
        if (b >= 0)
            t[b] = bench_ticks() - t0;
    }
    uint64_t med = bench_median(t, BENCH_BATCHES);
    printf("bench: fsd_create_unlink %lu op/s\n",
           (unsigned long)(med ? CREATES * bench_hz() / med : 0));
    return 0;
}

int main(void)
{
    const char *failed = NULL;
    if (start_servers())
        failed = "blkd and fsd did not start (no virtio disk?)";
    else if (bench_read_4k())
        failed = "fsd_read_4k";
    else if (bench_seq())
        failed = "sequential read/write";
    else if (bench_create_unlink())
        failed = "create/unlink";
    if (failed)
        printf("bench: error %s (%s)\n", failed, strerror(errno));
    else
        printf("bench: done\n");
    return failed ? 1 : 0;   /* init exiting powers the machine off */
}
