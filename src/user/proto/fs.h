/*
 * proto/fs.h - the filesystem protocol (fsd, registered as "FSD:").
 *
 * Each client has its own channel to fsd and its own descriptor table there
 * (descriptors are small integers valid only on the channel that opened
 * them).  A client first sends FS_ATTACH carrying one shared-memory handle,
 * its transfer buffer; after that every request is one fixed-size message,
 * and every byte of file data, every path and every directory listing moves
 * through that buffer at the offsets the request names.  fsd checks each
 * offset and length against the buffer's size and every descriptor against
 * the client's own table, and answers anything malformed with an error.
 *
 * Requests and replies pair up in order (the client uses chan_call).
 * Paths are UTF-8 without NUL, at most FS_PATH_MAX bytes, either Unix-style
 * (`/c/echo`, `notes/a.txt` relative to the client's current directory —
 * libc sends absolute paths) or with an assign (`SYS:c/echo`): fsd resolves
 * the assigns it knows (SYS:, the root) itself.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define FS_NAME        "FSD:"
#define FS_PATH_MAX    1024u
#define FS_NAME_MAX    255u       /* one path component */
#define FS_IO_MAX      (1u << 20) /* most bytes one READ/WRITE moves */

enum fs_op {
    FS_ATTACH = 1,   /* handle[0]: the transfer buffer (shm, READ|WRITE); reply value = its size */
    FS_OPEN,         /* path; flags FS_O_*; mode: permission bits for a new file -> value = fd */
    FS_CLOSE,        /* fd */
    FS_READ,         /* fd, len, buf_off: from the descriptor's offset, advancing it -> value = bytes */
    FS_WRITE,        /* fd, len, buf_off: at the offset (the end with FS_O_APPEND) -> value = bytes */
    FS_PREAD,        /* fd, len, buf_off, offset: leaves the descriptor's offset alone */
    FS_PWRITE,       /* fd, len, buf_off, offset */
    FS_SEEK,         /* fd, offset, whence FS_SEEK_* -> value = the new offset */
    FS_TRUNCATE,     /* fd, offset = the new size */
    FS_FSTAT,        /* fd -> stat */
    FS_STAT,         /* path (symlinks followed) -> stat */
    FS_LSTAT,        /* path (a final symlink not followed) -> stat */
    FS_UNLINK,       /* path: a file or symlink */
    FS_RENAME,       /* path -> path2, atomically replacing an existing path2 of the same kind */
    FS_MKDIR,        /* path, mode */
    FS_RMDIR,        /* path: an empty directory */
    FS_READDIR,      /* fd of a directory, len, buf_off: packed fs_dirent records from the
                        descriptor's position -> value = bytes used (0 at the end) */
    FS_SYMLINK,      /* path2 = the new link's name, path = its target */
    FS_READLINK,     /* path, len, buf_off -> value = the target's length (not NUL-terminated) */
    FS_FSYNC,        /* fd: its data and metadata on disk (journal committed) before the reply */
    FS_STATFS,       /* -> statfs */
    FS_SYNC,         /* everything on disk before the reply */
};

/* FS_OPEN flags (the values of the usual O_* names in <fcntl.h>). */
#define FS_O_RDONLY    0x0000u
#define FS_O_WRONLY    0x0001u
#define FS_O_RDWR      0x0002u
#define FS_O_ACCMODE   0x0003u
#define FS_O_CREAT     0x0040u
#define FS_O_EXCL      0x0080u
#define FS_O_TRUNC     0x0200u
#define FS_O_APPEND    0x0400u
#define FS_O_DIRECTORY 0x10000u   /* fail with NOT_A_DIR unless it is a directory */

#define FS_SEEK_SET 0u
#define FS_SEEK_CUR 1u
#define FS_SEEK_END 2u

/* File types in fs_stat.mode and fs_dirent.type (Unix values). */
#define FS_S_IFMT  0xf000u
#define FS_S_IFREG 0x8000u
#define FS_S_IFDIR 0x4000u
#define FS_S_IFLNK 0xa000u

