/*
 * lib/cpio.h - a read-only, bounds-checked reader for "newc" cpio archives.
 *
 * The boot filesystem (the initrd QEMU loads beside the kernel) is a cpio
 * archive in the SVR4 "newc" format (magic "070701"), as written by
 * `cpio -o -H newc`.  Each member is a 110-byte ASCII header (13 fields of
 * 8 hex digits), the NUL-terminated name padded to 4 bytes, then the data
 * padded to 4 bytes; the member named "TRAILER!!!" ends the archive.  Every
 * field is checked against the archive length, so a malformed archive yields
 * VIPER_ERR_BAD_FORMAT, never a read outside it.  Pure C, no allocation:
 * results point into the archive.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define CPIO_HEADER_SIZE 110

/* File type bits of cpio_file.mode (the st_mode values). */
#define CPIO_MODE_TYPE 0170000u
#define CPIO_MODE_REG  0100000u
#define CPIO_MODE_DIR  0040000u

struct cpio_file {
    const char *name;   /* NUL-terminated, as stored ("init", "./init", "tests/x") */
    const void *data;   /* size bytes inside the archive */
    size_t size;
    uint32_t mode;      /* type (CPIO_MODE_*) and permission bits */
};

/*
 * The member at *cursor (start with 0); on VIPER_OK fills out and advances
 * *cursor to the next member.  Returns VIPER_ERR_NOT_FOUND at the trailer
 * (and *cursor stays on it), VIPER_ERR_BAD_FORMAT for a malformed member or
 * an archive that ends before its trailer.
 */
int cpio_next(const void *archive, size_t len, size_t *cursor, struct cpio_file *out);

/*
 * Find the member named path.  A leading "./" or "/" on either the path or a
 * stored name is ignored, so "/init", "init" and "./init" all match "./init".
 * Returns VIPER_OK, VIPER_ERR_NOT_FOUND, or VIPER_ERR_BAD_FORMAT if the archive
 * is malformed before the member is reached.
 */
int cpio_find(const void *archive, size_t len, const char *path, struct cpio_file *out);
