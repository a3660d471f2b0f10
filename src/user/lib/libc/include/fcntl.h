/*
 * fcntl.h - ViperOS libc: open() and its flags (the values fsd's protocol
 * uses, proto/fs.h, which are Linux's).
 */
#pragma once
#include <sys/types.h>

#define O_RDONLY    0x0000
#define O_WRONLY    0x0001
#define O_RDWR      0x0002
#define O_ACCMODE   0x0003
#define O_CREAT     0x0040
#define O_EXCL      0x0080
#define O_TRUNC     0x0200
#define O_APPEND    0x0400
#define O_DIRECTORY 0x10000

/* mode is read only with O_CREAT. -1 and errno on failure. */
int open(const char *path, int flags, ...);
int creat(const char *path, mode_t mode);
