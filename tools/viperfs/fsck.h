/*
 * tools/viperfs/fsck.h - check and repair a ViperFS image in memory.
 */
#pragma once
#include <stdbool.h>
#include <stdio.h>

#include "image.h"

/* e2fsck's exit codes */
#define FSCK_CLEAN      0   /* no errors */
#define FSCK_REPAIRED   1   /* errors were found and repaired (or the journal was replayed) */
#define FSCK_UNCORRECTED 4  /* errors left */
#define FSCK_OPERATIONAL 8  /* could not check: no usable superblock, out of memory, I/O */

/* Check im; repairs are made in memory (marking blocks dirty) and counted as
 * repaired only when repair is set (the caller then writes the image back).
 * Messages go to log (may be NULL).  Returns one of the codes above. */
int fsck_image(struct image *im, bool repair, FILE *log);
