/*
 * tests/host/viperfs_util.h - sample ViperFS images for the host tests.
 *
 * sample_image() builds, in memory, a tree that touches every part of the
 * format: nested directories, a directory of many entries (several
 * directory blocks), small and large files (large enough to need the
 * single and, if the image is big enough, the double indirect block),
 * inline and block symlinks, and an empty file.  File bytes follow
 * pattern_byte() so a read can be checked without keeping a copy.
 */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <viper/errors.h>
#include <viperfs/viperfs.h>

#include "fsck.h"
#include "image.h"
#include "mkfs.h"

#define SAMPLE_MANY 100   /* files in /many */

struct sample {
    uint32_t dir_a, dir_b, small, big, many, link_short, link_long;
    size_t big_len;
};

static inline uint8_t pattern_byte(uint64_t i, uint32_t seed)
{
    return (uint8_t)((i * 31 + (i >> 12) * 7 + seed) & 0xff);
}

static inline uint8_t *pattern(size_t len, uint32_t seed)
{
    uint8_t *p = malloc(len ? len : 1);
    for (size_t i = 0; p && i < len; i++)
        p[i] = pattern_byte(i, seed);
    return p;
}

/* A sample filesystem on a fresh image of nblocks; big_blocks sizes /a/big. */
static inline int sample_image(struct image *im, uint32_t nblocks, size_t big_blocks,
                               struct sample *s)
{
    struct mkfs m;
    uint32_t ino;
    int rc = image_create(im, nblocks);
    if (rc == VIPER_OK)
        rc = mkfs_init(&m, im, "test", 1700000000ull * 1000000000ull);
    if (rc != VIPER_OK)
        return rc;
    s->big_len = big_blocks * VIPERFS_BLOCK_SIZE + 123;
    uint8_t *big = pattern(s->big_len, 7), *small = pattern(100, 1);
    rc = mkfs_mkdir(&m, VIPERFS_ROOT_INO, "a", 0755, &s->dir_a);
    if (rc == VIPER_OK)
        rc = mkfs_mkdir(&m, s->dir_a, "b", 0755, &s->dir_b);
    if (rc == VIPER_OK)
        rc = mkfs_file(&m, s->dir_b, "small.txt", 0644, small, 100, &s->small);
    if (rc == VIPER_OK)
        rc = mkfs_file(&m, s->dir_a, "big", 0600, big, s->big_len, &s->big);
    if (rc == VIPER_OK)
        rc = mkfs_file(&m, VIPERFS_ROOT_INO, "empty", 0644, "", 0, &ino);
    if (rc == VIPER_OK)
        rc = mkfs_symlink(&m, VIPERFS_ROOT_INO, "short", "/a/b/small.txt", &s->link_short);
    if (rc == VIPER_OK) {
        char target[200];
        memset(target, 0, sizeof(target));
        memcpy(target, "/a/b/", 5);
        memset(target + 5, '.', 2);   /* "/a/b/.." then "/./././..." up to 100 bytes */
        for (size_t i = 7; i + 2 <= 100; i += 2)
            memcpy(target + i, "/.", 2);
        strcat(target, "/b/small.txt");
        rc = mkfs_symlink(&m, VIPERFS_ROOT_INO, "long", target, &s->link_long);
    }
    if (rc == VIPER_OK)
        rc = mkfs_mkdir(&m, VIPERFS_ROOT_INO, "many", 0755, &s->many);
    for (int i = 0; rc == VIPER_OK && i < SAMPLE_MANY; i++) {
        char name[64];
        snprintf(name, sizeof(name), "file-with-a-longish-name-number-%03d", i);
        rc = mkfs_file(&m, s->many, name, 0644, name, strlen(name), &ino);
    }
    if (rc == VIPER_OK)
        rc = mkfs_finish(&m);
    mkfs_free(&m);
    free(big);
    free(small);
    return rc;
}

/* fsck a private copy of im (so the caller's image is untouched). */
static inline int fsck_copy(const struct image *im, bool repair, FILE *log)
{
    struct image c;
    if (image_from_bytes(&c, im->blocks, (size_t)im->nblocks * VIPERFS_BLOCK_SIZE) != VIPER_OK)
        return -1;
    int rc = fsck_image(&c, repair, log);
    image_free(&c);
    return rc;
}
