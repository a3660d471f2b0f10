/*
 * tools/viperfs/mkfs.h - build a ViperFS image in memory.
 *
 * mkfs_init lays the filesystem out over an image (root directory and
 * /lost+found included); mkfs_mkdir/mkfs_file/mkfs_symlink/mkfs_tree add
 * to it; mkfs_finish writes the bitmaps, seals every checksum and writes
 * the superblock and its backup.  Used by mkfs.viperfs and by the tests.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "image.h"

struct mkfs {
    struct image *im;
    struct viperfs_super sb;
    uint8_t *bused, *iused;     /* per block / per inode: taken */
    uint32_t *kind, *owner;     /* per block: header magic and tag to seal at the end */
    uint32_t next_block, next_ino;
    uint64_t now;
};

int mkfs_init(struct mkfs *m, struct image *im, const char *label, uint64_t now);
int mkfs_mkdir(struct mkfs *m, uint32_t parent, const char *name, uint16_t perm, uint32_t *ino);
int mkfs_file(struct mkfs *m, uint32_t parent, const char *name, uint16_t perm, const void *data,
              size_t len, uint32_t *ino);
int mkfs_symlink(struct mkfs *m, uint32_t parent, const char *name, const char *target,
                 uint32_t *ino);
/* Copy the host directory tree at path into directory parent (sorted, so reproducible). */
int mkfs_tree(struct mkfs *m, uint32_t parent, const char *path);
int mkfs_finish(struct mkfs *m);
void mkfs_free(struct mkfs *m);
/* The inode slot of ino in the image (no checks: the builder made it). */
struct viperfs_inode *mkfs_inode(struct mkfs *m, uint32_t ino);
