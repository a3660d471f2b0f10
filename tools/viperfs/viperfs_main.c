/*
 * tools/viperfs/viperfs_main.c - read a ViperFS image on the host.
 *
 *   viperfs ls IMG [PATH]          list a directory (mode, links, size, name)
 *   viperfs tree IMG               every path, depth first
 *   viperfs cat IMG PATH           a file's contents to stdout
 *   viperfs extract IMG PATH DEST  copy a file or a whole tree out
 *   viperfs stat IMG PATH          inode number, mode, links, size and block pointers
 *
 * The image is loaded into memory and its journal replayed there (never
 * written back), so what you see is what fsd would mount.  Corruption gives
 * an error message and exit status 1, as fsd gives EIO.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <viper/errors.h>

#include "image.h"

struct entry {
    uint32_t ino;
    char name[VIPERFS_NAME_MAX + 1];
};

struct entries {
    struct entry *v;
    size_t n, cap;
};

static int collect(void *arg, const struct viperfs_dentry *e)
{
    struct entries *es = arg;
    if (es->n == es->cap) {
        es->cap = es->cap ? es->cap * 2 : 16;
        struct entry *v = realloc(es->v, es->cap * sizeof(*v));
        if (!v)
            return VIPER_ERR_NO_MEMORY;
        es->v = v;
    }
    es->v[es->n].ino = e->ino;
    memcpy(es->v[es->n].name, e->name, e->name_len);
    es->v[es->n].name[e->name_len] = '\0';
    es->n++;
    return 0;
}

/* The entries of directory ino (collected first: iterating uses fs's scratch space). */
static int list_dir(struct viperfs *fs, uint32_t ino, struct entries *es)
{
    struct viperfs_inode in;
    memset(es, 0, sizeof(*es));
    int rc = viperfs_read_inode(fs, ino, &in, NULL);
    return rc != VIPER_OK ? rc : viperfs_dir_iterate(fs, ino, &in, collect, es);
}

static char type_char(uint16_t mode)
{
    switch (mode & VIPERFS_S_IFMT) {
    case VIPERFS_S_IFDIR: return 'd';
    case VIPERFS_S_IFLNK: return 'l';
    default: return '-';
    }
}

static int cmd_ls(struct viperfs *fs, const char *path)
{
    uint32_t dir;
    struct entries es = { 0 };
    int rc = viperfs_namei(fs, path, true, &dir);
    if (rc == VIPER_OK)
        rc = list_dir(fs, dir, &es);
    for (size_t i = 0; rc == VIPER_OK && i < es.n; i++) {
        struct viperfs_inode in;
        char target[VIPERFS_SYMLINK_MAX + 1] = "";
        if ((rc = viperfs_read_inode(fs, es.v[i].ino, &in, NULL)) != VIPER_OK)
            break;
        if ((in.mode & VIPERFS_S_IFMT) == VIPERFS_S_IFLNK)
            rc = viperfs_readlink(fs, es.v[i].ino, &in, target, sizeof(target));
        printf("%c%04o %3u %10llu %s%s%s\n", type_char(in.mode), in.mode & 07777, in.links,
               (unsigned long long)in.size, es.v[i].name, target[0] ? " -> " : "", target);
    }
    free(es.v);
    return rc;
}

static int cmd_tree(struct viperfs *fs, uint32_t dir, const char *prefix, int depth)
{
    struct entries es = { 0 };
    int rc = depth > 64 ? VIPER_ERR_LIMIT : list_dir(fs, dir, &es);
    for (size_t i = 0; rc == VIPER_OK && i < es.n; i++) {
        struct viperfs_inode in;
        char path[4096];
        if (!strcmp(es.v[i].name, ".") || !strcmp(es.v[i].name, ".."))
            continue;
        snprintf(path, sizeof(path), "%s/%s", prefix, es.v[i].name);
        if ((rc = viperfs_read_inode(fs, es.v[i].ino, &in, NULL)) != VIPER_OK)
            break;
        printf("%s%s\n", path, (in.mode & VIPERFS_S_IFMT) == VIPERFS_S_IFDIR ? "/" : "");
        if ((in.mode & VIPERFS_S_IFMT) == VIPERFS_S_IFDIR)
            rc = cmd_tree(fs, es.v[i].ino, path, depth + 1);
    }
    free(es.v);
    return rc;
}

/* Write inode ino's contents to out. */
static int copy_out(struct viperfs *fs, uint32_t ino, const struct viperfs_inode *in, FILE *out)
{
    static uint8_t buf[1 << 16];
    for (uint64_t off = 0; off < in->size;) {
        size_t got;
        int rc = viperfs_read(fs, ino, in, off, buf, sizeof(buf), &got);
        if (rc != VIPER_OK)
            return rc;
        if (fwrite(buf, 1, got, out) != got)
            return VIPER_ERR_IO;
        off += got;
    }
    return VIPER_OK;
}

