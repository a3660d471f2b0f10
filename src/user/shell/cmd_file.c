/*
 * shell/cmd_file.c - the file commands: Dir, List, Type, Copy, Delete,
 * MakeDir, Rename, CD, Assign.
 *
 * They work on the boot filesystem, which is read-only: a command that
 * would change it checks its arguments like any other (a missing source is
 * "object not found") and then fails with "read-only filesystem", return
 * code ERROR.
 */
#include <stdio.h>
#include <string.h>
#include "io.h"
#include "shell.h"

#define HEX_ROW 16u

struct listing {
    bool sizes;   /* List: sizes and kinds; Dir: names */
    unsigned count;
};

static int show_entry(void *ctx, const struct bootfs_entry *e)
{
    struct listing *l = ctx;

    l->count++;
    if (l->sizes && e->kind == BOOTFS_DIR)
        io_printf("%-28.*s      Dir\n", (int)e->namelen, e->name);
    else if (l->sizes)
        io_printf("%-28.*s %8zu\n", (int)e->namelen, e->name, e->size);
    else
        io_printf("  %.*s%s\n", (int)e->namelen, e->name, e->kind == BOOTFS_DIR ? " (dir)" : "");
    return 0;
}

static int list_dir(const char *cmd, int argc, char **argv, bool sizes)
{
    char dir[PATH_LEN];
    struct bootfs_entry e;
    struct listing l = { sizes, 0 };

    if (argc > 2)
        return sh_fail(RC_ERROR, cmd, "usage: %s [path]", cmd);
    if (sh_lookup(cmd, argc > 1 ? argv[1] : "", dir, &e) != 0)
        return RC_ERROR;
    if (e.kind != BOOTFS_DIR) {   /* a file: show just it */
        show_entry(&l, &e);
        return RC_OK;
    }
    bootfs_list(&sh.fs, dir, show_entry, &l);
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

static void hex_dump(const uint8_t *p, size_t n)
{
    for (size_t off = 0; off < n; off += HEX_ROW) {
        char text[HEX_ROW + 1];
        size_t k = n - off < HEX_ROW ? n - off : HEX_ROW;
        io_printf("%04zx:", off);
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
}

int cmd_type(int argc, char **argv)
{
    char path[PATH_LEN];
    struct bootfs_entry e;
    bool hex = argc > 1 && (strcmp(argv[1], "HEX") == 0 || strcmp(argv[1], "hex") == 0);
    int first = hex ? 2 : 1;

    if (argc <= first)
        return sh_fail(RC_ERROR, "Type", "usage: Type [HEX] file...");
    for (int i = first; i < argc; i++) {
        if (sh_lookup("Type", argv[i], path, &e) != 0)
            return RC_ERROR;
        if (e.kind == BOOTFS_DIR)
            return sh_fail(RC_ERROR, "Type", "%s: object is a directory", argv[i]);
        if (hex)
            hex_dump(e.data, e.size);
        else
            io_write(e.data, e.size);
    }
    return RC_OK;
}

/* The rest change the filesystem: check what must exist, then refuse. */
static int read_only(const char *cmd, const char *must_exist)
{
    char path[PATH_LEN];
    struct bootfs_entry e;

    if (must_exist && sh_lookup(cmd, must_exist, path, &e) != 0)
        return RC_ERROR;
    return sh_fail(RC_ERROR, cmd, "read-only filesystem");
}

int cmd_copy(int argc, char **argv)
{
    char path[PATH_LEN];
    struct bootfs_entry e;

    if (argc != 3)
        return sh_fail(RC_ERROR, "Copy", "usage: Copy from to");
    if (sh_lookup("Copy", argv[1], path, &e) != 0)
        return RC_ERROR;
    if (e.kind == BOOTFS_DIR)
        return sh_fail(RC_ERROR, "Copy", "%s: object is a directory", argv[1]);
    return read_only("Copy", NULL);
}

int cmd_delete(int argc, char **argv)
{
    if (argc != 2)
        return sh_fail(RC_ERROR, "Delete", "usage: Delete path");
    return read_only("Delete", argv[1]);
}

int cmd_makedir(int argc, char **argv)
{
    if (argc != 2)
        return sh_fail(RC_ERROR, "MakeDir", "usage: MakeDir path");
    char path[PATH_LEN];
    const char *err;
    if (paths_resolve(&sh.paths, argv[1], path, &err) != 0)
        return sh_fail(RC_ERROR, "MakeDir", "%s: %s", argv[1], err);
    return read_only("MakeDir", NULL);
}

int cmd_rename(int argc, char **argv)
{
    if (argc != 3)
        return sh_fail(RC_ERROR, "Rename", "usage: Rename from to");
    return read_only("Rename", argv[1]);
}

int cmd_cd(int argc, char **argv)
{
    char dir[PATH_LEN], where[PATH_LEN + ASSIGN_NAME];
    struct bootfs_entry e;

    if (argc > 2)
        return sh_fail(RC_ERROR, "CD", "usage: CD [path]");
    if (argc == 1) {
        paths_show(&sh.paths, where, sizeof where);
        io_printf("%s\n", where);
        return RC_OK;
    }
    if (sh_lookup("CD", argv[1], dir, &e) != 0)
        return RC_ERROR;
    if (e.kind != BOOTFS_DIR)
        return sh_fail(RC_ERROR, "CD", "%s: object is not a directory", argv[1]);
    paths_cd(&sh.paths, argv[1], dir);
    return RC_OK;
}

int cmd_assign(int argc, char **argv)
{
    char dir[PATH_LEN];
    struct bootfs_entry e;
    const char *err;

    if (argc == 1) {
        for (unsigned i = 0; i < sh.paths.nassigns; i++)
            io_printf("%-10s SYS:%s\n", sh.paths.assigns[i].name, sh.paths.assigns[i].dir);
        return RC_OK;
    }
    if (argc > 3 || strchr(argv[1], ':') == NULL || strchr(argv[1], ':')[1] != '\0')
        return sh_fail(RC_ERROR, "Assign", "usage: Assign [NAME: [path]]");
    if (argc == 2)
        return paths_unassign(&sh.paths, argv[1], &err) ? sh_fail(RC_WARN, "Assign", "%s", err)
                                                        : RC_OK;
    if (sh_lookup("Assign", argv[2], dir, &e) != 0)
        return RC_ERROR;
    if (e.kind != BOOTFS_DIR)
        return sh_fail(RC_ERROR, "Assign", "%s: object is not a directory", argv[2]);
    if (paths_assign(&sh.paths, argv[1], dir, &err) != 0)
        return sh_fail(RC_ERROR, "Assign", "%s", err);
    return RC_OK;
}
