/*
 * tools/viperfs/image.c - in-memory images and their block device.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <viper/errors.h>

#include "image.h"

static int mem_read(void *ctx, uint32_t blockno, union viperfs_block *out)
{
    struct image *im = ctx;
    if (blockno >= im->nblocks) {
        im->bad_requests++;
        return VIPER_ERR_OUT_OF_RANGE;
    }
    memcpy(out, &im->blocks[blockno], sizeof(*out));
    return VIPER_OK;
}

static int mem_write(void *ctx, uint32_t blockno, const union viperfs_block *in)
{
    struct image *im = ctx;
    if (blockno >= im->nblocks) {
        im->bad_requests++;
        return VIPER_ERR_OUT_OF_RANGE;
    }
    memcpy(&im->blocks[blockno], in, sizeof(*in));
    im->dirty[blockno] = 1;
    return VIPER_OK;
}

static int mem_flush(void *ctx)
{
    (void)ctx;
    return VIPER_OK;
}

int image_create(struct image *im, uint32_t nblocks)
{
    memset(im, 0, sizeof(*im));
    im->blocks = calloc(nblocks ? nblocks : 1, sizeof(union viperfs_block));
    im->dirty = calloc(nblocks ? nblocks : 1, 1);
    if (!im->blocks || !im->dirty) {
        image_free(im);
        return VIPER_ERR_NO_MEMORY;
    }
    im->nblocks = nblocks;
    im->dev = (struct viperfs_dev){ im, nblocks, mem_read, mem_write, mem_flush };
    return VIPER_OK;
}

int image_from_bytes(struct image *im, const void *bytes, size_t len)
{
    if (len % VIPERFS_BLOCK_SIZE || len / VIPERFS_BLOCK_SIZE > UINT32_MAX)
        return VIPER_ERR_INVALID;
    int rc = image_create(im, (uint32_t)(len / VIPERFS_BLOCK_SIZE));
    if (rc == VIPER_OK)
        memcpy(im->blocks, bytes, len);
    return rc;
}

int image_load(struct image *im, const char *path)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return VIPER_ERR_IO;
    }
    uint64_t n = (uint64_t)st.st_size / VIPERFS_BLOCK_SIZE;
    int rc = n > UINT32_MAX ? VIPER_ERR_LIMIT : image_create(im, (uint32_t)n);
    size_t want = (size_t)n * VIPERFS_BLOCK_SIZE, done = 0;
    while (rc == VIPER_OK && done < want) {
        ssize_t r = read(fd, (uint8_t *)im->blocks + done, want - done);
        if (r <= 0) {
            fprintf(stderr, "%s: short read\n", path);
            image_free(im);
            rc = VIPER_ERR_IO;
        }
        done += r > 0 ? (size_t)r : 0;
    }
    close(fd);
    return rc;
}

int image_save(struct image *im, const char *path, bool all)
{
    int fd = open(path, all ? O_WRONLY | O_CREAT | O_TRUNC : O_WRONLY, 0644);
    if (fd < 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return VIPER_ERR_IO;
    }
    for (uint32_t b = 0; b < im->nblocks; b++) {
        if (!all && !im->dirty[b])
            continue;
        if (pwrite(fd, &im->blocks[b], VIPERFS_BLOCK_SIZE, (off_t)b * VIPERFS_BLOCK_SIZE) !=
            VIPERFS_BLOCK_SIZE) {
            fprintf(stderr, "%s: write failed: %s\n", path, strerror(errno));
            close(fd);
            return VIPER_ERR_IO;
        }
    }
    int rc = fsync(fd) == 0 ? VIPER_OK : VIPER_ERR_IO;
    close(fd);
    return rc;
}

void image_free(struct image *im)
{
    free(im->blocks);
    free(im->dirty);
    im->blocks = NULL;
    im->dirty = NULL;
    im->nblocks = 0;
}
