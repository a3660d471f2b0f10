/*
 * shell/cmd_file.c - the file commands: Dir, List, Type, Copy, Delete,
 * MakeDir, Rename, CD, Assign.
 *
 * Paths are resolved here (path.c) and the work is done by vol.c, on the
 * boot filesystem (read-only: changes fail with "read-only filesystem",
 * return code ERROR) or on the disk volume DH0: when fsd serves one.
 */
#include <stdio.h>
#include <string.h>
#include "io.h"
#include "shell.h"
#include "vol.h"

#define HEX_ROW 16u

struct listing {
    bool sizes;   /* List: sizes and kinds; Dir: names */
    unsigned count;
};

static int show_entry(void *ctx, const char *name, size_t n, const struct vol_entry *e)
{
    struct listing *l = ctx;

    l->count++;
    if (l->sizes && e->dir)
        io_printf("%-28.*s      Dir\n", (int)n, name);
    else if (l->sizes)
        io_printf("%-28.*s %8llu\n", (int)n, name, (unsigned long long)e->size);
    else
        io_printf("  %.*s%s\n", (int)n, name, e->dir ? " (dir)" : "");
    return 0;
}

/* Resolve typed for cmd; on failure report it (ERROR) and return -1. */
static int resolve(const char *cmd, const char *typed, char *path)
{
    const char *err;

    if (paths_resolve(&sh.paths, typed, path, &err) != 0) {
        sh_fail(RC_ERROR, cmd, "%s: %s", typed, err);
        return -1;
    }
    return 0;
}

int sh_lookup(const char *cmd, const char *typed, char *resolved, struct vol_entry *e)
{
    if (resolve(cmd, typed, resolved) != 0)
        return RC_ERROR;
    const char *err = vol_stat(resolved, e);
    return err ? sh_fail(RC_ERROR, cmd, "%s: %s", typed, err) : RC_OK;
}

static int list_dir(const char *cmd, int argc, char **argv, bool sizes)
{
    char dir[PATH_LEN];
    struct vol_entry e;
    struct listing l = { sizes, 0 };
    const char *typed = argc > 1 ? argv[1] : "";

    if (argc > 2)
        return sh_fail(RC_ERROR, cmd, "usage: %s [path]", cmd);
    if (sh_lookup(cmd, typed, dir, &e) != RC_OK)
        return RC_ERROR;
    if (!e.dir) {   /* a file: show just it */
        const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
        show_entry(&l, base, strlen(base), &e);
        return RC_OK;
    }
    const char *err = vol_list(dir, sizes, show_entry, &l);
    if (err)
        return sh_fail(RC_ERROR, cmd, "%s: %s", typed, err);
    if (sizes)
        io_printf("%u entr%s\n", l.count, l.count == 1 ? "y" : "ies");
    return RC_OK;
}

int cmd_dir(int argc, char **argv)
{
    return list_dir("Dir", argc, argv, false);
}

int cmd_list(int argc, char **argv)
{
    return list_dir("List", argc, argv, true);
}

static size_t hex_offset;

/* A piece of a file as rows of 16 bytes: offset, four groups of hex, the printable text. */
static void hex_sink(const void *data, size_t n)
{
    const uint8_t *p = data;

    for (size_t off = 0; off < n; off += HEX_ROW) {
        char text[HEX_ROW + 1];
        size_t k = n - off < HEX_ROW ? n - off : HEX_ROW;
        io_printf("%04zx:", hex_offset + off);
        for (size_t i = 0; i < HEX_ROW; i++) {
            if (i % 4 == 0)
                io_puts(" ");
            if (i < k)
                io_printf("%02x", p[off + i]);
            else
                io_puts("  ");
            text[i] = i < k && p[off + i] >= 0x20 && p[off + i] < 0x7f ? (char)p[off + i] : '.';
        }
        text[k] = '\0';
        io_printf("  %s\n", text);
    }
    hex_offset += n;
}

static void text_sink(const void *data, size_t n)
{
    io_write(data, n);
}

