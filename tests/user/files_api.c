/*
 * files_api.c - the libc file API over fsd, run as init on a fresh ViperFS
 * image (grade/tests_files.py, files_api).  Only <stdio.h>, <unistd.h>,
 * <fcntl.h>, <sys/stat.h>, <dirent.h> and errno; no protocol requests.
 *
 *   big       a file crossing the direct/single/double indirect boundaries,
 *             written in odd-sized pieces, read back with stdio and pread;
 *             the grader extracts it on the host and compares every byte
 *   sparse    a hole reads as zeros, data after it is where it was written
 *   many      500 files in one directory, each listed exactly once
 *   rename    rename over an existing file while a reader process opens and
 *             reads it: it always finds a whole old or a whole new version
 *   two       two processes writing their own files at once
 *   bad       descriptors never opened or closed, huge lengths and offsets,
 *             paths too long, the usual errno for each; fsd still answers
 *   persist   files and a directory written and fsync'd for the next boot
 *             (files_reboot reads them; the grader runs fsck in between)
 */
#include "files_util.h"

#include <dirent.h>

#define PROG "files_api"
#define BIG_SIZE ((1032u + 40u) * 4096u + 1234u)   /* into the double indirect block */
#define MANY 500
#define RENAMES 60
#define TWO_SIZE (1536u * 1024u)
#define BUF_SIZE (256u * 1024u)

static uint8_t buf[BUF_SIZE], buf2[BUF_SIZE];
static uint64_t key;                     /* from the nonce */

/* The key of a named piece of content (the grader: key_for()). */
static uint64_t key_for(const char *what)
{
    return key ^ fu_fnv(what);
}

/* ---- big and sparse ---- */

static void case_big(void)
{
    uint64_t k = key_for("big");
    int fd = open("/big", O_RDWR | O_CREAT | O_TRUNC, 0644);
    UT_CHECK(fd >= 0);
    uint32_t crc = 0;
    for (uint64_t off = 0, piece = 3001; off < BIG_SIZE; piece = piece * 7 % 99991 + 1) {
        size_t n = BIG_SIZE - off < piece ? BIG_SIZE - off : piece;
        fu_fill(k, off, buf, n);
        crc = fu_crc32(crc, buf, n);
        UT_CHECK_EQ(write(fd, buf, n), (int64_t)n);
        if (ut_case_failures)
            return;
        off += n;
    }
    UT_CHECK_EQ(fsync(fd), 0);
    struct stat st;
    UT_CHECK_EQ(fstat(fd, &st), 0);
    UT_CHECK_EQ(st.st_size, BIG_SIZE);
    UT_CHECK(st.st_blocks / 8 > BIG_SIZE / 4096 + 2);   /* data plus the indirect blocks */
    /* across each boundary: direct/single at block 12, single/double at 1032 */
    const uint64_t spots[] = { 0, 12 * 4096 - 5, 1032 * 4096 - 5, BIG_SIZE - 9 };
    for (unsigned s = 0; s < sizeof spots / sizeof spots[0]; s++) {
        uint64_t n = spots[s] + 100 <= BIG_SIZE ? 100 : BIG_SIZE - spots[s];
        UT_CHECK_EQ(pread(fd, buf, 100, (off_t)spots[s]), (int64_t)n);
        UT_CHECK_EQ(fu_mismatch(k, spots[s], buf, n), -1);
    }
    UT_CHECK_EQ(close(fd), 0);
    /* the whole file through stdio, in pieces that are not blocks */
    FILE *f = fopen("/big", "r");
    UT_CHECK(f != NULL);
    uint64_t off = 0;
    uint32_t crc2 = 0;
    size_t n;
    while (f && (n = fread(buf, 1, 50001, f)) > 0) {
        int64_t bad = fu_mismatch(k, off, buf, n);
        if (bad >= 0) {
            UT_CHECK_EQ(bad, -1);
            break;
        }
        crc2 = fu_crc32(crc2, buf, n);
        off += n;
    }
    UT_CHECK_EQ(off, BIG_SIZE);
    UT_CHECK_EQ(crc2, crc);
    if (f)
        UT_CHECK_EQ(fclose(f), 0);
    UT_INFO("file /big size %llu crc %08x", (unsigned long long)BIG_SIZE, (unsigned)crc);
}

