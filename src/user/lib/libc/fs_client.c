/*
 * fs_client.c - the connection to fsd and path handling (fs_client.h).
 */
#include "fs_client.h"
#include "path.h"

#include <stdlib.h>
#include <string.h>
#include <viper/errors.h>
#include <viper/handles.h>
#include <viper/sys.h>
#include <viper/types.h>

static uint64_t chan FS_HOT_DATA;          /* 0: not connected */
static uint8_t *buf FS_HOT_DATA;           /* the transfer buffer, mapped read-write */
static uint32_t generation FS_HOT_DATA;    /* bumped at every new connection */
static char cwd[FS_PATH_MAX];   /* "" until first use: then $PWD (set by the shell) or "/" */

static void disconnect(void)
{
    viper_handle_close(chan);
    viper_munmap((uint64_t)(uintptr_t)buf, FS_BUF_SIZE);
    chan = 0;
    buf = NULL;
}

static int connect(void)
{
    uint64_t c, shm, addr;
    int64_t rc = viper_registry_open(viper_startup_handle(0), FS_NAME, &c);
    if (rc != VIPER_OK)
        return (int)rc;
    rc = viper_shm_create(FS_BUF_SIZE, &shm);
    if (rc == VIPER_OK) {
        rc = viper_shm_map(shm, 0, VIPER_PROT_READ | VIPER_PROT_WRITE, &addr);
        if (rc != VIPER_OK)
            viper_handle_close(shm);
    }
    if (rc != VIPER_OK) {
        viper_handle_close(c);
        return (int)rc;
    }
    struct fs_request rq = { .op = FS_ATTACH };
    struct fs_reply rp;
    viper_handle_t h = (viper_handle_t)shm;
    struct viper_msg mq = { (uint64_t)(uintptr_t)&rq, sizeof rq, 1, (uint64_t)(uintptr_t)&h };
    struct viper_msg mr = { (uint64_t)(uintptr_t)&rp, sizeof rp, 0, 0 };
    uint64_t len = 0;
    rc = viper_chan_call(c, &mq, &mr, VIPER_DEADLINE_INFINITE, 0, &len, NULL);
    if (rc == VIPER_OK && (len < 8 || rp.status != VIPER_OK))
        rc = len < 8 ? VIPER_ERR_IO : rp.status;
    if (rc != VIPER_OK) {
        viper_handle_close(shm);   /* still ours if the send failed; BAD_HANDLE otherwise */
        viper_handle_close(c);
        viper_munmap(addr, FS_BUF_SIZE);
        return (int)rc;
    }
    chan = c;
    buf = (uint8_t *)(uintptr_t)addr;
    generation++;
    return VIPER_OK;
}

FS_HOT int fs_live(uint32_t conn)
{
    return chan != 0 && conn == generation;
}

FS_HOT uint8_t *fs_data(void)
{
    return buf + FS_DATA_OFF;
}

FS_HOT static void put_path(struct fs_request *rq, const char *path, int second)
{
    size_t n = path ? strlen(path) : 0;
    uint64_t off = second ? FS_PATH_MAX : 0;
    if (n)
        memcpy(buf + off, path, n);
    if (second) {
        rq->path2_off = off;
        rq->path2_len = (uint32_t)n;
    } else {
        rq->path_off = off;
        rq->path_len = (uint32_t)n;
    }
}

FS_HOT int fs_call(struct fs_request *rq, const char *path, const char *path2,
            struct fs_reply *rp, uint32_t *conn)
{
    if ((path && strlen(path) > FS_PATH_MAX) || (path2 && strlen(path2) > FS_PATH_MAX))
        return FS_ERR_NAME_TOO_LONG;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!chan) {
            int err = connect();
            if (err)
                return err;
        }
        put_path(rq, path, 0);
        put_path(rq, path2, 1);
        struct viper_msg mq = { (uint64_t)(uintptr_t)rq, sizeof *rq, 0, 0 };
        struct viper_msg mr = { (uint64_t)(uintptr_t)rp, sizeof *rp, 0, 0 };
        uint64_t len = 0;
        int64_t rc = viper_chan_call(chan, &mq, &mr, VIPER_DEADLINE_INFINITE, 0, &len, NULL);
        if (rc == VIPER_OK) {
            if (conn)
                *conn = generation;
            return len >= fs_reply_len(rq->op) ? rp->status : VIPER_ERR_IO;
        }
        if (rc != VIPER_ERR_PEER_CLOSED)
            return (int)rc;
        disconnect();   /* fsd is gone; a new one may be registered by now */
        if (rq->fd >= 0)
            return FS_ERR_BAD_FD;   /* the descriptor died with the old connection */
    }
    return VIPER_ERR_PEER_CLOSED;
}

/* The current directory, starting where the program's $PWD says (an absolute path). */
static const char *current(void)
{
    if (!cwd[0]) {
        const char *pwd = getenv("PWD");
        if (!pwd || (pwd[0] != '/' && !strchr(pwd, ':')) ||
            strlcpy(cwd, pwd, sizeof cwd) >= sizeof cwd)
            strlcpy(cwd, "/", sizeof cwd);
    }
    return cwd;
}

int fs_abspath(const char *path, char *out, size_t size)
{
    if (!path || !*path)
        return VIPER_ERR_NOT_FOUND;
    size_t cap = size < FS_PATH_MAX + 1 ? size : FS_PATH_MAX + 1;
    return path_resolve(current(), path, out, cap, FS_NAME_MAX) ? FS_ERR_NAME_TOO_LONG : VIPER_OK;
}

int fs_chdir(const char *abs)
{
    return (int)strlcpy(cwd, abs, sizeof cwd) >= (int)sizeof cwd ? FS_ERR_NAME_TOO_LONG : 0;
}

const char *fs_cwd(void)
{
    return current();
}
