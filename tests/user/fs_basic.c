/*
 * fs_basic.c - fsd end to end over blkd, run as init on a ViperFS image the
 * grader made with mkfs.viperfs (grade/tests_fs.py, fs_basic).
 *
 * Reads what the grader put on the image (it checks the hashes we print),
 * then writes: a small file, a large one that reaches the double indirect
 * block, a directory of many files, renames (one over an existing file),
 * directories, symlinks, and malformed requests.  The grader then runs
 * fsck.viperfs on the image (it must be clean) and reads our files back on
 * the host; a second boot (fs_reboot) reads them back in ViperOS.
 */
#include "fs_util.h"

#define PROG "fs_basic"
#define LARGE_SIZE (4400u * 1024u + 777u)   /* > 12 + 1020 blocks: into the double indirect */
#define MANY 300

static void case_statfs(void)
{
    struct fs_request req = { .op = FS_STATFS, .fd = -1 };
    struct fs_reply rep;
    UT_CHECK_EQ(fs_call(&req, &rep), VIPER_OK);
    UT_CHECK_EQ(rep.statfs.block_size, 4096);
    UT_CHECK(rep.statfs.free_blocks > 0 && rep.statfs.free_blocks < rep.statfs.blocks);
    UT_INFO("blocks %llu free %llu inodes %llu free %llu", (unsigned long long)rep.statfs.blocks,
            (unsigned long long)rep.statfs.free_blocks, (unsigned long long)rep.statfs.inodes,
            (unsigned long long)rep.statfs.free_inodes);
}

/* Files the grader wrote: print their hashes for it to check. */
static void case_read_host(void)
{
    const char *paths[] = { "/etc/motd", "SYS:data/random", "/data/../data/./random" };
    for (unsigned i = 0; i < 3; i++) {
        uint64_t h, n;
        UT_CHECK_EQ(fs_hash_file(paths[i], &h, &n), VIPER_OK);
        UT_INFO("file %s size %llu fnv %016llx", paths[i], (unsigned long long)n,
                (unsigned long long)h);
    }
    struct fs_stat st = { 0 };
    UT_CHECK_EQ(fs_stat(FS_STAT, "/data/random", &st), VIPER_OK);
    UT_CHECK_EQ(st.mode & FS_S_IFMT, FS_S_IFREG);
    UT_CHECK_EQ(fs_stat(FS_STAT, "/data/nothing", &st), VIPER_ERR_NOT_FOUND);
}

static void case_small(void)
{
    char text[96];
    int n = snprintf(text, sizeof text, "hello from ViperOS, nonce %s\n", ut_nonce);
    UT_CHECK_EQ(fs_path_op(FS_MKDIR, "/out", NULL, 0755), VIPER_OK);
    int64_t fd = fs_open("/out/hello.txt", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0644);
    UT_CHECK(fd >= 0);
    memcpy(fs_buf + FSC_DATA, text, (size_t)n);
    UT_CHECK_EQ(fs_io(FS_WRITE, fd, 0, (uint32_t)n), n);
    UT_CHECK_EQ(fs_close(fd), VIPER_OK);
    UT_CHECK_EQ(fs_open("/out/hello.txt", FS_O_RDWR | FS_O_CREAT | FS_O_EXCL, 0644), FS_ERR_EXISTS);
    fd = fs_open("/out/hello.txt", FS_O_RDONLY, 0);
    UT_CHECK(fd >= 0);
    memset(fs_buf + FSC_DATA, 0, 256);
    UT_CHECK_EQ(fs_io(FS_READ, fd, 0, 256), n);
    UT_CHECK(memcmp(fs_buf + FSC_DATA, text, (size_t)n) == 0);
    UT_CHECK_EQ(fs_io(FS_READ, fd, 0, 256), 0);   /* at the end */
    UT_CHECK_EQ(fs_io(FS_PREAD, fd, 6, 4), 4);
    UT_CHECK(memcmp(fs_buf + FSC_DATA, "from", 4) == 0);
    UT_CHECK_EQ(fs_io(FS_WRITE, fd, 0, 1), FS_ERR_BAD_FD);   /* opened read-only */
    UT_CHECK_EQ(fs_close(fd), VIPER_OK);
    UT_CHECK_EQ(fs_close(fd), FS_ERR_BAD_FD);
}

static uint64_t write_ns, read_ns;   /* the large file's write and read-back, for case_bench */