static int extract(struct viperfs *fs, uint32_t ino, const char *dest, int depth)
{
    struct viperfs_inode in;
    int rc = depth > 64 ? VIPER_ERR_LIMIT : viperfs_read_inode(fs, ino, &in, NULL);
    if (rc != VIPER_OK)
        return rc;
    if ((in.mode & VIPERFS_S_IFMT) == VIPERFS_S_IFLNK) {
        char target[VIPERFS_SYMLINK_MAX + 1];
        rc = viperfs_readlink(fs, ino, &in, target, sizeof(target));
        return rc != VIPER_OK ? rc : symlink(target, dest) == 0 ? VIPER_OK : VIPER_ERR_IO;
    }
    if ((in.mode & VIPERFS_S_IFMT) == VIPERFS_S_IFREG) {
        FILE *out = fopen(dest, "wb");
        if (!out)
            return VIPER_ERR_IO;
        rc = copy_out(fs, ino, &in, out);
        if (fclose(out) != 0 && rc == VIPER_OK)
            rc = VIPER_ERR_IO;
        chmod(dest, in.mode & 07777);
        return rc;
    }
    struct entries es;
    if (mkdir(dest, 0755) < 0 && errno != EEXIST)
        return VIPER_ERR_IO;
    rc = list_dir(fs, ino, &es);
    for (size_t i = 0; rc == VIPER_OK && i < es.n; i++) {
        char path[4096];
        if (!strcmp(es.v[i].name, ".") || !strcmp(es.v[i].name, ".."))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dest, es.v[i].name);
        rc = extract(fs, es.v[i].ino, path, depth + 1);
    }
    free(es.v);
    return rc;
}

static int cmd_stat(struct viperfs *fs, const char *path)
{
    uint32_t ino;
    struct viperfs_inode in;
    int rc = viperfs_namei(fs, path, false, &ino);
    if (rc == VIPER_OK)
        rc = viperfs_read_inode(fs, ino, &in, NULL);
    if (rc != VIPER_OK)
        return rc;
    printf("ino %u mode %06o links %u size %llu nblocks %u direct", ino, in.mode, in.links,
           (unsigned long long)in.size, in.nblocks);
    for (int i = 0; i < VIPERFS_NDIRECT && !(in.flags & VIPERFS_INODE_INLINE); i++)
        printf(" %u", in.direct[i]);
    printf(" indirect %u %u %u\n", in.indirect, in.dindirect, in.tindirect);
    return VIPER_OK;
}

static int run(struct viperfs *fs, int argc, char **argv)
{
    const char *cmd = argv[1];
    uint32_t ino;
    struct viperfs_inode in;
    if (!strcmp(cmd, "ls") && argc <= 4)
        return cmd_ls(fs, argc == 4 ? argv[3] : "/");
    if (!strcmp(cmd, "stat") && argc == 4)
        return cmd_stat(fs, argv[3]);
    if (!strcmp(cmd, "tree") && argc == 3)
        return cmd_tree(fs, fs->sb.root_ino, "", 0);
    if (!strcmp(cmd, "cat") && argc == 4) {
        int rc = viperfs_namei(fs, argv[3], true, &ino);
        if (rc == VIPER_OK)
            rc = viperfs_read_inode(fs, ino, &in, NULL);
        if (rc == VIPER_OK && (in.mode & VIPERFS_S_IFMT) != VIPERFS_S_IFREG)
            rc = VIPER_ERR_INVALID;
        return rc != VIPER_OK ? rc : copy_out(fs, ino, &in, stdout);
    }
    if (!strcmp(cmd, "extract") && argc == 5) {
        int rc = viperfs_namei(fs, argv[3], false, &ino);
        return rc != VIPER_OK ? rc : extract(fs, ino, argv[4], 0);
    }
    return VIPER_ERR_NOT_SUPPORTED;
}

int main(int argc, char **argv)
{
    static struct viperfs fs;
    struct viperfs_journal j;
    struct image im;
    const char *why = "";
    uint32_t n;
    if (argc < 3) {
        fprintf(stderr, "usage: viperfs ls IMG [PATH] | tree IMG | cat IMG PATH | "
                        "extract IMG PATH DEST | stat IMG PATH\n");
        return 2;
    }
    if (image_load(&im, argv[2]) != VIPER_OK)
        return 1;
    int rc = viperfs_open(&fs, &im.dev, &why);
    if (rc == VIPER_OK && viperfs_journal_load(&fs, &j, &why) == VIPER_OK &&
        viperfs_journal_replay(&fs, &j, &n) == VIPER_OK && n > 0)
        rc = viperfs_open(&fs, &im.dev, &why);
    if (rc != VIPER_OK) {
        fprintf(stderr, "viperfs: %s: %s\n", argv[2], why);
        return 1;
    }
    rc = run(&fs, argc, argv);
    if (rc == VIPER_ERR_NOT_SUPPORTED)
        fprintf(stderr, "viperfs: unknown command or wrong arguments\n");
    else if (rc != VIPER_OK)
        fprintf(stderr, "viperfs: %s: %s\n", argc > 3 ? argv[3] : argv[2],
                rc == VIPER_ERR_NOT_FOUND ? "not found" : rc == VIPER_ERR_LIMIT ?
                "too many levels of symlinks or directories" : rc == VIPER_ERR_INVALID ?
                "not a regular file" : "corrupt or unreadable");
    image_free(&im);
    return rc == VIPER_OK ? 0 : 1;
}
