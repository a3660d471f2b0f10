/*
 * tools/viperfs/fsck_main.c - fsck.viperfs: check and repair a ViperFS image.
 *
 *   fsck.viperfs [-n] [-f] [-p|-y] IMG
 *
 * -n checks only (nothing is written); otherwise every repair is made
 * (-p and -y are accepted for e2fsck habits and change nothing).  The check
 * is always complete (-f is accepted too).  Exit codes as e2fsck: 0 clean,
 * 1 errors repaired, 4 errors left, 8 operational error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <viper/errors.h>

#include "fsck.h"

int main(int argc, char **argv)
{
    bool repair = true;
    int c;
    while ((c = getopt(argc, argv, "nfpy")) != -1) {
        if (c == 'n')
            repair = false;
        else if (c == '?') {
            fprintf(stderr, "usage: fsck.viperfs [-n] [-f] [-p|-y] IMG\n");
            return FSCK_OPERATIONAL;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: fsck.viperfs [-n] [-f] [-p|-y] IMG\n");
        return FSCK_OPERATIONAL;
    }
    struct image im;
    if (image_load(&im, argv[optind]) != VIPER_OK)
        return FSCK_OPERATIONAL;
    int rc = fsck_image(&im, repair, stdout);
    if (repair && rc != FSCK_OPERATIONAL && image_save(&im, argv[optind], false) != VIPER_OK)
        rc = FSCK_OPERATIONAL;
    image_free(&im);
    return rc;
}