static void case_large(void)
{
    uint64_t t0 = viper_now_ns();
    int64_t fd = fs_open("/out/large", FS_O_RDWR | FS_O_CREAT | FS_O_TRUNC, 0600);
    UT_CHECK(fd >= 0);
    for (uint64_t off = 0; off < LARGE_SIZE;) {
        uint32_t n = LARGE_SIZE - off < 1000000 ? (uint32_t)(LARGE_SIZE - off) : 1000000;
        for (uint32_t i = 0; i < n; i++)
            fs_buf[FSC_DATA + i] = fs_pattern(off + i);
        int64_t w = fs_io(FS_WRITE, fd, 0, n);
        UT_CHECK_EQ(w, n);
        if (w != n)
            break;
        off += n;
    }
    write_ns = viper_now_ns() - t0;
    struct fs_request req = { .op = FS_FSTAT, .fd = (int32_t)fd };
    struct fs_reply rep;
    UT_CHECK_EQ(fs_call(&req, &rep), VIPER_OK);
    UT_CHECK_EQ(rep.stat.size, LARGE_SIZE);
    UT_CHECK(rep.stat.blocks > LARGE_SIZE / 4096 + 2);   /* data plus indirect blocks */
    /* spot checks around the indirect boundaries */
    const uint64_t spots[] = { 0, 12 * 4096 - 3, 1032 * 4096 - 3, LARGE_SIZE - 10 };
    for (unsigned s = 0; s < 4; s++) {
        UT_CHECK_EQ(fs_io(FS_PREAD, fd, spots[s], 10), 10);
        for (unsigned i = 0; i < 10; i++)
            UT_CHECK_EQ(fs_buf[FSC_DATA + i], fs_pattern(spots[s] + i));
    }
    UT_CHECK_EQ(fs_close(fd), VIPER_OK);
    uint64_t h, n;
    t0 = viper_now_ns();
    UT_CHECK_EQ(fs_hash_file("/out/large", &h, &n), VIPER_OK);
    read_ns = viper_now_ns() - t0;
    UT_CHECK_EQ(n, LARGE_SIZE);
    UT_INFO("large size %llu fnv %016llx", (unsigned long long)n, (unsigned long long)h);
}

/* Count the entries of a directory through READDIR. */
static int64_t count_entries(const char *path)
{
    int64_t fd = fs_open(path, FS_O_RDONLY | FS_O_DIRECTORY, 0), n, count = 0;
    if (fd < 0)
        return fd;
    struct fs_request req = { .op = FS_READDIR, .fd = (int32_t)fd, .buf_off = FSC_DATA,
                              .len = 1000 };   /* small: many calls */
    struct fs_reply rep;
    while ((n = fs_call(&req, &rep)) == VIPER_OK && rep.value > 0) {
        for (uint64_t off = 0; off < rep.value;) {
            struct fs_dirent *d = (struct fs_dirent *)(fs_buf + FSC_DATA + off);
            if (d->rec_len < sizeof *d || d->rec_len % 8)
                return -1000;
            count++;
            off += d->rec_len;
        }
    }
    fs_close(fd);
    return n != VIPER_OK ? n : count;
}

static void case_many(void)
{
    char name[64];
    UT_CHECK_EQ(fs_path_op(FS_MKDIR, "/out/many", NULL, 0755), VIPER_OK);
    for (int i = 0; i < MANY; i++) {
        snprintf(name, sizeof name, "/out/many/file-%03d", i);
        int64_t fd = fs_open(name, FS_O_WRONLY | FS_O_CREAT, 0644);
        UT_CHECK(fd >= 0);
        size_t n = strlen(name);
        memcpy(fs_buf + FSC_DATA, name, n);
        UT_CHECK_EQ(fs_io(FS_WRITE, fd, 0, (uint32_t)n), (int64_t)n);
        UT_CHECK_EQ(fs_close(fd), VIPER_OK);
        if (ut_case_failures)
            return;
    }
    UT_CHECK_EQ(count_entries("/out/many"), MANY + 2);
    for (int i = 0; i < MANY; i += 2) {
        snprintf(name, sizeof name, "/out/many/file-%03d", i);
        UT_CHECK_EQ(fs_path_op(FS_UNLINK, name, NULL, 0), VIPER_OK);
    }
    UT_CHECK_EQ(count_entries("/out/many"), MANY / 2 + 2);
    struct fs_stat st = { 0 };
    UT_CHECK_EQ(fs_stat(FS_STAT, "/out/many/file-000", &st), VIPER_ERR_NOT_FOUND);
    UT_CHECK_EQ(fs_stat(FS_STAT, "/out/many/file-299", &st), VIPER_OK);
    UT_CHECK_EQ(st.size, strlen("/out/many/file-299"));
}