static void case_sparse(void)
{
    const uint64_t far = (1032 + 5) * 4096 + 100;   /* a hole over every earlier block */
    uint64_t k = key_for("sparse");
    int fd = open("/sparse", O_RDWR | O_CREAT | O_EXCL, 0644);
    UT_CHECK(fd >= 0);
    fu_fill(k, far, buf, 5000);
    UT_CHECK_EQ(lseek(fd, (off_t)far, SEEK_SET), (int64_t)far);
    UT_CHECK_EQ(write(fd, buf, 5000), 5000);
    UT_CHECK_EQ(lseek(fd, 0, SEEK_END), (int64_t)(far + 5000));
    memset(buf, 0x5a, 8192);
    UT_CHECK_EQ(pread(fd, buf, 8192, 20 * 4096 - 10), 8192);
    for (unsigned i = 0; i < 8192; i++)
        if (buf[i] != 0) {
            UT_CHECK_EQ(buf[i], 0);
            break;
        }
    UT_CHECK_EQ(pread(fd, buf, 6000, (off_t)far), 5000);
    UT_CHECK_EQ(fu_mismatch(k, far, buf, 5000), -1);
    struct stat st;
    UT_CHECK_EQ(fstat(fd, &st), 0);
    UT_CHECK(st.st_blocks / 8 <= 6);   /* 2 data blocks, 2 indirect: the hole takes no space */
    UT_CHECK_EQ(close(fd), 0);
}

/* ---- many ---- */

#define MANY_PREFIX "entry-with-a-longish-name-"

/* "<prefix>NNN" -> NNN; 0 when the name is not one of ours. */
static int parse_index(const char *name, int *i)
{
    size_t n = strlen(MANY_PREFIX);
    char *end;
    if (strncmp(name, MANY_PREFIX, n) != 0 || strlen(name) != n + 3)
        return 0;
    *i = (int)strtol(name + n, &end, 10);
    return *end == '\0';
}

static void case_many(void)
{
    static uint8_t seen[MANY];
    char name[64];
    UT_CHECK_EQ(mkdir("/many", 0755), 0);
    for (int i = 0; i < MANY && !ut_case_failures; i++) {
        snprintf(name, sizeof name, "/many/" MANY_PREFIX "%03d", i);
        FILE *f = fopen(name, "w");
        UT_CHECK(f != NULL);
        if (!f)
            return;
        fprintf(f, "%s %d\n", name, i * i);
        UT_CHECK_EQ(fclose(f), 0);
    }
    DIR *d = opendir("/many");
    UT_CHECK(d != NULL);
    int count = 0, dots = 0, strays = 0;
    char stray[300] = "";
    struct dirent *e;
    errno = 0;
    while (d && (e = readdir(d)) != NULL) {
        int i;
        count++;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            dots++;
        else if (parse_index(e->d_name, &i) && i >= 0 && i < MANY && e->d_type == DT_REG)
            seen[i]++;
        else if (strays++ == 0)
            snprintf(stray, sizeof stray, "a stray entry '%s' (type %d) in the listing",
                     e->d_name, e->d_type);
    }
    UT_CHECK_EQ(errno, 0);
    if (d)
        UT_CHECK_EQ(closedir(d), 0);
    UT_CHECK_EQ(count, MANY + 2);
    if (strays)
        ut_fail_at(__FILE__, __LINE__, stray);
    UT_CHECK_EQ(dots, 2);
    for (int i = 0; i < MANY; i++)
        if (seen[i] != 1) {
            UT_CHECK_EQ(seen[i], 1);
            break;
        }
    /* a name read back holds what was written to it */
    char line[128], want[128];
    snprintf(name, sizeof name, "/many/" MANY_PREFIX "%03d", MANY - 1);
    snprintf(want, sizeof want, "%s %d\n", name, (MANY - 1) * (MANY - 1));
    FILE *f = fopen(name, "r");
    UT_CHECK(f && fgets(line, sizeof line, f) && !strcmp(line, want));
    if (f)
        fclose(f);
    UT_INFO("%d entries listed, %d not ours", count, strays);
}

/* ---- rename ---- */

#define REN_HDR 8u

/* Version v of /r/target: its length and version in a header, then the pattern. */
static size_t rename_content(uint32_t v, uint8_t *out)
{
    uint32_t len = (v * 7919u) % 30000u + 1;
    memcpy(out, &v, 4);
    memcpy(out + 4, &len, 4);
    fu_fill(key_for("rename") + v, REN_HDR, out + REN_HDR, len);
    return REN_HDR + len;
}