int cmd_type(int argc, char **argv)
{
    char path[PATH_LEN];
    bool hex = argc > 1 && (strcmp(argv[1], "HEX") == 0 || strcmp(argv[1], "hex") == 0);
    int first = hex ? 2 : 1;

    if (argc <= first)
        return sh_fail(RC_ERROR, "Type", "usage: Type [HEX] file...");
    for (int i = first; i < argc; i++) {
        if (resolve("Type", argv[i], path) != 0)
            return RC_ERROR;
        hex_offset = 0;   /* pieces of 4 KiB keep rows whole */
        const char *err = vol_read(path, hex ? hex_sink : text_sink);
        if (err)
            return sh_fail(RC_ERROR, "Type", "%s: %s", argv[i], err);
    }
    return RC_OK;
}

/* Resolve the command's two paths and run op on them. */
static int two_paths(const char *cmd, int argc, char **argv,
                     const char *(*op)(const char *, const char *))
{
    char from[PATH_LEN], to[PATH_LEN];

    if (argc != 3)
        return sh_fail(RC_ERROR, cmd, "usage: %s from to", cmd);
    if (resolve(cmd, argv[1], from) != 0 || resolve(cmd, argv[2], to) != 0)
        return RC_ERROR;
    const char *err = op(from, to);
    return err ? sh_fail(RC_ERROR, cmd, "%s", err) : RC_OK;
}

static int one_path(const char *cmd, int argc, char **argv, const char *(*op)(const char *))
{
    char path[PATH_LEN];

    if (argc != 2)
        return sh_fail(RC_ERROR, cmd, "usage: %s path", cmd);
    if (resolve(cmd, argv[1], path) != 0)
        return RC_ERROR;
    const char *err = op(path);
    return err ? sh_fail(RC_ERROR, cmd, "%s", err) : RC_OK;
}

int cmd_copy(int argc, char **argv)
{
    return two_paths("Copy", argc, argv, vol_copy);
}

int cmd_rename(int argc, char **argv)
{
    return two_paths("Rename", argc, argv, vol_rename);
}

int cmd_delete(int argc, char **argv)
{
    return one_path("Delete", argc, argv, vol_delete);
}

int cmd_makedir(int argc, char **argv)
{
    return one_path("MakeDir", argc, argv, vol_makedir);
}

int cmd_cd(int argc, char **argv)
{
    char dir[PATH_LEN], where[PATH_LEN + ASSIGN_NAME];
    struct vol_entry e;

    if (argc > 2)
        return sh_fail(RC_ERROR, "CD", "usage: CD [path]");
    if (argc == 1) {
        paths_show(&sh.paths, where, sizeof where);
        io_printf("%s\n", where);
        return RC_OK;
    }
    if (sh_lookup("CD", argv[1], dir, &e) != RC_OK)
        return RC_ERROR;
    if (!e.dir)
        return sh_fail(RC_ERROR, "CD", "%s: object is not a directory", argv[1]);
    paths_cd(&sh.paths, argv[1], dir);
    return RC_OK;
}

int cmd_assign(int argc, char **argv)
{
    char dir[PATH_LEN];
    struct vol_entry e;
    const char *err;

    if (argc == 1) {
        for (unsigned i = 0; i < sh.paths.nassigns; i++) {
            const char *d = sh.paths.assigns[i].dir;
            io_printf("%-10s %s%s\n", sh.paths.assigns[i].name, d[0] == '/' ? "disk " : "SYS:",
                      d);
        }
        return RC_OK;
    }
    if (argc > 3 || strchr(argv[1], ':') == NULL || strchr(argv[1], ':')[1] != '\0')
        return sh_fail(RC_ERROR, "Assign", "usage: Assign [NAME: [path]]");
    if (argc == 2)
        return paths_unassign(&sh.paths, argv[1], &err) ? sh_fail(RC_WARN, "Assign", "%s", err)
                                                        : RC_OK;
    if (sh_lookup("Assign", argv[2], dir, &e) != RC_OK)
        return RC_ERROR;
    if (!e.dir)
        return sh_fail(RC_ERROR, "Assign", "%s: object is not a directory", argv[2]);
    if (paths_assign(&sh.paths, argv[1], dir, &err) != 0)
        return sh_fail(RC_ERROR, "Assign", "%s", err);
    return RC_OK;
}
