/*
 * fsd - the file server: ViperFS on the disk blkd serves, registered as "FSD:".
 *
 * Startup handles: 0 the registry (CREATE; fsd opens "BLK0:" through it and
 * registers "FSD:"), 1 the console channel when there is one.  At start fsd
 * connects to blkd, replays the journal, mounts, and frees the files that
 * were unlinked while open when it last stopped; if that fails it says
 * why and still serves, answering every request with IO, so clients get an
 * error instead of a server that keeps restarting.
 *
 * One thread, one wait_many over the registry's connection channel and every
 * client; a client with a request is then served in a burst (serve): its
 * next requests are awaited on its channel alone, which spares a client in a
 * loop of calls the wait_many, until another channel has news (chan_notify).
 * Each client's buffer is mapped in a window of its own, and its claimed
 * length is checked with mprotect, as blkd does (docs/blkd.md).  Requests
 * are served one at a time to completion; each reply is sent without
 * blocking, and a client that does not read its replies is dropped.
 */
#include <stdio.h>
#include <string.h>
#include <viper/errors.h>
#include <viper/handles.h>
#include <viper/sys.h>

#include "fsd.h"

#define MAX_CLIENTS 16u
#define PAGE 4096ull
#define FS_BUF_MIN (2 * FS_PATH_MAX + 4096)   /* two paths and a block of data */
#define CACHE_BLOCKS 512u               /* 2 MiB */
#define CLIENT_WIN_BASE 0x0000005000000000ull
#define CLIENT_WIN (128ull << 20)       /* > the 64 MiB shm maximum: a gap after every buffer */
#define BURST_MAX 32u                   /* requests of one client in a row (serve) */

static struct fsd_client clients[MAX_CLIENTS];
static uint64_t listen_chan;

static void client_unmap(struct fsd_client *c)
{
    if (c->buf)
        viper_munmap((uint64_t)(uintptr_t)c->buf, CLIENT_WIN);
    c->buf = NULL;
    c->buflen = 0;
}

static void client_drop(struct fsd_client *c)
{
    fsd_close_all(c);
    client_unmap(c);
    viper_handle_close(c->chan);
    c->chan = 0;
}

/* Map the client's buffer in its window and find its size: the kernel has no call for a
 * shm object's size, so binary-search the pages mprotect accepts (nothing else is ever
 * mapped in the window, so the mapped prefix is exactly the buffer). */
static int attach(struct fsd_client *c, viper_handle_t h, uint64_t *size)
{
    uint64_t type = 0, rights = 0, addr = 0;
    if (viper_cap_query(h, &type, &rights) != VIPER_OK || type != VIPER_OBJ_SHM)
        return VIPER_ERR_BAD_HANDLE;
    client_unmap(c);
    uint64_t win = CLIENT_WIN_BASE + (uint64_t)(c - clients) * CLIENT_WIN;
    int64_t rc = viper_shm_map(h, win, VIPER_PROT_READ | VIPER_PROT_WRITE, &addr);
    if (rc != VIPER_OK)
        return (int)rc;
    c->buf = (uint8_t *)(uintptr_t)addr;
    if (addr != win) {
        client_unmap(c);
        return VIPER_ERR_NO_MEMORY;
    }
    uint64_t lo = 1, hi = CLIENT_WIN / PAGE - 1;   /* pages: lo is mapped, hi + 1 is not */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if (viper_mprotect(win, mid * PAGE, VIPER_PROT_READ | VIPER_PROT_WRITE) == VIPER_OK)
            lo = mid;
        else
            hi = mid - 1;
    }
    if (lo * PAGE < FS_BUF_MIN) {
        client_unmap(c);
        return VIPER_ERR_INVALID;
    }
    c->buflen = lo * PAGE;
    *size = c->buflen;
    return VIPER_OK;
}

