/*
 * crash_ordered.c - ordered data under power cuts (grade/tests_crash.py,
 * crash_ordered).  docs/viperfs.md promises that file data reaches the disk
 * before the transaction that makes it reachable commits, so after a crash
 * a file may miss its last writes but never shows blocks it was not given.
 *
 * We write /f (A bytes, fsync), then append B bytes (one request: one
 * transaction) and fsync, printing the size and CRC-32 after each; then
 * wait to be killed.  The grader rebuilds the disk at every flush of the
 * write log with the journal's writes kept and the other unflushed writes
 * lost, and /f must be absent, empty, the first version or the second.
 */
#include "files_util.h"

#define PROG "crash_ordered"
#define SIZE_A 20000u
#define SIZE_B 30000u

static uint8_t buf[SIZE_A + SIZE_B];

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    if (fu_start() != 0) {
        printf("UTEST %s FAIL %s.start: %s\n", ut_nonce, PROG, ut_reason);
        return ut_done();
    }
    fu_fill(fu_fnv(ut_nonce), 0, buf, sizeof buf);
    int fd = open("/f", O_WRONLY | O_CREAT | O_EXCL, 0644);
    int ok = fd >= 0 && fu_write_all(fd, buf, SIZE_A) == 0 && fsync(fd) == 0;
    if (ok)
        printf("CRASH %s version %u %08x\n", ut_nonce, SIZE_A,
               (unsigned)fu_crc32(0, buf, SIZE_A));
    ok = ok && fu_write_all(fd, buf + SIZE_A, SIZE_B) == 0 && fsync(fd) == 0;
    if (!ok) {
        printf("UTEST %s FAIL %s.run: errno %d\n", ut_nonce, PROG, errno);
        return ut_done();
    }
    printf("CRASH %s version %u %08x\n", ut_nonce, SIZE_A + SIZE_B,
           (unsigned)fu_crc32(0, buf, SIZE_A + SIZE_B));
    printf("CRASH %s written\n", ut_nonce);
    fflush(stdout);
    for (;;)
        viper_sleep_ns(FU_SEC);
}
