/*
 * tests/user/ipc_util.h - helpers shared by the capability and IPC tests
 * (caps, channels, wait_many, ipc_hostile, shm, registry, ipc_exit).
 *
 * - IPC_CHECK_NO_LEAK(before): UT_CHECK_NO_LEAK plus kstat.objects (live
 *   kernel objects: channels, shm, processes, ...).
 * - ipc_send / ipc_recv: chan_send / chan_recv with the struct viper_msg
 *   built from plain arguments.
 * - ipc_spawn_self: start this same program as a helper process:
 *   argv = { prog, "--child", role, NULL }, the given handles moved to it.
 *   Programs dispatch on that in main() before ut_init (helpers print
 *   nothing; they report through their exit code, 0 = all went well,
 *   else the number of the step that failed).
 * - threads with static stacks.
 */
#pragma once
#include "utest.h"
#include <viper/handles.h>

#define IPC_MS 1000000ull

static inline int ipc_kstat_same(const struct viper_kstat *a, const struct viper_kstat *b)
{
    return ut_kstat_same(a, b) && a->objects == b->objects;
}

#define IPC_CHECK_NO_LEAK(before) ipc_check_no_leak(__FILE__, __LINE__, (before))

static inline void ipc_check_no_leak(const char *file, int line, const struct viper_kstat *before)
{
    struct viper_kstat now;
    if (ut_warmup)
        return;
    for (int i = 0; i < 20; i++) {
        viper_yield();
        viper_sleep_ns(IPC_MS);
        now = ut_kstat();
        if (ipc_kstat_same(before, &now))
            return;
    }
    char what[200];
    snprintf(what, sizeof what,
             "leak: objects %lld->%lld free_pages %lld->%lld heap_bytes %lld->%lld "
             "processes %lld->%lld threads %lld->%lld",
             (long long)before->objects, (long long)now.objects,
             (long long)before->free_pages, (long long)now.free_pages,
             (long long)before->heap_bytes, (long long)now.heap_bytes,
             (long long)before->processes, (long long)now.processes,
             (long long)before->threads, (long long)now.threads);
    ut_fail_at(file, line, what);
}

static inline struct viper_msg ipc_msg(const void *data, uint32_t len, const viper_handle_t *hs,
                                       uint32_t nh)
{
    struct viper_msg m;
    m.data = (uint64_t)(uintptr_t)data;
    m.len = len;
    m.nhandles = nh;
    m.handles = (uint64_t)(uintptr_t)hs;
    return m;
}

static inline int64_t ipc_send(uint64_t h, const void *data, uint32_t len,
                               const viper_handle_t *hs, uint32_t nh, uint64_t flags)
{
    struct viper_msg m = ipc_msg(data, len, hs, nh);
    return viper_chan_send(h, &m, flags);
}

/* Receive into data (capacity cap) and hs (capacity hcap); *len / *nh may be NULL. */
static inline int64_t ipc_recv(uint64_t h, void *data, uint32_t cap, viper_handle_t *hs,
                               uint32_t hcap, uint64_t deadline, uint64_t *len, uint64_t *nh)
{
    struct viper_msg m = ipc_msg(data, cap, hs, hcap);
    return viper_chan_recv(h, &m, deadline, len, nh);
}

static inline int64_t ipc_send_str(uint64_t h, const char *s)
{
    return ipc_send(h, s, (uint32_t)strlen(s), NULL, 0, 0);
}

/* Receive a short text message (no handles) into buf (NUL-terminated). */
static inline int64_t ipc_recv_str(uint64_t h, char *buf, uint32_t cap, uint64_t deadline)
{
    uint64_t len = 0;
    int64_t rc = ipc_recv(h, buf, cap - 1, NULL, 0, deadline, &len, NULL);
    buf[rc == VIPER_OK ? len : 0] = '\0';
    return rc;
}

/* The time deadline ms from now, for the *_until / deadline arguments. */
static inline uint64_t ipc_after_ms(uint64_t ms)
{
    return viper_now_ns() + ms * IPC_MS;
}

static inline int64_t ipc_spawn_self(const char *prog, const char *role, const viper_handle_t *hs,
                                     uint64_t n)
{
    char path[64];
    snprintf(path, sizeof path, "/tests/%s", prog);
    const char *const argv[] = { prog, "--child", role, NULL };
    const char *const envp[] = { NULL };
    int64_t pid = -1;
    fflush(stdout);
    int64_t rc = viper_spawn(path, argv, envp, (const uint32_t *)hs, n, &pid);
    UT_CHECK_EQ(rc, VIPER_OK);
    return rc == VIPER_OK ? pid : rc;
}

/* Is this process a helper started by ipc_spawn_self? Then role names what to do. */
static inline const char *ipc_child_role(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--child") == 0)
        return argv[2];
    return NULL;
}

/* ---- threads ------------------------------------------------------------------ */
#define IPC_THREADS     4
#define IPC_STACK_BYTES 16384

static UT_UNUSED uint8_t ipc_stacks[IPC_THREADS][IPC_STACK_BYTES] __attribute__((aligned(16)));

/* Start fn(arg) on stack slot i (fn must end with viper_thread_exit). Returns the tid. */
static inline int64_t ipc_thread(int i, void (*fn)(uint64_t), uint64_t arg)
{
    int64_t tid = -1;
    int64_t rc = viper_thread_create((uint64_t)(uintptr_t)fn,
                                     (uint64_t)(uintptr_t)(ipc_stacks[i] + IPC_STACK_BYTES), arg,
                                     &tid);
    UT_CHECK_EQ(rc, VIPER_OK);
    return rc == VIPER_OK ? tid : rc;
}

static inline int64_t ipc_join(int64_t tid)
{
    int64_t v = -1;
    UT_CHECK_EQ(viper_thread_join(tid, &v), VIPER_OK);
    return v;
}

/* The rights and type of h (0, 0 when the query fails). */
static inline uint64_t ipc_rights(uint64_t h)
{
    uint64_t type = 0, rights = 0;
    if (viper_cap_query(h, &type, &rights) != VIPER_OK)
        return 0;
    return rights;
}

static inline uint64_t ipc_type(uint64_t h)
{
    uint64_t type = 0, rights = 0;
    if (viper_cap_query(h, &type, &rights) != VIPER_OK)
        return 0;
    return type;
}

static inline int ipc_valid(uint64_t h)
{
    return viper_cap_query(h, NULL, NULL) == VIPER_OK;
}

/* Is a message waiting at h? (polls without taking it: uses wait_many) */
static inline int ipc_readable(uint64_t h)
{
    struct viper_wait_item it = { (uint32_t)h, VIPER_SIGNAL_READABLE, 0, 0 };
    uint64_t ready = 0;
    int64_t rc = viper_wait_many(&it, 1, VIPER_DEADLINE_POLL, &ready);
    return (rc == VIPER_OK || rc == VIPER_ERR_TIMED_OUT) && (it.pending & VIPER_SIGNAL_READABLE);
}

#define CH_RIGHTS (VIPER_RIGHT_READ | VIPER_RIGHT_WRITE | VIPER_RIGHT_TRANSFER | VIPER_RIGHT_DERIVE)
