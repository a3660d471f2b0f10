/*
 * errno.h - ViperOS libc: error numbers with the standard names (Linux's
 * values, so ported code and its messages read as expected).
 *
 * System calls and servers answer with VIPER_ERR_* (and fsd with FS_ERR_*)
 * codes; libc functions that fail set errno from them (errno_from_status)
 * and return -1 or NULL.  One errno per process: like the rest of stdio,
 * libc's file layer is for one thread at a time.
 */
#pragma once

extern int errno;

#define EPERM         1
#define ENOENT        2
#define EINTR         4
#define EIO           5
#define ENXIO         6
#define E2BIG         7
#define ENOEXEC       8
#define EBADF         9
#define ECHILD       10
#define EAGAIN       11
#define ENOMEM       12
#define EACCES       13
#define EFAULT       14
#define EBUSY        16
#define EEXIST       17
#define EXDEV        18
#define ENODEV       19
#define ENOTDIR      20
#define EISDIR       21
#define EINVAL       22
#define ENFILE       23
#define EMFILE       24
#define ENOTTY       25
#define EFBIG        27
#define ENOSPC       28
#define ESPIPE       29
#define EROFS        30
#define EMLINK       31
#define EPIPE        32
#define ERANGE       34
#define ENAMETOOLONG 36
#define ENOSYS       38
#define ENOTEMPTY    39
#define ELOOP        40
#define ETIMEDOUT   110
#define ECONNRESET  104

/* The errno for a VIPER_ERR_* or FS_ERR_* status (EIO for one it does not know). */
int errno_from_status(long status);

/* Set errno from status and return -1: `return set_errno(rc);` */
int set_errno(long status);