/* Does data hold exactly one whole version?  Its number, or -1. */
static int64_t rename_check(const uint8_t *data, size_t n)
{
    uint32_t v, len;
    if (n < REN_HDR)
        return -1;
    memcpy(&v, data, 4);
    memcpy(&len, data + 4, 4);
    if (v >= RENAMES || n != REN_HDR + len || len != (v * 7919u) % 30000u + 1 ||
        fu_mismatch(key_for("rename") + v, REN_HDR, data + REN_HDR, len) >= 0)
        return -1;
    return v;
}

/* The reader: open and read /r/target until it shows the last version.  Exit 100 + the
 * number of versions seen; 1 the file was missing, 2 a read failed, 3 a torn or mixed file. */
static int reader_main(void)
{
    static uint8_t seen[RENAMES];
    int distinct = 0;
    uint64_t end = viper_now_ns() + 60 * FU_SEC;
    while (viper_now_ns() < end) {
        int fd = open("/r/target", O_RDONLY);
        if (fd < 0)
            return 1;
        ssize_t n = read(fd, buf2, BUF_SIZE);
        close(fd);
        if (n < 0)
            return 2;
        int64_t v = rename_check(buf2, (size_t)n);
        if (v < 0)
            return 3;
        distinct += !seen[v]++;
        if (v == RENAMES - 1)
            return 100 + distinct;
    }
    return 4;
}

static void put_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    UT_CHECK(fd >= 0);
    UT_CHECK_EQ(fu_write_all(fd, data, n), 0);
    UT_CHECK_EQ(close(fd), 0);
}

static void case_rename(void)
{
    UT_CHECK_EQ(mkdir("/r", 0755), 0);
    put_file("/r/target", buf, rename_content(0, buf));
    int old = open("/r/target", O_RDONLY);   /* keeps version 0 alive past its replacement */
    UT_CHECK(old >= 0);
    int64_t pid = fu_spawn_self(PROG, "reader", "-");
    for (uint32_t v = 1; v < RENAMES && !ut_case_failures; v++) {
        put_file("/r/tmp", buf, rename_content(v, buf));
        UT_CHECK_EQ(rename("/r/tmp", "/r/target"), 0);
        viper_yield();
    }
    int64_t p = -1, reason = -1, code = -1;
    if (pid > 0)
        UT_CHECK_EQ(viper_wait(pid, 0, &p, &reason, &code), VIPER_OK);
    UT_CHECK_EQ(reason, 0);
    UT_CHECK(code > 100);   /* 1..4: the reader saw a missing, unreadable or torn file */
    if (code <= 100)
        UT_CHECK_EQ(code, 100);
    UT_INFO("the reader saw %lld versions", (long long)(code - 100));
    /* the replaced file is still readable through the descriptor opened before */
    ssize_t n = read(old, buf2, BUF_SIZE);
    UT_CHECK_EQ(rename_check(buf2, n > 0 ? (size_t)n : 0), 0);
    UT_CHECK_EQ(close(old), 0);
    struct stat st;
    UT_CHECK_EQ(stat("/r/tmp", &st), -1);
    UT_CHECK_EQ(errno, ENOENT);
    UT_CHECK_EQ(stat("/r/target", &st), 0);
    UT_CHECK_EQ(st.st_nlink, 1);
    int fd = open("/r/target", O_RDONLY);
    n = read(fd, buf2, BUF_SIZE);
    UT_CHECK_EQ(rename_check(buf2, n > 0 ? (size_t)n : 0), RENAMES - 1);
    close(fd);
    /* onto itself: nothing happens; a missing source: ENOENT */
    UT_CHECK_EQ(rename("/r/target", "/r/target"), 0);
    UT_CHECK_EQ(rename("/r/none", "/r/target"), -1);
    UT_CHECK_EQ(errno, ENOENT);
    UT_CHECK_EQ(stat("/r/target", &st), 0);
}

/* ---- two writers ---- */

