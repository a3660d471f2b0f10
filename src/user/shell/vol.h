/*
 * shell/vol.h - the two volumes file commands work on.
 *
 * A resolved path (path.h) says which: "tests/x" is on the boot filesystem
 * (read-only, read in place through libbootfs), "/x" on the disk fsd serves
 * (through libc's file API, which talks to FSD:).  Every call returns NULL
 * on success or why it failed, in words ("object not found").
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vol_entry {
    bool dir;
    uint64_t size;
    const void *data;   /* a boot-filesystem file's bytes; NULL on the disk */
};

typedef int (*vol_list_fn)(void *ctx, const char *name, size_t namelen, const struct vol_entry *e);

const char *vol_stat(const char *path, struct vol_entry *e);

/* Call fn for each entry of directory dir (stops when it returns non-zero). */
const char *vol_list(const char *dir, bool sizes, vol_list_fn fn, void *ctx);

/* Pass a file's bytes, in pieces, to sink. */
const char *vol_read(const char *path, void (*sink)(const void *p, size_t n));

/* Copy file from to file (or into directory) to; the rest change the disk only. */
const char *vol_copy(const char *from, const char *to);
const char *vol_delete(const char *path);
const char *vol_makedir(const char *path);
const char *vol_rename(const char *from, const char *to);
