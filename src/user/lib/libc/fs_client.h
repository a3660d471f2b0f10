/*
 * fs_client.h - libc's connection to fsd (proto/fs.h), shared by file.c
 * and dir.c.
 *
 * The connection is made on first use: open "FSD:" through the registry
 * (startup handle 0), create the transfer buffer and hand it over with
 * FS_ATTACH.  If fsd goes away (a crash, a restart) the next call
 * reconnects; descriptors from the old connection are then stale and fail
 * with EBADF, while path calls simply go on.
 */
#pragma once
#include <proto/fs.h>
#include <stddef.h>
#include <stdint.h>

/* The read/write path, placed together (.text.hot, user.ld): fewer code pages per call. */
#define FS_HOT __attribute__((hot))
/* The variables it reads, together on the first data page (.data.hot, user.ld). */
#define FS_HOT_DATA __attribute__((section(".data.hot")))

#define FS_DATA_OFF  4096u   /* the two paths first, data from the next page: 4 KiB of it
                                is one page to touch, not two (each a TLB refill under QEMU) */
#define FS_DATA_MAX  (64u * 1024)            /* most data bytes per request */
#define FS_BUF_SIZE  (FS_DATA_OFF + FS_DATA_MAX)
_Static_assert(2 * FS_PATH_MAX <= FS_DATA_OFF, "the paths fit before the data");

/*
 * Send rq with up to two paths (NULL: none) and wait for the reply.
 * Returns rp->status, or a transport error (VIPER_ERR_*).  *conn is the
 * connection the call went over (descriptors are valid only on theirs).
 */
int fs_call(struct fs_request *rq, const char *path, const char *path2,
            struct fs_reply *rp, uint32_t *conn);

/* Is conn the live connection (so its transfer buffer is mapped)? */
int fs_live(uint32_t conn);

/* The transfer buffer's data area (valid once a call has connected). */
uint8_t *fs_data(void);

/* The absolute form of path (cwd applied, "." and ".." folded) in out; 0 or an FS_ERR_*. */
int fs_abspath(const char *path, char *out, size_t size);

/* Make abs (already absolute) the current directory; the cwd itself. */
int fs_chdir(const char *abs);
const char *fs_cwd(void);

/* file.c, for dir.c: the fsd descriptor and connection behind libc descriptor fd. */
int fs_fd_remote(int fd, int32_t *remote, uint32_t *conn);
