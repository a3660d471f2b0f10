/*
 * tools/viperfs/image.h - a whole ViperFS image in host memory.
 *
 * The host tools load an image file into memory, work on it through the
 * same struct viperfs_dev that fsd uses over blkd, and write back only the
 * blocks they changed.  Images are tens of MiB, so this is the simplest
 * correct thing, and it lets `fsck -n` replay the journal without writing.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <viperfs/viperfs.h>

struct image {
    union viperfs_block *blocks;
    uint32_t nblocks;
    uint8_t *dirty;             /* per block: written since load */
    uint32_t bad_requests;      /* reads or writes past the end: a bug in the caller */
    struct viperfs_dev dev;
};

/* An all-zero image of nblocks blocks. */
int image_create(struct image *im, uint32_t nblocks);
/* Take ownership of a copy of len bytes (len a multiple of 4096). */
int image_from_bytes(struct image *im, const void *bytes, size_t len);
int image_load(struct image *im, const char *path);
/* Write the dirty blocks back (all blocks when all is set). */
int image_save(struct image *im, const char *path, bool all);
void image_free(struct image *im);
