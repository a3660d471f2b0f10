/*
 * files_enospc.c - a full disk (grade/tests_files.py, files_enospc: a 4 MiB
 * image).  Writing until the disk is full ends in ENOSPC after a short
 * write; every byte that write() said it wrote is in the file; what was on
 * the disk before is untouched; blocks a file already has can still be
 * rewritten; removing a file gives the space back.  The grader then runs
 * fsck and reads /keep and /fill on the host.
 */
#include "files_util.h"

#define PROG "files_enospc"
#define CHUNK 65536u
#define KEEP_SIZE 100000u
#define SPARE_SIZE (1024u * 1024u)

static uint8_t buf[CHUNK];
static uint64_t key, fill_size;

#define CHECK_ENOSPC(call)             \
    do {                               \
        errno = 0;                     \
        UT_CHECK_EQ((call), -1);       \
        UT_CHECK_EQ(errno, ENOSPC);    \
    } while (0)

static uint64_t key_for(const char *what)
{
    return key ^ fu_fnv(what);
}

static void write_file(const char *path, const char *what, uint64_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    uint32_t crc = 0;
    UT_CHECK(fd >= 0);
    for (uint64_t off = 0; off < size && !ut_case_failures; off += CHUNK) {
        size_t n = size - off < CHUNK ? size - off : CHUNK;
        fu_fill(key_for(what), off, buf, n);
        crc = fu_crc32(crc, buf, n);
        UT_CHECK_EQ(write(fd, buf, n), (int64_t)n);
    }
    UT_CHECK_EQ(fsync(fd), 0);
    UT_CHECK_EQ(close(fd), 0);
    UT_INFO("file %s size %llu crc %08x", path, (unsigned long long)size, (unsigned)crc);
}

/* The whole file is the pattern of what, size bytes. */
static void check_file(const char *path, const char *what, uint64_t size)
{
    int fd = open(path, O_RDONLY);
    uint64_t off = 0;
    ssize_t n;
    UT_CHECK(fd >= 0);
    while (fd >= 0 && (n = read(fd, buf, CHUNK)) > 0) {
        UT_CHECK_EQ(fu_mismatch(key_for(what), off, buf, (size_t)n), -1);
        off += (uint64_t)n;
    }
    UT_CHECK_EQ(off, size);
    if (fd >= 0)
        close(fd);
}

static uint64_t free_blocks(void)
{
    struct statfs sf;
    UT_CHECK_EQ(statfs("/", &sf), 0);
    return sf.f_bfree;
}

static void case_before(void)
{
    write_file("/keep", "keep", KEEP_SIZE);
    write_file("/spare", "spare", SPARE_SIZE);
}

static void case_fill(void)
{
    uint64_t before = free_blocks(), off = 0;
    uint32_t crc = 0;
    int fd = open("/fill", O_RDWR | O_CREAT | O_EXCL, 0644), short_writes = 0;
    UT_CHECK(fd >= 0);
    ssize_t w = 0;
    for (int i = 0; i < 1000 && fd >= 0; i++) {
        fu_fill(key_for("fill"), off, buf, CHUNK);
        errno = 0;
        w = write(fd, buf, CHUNK);
        if (w <= 0)
            break;
        crc = fu_crc32(crc, buf, (size_t)w);
        off += (uint64_t)w;
        short_writes += w < CHUNK;
    }
    UT_CHECK_EQ(w, -1);
    UT_CHECK_EQ(errno, ENOSPC);
    UT_CHECK(short_writes <= 1);
    UT_CHECK_EQ(free_blocks(), 0);
    /* every block that was free holds the file now, but for its indirect blocks */
    UT_CHECK(off <= before * 4096 && off + 4 * 4096 >= before * 4096);
    UT_CHECK_EQ(fsync(fd), 0);
    struct stat st;
    UT_CHECK_EQ(fstat(fd, &st), 0);
    UT_CHECK_EQ(st.st_size, (int64_t)off);
    UT_CHECK_EQ(close(fd), 0);
    check_file("/fill", "fill", off);
    fill_size = off;
    UT_INFO("file /fill size %llu crc %08x", (unsigned long long)off, (unsigned)crc);
}

static void case_full(void)
{
    CHECK_ENOSPC(mkdir("/newdir", 0755));
    int fd = open("/small", O_WRONLY | O_CREAT, 0644);   /* an inode is still free */
    UT_CHECK(fd >= 0);
    errno = 0;
    UT_CHECK_EQ(write(fd, "x", 1), -1);
    UT_CHECK_EQ(errno, ENOSPC);
    UT_CHECK_EQ(close(fd), 0);
    UT_CHECK_EQ(unlink("/small"), 0);
    /* rewriting blocks /keep already has needs no new ones */
    fd = open("/keep", O_WRONLY);
    UT_CHECK(fd >= 0);
    fu_fill(key_for("keep"), 4096, buf, 8192);
    UT_CHECK_EQ(pwrite(fd, buf, 8192, 4096), 8192);
    UT_CHECK_EQ(close(fd), 0);
    check_file("/keep", "keep", KEEP_SIZE);
    check_file("/spare", "spare", SPARE_SIZE);
    check_file("/fill", "fill", fill_size);
    UT_CHECK(fu_fsd_alive());
}

static void case_back(void)
{
    UT_CHECK_EQ(unlink("/spare"), 0);
    UT_CHECK(free_blocks() >= SPARE_SIZE / 4096);
    write_file("/after", "after", SPARE_SIZE / 2);
    check_file("/after", "after", SPARE_SIZE / 2);
    check_file("/keep", "keep", KEEP_SIZE);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    key = fu_fnv(ut_nonce);
    if (fu_start() == 0) {
        UT_RUN(case_before);
        UT_RUN(case_fill);
        UT_RUN(case_full);
        UT_RUN(case_back);
    } else {
        printf("UTEST %s FAIL %s.start: %s\n", ut_nonce, PROG, ut_reason);
    }
    fu_stop();
    return ut_done();
}
