/*
 * errno.c - errno, the mapping from ViperOS status codes to errno values,
 * strerror and perror.
 */
#include <errno.h>
#include <proto/fs.h>
#include <stdio.h>
#include <string.h>
#include <viper/errors.h>

int errno;

static const struct {
    long status;
    int err;
} status_errno[] = {
    { VIPER_ERR_INVALID, EINVAL },      { VIPER_ERR_NO_MEMORY, ENOMEM },
    { VIPER_ERR_NOT_FOUND, ENOENT },    { VIPER_ERR_BAD_HANDLE, EBADF },
    { VIPER_ERR_ACCESS_DENIED, EACCES },{ VIPER_ERR_FAULT, EFAULT },
    { VIPER_ERR_WOULD_BLOCK, EAGAIN },  { VIPER_ERR_TIMED_OUT, ETIMEDOUT },
    { VIPER_ERR_PEER_CLOSED, EPIPE },   { VIPER_ERR_LIMIT, EMFILE },
    { VIPER_ERR_BAD_FORMAT, ENOEXEC },  { VIPER_ERR_NOT_SUPPORTED, ENOSYS },
    { VIPER_ERR_BUSY, EBUSY },          { VIPER_ERR_IO, EIO },
    { VIPER_ERR_OUT_OF_RANGE, EINVAL }, { VIPER_ERR_INTERRUPTED, EINTR },
    { FS_ERR_EXISTS, EEXIST },
    { FS_ERR_NOT_A_DIR, ENOTDIR },      { FS_ERR_IS_A_DIR, EISDIR },
    { FS_ERR_NOT_EMPTY, ENOTEMPTY },    { FS_ERR_NO_SPACE, ENOSPC },
    { FS_ERR_NAME_TOO_LONG, ENAMETOOLONG }, { FS_ERR_BAD_FD, EBADF },
    { FS_ERR_TOO_MANY_OPEN, EMFILE },   { FS_ERR_LOOP, ELOOP },
    { FS_ERR_READ_ONLY, EROFS },        { FS_ERR_CROSS_DIR, EINVAL },
};

int errno_from_status(long status)
{
    for (size_t i = 0; i < sizeof status_errno / sizeof status_errno[0]; i++)
        if (status_errno[i].status == status)
            return status_errno[i].err;
    return EIO;
}

int set_errno(long status)
{
    errno = errno_from_status(status);
    return -1;
}

static const struct {
    int err;
    const char *text;
} messages[] = {
    { 0, "Success" },
    { EPERM, "Operation not permitted" },   { ENOENT, "No such file or directory" },
    { EINTR, "Interrupted" },               { EIO, "Input/output error" },
    { ENXIO, "No such device or address" }, { E2BIG, "Argument list too long" },
    { ENOEXEC, "Exec format error" },       { EBADF, "Bad file descriptor" },
    { ECHILD, "No child processes" },       { EAGAIN, "Resource temporarily unavailable" },
    { ENOMEM, "Out of memory" },            { EACCES, "Permission denied" },
    { EFAULT, "Bad address" },              { EBUSY, "Device or resource busy" },
    { EEXIST, "File exists" },              { EXDEV, "Cross-device link" },
    { ENODEV, "No such device" },           { ENOTDIR, "Not a directory" },
    { EISDIR, "Is a directory" },           { EINVAL, "Invalid argument" },
    { ENFILE, "Too many open files in system" }, { EMFILE, "Too many open files" },
    { ENOTTY, "Not a terminal" },           { EFBIG, "File too large" },
    { ENOSPC, "No space left on device" },  { ESPIPE, "Illegal seek" },
    { EROFS, "Read-only file system" },     { EMLINK, "Too many links" },
    { EPIPE, "Broken pipe" },               { ERANGE, "Result out of range" },
    { ENAMETOOLONG, "File name too long" }, { ENOSYS, "Function not implemented" },
    { ENOTEMPTY, "Directory not empty" },   { ELOOP, "Too many levels of symbolic links" },
    { ETIMEDOUT, "Timed out" },             { ECONNRESET, "Connection reset" },
};

char *strerror(int err)
{
    for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++)
        if (messages[i].err == err)
            return (char *)messages[i].text;
    return (char *)"Unknown error";
}

void perror(const char *what)
{
    if (what && *what)
        fprintf(stderr, "%s: %s\n", what, strerror(errno));
    else
        fprintf(stderr, "%s\n", strerror(errno));
}
