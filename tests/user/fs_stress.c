/*
 * fs_stress.c - fsd under pressure (grade/tests_fs.py, fs_stress), on a small
 * image: two processes writing their own files at once, each over its own
 * connection (spawned copies of this program, given only a registry
 * handle); then the disk filled until FS_ERR_NO_SPACE, with nothing that
 * was there before lost, and all the space back after the unlink.  The
 * grader runs fsck.viperfs on the image afterwards.
 */
#include "fs_util.h"

#define PROG "fs_stress"
#define CHILD_SIZE (256u * 1024u)
#define CHUNK (16u * 1024u)

static uint8_t child_byte(int64_t who, uint32_t i)
{
    return (uint8_t)(i * 131u + (i >> 12) + (uint32_t)who * 0x5b);
}

/* A child: its own connection, its own file, written in small chunks so the two interleave. */
static int64_t child_write(int64_t who)
{
    char name[32];
    fs_reg = viper_startup_handle(0);
    if (fs_connect() != 0)
        return 1;
    snprintf(name, sizeof name, "/two/child-%lld", (long long)who);
    int64_t fd = fs_open(name, FS_O_RDWR | FS_O_CREAT | FS_O_EXCL, 0644);
    if (fd < 0)
        return 2;
    for (uint32_t off = 0; off < CHILD_SIZE; off += CHUNK) {
        for (uint32_t i = 0; i < CHUNK; i++)
            fs_buf[FSC_DATA + i] = child_byte(who, off + i);
        if (fs_io(FS_WRITE, fd, 0, CHUNK) != CHUNK)
            return 3;
    }
    if (fs_io(FS_PREAD, fd, 0, CHILD_SIZE) != CHILD_SIZE)
        return 4;
    for (uint32_t i = 0; i < CHILD_SIZE; i++)
        if (fs_buf[FSC_DATA + i] != child_byte(who, i))
            return 5;
    return fs_close(fd) == VIPER_OK ? 0 : 6;
}

static void case_two_writers(void)
{
    UT_CHECK_EQ(fs_path_op(FS_MKDIR, "/two", NULL, 0755), VIPER_OK);
    int64_t pids[2];
    for (int k = 0; k < 2; k++) {
        uint64_t r = 0;
        UT_CHECK_EQ(viper_cap_derive(fs_reg, VIPER_RIGHT_TRAVERSE | VIPER_RIGHT_TRANSFER, &r),
                    VIPER_OK);
        viper_handle_t h = (viper_handle_t)r;
        pids[k] = ipc_spawn_self(PROG, k ? "2" : "1", &h, 1);
        UT_CHECK(pids[k] > 0);
    }
    UT_CHECK_EXIT(pids[0], VIPER_EXIT_NORMAL, 0);
    UT_CHECK_EXIT(pids[1], VIPER_EXIT_NORMAL, 0);
    for (int64_t who = 1; who <= 2; who++) {   /* and seen from here */
        char name[32];
        snprintf(name, sizeof name, "/two/child-%lld", (long long)who);
        int64_t fd = fs_open(name, FS_O_RDONLY, 0);
        UT_CHECK(fd >= 0);
        UT_CHECK_EQ(fs_io(FS_READ, fd, 0, CHILD_SIZE + 1), CHILD_SIZE);
        uint32_t bad = 0;
        for (uint32_t i = 0; i < CHILD_SIZE; i++)
            bad += fs_buf[FSC_DATA + i] != child_byte(who, i);
        UT_CHECK_EQ(bad, 0);
        fs_close(fd);
    }
}

static int64_t statfs_free(void)
{
    struct fs_request req = { .op = FS_STATFS, .fd = -1 };
    struct fs_reply rep;
    int64_t rc = fs_call(&req, &rep);
    return rc != VIPER_OK ? rc : (int64_t)rep.statfs.free_blocks;
}

static void case_full_disk(void)
{
    uint64_t before_hash, before_size, h, n;
    UT_CHECK_EQ(fs_hash_file("/etc/motd", &before_hash, &before_size), VIPER_OK);
    int64_t fd = fs_open("/filler", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0644);
    UT_CHECK(fd >= 0);
    int64_t free_before = statfs_free(), w = 0;
    uint64_t total = 0;
    memset(fs_buf + FSC_DATA, 0xa5, 1u << 20);
    while ((w = fs_io(FS_WRITE, fd, 0, 1u << 20)) == (int64_t)(1u << 20))
        total += (uint64_t)w;
    if (w > 0) {   /* a short write, then the error */
        total += (uint64_t)w;
        w = fs_io(FS_WRITE, fd, 0, 4096);
    }
    UT_CHECK_EQ(w, FS_ERR_NO_SPACE);
    UT_CHECK_EQ(statfs_free(), 0);
    UT_CHECK(total > 0 && total <= (uint64_t)free_before * 4096);
    UT_INFO("filled %llu bytes of %lld free blocks", (unsigned long long)total,
            (long long)free_before);
    /* what was there is intact; a new file cannot get a block, but its name is refused cleanly */
    UT_CHECK_EQ(fs_hash_file("/etc/motd", &h, &n), VIPER_OK);
    UT_CHECK_EQ(h, before_hash);
    UT_CHECK_EQ(fs_path_op(FS_MKDIR, "/nospace", NULL, 0755), FS_ERR_NO_SPACE);
    struct fs_stat st = { 0 };
    UT_CHECK_EQ(fs_stat(FS_STAT, "/nospace", &st), VIPER_ERR_NOT_FOUND);   /* undone */
    UT_CHECK_EQ(fs_close(fd), VIPER_OK);
    UT_CHECK_EQ(fs_stat(FS_STAT, "/filler", &st), VIPER_OK);
    UT_CHECK_EQ(st.size, total);
    UT_CHECK_EQ(fs_path_op(FS_UNLINK, "/filler", NULL, 0), VIPER_OK);
    UT_CHECK_EQ(statfs_free(), free_before);
    UT_CHECK_EQ(fs_path_op(FS_MKDIR, "/nospace", NULL, 0755), VIPER_OK);
}

int main(int argc, char **argv, char **envp)
{
    if (argc == 3 && strcmp(argv[1], "--child") == 0)
        return (int)child_write(argv[2][0] - '0');
    ut_init(argc, argv, envp);
    fs_key_init();
    if (fs_start() == 0) {
        UT_RUN(case_two_writers);
        UT_RUN(case_full_disk);
    } else {
        printf("UTEST %s FAIL %s.start: %s\n", ut_nonce, PROG, ut_reason);
    }
    fs_stop();
    return ut_done();
}