static void write_file(const char *path, const char *text)
{
    int64_t fd = fs_open(path, FS_O_WRONLY | FS_O_CREAT | FS_O_TRUNC, 0644);
    UT_CHECK(fd >= 0);
    memcpy(fs_buf + FSC_DATA, text, strlen(text));
    UT_CHECK_EQ(fs_io(FS_WRITE, fd, 0, (uint32_t)strlen(text)), (int64_t)strlen(text));
    UT_CHECK_EQ(fs_close(fd), VIPER_OK);
}

static void case_rename(void)
{
    struct fs_stat st = { 0 };
    write_file("/out/a", "contents of a");
    write_file("/out/b", "contents of b, longer");
    UT_CHECK_EQ(fs_path_op(FS_RENAME, "/out/a", "/out/b", 0), VIPER_OK);
    UT_CHECK_EQ(fs_stat(FS_STAT, "/out/a", &st), VIPER_ERR_NOT_FOUND);
    UT_CHECK_EQ(fs_stat(FS_STAT, "/out/b", &st), VIPER_OK);
    UT_CHECK_EQ(st.size, strlen("contents of a"));
    UT_CHECK_EQ(st.nlink, 1);
    /* a directory moves with its contents; not into itself */
    UT_CHECK_EQ(fs_path_op(FS_MKDIR, "/out/d1", NULL, 0755), VIPER_OK);
    UT_CHECK_EQ(fs_path_op(FS_MKDIR, "/out/d1/d2", NULL, 0755), VIPER_OK);
    write_file("/out/d1/d2/f", "deep");
    UT_CHECK_EQ(fs_path_op(FS_RENAME, "/out/d1", "/out/d1/d2/d3", 0), FS_ERR_CROSS_DIR);
    UT_CHECK_EQ(fs_path_op(FS_RENAME, "/out/d1/d2", "/out/moved", 0), VIPER_OK);
    UT_CHECK_EQ(fs_stat(FS_STAT, "/out/moved/f", &st), VIPER_OK);
    UT_CHECK_EQ(fs_stat(FS_STAT, "/out/moved/../d1", &st), VIPER_OK);   /* .. was re-pointed */
    UT_CHECK_EQ(st.nlink, 2);
    UT_CHECK_EQ(fs_path_op(FS_RENAME, "/out/b", "/out/moved", 0), FS_ERR_IS_A_DIR);
}

static void case_dirs(void)
{
    UT_CHECK_EQ(fs_path_op(FS_MKDIR, "/out/d1", NULL, 0755), FS_ERR_EXISTS);
    UT_CHECK_EQ(fs_path_op(FS_RMDIR, "/out/moved", NULL, 0), FS_ERR_NOT_EMPTY);
    UT_CHECK_EQ(fs_path_op(FS_UNLINK, "/out/moved", NULL, 0), FS_ERR_IS_A_DIR);
    UT_CHECK_EQ(fs_path_op(FS_RMDIR, "/out/b", NULL, 0), FS_ERR_NOT_A_DIR);
    UT_CHECK_EQ(fs_path_op(FS_UNLINK, "/out/moved/f", NULL, 0), VIPER_OK);
    UT_CHECK_EQ(fs_path_op(FS_RMDIR, "/out/moved", NULL, 0), VIPER_OK);
    UT_CHECK_EQ(fs_path_op(FS_RMDIR, "/out/d1", NULL, 0), VIPER_OK);
    UT_CHECK_EQ(fs_open("/out/b/x", FS_O_RDONLY, 0), FS_ERR_NOT_A_DIR);   /* through a file */
    UT_CHECK_EQ(fs_open("/out", FS_O_RDWR, 0), FS_ERR_IS_A_DIR);
    UT_CHECK_EQ(fs_open("/out/b", FS_O_RDONLY | FS_O_DIRECTORY, 0), FS_ERR_NOT_A_DIR);
}

