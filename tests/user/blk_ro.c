/*
 * blk_ro.c - blkd on a read-only disk (QEMU `readonly=on`, grade/tests_blk.py):
 * INFO says BLK_F_READONLY, writes are refused with ACCESS_DENIED before they
 * reach the device, reads and flushes work.  blkd gets vinit's handle layout
 * here (registry, console channel, device, DMA root), blk_rw the one without
 * a console.
 */
#include "ipc_util.h"

#include <proto/blk.h>
#include <virtio/virtio.h>

#define SEC 1000000000ull

static uint64_t reg, root, chan;
static uint8_t *buf;

static int64_t call(uint32_t op, uint64_t sector, uint32_t count, struct blk_reply *rep)
{
    struct blk_request req = { .op = op, .count = count, .id = op, .sector = sector };
    struct viper_msg m = ipc_msg(&req, sizeof req, NULL, 0), r = ipc_msg(rep, sizeof *rep, NULL, 0);
    memset(rep, 0, sizeof *rep);
    int64_t rc = viper_chan_call(chan, &m, &r, viper_now_ns() + 5 * SEC, 0, NULL, NULL);
    return rc != VIPER_OK ? rc : rep->status;
}

static void case_readonly(void)
{
    struct blk_reply rep;
    UT_CHECK_EQ(call(BLK_INFO, 0, 0, &rep), VIPER_OK);
    UT_CHECK_EQ(rep.flags, BLK_F_READONLY);
    UT_CHECK_EQ(call(BLK_READ, 0, 8, &rep), VIPER_OK);
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned i = 0; i < 8 * BLK_SECTOR_SIZE; i++)
        h = (h ^ buf[i]) * 0x100000001b3ull;
    UT_INFO("sector 0 count 8 fnv %016llx", (unsigned long long)h);
    UT_CHECK_EQ(call(BLK_WRITE, 0, 8, &rep), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(call(BLK_WRITE, 63, 1, &rep), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(call(BLK_FLUSH, 0, 0, &rep), VIPER_OK);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    reg = viper_startup_handle(0);
    root = viper_startup_handle(1);
    uint64_t idx = 0, dev = 0, dma = 0, r = 0, shm = 0, va = 0;
    int64_t pid = 0;
    UT_CHECK_EQ(virtio_find(root, VIRTIO_ID_BLOCK, 0, &idx), VIPER_OK);
    UT_CHECK_EQ(viper_dev_open(root, idx, &dev), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(root, VIPER_RIGHT_DMA_ACCESS | VIPER_RIGHT_TRANSFER, &dma),
                VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(reg, VIPER_RIGHT_CREATE | VIPER_RIGHT_TRANSFER, &r), VIPER_OK);
    /* vinit's layout: a console channel in slot 1 (we hold its other end and read nothing) */
    uint64_t con = 0, con_peer = 0;
    UT_CHECK_EQ(viper_chan_create(&con, &con_peer), VIPER_OK);
    uint32_t hs[4] = { (uint32_t)r, (uint32_t)con, (uint32_t)dev, (uint32_t)dma };
    const char *args[] = { "blkd", NULL };
    UT_CHECK_EQ(viper_spawn("/blkd", args, NULL, hs, 4, &pid), VIPER_OK);
    uint64_t end = viper_now_ns() + 3 * SEC;
    while (viper_registry_open(reg, BLK_NAME, &chan) != VIPER_OK && viper_now_ns() < end)
        viper_sleep_ns(SEC / 1000);
    UT_CHECK_EQ(viper_shm_create(8192, &shm), VIPER_OK);
    UT_CHECK_EQ(viper_shm_map(shm, 0, VIPER_PROT_READ | VIPER_PROT_WRITE, &va), VIPER_OK);
    buf = (uint8_t *)(uintptr_t)va;
    struct blk_request at = { .op = BLK_ATTACH, .offset = 8192 };
    struct blk_reply rep;
    viper_handle_t h = (viper_handle_t)shm;
    struct viper_msg m = ipc_msg(&at, sizeof at, &h, 1), rr = ipc_msg(&rep, sizeof rep, NULL, 0);
    UT_CHECK_EQ(viper_chan_call(chan, &m, &rr, viper_now_ns() + 5 * SEC, 0, NULL, NULL), VIPER_OK);
    UT_CHECK_EQ(rep.status, VIPER_OK);
    if (ut_case_failures == 0)
        UT_RUN(case_readonly);
    else
        printf("UTEST %s FAIL blk_ro.start: %s\n", ut_nonce, ut_reason);
    viper_kill(pid);
    viper_wait(pid, 0, NULL, NULL, NULL);
    return ut_done();
}
