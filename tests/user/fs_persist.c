/*
 * fs_persist.c - files survive a reboot (grade/tests_fs.py, fs_persist).
 *
 * The grader boots this twice on the same ViperFS image.  The first boot
 * finds no /persist/state: it writes /persist/data (the nonce's pattern,
 * past the single indirect block), fsyncs it, then writes the state file
 * naming the nonce.  The second boot finds the state file and checks both
 * files byte for byte.  Each boot says which phase it ran, and the grader
 * also reads the files on the host between and after the boots.
 */
#include "fs_util.h"

#define PROG "fs_persist"
#define DATA_SIZE (300u * 1024u + 5u)

static char state_text[96];

static void case_write(void)
{
    UT_CHECK_EQ(fs_path_op(FS_MKDIR, "/persist", NULL, 0755), VIPER_OK);
    int64_t fd = fs_open("/persist/data", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0644);
    UT_CHECK(fd >= 0);
    for (uint32_t i = 0; i < DATA_SIZE; i++)
        fs_buf[FSC_DATA + i] = fs_pattern(i);
    UT_CHECK_EQ(fs_io(FS_WRITE, fd, 0, DATA_SIZE), DATA_SIZE);
    struct fs_request req = { .op = FS_FSYNC, .fd = (int32_t)fd };
    struct fs_reply rep;
    UT_CHECK_EQ(fs_call(&req, &rep), VIPER_OK);
    UT_CHECK_EQ(fs_close(fd), VIPER_OK);
    fd = fs_open("/persist/state", FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0644);
    UT_CHECK(fd >= 0);
    memcpy(fs_buf + FSC_DATA, state_text, strlen(state_text));
    UT_CHECK_EQ(fs_io(FS_WRITE, fd, 0, (uint32_t)strlen(state_text)), (int64_t)strlen(state_text));
    req = (struct fs_request){ .op = FS_FSYNC, .fd = (int32_t)fd };
    UT_CHECK_EQ(fs_call(&req, &rep), VIPER_OK);
    UT_CHECK_EQ(fs_close(fd), VIPER_OK);
    UT_INFO("phase write");
}

static void case_verify(void)
{
    int64_t fd = fs_open("/persist/state", FS_O_RDONLY, 0);
    UT_CHECK(fd >= 0);
    memset(fs_buf + FSC_DATA, 0, 128);
    UT_CHECK_EQ(fs_io(FS_READ, fd, 0, 128), (int64_t)strlen(state_text));
    UT_CHECK(memcmp(fs_buf + FSC_DATA, state_text, strlen(state_text)) == 0);
    fs_close(fd);
    fd = fs_open("/persist/data", FS_O_RDONLY, 0);
    UT_CHECK(fd >= 0);
    UT_CHECK_EQ(fs_io(FS_READ, fd, 0, DATA_SIZE + 100), DATA_SIZE);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < DATA_SIZE; i++)
        bad += fs_buf[FSC_DATA + i] != fs_pattern(i);
    UT_CHECK_EQ(bad, 0);
    fs_close(fd);
    UT_INFO("phase verify");
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    fs_key_init();
    snprintf(state_text, sizeof state_text, "written with nonce %s\n", ut_nonce);
    if (fs_start() == 0) {
        struct fs_stat st;
        if (fs_stat(FS_STAT, "/persist/state", &st) == VIPER_ERR_NOT_FOUND)
            UT_RUN(case_write);
        else
            UT_RUN(case_verify);
    } else {
        printf("UTEST %s FAIL %s.start: %s\n", ut_nonce, PROG, ut_reason);
    }
    fs_stop();
    return ut_done();
}
