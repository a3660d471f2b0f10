/*
 * crash_orphan.c - a crash while a file that lost its last name is still
 * open (grade/tests_crash.py, crash_orphan).
 *
 * POSIX lets a program unlink a file it has open and go on using it; the
 * file's space is freed at the last close.  If the machine dies before
 * that close, the inode is on the disk with no name.  After the crash the
 * filesystem must still come out clean: the inode and its blocks are freed
 * at the next mount (as ext3/ext4 do with their orphan list), or the unlink
 * itself must leave nothing that fsck calls a problem.
 *
 * We make such a file (written, unlinked, the unlink fsync'd), print
 * `CRASH <nonce> orphan-ready`, and wait for the grader to kill QEMU.
 */
#include "files_util.h"

#define PROG "crash_orphan"
#define SIZE 300000u

static uint8_t buf[SIZE];

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    if (fu_start() != 0) {
        printf("UTEST %s FAIL %s.start: %s\n", ut_nonce, PROG, ut_reason);
        return ut_done();
    }
    fu_fill(fu_fnv(ut_nonce), 0, buf, SIZE);
    int fd = open("/orphan", O_RDWR | O_CREAT | O_EXCL, 0644);
    int ok = fd >= 0 && fu_write_all(fd, buf, SIZE) == 0 && fsync(fd) == 0 &&
             unlink("/orphan") == 0 && fsync(fd) == 0 &&
             pwrite(fd, buf, 4096, SIZE) == 4096 && fsync(fd) == 0;
    if (!ok) {
        printf("UTEST %s FAIL %s.run: errno %d\n", ut_nonce, PROG, errno);
        return ut_done();
    }
    struct statfs sf;
    statfs("/", &sf);
    printf("CRASH %s orphan-ready free %llu\n", ut_nonce, (unsigned long long)sf.f_bfree);
    fflush(stdout);
    for (;;)
        viper_sleep_ns(FU_SEC);
}
