/*
 * sys/stat.h - ViperOS libc: file status and mkdir.
 */
#pragma once
#include <sys/types.h>

#define S_IFMT   0xf000
#define S_IFREG  0x8000
#define S_IFDIR  0x4000
#define S_IFLNK  0xa000
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)

struct timespec {
    time_t tv_sec;
    long tv_nsec;
};

struct stat {
    ino_t st_ino;
    mode_t st_mode;
    uint32_t st_nlink;
    off_t st_size;
    int64_t st_blocks;           /* 512-byte units, as POSIX counts them */
    int64_t st_blksize;
    struct timespec st_atim, st_mtim, st_ctim;
};

int stat(const char *path, struct stat *st);
int lstat(const char *path, struct stat *st);
int fstat(int fd, struct stat *st);
int mkdir(const char *path, mode_t mode);

struct statfs {
    uint64_t f_bsize;
    uint64_t f_blocks, f_bfree;
    uint64_t f_files, f_ffree;
    uint32_t f_namelen;
    uint32_t f_readonly;
};

/* The filesystem holding path (there is one: fsd's). */
int statfs(const char *path, struct statfs *out);