/* Writer child w<i>: its own file, fsync'd and read back.  Exit 0, or the failing step. */
static int writer_main(const char *role)
{
    char path[32], what[32];
    snprintf(path, sizeof path, "/two/%s", role);
    snprintf(what, sizeof what, "two-%s", role);
    uint64_t k = key_for(what);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
    if (fd < 0)
        return 1;
    for (uint64_t off = 0; off < TWO_SIZE; off += 10000) {
        size_t n = TWO_SIZE - off < 10000 ? TWO_SIZE - off : 10000;
        fu_fill(k, off, buf, n);
        if (write(fd, buf, n) != (ssize_t)n)
            return 2;
    }
    if (fsync(fd) != 0 || lseek(fd, 0, SEEK_SET) != 0)
        return 3;
    for (uint64_t off = 0; off < TWO_SIZE;) {
        ssize_t n = read(fd, buf, BUF_SIZE);
        if (n <= 0 || fu_mismatch(k, off, buf, (size_t)n) >= 0)
            return 4;
        off += (uint64_t)n;
    }
    return close(fd) ? 5 : 0;
}

static void case_two(void)
{
    UT_CHECK_EQ(mkdir("/two", 0755), 0);
    int64_t a = fu_spawn_self(PROG, "writer", "w0"), b = fu_spawn_self(PROG, "writer", "w1");
    if (a > 0)
        UT_CHECK_EXIT(a, 0, 0);
    if (b > 0)
        UT_CHECK_EXIT(b, 0, 0);
    const char *roles[] = { "w0", "w1" };
    for (int i = 0; i < 2; i++) {
        char path[32], what[32];
        snprintf(path, sizeof path, "/two/%s", roles[i]);
        snprintf(what, sizeof what, "two-%s", roles[i]);
        int fd = open(path, O_RDONLY);
        UT_CHECK(fd >= 0);
        uint64_t off = 0;
        ssize_t n;
        while (fd >= 0 && (n = read(fd, buf, BUF_SIZE)) > 0) {
            UT_CHECK_EQ(fu_mismatch(key_for(what), off, buf, (size_t)n), -1);
            off += (uint64_t)n;
        }
        UT_CHECK_EQ(off, TWO_SIZE);
        close(fd);
    }
}

/* ---- bad input ---- */

#define CHECK_ERR(call, err)                 \
    do {                                     \
        errno = 0;                           \
        UT_CHECK_EQ((call), -1);             \
        UT_CHECK_EQ(errno, (err));           \
    } while (0)

