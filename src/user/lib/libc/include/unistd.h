/*
 * unistd.h - ViperOS libc: descriptors and paths.
 *
 * Descriptors 0, 1 and 2 are the console (stdin, stdout, stderr); the rest
 * name files and directories open in fsd.  Paths are Unix-style (relative to
 * the current directory, kept by libc) or start with an assign (`SYS:c`).
 * Every call returns -1 and sets errno on failure.
 */
#pragma once
#include <sys/types.h>

#define STDIN_FILENO  0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

ssize_t read(int fd, void *buf, size_t len);
ssize_t write(int fd, const void *buf, size_t len);
ssize_t pread(int fd, void *buf, size_t len, off_t offset);
ssize_t pwrite(int fd, const void *buf, size_t len, off_t offset);
off_t lseek(int fd, off_t offset, int whence);
int close(int fd);
int fsync(int fd);
int ftruncate(int fd, off_t size);
int unlink(const char *path);
int rmdir(const char *path);
int symlink(const char *target, const char *path);
ssize_t readlink(const char *path, char *buf, size_t len);
int chdir(const char *path);
char *getcwd(char *buf, size_t size);
int isatty(int fd);
