/*
 * bootfs/bootfs.h - reading the boot filesystem from user space.
 *
 * vinit gets the initrd (a newc cpio archive, as `cpio -o -H newc` writes
 * it) as read-only shared memory and hands read-only copies on; this reads
 * it in place: look a path up, list a directory, get a file's bytes.  Paths
 * are relative to the archive's root, "/" separated, with no "." or ".."
 * (callers resolve those); "" is the root.  Directories are the archive's
 * directory members, and also any directory implied by a member's name.
 * Every header field is checked against the archive's length, so a damaged
 * archive gives VIPER_ERR_BAD_FORMAT, never a read outside it.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bootfs {
    const uint8_t *base;
    size_t len;
};

#define BOOTFS_DIR  1u
#define BOOTFS_FILE 2u

struct bootfs_entry {
    const char *name;   /* the last path component (not NUL-terminated: namelen bytes) */
    size_t namelen;
    const void *data;   /* a file's bytes (NULL for a directory) */
    size_t size;
    uint32_t kind;      /* BOOTFS_DIR or BOOTFS_FILE */
};

/* Use the archive at base (at most len bytes; it ends at its trailer). */
void bootfs_open(struct bootfs *fs, const void *base, size_t len);

/*
 * How many bytes of a mapping of at most max bytes the archive really uses
 * (through its trailer), or 0 if it is not a well-formed archive.
 */
size_t bootfs_size(const void *base, size_t max);

/* Find path; VIPER_OK, VIPER_ERR_NOT_FOUND or VIPER_ERR_BAD_FORMAT. */
int bootfs_lookup(const struct bootfs *fs, const char *path, struct bootfs_entry *out);

/*
 * Call fn for each entry directly inside directory dir, in archive order,
 * each name once; stops early when fn returns non-zero.  VIPER_OK,
 * VIPER_ERR_NOT_FOUND (no such directory), VIPER_ERR_BAD_FORMAT.
 */
int bootfs_list(const struct bootfs *fs, const char *dir,
                int (*fn)(void *ctx, const struct bootfs_entry *e), void *ctx);

/*
 * Map the read-only shared-memory object shm (the boot filesystem handle)
 * and open it as fs.  VIPER_OK, a shm_map error, or VIPER_ERR_BAD_FORMAT.
 */
int bootfs_map(uint32_t shm, struct bootfs *fs);
