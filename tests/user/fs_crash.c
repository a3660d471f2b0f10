/*
 * fs_crash.c - a metadata-heavy workload for the crash test (grade/tests_fs.py,
 * fs_crash): the grader kills QEMU at a random moment, then checks the image
 * with fsck.viperfs and reads back every file this program said it synced.
 *
 * Each boot takes the first free /w/boot-N and works in /w/bN: it creates
 * files, writes them, fsyncs, and only then prints `synced NAME size S`
 * (the grader knows the contents from NAME and the nonce); around that it
 * makes and removes directories, renames, and unlinks files, so most
 * transactions in flight at the kill touch directories, bitmaps and inodes.
 * A file is announced `deleting NAME` before it is unlinked.  The loop ends
 * after MAX_ROUNDS so a run that is never killed still finishes.
 */
#include "fs_util.h"

#define PROG "fs_crash"
#define MAX_ROUNDS 400

/* The contents of a synced file: "<nonce>:<name>:" repeated to size (the grader's too). */
static uint32_t fill(const char *name, uint32_t size)
{
    char unit[160];
    int n = snprintf(unit, sizeof unit, "%s:%s:", ut_nonce, name);
    for (uint32_t i = 0; i < size; i++)
        fs_buf[FSC_DATA + i] = (uint8_t)unit[i % (uint32_t)n];
    return size;
}

static int64_t write_synced(const char *name, uint32_t size)
{
    int64_t fd = fs_open(name, FS_O_WRONLY | FS_O_CREAT | FS_O_TRUNC, 0644);
    if (fd < 0)
        return fd;
    int64_t rc = fs_io(FS_WRITE, fd, 0, fill(name, size));
    if (rc == (int64_t)size) {
        struct fs_request req = { .op = FS_FSYNC, .fd = (int32_t)fd };
        struct fs_reply rep;
        rc = fs_call(&req, &rep);
    } else if (rc >= 0) {
        rc = VIPER_ERR_IO;
    }
    fs_close(fd);
    return rc;
}

static void case_run(void)
{
    char dir[32], name[64], other[64];
    unsigned boot = 0;
    struct fs_stat st;
    int64_t rc = fs_path_op(FS_MKDIR, "/w", NULL, 0755);
    UT_CHECK(rc == VIPER_OK || rc == FS_ERR_EXISTS);
    for (;; boot++) {
        snprintf(name, sizeof name, "/w/boot-%u", boot);
        if (fs_stat(FS_STAT, name, &st) == VIPER_ERR_NOT_FOUND)
            break;
    }
    UT_CHECK_EQ(write_synced(name, 1), VIPER_OK);
    snprintf(dir, sizeof dir, "/w/b%u", boot);
    UT_CHECK_EQ(fs_path_op(FS_MKDIR, dir, NULL, 0755), VIPER_OK);
    UT_INFO("boot %u", boot);
    for (unsigned i = 0; i < MAX_ROUNDS && !ut_case_failures; i++) {
        uint32_t size = (i * 7919u) % 20000u + 1;
        snprintf(name, sizeof name, "%s/f%u", dir, i);
        UT_CHECK_EQ(write_synced(name, size), VIPER_OK);
        printf("UTEST %s INFO %s.run: synced %s size %u\n", ut_nonce, PROG, name, size);
        /* churn: a directory with a file in it, a rename back and forth, an unlink */
        snprintf(other, sizeof other, "%s/tmp%u", dir, i % 3);
        rc = fs_path_op(FS_MKDIR, other, NULL, 0755);
        UT_CHECK(rc == VIPER_OK || rc == FS_ERR_EXISTS);
        snprintf(other, sizeof other, "%s/tmp%u/x", dir, i % 3);
        int64_t fd = fs_open(other, FS_O_WRONLY | FS_O_CREAT, 0644);
        UT_CHECK(fd >= 0);
        UT_CHECK_EQ(fs_io(FS_WRITE, fd, 0, fill(other, 3000)), 3000);
        fs_close(fd);
        snprintf(name, sizeof name, "%s/moved", dir);
        UT_CHECK_EQ(fs_path_op(FS_RENAME, other, name, 0), VIPER_OK);
        UT_CHECK_EQ(fs_path_op(FS_UNLINK, name, NULL, 0), VIPER_OK);
        snprintf(other, sizeof other, "%s/tmp%u", dir, (i + 1) % 3);
        rc = fs_path_op(FS_RMDIR, other, NULL, 0);
        UT_CHECK(rc == VIPER_OK || rc == VIPER_ERR_NOT_FOUND);
        if (i >= 30 && i % 5 == 0) {   /* keep the disk from filling up */
            snprintf(name, sizeof name, "%s/f%u", dir, i - 30);
            printf("UTEST %s INFO %s.run: deleting %s\n", ut_nonce, PROG, name);
            UT_CHECK_EQ(fs_path_op(FS_UNLINK, name, NULL, 0), VIPER_OK);
        }
    }
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    if (fs_start() == 0)
        UT_RUN(case_run);
    else
        printf("UTEST %s FAIL %s.start: %s\n", ut_nonce, PROG, ut_reason);
    fs_stop();
    return ut_done();
}