static void case_symlink(void)
{
    struct fs_stat st = { 0 };
    /* FS_SYMLINK: path is the target, path2 the new link */
    UT_CHECK_EQ(fs_path_op(FS_SYMLINK, "/out/hello.txt", "/out/link", 0), VIPER_OK);
    UT_CHECK_EQ(fs_path_op(FS_SYMLINK, "loop2", "/out/loop1", 0), VIPER_OK);
    UT_CHECK_EQ(fs_path_op(FS_SYMLINK, "loop1", "/out/loop2", 0), VIPER_OK);
    UT_CHECK_EQ(fs_stat(FS_STAT, "/out/link", &st), VIPER_OK);
    UT_CHECK_EQ(st.mode & FS_S_IFMT, FS_S_IFREG);
    UT_CHECK_EQ(fs_stat(FS_LSTAT, "/out/link", &st), VIPER_OK);
    UT_CHECK_EQ(st.mode & FS_S_IFMT, FS_S_IFLNK);
    struct fs_request req = fs_req(FS_READLINK, "/out/link", NULL);
    struct fs_reply rep;
    req.buf_off = FSC_DATA;
    req.len = 100;
    UT_CHECK_EQ(fs_call(&req, &rep), VIPER_OK);
    UT_CHECK_EQ(rep.value, strlen("/out/hello.txt"));
    UT_CHECK(memcmp(fs_buf + FSC_DATA, "/out/hello.txt", rep.value) == 0);
    UT_CHECK_EQ(fs_stat(FS_STAT, "/out/loop1", &st), FS_ERR_LOOP);
}

static void case_malformed(void)
{
    struct fs_request req = { .op = FS_READ, .fd = 7, .buf_off = FSC_DATA, .len = 10 };
    struct fs_reply rep;
    UT_CHECK_EQ(fs_call(&req, &rep), FS_ERR_BAD_FD);
    req.fd = -5;
    UT_CHECK_EQ(fs_call(&req, &rep), FS_ERR_BAD_FD);
    int64_t fd = fs_open("/out/hello.txt", FS_O_RDONLY, 0);
    UT_CHECK(fd >= 0);
    req = (struct fs_request){ .op = FS_READ, .fd = (int32_t)fd, .buf_off = FSC_BUF - 4, .len = 10 };
    UT_CHECK_EQ(fs_call(&req, &rep), VIPER_ERR_OUT_OF_RANGE);
    req.buf_off = ~0ull;
    UT_CHECK_EQ(fs_call(&req, &rep), VIPER_ERR_OUT_OF_RANGE);
    fs_close(fd);
    req = fs_req(FS_STAT, "/out", NULL);
    req.path_off = FSC_BUF - 2;
    UT_CHECK_EQ(fs_call(&req, &rep), VIPER_ERR_INVALID);
    req.path_len = 5000;
    UT_CHECK_EQ(fs_call(&req, &rep), FS_ERR_NAME_TOO_LONG);
    req = (struct fs_request){ .op = 999, .fd = -1 };
    UT_CHECK_EQ(fs_call(&req, &rep), VIPER_ERR_NOT_SUPPORTED);
    req = fs_req(FS_OPEN, "/out/x", NULL);
    req.flags = 3;   /* no such access mode */
    UT_CHECK_EQ(fs_call(&req, &rep), VIPER_ERR_INVALID);
    /* a short message */
    struct viper_msg m = ipc_msg(&req, 8, NULL, 0), r = ipc_msg(&rep, sizeof rep, NULL, 0);
    UT_CHECK_EQ(viper_chan_call(fs_chan, &m, &r, viper_now_ns() + 5 * FS_SEC, 0, NULL, NULL),
                VIPER_OK);
    UT_CHECK_EQ(rep.status, VIPER_ERR_INVALID);
    /* fsd is still fine */
    struct fs_stat st = { 0 };
    UT_CHECK_EQ(fs_stat(FS_STAT, "/out/hello.txt", &st), VIPER_OK);
}

static void case_sync(void)
{
    struct fs_request req = { .op = FS_SYNC, .fd = -1 };
    struct fs_reply rep;
    UT_CHECK_EQ(fs_call(&req, &rep), VIPER_OK);
}

static uint64_t median(uint64_t *t, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && t[j - 1] > t[j]; j--) {
            uint64_t x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
    return t[n / 2];
}

/* bench: a cached 4 KiB pread through fsd (median of 31 batches of 16), the large file's
 * sequential write and read in MB/s (the write includes allocation and the journal), and
 * create+unlink pairs per second. */
