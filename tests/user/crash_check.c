/*
 * crash_check.c - the boot after a crash (grade/tests_crash.py): fsd mounts
 * the image crash_work left, replaying its journal, and we list every
 * regular file under /w with its size and CRC-32 for the grader to compare
 * with what crash_work's log allows.  Then the filesystem must take new
 * work (a file written, fsync'd, read back, removed); the grader runs fsck
 * on the image once more afterwards.
 */
#include "files_util.h"

#include <dirent.h>

#define PROG "crash_check"
#define DEPTH_MAX 4

static int listed;

/* Every regular file under dir (depth-first), as INFO lines. */
static void walk(const char *dir, int depth)
{
    DIR *d = depth <= DEPTH_MAX ? opendir(dir) : NULL;
    struct dirent *e;
    UT_CHECK(d != NULL);
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[300];
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR) {
            walk(path, depth + 1);
        } else if (e->d_type == DT_REG) {
            uint64_t size;
            uint32_t crc;
            UT_CHECK_EQ(fu_crc_file(path, &size, &crc), 0);
            UT_INFO("file %s size %llu crc %08x", path, (unsigned long long)size, (unsigned)crc);
            listed++;
        }
    }
    closedir(d);
}

static void case_list(void)
{
    struct stat st;
    if (stat("/w", &st) < 0) {   /* killed before crash_work made it */
        UT_CHECK_EQ(errno, ENOENT);
        return;
    }
    walk("/w", 0);
    UT_INFO("%d files", listed);
}

static void case_writable(void)
{
    static uint8_t data[50000], back[50000];
    uint64_t key = fu_fnv(ut_nonce);
    fu_fill(key, 0, data, sizeof data);
    int fd = open("/after-crash", O_RDWR | O_CREAT | O_TRUNC, 0644);
    UT_CHECK(fd >= 0);
    UT_CHECK_EQ(fu_write_all(fd, data, sizeof data), 0);
    UT_CHECK_EQ(fsync(fd), 0);
    UT_CHECK_EQ(pread(fd, back, sizeof back, 0), (int64_t)sizeof back);
    UT_CHECK(memcmp(data, back, sizeof data) == 0);
    UT_CHECK_EQ(close(fd), 0);
    UT_CHECK_EQ(unlink("/after-crash"), 0);
    struct statfs sf;
    UT_CHECK_EQ(statfs("/", &sf), 0);
    UT_INFO("free blocks %llu", (unsigned long long)sf.f_bfree);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    if (fu_start() == 0) {
        UT_RUN(case_list);
        UT_RUN(case_writable);
    } else {
        printf("UTEST %s FAIL %s.start: %s\n", ut_nonce, PROG, ut_reason);
    }
    fu_stop();
    return ut_done();
}