/* The reply to one received message of len bytes and nh handles (closed here). */
FSD_HOT static void answer(struct fsd_client *c, const struct fs_request *req, uint64_t len,
                           const viper_handle_t *hs, uint64_t nh, struct fs_reply *rep)
{
    /* Only what goes back is cleared: the head, and the union for the ops that send it
     * (stores, not a call to memset, on a read). */
    rep->status = 0;
    rep->reserved = 0;
    rep->value = 0;
    if (fs_reply_len(req->op) > FS_REPLY_HEAD)
        memset(&rep->stat, 0, sizeof *rep - FS_REPLY_HEAD);
    if (len != sizeof *req || nh != (req->op == FS_ATTACH ? 1u : 0u))
        rep->status = VIPER_ERR_INVALID;
    else if (req->op == FS_ATTACH)
        rep->status = attach(c, hs[0], &rep->value);
    else
        rep->status = fsd_op(c, req, rep);
    for (uint64_t i = 0; i < nh; i++)
        viper_handle_close(hs[i]);
}

/*
 * Serve c: what it has queued, then, for a burst, its next requests as they come.  A
 * client in a loop of calls sends its next request right after our reply wakes it, and
 * waiting for that on its channel alone is much cheaper than going back to wait_many
 * over everyone and polling: each reply goes out with the wait for the next request in
 * one chan_call, whose send does not block (VIPER_CHAN_NONBLOCK), so a client that never
 * reads its replies is dropped instead of holding fsd up.  The wait is interruptible:
 * every client's channel and the connection channel notify fsd (chan_notify), so news
 * on any of them ends it (INTERRUPTED) and fsd goes back to wait_many; an idle client
 * holds nobody up, and no timer is needed.  The burst also ends after BURST_MAX
 * requests, so a client whose requests are always waiting cannot keep the others out.
 */
FSD_HOT static void serve(struct fsd_client *c)
{
    union {
        struct fs_request req;
        uint8_t bytes[VIPER_MSG_MAX_BYTES];
    } in;
    viper_handle_t hs[VIPER_MSG_MAX_HANDLES];
    struct viper_msg m = { (uint64_t)(uintptr_t)&in, sizeof in, VIPER_MSG_MAX_HANDLES,
                           (uint64_t)(uintptr_t)hs };
    struct fs_reply rep;
    struct viper_msg r = { (uint64_t)(uintptr_t)&rep, sizeof rep, 0, 0 };
    uint64_t len = 0, nh = 0;
    int64_t rc = viper_chan_recv(c->chan, &m, VIPER_DEADLINE_POLL, &len, &nh);
    if (rc == VIPER_ERR_WOULD_BLOCK)
        return;
    for (unsigned n = 1; rc == VIPER_OK; n++) {
        answer(c, &in.req, len, hs, nh, &rep);
        r.len = fs_reply_len(in.req.op);
        if (n == BURST_MAX) {
            rc = viper_chan_send(c->chan, &r, VIPER_CHAN_NONBLOCK);
            if (rc == VIPER_OK)
                return;
            break;
        }
        rc = viper_chan_call(c->chan, &r, &m, VIPER_DEADLINE_INFINITE,
                             VIPER_CHAN_NONBLOCK | VIPER_CHAN_INTERRUPTIBLE, &len, &nh);
        if (rc == VIPER_ERR_INTERRUPTED)
            return;   /* the reply went; another channel has news */
    }
    client_drop(c);   /* the reply found no room (WOULD_BLOCK), or the client is gone */
}

static void accept_all(void)
{
    for (;;) {
        char name[VIPER_MSG_MAX_BYTES];
        viper_handle_t hs[VIPER_MSG_MAX_HANDLES];
        uint64_t nh = 0;
        struct viper_msg m = { (uint64_t)(uintptr_t)name, sizeof name, VIPER_MSG_MAX_HANDLES,
                               (uint64_t)(uintptr_t)hs };
        if (viper_chan_recv(listen_chan, &m, VIPER_DEADLINE_POLL, NULL, &nh) != VIPER_OK)
            return;
        for (uint64_t i = 0; i < nh; i++) {
            struct fsd_client *c = NULL;
            for (unsigned k = 0; k < MAX_CLIENTS && !c; k++)
                if (!clients[k].chan)
                    c = &clients[k];
            if (c && i == 0) {
                memset(c, 0, sizeof *c);
                c->chan = hs[i];
                viper_chan_notify(c->chan);   /* (it is ours: READ) */
            } else {
                viper_handle_close(hs[i]);   /* full: the client sees PEER_CLOSED */
            }
        }
    }
}