static void case_bench(void)
{
    enum { BATCHES = 31, OPS = 16, PAIRS = 40 };
    uint64_t t[BATCHES];
    int64_t fd = fs_open("/out/large", FS_O_RDONLY, 0);
    UT_CHECK(fd >= 0);
    for (int b = -1; b < BATCHES; b++) {   /* batch -1 warms the cache */
        uint64_t t0 = viper_now_ns();
        for (int i = 0; i < OPS; i++)
            UT_CHECK_EQ(fs_io(FS_PREAD, fd, 4096 * (uint64_t)i, 4096), 4096);
        if (b >= 0)
            t[b] = viper_now_ns() - t0;
    }
    fs_close(fd);
    uint64_t ns = median(t, BATCHES) / OPS;
    printf("bench: fsd_read_4k %llu.%03llu us\n", (unsigned long long)(ns / 1000),
           (unsigned long long)(ns % 1000));
    if (write_ns && read_ns)
        printf("bench: fsd_seq_write %llu KB/s\nbench: fsd_seq_read %llu KB/s\n",
               (unsigned long long)(LARGE_SIZE * 1000000ull / 1024 / (write_ns / 1000)),
               (unsigned long long)(LARGE_SIZE * 1000000ull / 1024 / (read_ns / 1000)));
    uint64_t t0 = viper_now_ns();
    for (int i = 0; i < PAIRS; i++) {
        fd = fs_open("/out/bench-tmp", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0644);
        UT_CHECK(fd >= 0);
        fs_close(fd);
        UT_CHECK_EQ(fs_path_op(FS_UNLINK, "/out/bench-tmp", NULL, 0), VIPER_OK);
    }
    uint64_t el = viper_now_ns() - t0;
    printf("bench: fsd_create_unlink %llu per s\n",
           (unsigned long long)(PAIRS * 1000000000ull / (el ? el : 1)));
}

/* Random requests, well-formed or not, confined to /fuzz: fsd answers every one and keeps
 * working (the grader's fsck afterwards says the filesystem stayed consistent). */
static void case_random(void)
{
    static const char *paths[] = { "/fuzz", "/fuzz/a", "/fuzz/a/b", "/fuzz/c", "/fuzz/a/../c",
                                   "SYS:fuzz/a/f", "/fuzz/l", "/fuzz/a/b/../../l/x", "/fuzz//c/",
                                   "/fuzz/a/f", "NOPE:x", "/fuzz/c/g" };
    uint64_t x = 0x9e3779b97f4a7c15ull ^ fs_fnv((const uint8_t *)ut_nonce, strlen(ut_nonce),
                                                 FS_FNV_INIT);
    UT_CHECK_EQ(fs_path_op(FS_MKDIR, "/fuzz", NULL, 0755), VIPER_OK);
    for (int i = 0; i < 1500 && !ut_case_failures; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        uint64_t r = x * 0x2545f4914f6cdd1dull;
        const char *p1 = paths[r % 12], *p2 = paths[(r >> 8) % 12];
        struct fs_request req = fs_req((uint32_t)((r >> 16) % 23), p1, p2);
        struct fs_reply rep;
        req.fd = (int32_t)((r >> 24) % 40) - 4;
        req.flags = (uint32_t)(r >> 32) & 0x106c3;
        req.mode = 0644;
        req.offset = (r >> 40) % 3 ? (r >> 20) % 70000 : r;
        req.buf_off = (r >> 44) % 4 ? FSC_DATA : r >> 3;
        req.len = (r >> 48) % 4 ? (uint32_t)((r >> 28) % 9000) : (uint32_t)r;
        if ((r >> 52) % 8 == 0)
            req.path_len = (uint32_t)(r >> 13);   /* a length that lies */
        int64_t rc = fs_call(&req, &rep);
        UT_CHECK(rc != VIPER_ERR_PEER_CLOSED && rc != VIPER_ERR_TIMED_OUT);
        if (req.op == FS_OPEN && rc == VIPER_OK && (r >> 56) % 4)
            fs_close((int64_t)rep.value);   /* mostly; some stay open until the end */
    }
    for (int fd = 0; fd < 32; fd++)
        fs_close(fd);
    struct fs_stat st = { 0 };
    UT_CHECK_EQ(fs_stat(FS_STAT, "/out/hello.txt", &st), VIPER_OK);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    fs_key_init();
    if (fs_start() == 0) {
        UT_RUN(case_statfs);
        UT_RUN(case_read_host);
        UT_RUN(case_small);
        UT_RUN(case_large);
        UT_RUN(case_many);
        UT_RUN(case_rename);
        UT_RUN(case_dirs);
        UT_RUN(case_symlink);
        UT_RUN(case_malformed);
        UT_RUN(case_sync);
        UT_RUN(case_bench);
        UT_RUN(case_random);
    } else {
        printf("UTEST %s FAIL %s.start: %s\n", ut_nonce, PROG, ut_reason);
    }
    fs_stop();
    return ut_done();
}
