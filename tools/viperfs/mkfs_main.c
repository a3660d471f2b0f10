/*
 * tools/viperfs/mkfs_main.c - mkfs.viperfs: make a ViperFS image from a directory tree.
 *
 *   mkfs.viperfs [-q] [-s SIZE] [-L LABEL] [-d DIR] [-t SECONDS] IMG
 *
 * SIZE is bytes with an optional K, M or G suffix (default 32M).  Times are
 * -t, else $SOURCE_DATE_EPOCH, else now: the build passes a fixed time so
 * the same tree gives the same image.  -q: no summary line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <viper/errors.h>

#include "mkfs.h"

static uint64_t parse_size(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    switch (*end) {
    case 'G': case 'g': v <<= 30; break;
    case 'M': case 'm': v <<= 20; break;
    case 'K': case 'k': v <<= 10; break;
    case '\0': break;
    default: return 0;
    }
    return v;
}

static void usage(void)
{
    fprintf(stderr, "usage: mkfs.viperfs [-q] [-s SIZE] [-L LABEL] [-d DIR] [-t SECONDS] IMG\n");
    exit(8);
}

int main(int argc, char **argv)
{
    uint64_t size = 32ull << 20;
    const char *label = "", *dir = NULL, *epoch = getenv("SOURCE_DATE_EPOCH");
    int c;
    bool quiet = false;
    while ((c = getopt(argc, argv, "qs:L:d:t:")) != -1) {
        switch (c) {
        case 'q': quiet = true; break;
        case 's': size = parse_size(optarg); break;
        case 'L': label = optarg; break;
        case 'd': dir = optarg; break;
        case 't': epoch = optarg; break;
        default: usage();
        }
    }
    if (optind != argc - 1 || size / VIPERFS_BLOCK_SIZE < 64 ||
        size / VIPERFS_BLOCK_SIZE > UINT32_MAX) {
        if (optind == argc - 1)
            fprintf(stderr, "mkfs.viperfs: size must be 256K..16T\n");
        usage();
    }
    uint64_t now = (epoch ? strtoull(epoch, NULL, 10) : (uint64_t)time(NULL)) * 1000000000ull;
    struct image im;
    struct mkfs m;
    int rc = image_create(&im, (uint32_t)(size / VIPERFS_BLOCK_SIZE));
    if (rc == VIPER_OK)
        rc = mkfs_init(&m, &im, label, now);
    if (rc == VIPER_OK && dir)
        rc = mkfs_tree(&m, VIPERFS_ROOT_INO, dir);
    if (rc == VIPER_OK)
        rc = mkfs_finish(&m);
    if (rc == VIPER_OK)
        rc = image_save(&im, argv[optind], true);
    if (rc != VIPER_OK) {
        fprintf(stderr, "mkfs.viperfs: %s: failed (%s)\n", argv[optind],
                rc == VIPER_ERR_NO_MEMORY ? "no space left in the image" : "see above");
        return 8;
    }
    if (!quiet)
        printf("mkfs.viperfs: %s: %u blocks, %u inodes, %u blocks free, %u inodes free\n",
               argv[optind], m.sb.block_count, m.sb.inode_count, m.sb.free_blocks, m.sb.free_inodes);
    mkfs_free(&m);
    image_free(&im);
    return 0;
}
