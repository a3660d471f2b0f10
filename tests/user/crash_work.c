/*
 * crash_work.c - the metadata-heavy workload of the crash test
 * (grade/tests_crash.py): the grader kills QEMU at a random moment while
 * this runs, then checks the image (docs/crash.md).
 *
 * Everything it does comes from a generator seeded by the nonce, so a
 * failing iteration can be replayed.  In a loop, in /w/d0 .. /w/d5:
 *
 *   replace  write a temporary file, fsync it, rename it over a tracked path
 *   append   append to a tracked file in place (one request), fsync
 *   remove   unlink a tracked file, fsync
 *   move     rename a tracked file to another tracked path (maybe over a file)
 *   churn    mkdir, create empty files (sometimes hundreds: several directory blocks),
 *            unlink them, rmdir (untracked)
 *
 * Before an operation that changes a tracked path it prints an intent line,
 * after the operation and the fsync that makes it durable a completion line
 * (one line each, so a line the kill cut off is simply missing):
 *
 *   CRASH <nonce> replacing <path> <size> <crc>   ...   CRASH <nonce> fsynced <path> <size> <crc>
 *   CRASH <nonce> appending <path> <size> <crc>   ...   CRASH <nonce> fsynced <path> <size> <crc>
 *   CRASH <nonce> removing <path>                 ...   CRASH <nonce> removed <path>
 *   CRASH <nonce> moving <from> <to>              ...   CRASH <nonce> moved <from> <to>
 *
 * size and crc (CRC-32, zlib's) are the whole file's after the operation.
 * The grader derives what each path may hold after the crash: the state the
 * completed lines say, or for the one operation in flight, its before or
 * its after state and nothing else (a rename is atomic: never missing,
 * never mixed).  Any failed call ends the run with a FAIL line.
 */
#include "files_util.h"

#include <stdarg.h>

#define PROG "crash_work"
#define DIRS 6
#define NAMES 8
#define MAX_OPS 20000
#define BIG 140000u                 /* past the 12 direct blocks */

static uint8_t buf[BIG];
static uint64_t rng;
static struct tracked {
    bool exists;
    uint64_t size;
    uint32_t crc;
} files[DIRS][NAMES];
static bool dir_made[DIRS];
static int ops;

static uint64_t rnd(uint64_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng % n;
}