static void case_bad(void)
{
    static char path[3000];
    char small[16];
    /* descriptors: never opened, out of range, closed, the wrong direction */
    CHECK_ERR(read(17, small, sizeof small), EBADF);
    CHECK_ERR(read(-1, small, sizeof small), EBADF);
    CHECK_ERR(write(100000, small, 1), EBADF);
    CHECK_ERR(fsync(23), EBADF);
    CHECK_ERR(lseek(40, 0, SEEK_SET), EBADF);
    put_file("/bad", "0123456789", 10);
    int fd = open("/bad", O_RDONLY);
    UT_CHECK(fd >= 0);
    CHECK_ERR(write(fd, small, 1), EBADF);
    /* a huge length reads what there is */
    UT_CHECK_EQ(read(fd, buf, (size_t)1 << 40), 10);
    CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL);
    CHECK_ERR(lseek(fd, 0, 7), EINVAL);
    UT_CHECK_EQ(close(fd), 0);
    CHECK_ERR(close(fd), EBADF);
    CHECK_ERR(read(fd, small, sizeof small), EBADF);
    CHECK_ERR(fstat(fd, &(struct stat){ 0 }), EBADF);
    /* an offset past what a file can hold */
    fd = open("/bad", O_WRONLY);
    UT_CHECK(fd >= 0);
    UT_CHECK_EQ(lseek(fd, INT64_MAX - 2, SEEK_SET), INT64_MAX - 2);
    errno = 0;
    UT_CHECK_EQ(write(fd, small, 8), -1);
    UT_CHECK(errno == EFBIG || errno == EINVAL);
    UT_CHECK_EQ(close(fd), 0);
    struct stat st;
    UT_CHECK_EQ(stat("/bad", &st), 0);
    UT_CHECK_EQ(st.st_size, 10);
    /* names and paths */
    memset(path, 'n', sizeof path - 1);
    path[0] = '/';
    path[257] = '\0';   /* one component of 256 bytes */
    CHECK_ERR(open(path, O_RDWR | O_CREAT, 0644), ENAMETOOLONG);
    CHECK_ERR(mkdir(path, 0755), ENAMETOOLONG);
    path[257] = 'n';
    for (int i = 200; i < (int)sizeof path - 1; i += 200)
        path[i] = '/';
    path[sizeof path - 1] = '\0';   /* 3000 bytes of short components */
    CHECK_ERR(open(path, O_RDONLY), ENAMETOOLONG);
    CHECK_ERR(stat(path, &st), ENAMETOOLONG);
    CHECK_ERR(rename("/bad", path), ENAMETOOLONG);
    CHECK_ERR(open("", O_RDONLY), ENOENT);
    CHECK_ERR(open("/no/such/dir", O_RDWR | O_CREAT, 0644), ENOENT);
    CHECK_ERR(open("/many", O_WRONLY), EISDIR);
    CHECK_ERR(open("/bad", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
    CHECK_ERR(mkdir("/many", 0755), EEXIST);
    CHECK_ERR(rmdir("/many"), ENOTEMPTY);
    CHECK_ERR(unlink("/many"), EISDIR);
    CHECK_ERR(rmdir("/bad"), ENOTDIR);
    CHECK_ERR(unlink("/nothing"), ENOENT);
    errno = 0;
    UT_CHECK(opendir("/bad") == NULL);
    UT_CHECK_EQ(errno, ENOTDIR);
    /* more open files than fsd gives one client */
    int fds[40], opened = 0;
    for (int i = 0; i < 40; i++) {
        fds[i] = open("/bad", O_RDONLY);
        opened += fds[i] >= 0;
        if (fds[i] < 0)
            UT_CHECK_EQ(errno, EMFILE);
    }
    UT_CHECK(opened >= 8 && opened < 40);
    for (int i = 0; i < 40; i++)
        if (fds[i] >= 0)
            UT_CHECK_EQ(close(fds[i]), 0);
    UT_CHECK(fu_fsd_alive());
    /* a path through a file: ENOTDIR, as POSIX and Linux say */
    CHECK_ERR(open("/bad/x", O_RDONLY), ENOTDIR);
    CHECK_ERR(stat("/bad/x/y", &st), ENOTDIR);
    UT_CHECK_EQ(unlink("/bad"), 0);
    UT_INFO("%d files open at once", opened);
}

/* ---- for the next boot ---- */

static void case_persist(void)
{
    UT_CHECK_EQ(mkdir("/persist", 0755), 0);
    UT_CHECK_EQ(mkdir("/persist/sub", 0700), 0);
    FILE *f = fopen("/persist/note.txt", "w");
    UT_CHECK(f != NULL);
    if (!f)
        return;
    fprintf(f, "written by files_api, nonce %s\nsecond line\n", ut_nonce);
    UT_CHECK_EQ(fflush(f), 0);
    UT_CHECK_EQ(fsync(fileno(f)), 0);
    UT_CHECK_EQ(fclose(f), 0);
    uint64_t k = key_for("persist");
    fu_fill(k, 0, buf, 200000);
    int fd = open("/persist/sub/data", O_WRONLY | O_CREAT | O_EXCL, 0600);
    UT_CHECK(fd >= 0);
    UT_CHECK_EQ(fu_write_all(fd, buf, 200000), 0);
    UT_CHECK_EQ(fsync(fd), 0);
    UT_CHECK_EQ(close(fd), 0);
    UT_CHECK_EQ(symlink("sub/data", "/persist/link"), 0);
    UT_INFO("file /persist/sub/data size 200000 crc %08x", (unsigned)fu_crc32(0, buf, 200000));
}

int main(int argc, char **argv, char **envp)
{
    const char *role = ipc_child_role(argc, argv);
    for (char **e = envp; e && *e; e++)
        if (strncmp(*e, "NONCE=", 6) == 0)
            key = fu_fnv(*e + 6);
    if (role)   /* a helper: reports through its exit code only */
        return !strcmp(role, "reader") ? reader_main()
             : !strcmp(role, "writer") && argc > 3 ? writer_main(argv[3]) : 99;
    ut_init(argc, argv, envp);
    if (fu_start() == 0) {
        UT_RUN(case_big);
        UT_RUN(case_sparse);
        UT_RUN(case_many);
        UT_RUN(case_rename);
        UT_RUN(case_two);
        UT_RUN(case_bad);
        UT_RUN(case_persist);
    } else {
        printf("UTEST %s FAIL %s.start: %s\n", ut_nonce, PROG, ut_reason);
    }
    fu_stop();
    return ut_done();
}
