/*
 * fsd_cache.c - what fsd remembers between requests never goes stale
 * (grade/tests_fsd.py, fsd_cache).  A descriptor keeps the last block a read
 * mapped and the file's direct blocks (struct ofile's map, src/user/fsd/ops.c),
 * and an inode's check is skipped while its block is unchanged (bcache.c); every change through
 * another descriptor or connection must show in the next read of this one:
 *   same:   data written into the mapped block, a truncation, a regrowth, a
 *           hole filled, the file replaced by a rename;
 *   other:  the same changes made by a helper process over its own connection.
 */
#include "fs_util.h"

#define PROG "fsd_cache"

/* pread of len bytes at off through fd: bytes read, every one expected to be want. */
static int64_t read_all(int64_t fd, uint64_t off, uint32_t len, uint8_t want)
{
    int64_t n = fs_io(FS_PREAD, fd, off, len);
    for (int64_t i = 0; i < n; i++)
        if (fs_buf[FSC_DATA + i] != want)
            return -1000 - i;
    return n;
}

static int64_t write_fill(int64_t fd, uint64_t off, uint32_t len, uint8_t byte)
{
    memset(fs_buf + FSC_DATA, byte, len);
    return fs_io(FS_PWRITE, fd, off, len);
}

static int64_t truncate_to(int64_t fd, uint64_t size)
{
    struct fs_request req = { .op = FS_TRUNCATE, .fd = (int32_t)fd, .offset = size };
    struct fs_reply rep;
    return fs_call(&req, &rep);
}

/* The changes, made through fd w (ours or a helper's); r is checked between them when >= 0. */
static int change(int64_t w, int step)
{
    switch (step) {
    case 0: return write_fill(w, 0, 4096, 'b') == 4096 ? 0 : 1;          /* data in place */
    case 1: return truncate_to(w, 10) == VIPER_OK ? 0 : 1;               /* smaller */
    case 2: return truncate_to(w, 0) == VIPER_OK && write_fill(w, 0, 4096, 'd') == 4096 ? 0 : 1;
    case 3: return truncate_to(w, 8192) == VIPER_OK ? 0 : 1;             /* a hole at 4096 */
    case 4: return write_fill(w, 4096, 4096, 'e') == 4096 ? 0 : 1;       /* the hole filled */
    default: return 1;
    }
}

/* What fd r reads after each step: (offset, bytes, byte value). */
static const struct {
    uint64_t off;
    int64_t n;
    uint8_t byte;
} after[] = { { 0, 100, 'b' }, { 0, 10, 'b' }, { 0, 100, 'd' }, { 4096, 100, 0 }, { 4096, 100, 'e' } };
#define STEPS ((int)(sizeof after / sizeof after[0]))

static int64_t open_fresh(const char *path)
{
    int64_t fd = fs_open(path, FS_O_RDWR | FS_O_CREAT | FS_O_TRUNC, 0644);
    if (fd >= 0 && write_fill(fd, 0, 4096, 'a') != 4096)
        return -1;
    return fd;
}

static void case_same(void)
{
    int64_t w = open_fresh("/c1"), r = fs_open("/c1", FS_O_RDONLY, 0);
    UT_CHECK(w >= 0 && r >= 0);
    UT_CHECK_EQ(read_all(r, 0, 100, 'a'), 100);
    UT_CHECK_EQ(read_all(r, 0, 100, 'a'), 100);   /* the second read uses the map */
    for (int s = 0; s < STEPS; s++) {
        UT_CHECK_EQ(change(w, s), 0);
        UT_CHECK_EQ(read_all(r, after[s].off, 100, after[s].byte), after[s].n);
        UT_CHECK_EQ(read_all(r, after[s].off, 100, after[s].byte), after[s].n);
    }
    /* the other block, from the direct blocks the last read remembered */
    UT_CHECK_EQ(read_all(r, 0, 100, 'd'), 100);
    UT_CHECK_EQ(read_all(r, 4096, 100, 'e'), 100);
    /* another file renamed over this one: the old descriptor still reads the old file */
    int64_t x = open_fresh("/c1-new");
    UT_CHECK(x >= 0);
    UT_CHECK_EQ(fs_path_op(FS_RENAME, "/c1-new", "/c1", 0), VIPER_OK);
    UT_CHECK_EQ(read_all(r, 4096, 100, 'e'), 100);
    int64_t r2 = fs_open("/c1", FS_O_RDONLY, 0);
    UT_CHECK_EQ(read_all(r2, 0, 100, 'a'), 100);
    UT_CHECK_EQ(read_all(r2, 4096, 100, 0), 0);
    fs_close(x);
    fs_close(r2);
    fs_close(r);
    fs_close(w);
}

/* A helper: over its own connection, step `step` on /c2. */
static int helper(const char *arg)
{
    fs_reg = viper_startup_handle(0);
    if (fs_connect() != 0)
        return 10;
    int64_t w = fs_open("/c2", FS_O_RDWR, 0);
    return w < 0 ? 11 : change(w, arg[0] - '0');
}

static void case_other(void)
{
    int64_t w = open_fresh("/c2"), r = fs_open("/c2", FS_O_RDONLY, 0);
    UT_CHECK(w >= 0 && r >= 0);
    fs_close(w);
    UT_CHECK_EQ(read_all(r, 0, 100, 'a'), 100);
    for (int s = 0; s < STEPS; s++) {
        char role[2] = { (char)('0' + s), 0 };
        uint64_t h = 0;
        UT_CHECK_EQ(viper_cap_derive(fs_reg, VIPER_RIGHT_TRAVERSE | VIPER_RIGHT_TRANSFER, &h),
                    VIPER_OK);
        viper_handle_t hh = (viper_handle_t)h;
        int64_t pid = ipc_spawn_self(PROG, role, &hh, 1);
        UT_CHECK(pid > 0);
        UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
        UT_CHECK_EQ(read_all(r, after[s].off, 100, after[s].byte), after[s].n);
    }
    fs_close(r);
}

int main(int argc, char **argv, char **envp)
{
    const char *role = ipc_child_role(argc, argv);
    if (role)
        return helper(role);
    ut_init(argc, argv, envp);
    if (fs_start() == 0) {
        UT_RUN(case_same);
        UT_RUN(case_other);
    } else {
        printf("UTEST %s FAIL %s.start: %s\n", ut_nonce, PROG, ut_reason);
    }
    fs_stop();
    return ut_done();
}