FSD_HOT static _Noreturn void serve_forever(void)
{
    struct viper_wait_item items[1 + MAX_CLIENTS];
    struct fsd_client *who[1 + MAX_CLIENTS];
    for (;;) {
        unsigned n = 0;
        items[n++] = (struct viper_wait_item){ (uint32_t)listen_chan, VIPER_SIGNAL_READABLE, 0, 0 };
        for (unsigned k = 0; k < MAX_CLIENTS; k++) {
            if (!clients[k].chan)
                continue;
            who[n] = &clients[k];
            items[n++] = (struct viper_wait_item){
                (uint32_t)clients[k].chan, VIPER_SIGNAL_READABLE | VIPER_SIGNAL_PEER_CLOSED, 0, 0 };
        }
        if (viper_wait_many(items, n, VIPER_DEADLINE_INFINITE, NULL) != VIPER_OK)
            continue;
        if (items[0].pending & VIPER_SIGNAL_READABLE)
            accept_all();
        for (unsigned i = 1; i < n; i++)
            if ((items[i].pending & (VIPER_SIGNAL_READABLE | VIPER_SIGNAL_PEER_CLOSED)) &&
                who[i]->chan)
                serve(who[i]);
    }
}

/* Free inodes that have no name left: files unlinked while open when fsd last stopped
 * (nothing is open now).  Each is its own transaction. */
static int free_orphans(void)
{
    unsigned n = 0;
    for (uint32_t ino = VIPERFS_ROOT_INO + 1; ino < fs.sb.inode_count; ino++) {
        struct viperfs_inode in;
        if (inode_get(ino, &in) != VIPER_OK || in.links != 0)
            continue;
        int rc = inode_free(ino);
        if (rc == VIPER_OK)
            rc = fsd_commit();
        else
            fsd_abort();
        if (rc != VIPER_OK)
            return rc;
        n++;
    }
    if (n)
        printf("fsd: freed %u file%s unlinked while open\n", n, n == 1 ? "" : "s");
    return VIPER_OK;
}

/* Connect to blkd, replay the journal, check the superblock, mark the filesystem in use. */
static int mount(uint64_t reg, const char **why)
{
    int rc = blkio_open(reg);
    if (rc != VIPER_OK) {
        *why = "cannot reach BLK0:";
        return rc;
    }
    if ((rc = bcache_mount(why)) != VIPER_OK)
        return rc;
    if ((rc = bcache_init(CACHE_BLOCKS)) != VIPER_OK) {
        *why = "out of memory";
        return rc;
    }
    if (fs.sb.feature_ro_compat & ~VIPERFS_RO_COMPAT_KNOWN) {
        *why = "read-only features (not supported yet)";
        return VIPER_ERR_NOT_SUPPORTED;
    }
    fs.sb.state &= ~VIPERFS_STATE_CLEAN;
    fs.sb.mount_count++;
    fs.sb.mount_time = fsd_now();
    super_dirty();
    *why = "cannot write the superblock";
    if ((rc = fsd_commit()) != VIPER_OK)
        return rc;
    *why = "cannot free the files unlinked while open";
    return free_orphans();
}

int main(void)
{
    uint64_t reg = viper_startup_handle(0), ep = 0;
    const char *why = "";
    int rc = mount(reg, &why);
    fsd_mounted = rc == VIPER_OK;
    if (fsd_mounted)
        printf("fsd: mounted '%s': %u blocks (%u free), %u inodes (%u free)\n", fs.sb.label,
               fs.sb.block_count, fs.sb.free_blocks, fs.sb.inode_count, fs.sb.free_inodes);
    else
        printf("fsd: no filesystem: %s (%d); every request will fail with IO\n", why, rc);
    rc = (int)viper_chan_create(&ep, &listen_chan);
    if (rc == VIPER_OK)
        rc = (int)viper_chan_notify(listen_chan);   /* a new client ends a burst (serve) */
    if (rc == VIPER_OK)
        rc = (int)viper_registry_register(reg, FS_NAME, ep);
    if (rc != VIPER_OK) {
        printf("fsd: cannot register %s (%d)\n", FS_NAME, rc);
        return 3;
    }
    serve_forever();
}
