/*
 * fsd_fair.c - fsd serves a client in bursts, and that must not starve the
 * others (grade/tests_fsd.py, fsd_fair).  After answering a client, fsd
 * waits on that client's channel alone for its next request, until another
 * channel has news or a burst is over (src/user/fsd/fsd.c, serve).  Each
 * case runs a helper process over its own connection while this one makes
 * calls and times each:
 *   hammer: the helper reads 4 KiB in a loop for HELPER_NS; our calls are
 *           still answered within BOUND_NS (not after the helper's loop);
 *   idle:   the helper makes one call, then sleeps holding its connection;
 *           our calls are answered within BOUND_NS (fsd stops waiting on it);
 *   unread: the helper queues requests without ever reading a reply; fsd
 *           drops it once its replies no longer fit (the helper's sends fail
 *           with PEER_CLOSED) and goes on answering us.
 */
#include "fs_util.h"

#define PROG "fsd_fair"
#define HELPER_NS (3 * FS_SEC)
#define BOUND_NS (500 * FS_MS)
#define CALLS 20
#define UNREAD_SENDS 200   /* > what fsd's queue, ours and one more reply can hold */

/* A helper: its own connection, then what role says; the exit code says how it went. */
static int helper(const char *role)
{
    fs_reg = viper_startup_handle(0);
    if (fs_connect() != 0)
        return 1;
    struct fs_request req = { .op = FS_STATFS, .fd = -1 };
    struct fs_reply rep;
    uint64_t end = viper_now_ns() + HELPER_NS;
    if (strcmp(role, "hammer") == 0) {
        int64_t fd = fs_open("/fair", FS_O_RDONLY, 0);
        uint64_t n = 0;
        while (fd >= 0 && viper_now_ns() < end && fs_io(FS_PREAD, fd, 0, 4096) == 4096)
            n++;
        return fd >= 0 && viper_now_ns() >= end && n > 0 ? 0 : 2;
    }
    if (strcmp(role, "idle") == 0) {
        if (fs_call(&req, &rep) != VIPER_OK)
            return 2;
        viper_sleep_until(end);
        return 0;
    }
    struct viper_msg m = ipc_msg(&req, sizeof req, NULL, 0);
    for (int i = 0; i < UNREAD_SENDS; i++) {
        int64_t rc = viper_chan_send(fs_chan, &m, 0);
        if (rc != VIPER_OK)
            return rc == VIPER_ERR_PEER_CLOSED ? 0 : 3;
    }
    return 4;   /* fsd took them all without a reply failing */
}

static int64_t spawn_helper(const char *role)
{
    uint64_t r = 0;
    UT_CHECK_EQ(viper_cap_derive(fs_reg, VIPER_RIGHT_TRAVERSE | VIPER_RIGHT_TRANSFER, &r),
                VIPER_OK);
    viper_handle_t h = (viper_handle_t)r;
    int64_t pid = ipc_spawn_self(PROG, role, &h, 1);
    viper_sleep_ns(300 * FS_MS);   /* connected and at work by now */
    return pid;
}

/* CALLS stat calls, each timed; the slowest in ns. */
static uint64_t slowest_call(void)
{
    uint64_t worst = 0;
    for (int i = 0; i < CALLS; i++) {
        struct fs_stat st;
        uint64_t t0 = viper_now_ns();
        UT_CHECK_EQ(fs_stat(FS_STAT, "/fair", &st), VIPER_OK);
        uint64_t dt = viper_now_ns() - t0;
        worst = dt > worst ? dt : worst;
    }
    return worst;
}

static void case_setup(void)
{
    int64_t fd = fs_open("/fair", FS_O_RDWR | FS_O_CREAT | FS_O_EXCL, 0644);
    UT_CHECK(fd >= 0);
    memset(fs_buf + FSC_DATA, 0x5a, 4096);
    UT_CHECK_EQ(fs_io(FS_PWRITE, fd, 0, 4096), 4096);
    UT_CHECK_EQ(fs_close(fd), VIPER_OK);
}

static void busy_helper_case(const char *role)
{
    uint64_t start = viper_now_ns();
    int64_t pid = spawn_helper(role);
    UT_CHECK(pid > 0);
    uint64_t worst = slowest_call();
    UT_INFO("%s: slowest of %d calls %llu us", role, CALLS, (unsigned long long)(worst / 1000));
    UT_CHECK(worst < BOUND_NS);
    UT_CHECK(viper_now_ns() - start < HELPER_NS);   /* all while the helper was at it */
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
}

static void case_hammer(void)
{
    busy_helper_case("hammer");
}

static void case_idle(void)
{
    busy_helper_case("idle");
}

static void case_unread(void)
{
    int64_t pid = spawn_helper("unread");
    UT_CHECK(pid > 0);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    UT_CHECK(slowest_call() < BOUND_NS);
}

int main(int argc, char **argv, char **envp)
{
    const char *role = ipc_child_role(argc, argv);
    if (role)
        return helper(role);
    ut_init(argc, argv, envp);
    if (fs_start() == 0) {
        UT_RUN(case_setup);
        UT_RUN(case_hammer);
        UT_RUN(case_idle);
        UT_RUN(case_unread);
    } else {
        printf("UTEST %s FAIL %s.start: %s\n", ut_nonce, PROG, ut_reason);
    }
    fs_stop();
    return ut_done();
}
