/*
 * files_reboot.c - the second boot of grade/tests_files.py's files_api test:
 * the same image, the same nonce, a fresh fsd.  Everything files_api wrote
 * and fsync'd must be there with the same bytes (the grader ran fsck on the
 * image in between); then it changes a few things, and the grader runs
 * fsck once more.
 */
#include "files_util.h"

#include <dirent.h>

#define PROG "files_reboot"
#define BIG_SIZE ((1032u + 40u) * 4096u + 1234u)   /* as files_api.c */

static uint8_t buf[65536];
static uint64_t key;

/* Is the whole file at path the pattern of what, size bytes long? */
static void check_pattern(const char *path, const char *what, uint64_t size)
{
    uint64_t k = key ^ fu_fnv(what), off = 0;
    uint32_t crc = 0;
    int fd = open(path, O_RDONLY);
    ssize_t n;
    UT_CHECK(fd >= 0);
    while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0) {
        int64_t bad = fu_mismatch(k, off, buf, (size_t)n);
        if (bad >= 0) {
            UT_CHECK_EQ(bad, -1);
            break;
        }
        crc = fu_crc32(crc, buf, (size_t)n);
        off += (uint64_t)n;
    }
    UT_CHECK_EQ(off, size);
    if (fd >= 0)
        close(fd);
    UT_INFO("file %s size %llu crc %08x", path, (unsigned long long)off, (unsigned)crc);
}

static void case_persisted(void)
{
    char line[128], want[128];
    FILE *f = fopen("/persist/note.txt", "r");
    UT_CHECK(f != NULL);
    snprintf(want, sizeof want, "written by files_api, nonce %s\n", ut_nonce);
    UT_CHECK(f && fgets(line, sizeof line, f) && !strcmp(line, want));
    UT_CHECK(f && fgets(line, sizeof line, f) && !strcmp(line, "second line\n"));
    UT_CHECK(f && fgets(line, sizeof line, f) == NULL && feof(f));
    if (f)
        fclose(f);
    check_pattern("/persist/sub/data", "persist", 200000);
    char target[64];
    ssize_t n = readlink("/persist/link", target, sizeof target);
    UT_CHECK_EQ(n, 8);
    UT_CHECK(n == 8 && !memcmp(target, "sub/data", 8));
    struct stat st;
    UT_CHECK_EQ(stat("/persist/link", &st), 0);
    UT_CHECK_EQ(st.st_size, 200000);
    UT_CHECK_EQ(stat("/persist/sub", &st), 0);
    UT_CHECK(S_ISDIR(st.st_mode));
}

static void case_earlier(void)
{
    check_pattern("/big", "big", BIG_SIZE);
    check_pattern("/two/w0", "two-w0", 1536u * 1024u);
    check_pattern("/two/w1", "two-w1", 1536u * 1024u);
    DIR *d = opendir("/many");
    UT_CHECK(d != NULL);
    int count = 0;
    while (d && readdir(d))
        count++;
    if (d)
        closedir(d);
    UT_CHECK_EQ(count, 500 + 2);
    struct stat st;
    UT_CHECK_EQ(stat("/bad", &st), -1);   /* files_api removed it */
    UT_CHECK_EQ(errno, ENOENT);
}

/* Change things on the second boot too: the grader's fsck afterwards checks the result. */
static void case_change(void)
{
    FILE *f = fopen("/persist/note.txt", "a");
    UT_CHECK(f != NULL);
    if (f) {
        fprintf(f, "third line, from the second boot\n");
        UT_CHECK_EQ(fclose(f), 0);
    }
    struct stat st;
    UT_CHECK_EQ(stat("/persist/note.txt", &st), 0);
    UT_CHECK_EQ(st.st_size, (int64_t)strlen("written by files_api, nonce \nsecond line\n"
                                            "third line, from the second boot\n") +
                                (int64_t)strlen(ut_nonce));
    UT_CHECK_EQ(unlink("/big"), 0);
    UT_CHECK_EQ(unlink("/two/w0"), 0);
    UT_CHECK_EQ(rename("/two/w1", "/persist/w1"), 0);
    UT_CHECK_EQ(rmdir("/two"), 0);
    struct statfs sf;
    UT_CHECK_EQ(statfs("/", &sf), 0);
    UT_INFO("free blocks %llu of %llu", (unsigned long long)sf.f_bfree,
            (unsigned long long)sf.f_blocks);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    key = fu_fnv(ut_nonce);
    if (fu_start() == 0) {
        UT_RUN(case_persisted);
        UT_RUN(case_earlier);
        UT_RUN(case_change);
    } else {
        printf("UTEST %s FAIL %s.start: %s\n", ut_nonce, PROG, ut_reason);
    }
    fu_stop();
    return ut_done();
}
