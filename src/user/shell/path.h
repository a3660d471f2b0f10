/*
 * shell/path.h - assigns, the current directory and path resolution.
 *
 * A path "NAME:a/b" starts at the directory the assign NAME: stands for,
 * "/a" at the root of the current volume, "a/b" at the current directory;
 * "." and ".." are resolved here.  A resolved path names its volume by its
 * first byte: "tests/x" is on the boot filesystem ("" is its root), "/x" on
 * the disk fsd serves ("/" is its root).  Assign names are case-insensitive.
 * Pure C, host-tested; whether a directory exists is the caller's business.
 */
#pragma once
#include <stddef.h>

#define PATH_LEN       256u
#define ASSIGN_NAME    24u
#define ASSIGNS_MAX    16u

struct assign {
    char name[ASSIGN_NAME];   /* without the colon */
    char dir[PATH_LEN];       /* resolved */
};

struct paths {
    struct assign assigns[ASSIGNS_MAX];
    unsigned nassigns;
    char cwd[PATH_LEN];           /* resolved */
    char cwd_assign[ASSIGN_NAME]; /* the assign the prompt shows it under */
};

/* SYS: and C: at the root, the current directory SYS:. */
void paths_init(struct paths *p);

/* Resolve in into out (PATH_LEN bytes); 0, or -1 with *err (unknown assign, too long). */
int paths_resolve(const struct paths *p, const char *in, char *out, const char **err);

/* Make (or replace) assign name (with or without its colon) stand for resolved dir dir. */
int paths_assign(struct paths *p, const char *name, const char *dir, const char **err);

/* Remove assign name; -1 if there is none (or it is SYS:). */
int paths_unassign(struct paths *p, const char *name, const char **err);

/* The assign called name (with or without colon), or NULL. */
const struct assign *paths_find(const struct paths *p, const char *name, size_t len);

/* Change to resolved directory dir, reached through the path the user typed (for the prompt). */
void paths_cd(struct paths *p, const char *typed, const char *dir);

/* The prompt's "ASSIGN:rest" for the current directory. */
void paths_show(const struct paths *p, char *out, size_t len);