/*
 * Errors: fsd answers with the VIPER_ERR_* codes of <viper/errors.h> and,
 * for what those cannot say, these (libc maps both to errno names).
 */
#define FS_ERR_EXISTS      -100   /* EEXIST */
#define FS_ERR_NOT_A_DIR   -101   /* ENOTDIR */
#define FS_ERR_IS_A_DIR    -102   /* EISDIR */
#define FS_ERR_NOT_EMPTY   -103   /* ENOTEMPTY */
#define FS_ERR_NO_SPACE    -104   /* ENOSPC */
#define FS_ERR_NAME_TOO_LONG -105 /* ENAMETOOLONG */
#define FS_ERR_BAD_FD      -106   /* EBADF */
#define FS_ERR_TOO_MANY_OPEN -107 /* EMFILE */
#define FS_ERR_LOOP        -108   /* ELOOP: too many symlinks */
#define FS_ERR_READ_ONLY   -109   /* EROFS: mounted read-only (e.g. after a failed replay) */
#define FS_ERR_CROSS_DIR   -110   /* EINVAL for rename: a directory into its own subtree */

struct fs_request {
    uint32_t op;         /* enum fs_op */
    uint32_t flags;      /* FS_OPEN: FS_O_*; FS_SEEK: whence */
    int32_t fd;
    uint32_t mode;       /* FS_OPEN, FS_MKDIR: permission bits */
    uint64_t offset;     /* FS_PREAD/PWRITE: file offset; FS_SEEK: signed; FS_TRUNCATE: size */
    uint64_t buf_off;    /* where in the transfer buffer the data or listing goes */
    uint32_t len;        /* bytes of data or of listing room */
    uint32_t path_len;   /* path at path_off in the buffer (0: none) */
    uint64_t path_off;
    uint32_t path2_len;  /* FS_RENAME, FS_SYMLINK: the second path */
    uint32_t reserved;
    uint64_t path2_off;
};

struct fs_stat {
    uint64_t ino;
    uint32_t mode;       /* FS_S_IF* | permission bits */
    uint32_t nlink;
    uint64_t size;
    uint64_t blocks;     /* 4 KiB blocks allocated, indirect blocks included */
    uint64_t atime_ns, mtime_ns, ctime_ns;   /* since 1970 */
};

struct fs_statfs {
    uint64_t block_size;
    uint64_t blocks, free_blocks;
    uint64_t inodes, free_inodes;
    uint32_t name_max;
    uint32_t read_only;
};

struct fs_reply {
    int32_t status;      /* VIPER_OK, a VIPER_ERR_* or an FS_ERR_* */
    uint32_t reserved;
    uint64_t value;      /* the result named by the op */
    union {
        struct fs_stat stat;
        struct fs_statfs statfs;
    };
};

/*
 * A reply is its first FS_REPLY_HEAD bytes (status, value), and the whole struct only for the
 * ops that fill the union: fewer bytes for the kernel to copy twice on every read and write.
 */
#define FS_REPLY_HEAD 16u
_Static_assert(FS_REPLY_HEAD == __builtin_offsetof(struct fs_reply, stat), "the head is status, value");

static inline uint32_t fs_reply_len(uint32_t op)
{
    bool full = op == FS_FSTAT || op == FS_STAT || op == FS_LSTAT || op == FS_STATFS;
    return full ? (uint32_t)sizeof(struct fs_reply) : FS_REPLY_HEAD;
}

/* FS_READDIR records, 8-byte aligned, packed one after the other. */
struct fs_dirent {
    uint64_t ino;
    uint16_t rec_len;    /* this record's size, a multiple of 8 */
    uint8_t type;        /* FS_S_IF* >> 12 */
    uint8_t name_len;
    char name[];         /* name_len bytes, then NUL padding to rec_len */
};
