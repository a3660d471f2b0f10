/*
 * fs_corrupt.c - fsd on a damaged image (grade/tests_fs.py, fs_corrupt).
 *
 * The grader damages the image before the boot (a directory block, an
 * inode's block pointer, or the superblock and its backup) and knows what
 * each probe below must answer: this program only prints the statuses.
 * Whatever the damage, fsd must answer every probe (never crash or hang),
 * which is what the cases check here.
 */
#include "fs_util.h"

#define PROG "fs_corrupt"

static void case_probe(void)
{
    struct fs_request req = { .op = FS_STATFS, .fd = -1 };
    struct fs_reply rep;
    struct fs_stat st;
    int64_t rc = fs_call(&req, &rep);
    UT_CHECK(rc != VIPER_ERR_PEER_CLOSED && rc != VIPER_ERR_TIMED_OUT);
    UT_INFO("statfs %lld", (long long)rc);
    const char *paths[] = { "/etc/motd", "/data/random", "/data", "/c" };
    for (unsigned i = 0; i < 4; i++) {
        rc = fs_stat(FS_STAT, paths[i], &st);
        UT_CHECK(rc != VIPER_ERR_PEER_CLOSED && rc != VIPER_ERR_TIMED_OUT);
        UT_INFO("stat %s %lld", paths[i], (long long)rc);
    }
    int64_t fd = fs_open("/data/random", FS_O_RDONLY, 0);
    UT_INFO("open /data/random %lld", (long long)(fd < 0 ? fd : 0));
    if (fd >= 0)
        fs_close(fd);
    fd = fs_open("/ok.txt", FS_O_WRONLY | FS_O_CREAT, 0644);
    UT_INFO("create /ok.txt %lld", (long long)(fd < 0 ? fd : 0));
    if (fd >= 0) {
        memcpy(fs_buf + FSC_DATA, "still works\n", 12);
        UT_INFO("write /ok.txt %lld", (long long)fs_io(FS_WRITE, fd, 0, 12));
        fs_close(fd);
    }
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    if (fs_start() == 0)
        UT_RUN(case_probe);
    else
        printf("UTEST %s FAIL %s.start: %s\n", ut_nonce, PROG, ut_reason);
    fs_stop();
    return ut_done();
}
