/*
 * dirent.h - ViperOS libc: reading directories.
 */
#pragma once
#include <sys/types.h>

#define DT_UNKNOWN 0
#define DT_DIR     4
#define DT_REG     8
#define DT_LNK     10

struct dirent {
    ino_t d_ino;
    unsigned char d_type;   /* DT_* */
    char d_name[256];
};

typedef struct viper_dir DIR;

DIR *opendir(const char *path);
struct dirent *readdir(DIR *d);   /* NULL at the end (errno unchanged) or on error (errno set) */
int closedir(DIR *d);