static void mark(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mark(const char *fmt, ...)
{
    va_list ap;
    printf("CRASH %s ", ut_nonce);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* A failed call: say which, and stop (the grader reports the FAIL line). */
#define MUST(call)                                                                     \
    do {                                                                               \
        if ((call) < 0) {                                                              \
            printf("UTEST %s FAIL %s.run: op %d: %s: errno %d\n", ut_nonce, PROG, ops, \
                   #call, errno);                                                      \
            return -1;                                                                 \
        }                                                                              \
    } while (0)

static void path_of(int d, int n, char *out, size_t size)
{
    snprintf(out, size, "/w/d%d/f%d", d, n);
}

static int sync_dir(int d)
{
    char path[32];
    snprintf(path, sizeof path, "/w/d%d", d);
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    MUST(fd);
    MUST(fsync(fd));
    MUST(close(fd));
    return 0;
}

static int ensure_dir(int d)
{
    char path[32];
    if (dir_made[d])
        return 0;
    snprintf(path, sizeof path, "/w/d%d", d);
    MUST(mkdir(path, 0755));
    dir_made[d] = true;
    return 0;
}

/* Content of a random size (usually small, sometimes past the direct blocks). */
static size_t make_content(uint32_t *crc)
{
    size_t n = rnd(4) ? rnd(9000) : rnd(BIG);
    fu_fill(rng, 0, buf, n);
    *crc = fu_crc32(0, buf, n);
    return n;
}

static int op_replace(int d, int n)
{
    char path[32], tmp[32];
    uint32_t crc;
    size_t size = make_content(&crc);
    path_of(d, n, path, sizeof path);
    snprintf(tmp, sizeof tmp, "/w/d%d/.tmp%d", d, n);
    MUST(ensure_dir(d));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    MUST(fd);
    MUST(fu_write_all(fd, buf, size));
    MUST(fsync(fd));
    mark("replacing %s %zu %08x", path, size, (unsigned)crc);
    MUST(rename(tmp, path));
    MUST(fsync(fd));
    MUST(close(fd));
    mark("fsynced %s %zu %08x", path, size, (unsigned)crc);
    files[d][n] = (struct tracked){ true, size, crc };
    return 0;
}

static int op_append(int d, int n)
{
    char path[32];
    struct tracked *t = &files[d][n];
    size_t add = 1 + rnd(rnd(3) ? 3000 : 30000);
    fu_fill(rng, t->size, buf, add);
    uint32_t crc = fu_crc32(t->crc, buf, add);
    path_of(d, n, path, sizeof path);
    int fd = open(path, O_WRONLY | O_APPEND);
    MUST(fd);
    mark("appending %s %llu %08x", path, (unsigned long long)(t->size + add), (unsigned)crc);
    MUST(fu_write_all(fd, buf, add));
    MUST(fsync(fd));
    MUST(close(fd));
    t->size += add;
    t->crc = crc;
    mark("fsynced %s %llu %08x", path, (unsigned long long)t->size, (unsigned)crc);
    return 0;
}

static int op_remove(int d, int n)
{
    char path[32];
    path_of(d, n, path, sizeof path);
    mark("removing %s", path);
    MUST(unlink(path));
    MUST(sync_dir(d));
    files[d][n].exists = false;
    mark("removed %s", path);
    return 0;
}

static int op_move(int d, int n, int d2, int n2)
{
    char from[32], to[32];
    path_of(d, n, from, sizeof from);
    path_of(d2, n2, to, sizeof to);
    MUST(ensure_dir(d2));
    mark("moving %s %s", from, to);
    MUST(rename(from, to));
    MUST(sync_dir(d2));
    files[d2][n2] = files[d][n];
    files[d][n].exists = false;
    mark("moved %s %s", from, to);
    return 0;
}

/* Untracked metadata work: a directory with empty files, made and taken apart; one time in
 * eight with enough long names to take several directory blocks. */
static int op_churn(int d)
{
    char sub[32], name[96];
    int k = 1 + (int)rnd(rnd(8) ? 5 : 120);
    MUST(ensure_dir(d));
    snprintf(sub, sizeof sub, "/w/d%d/sub%d", d, ops);
    MUST(mkdir(sub, 0755));
    for (int i = 0; i < k; i++) {
        snprintf(name, sizeof name, "%s/entry-%d-with-a-name-long-enough-to-fill-blocks", sub, i);
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0600);
        MUST(fd);
        MUST(close(fd));
    }
    for (int i = 0; i < k; i++) {
        snprintf(name, sizeof name, "%s/entry-%d-with-a-name-long-enough-to-fill-blocks", sub, i);
        MUST(unlink(name));
    }
    MUST(rmdir(sub));
    return 0;
}

static int step(void)
{
    int d = (int)rnd(DIRS), n = (int)rnd(NAMES), r = (int)rnd(100);
    if (r < 40 || (!files[d][n].exists && r < 80))
        return op_replace(d, n);
    if (r < 55)
        return op_append(d, n);
    if (r < 65)
        return op_remove(d, n);
    int d2 = (int)rnd(DIRS), n2 = (int)rnd(NAMES);
    if (r < 80 && (d2 != d || n2 != n))
        return op_move(d, n, d2, n2);
    return op_churn(d);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    rng = fu_fnv(ut_nonce) | 1;
    if (fu_start() != 0) {
        printf("UTEST %s FAIL %s.start: %s\n", ut_nonce, PROG, ut_reason);
        return ut_done();
    }
    if (mkdir("/w", 0755) < 0) {
        printf("UTEST %s FAIL %s.start: mkdir /w: errno %d\n", ut_nonce, PROG, errno);
        return ut_done();
    }
    mark("begin");
    for (ops = 0; ops < MAX_OPS; ops++) {
        if (step() != 0)
            return 1;
    }
    mark("done %d", ops);
    fu_stop();
    return 0;
}
