/*
 * shell/path.c - assigns and path resolution (see path.h).
 *
 * Resolution copies the starting directory, then applies the typed
 * components one at a time: ".." drops the last one (never above the root),
 * "." and empty ones are skipped.  Every write checks the PATH_LEN bound.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "path.h"

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool same_name(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return a[n] == '\0';
}

const struct assign *paths_find(const struct paths *p, const char *name, size_t len)
{
    if (len > 0 && name[len - 1] == ':')
        len--;
    for (unsigned i = 0; i < p->nassigns; i++)
        if (same_name(p->assigns[i].name, name, len))
            return &p->assigns[i];
    return NULL;
}

void paths_init(struct paths *p)
{
    const char *err;

    memset(p, 0, sizeof *p);
    paths_assign(p, "SYS", "", &err);
    paths_assign(p, "C", "", &err);
    snprintf(p->cwd_assign, sizeof p->cwd_assign, "%s", "SYS");
}

/*
 * Apply the components of rest to the resolved path in out (n bytes used);
 * the first root bytes ("/" on the disk volume, nothing on the boot
 * filesystem) are never removed.
 */
static int walk(char *out, size_t n, size_t root, const char *rest, const char **err)
{
    while (*rest) {
        const char *slash = strchr(rest, '/');
        size_t k = slash ? (size_t)(slash - rest) : strlen(rest);
        if (k == 2 && rest[0] == '.' && rest[1] == '.') {
            while (n > root && out[n - 1] != '/')
                n--;
            if (n > root)
                n--;   /* the slash before the dropped component */
        } else if (k > 0 && !(k == 1 && rest[0] == '.')) {
            if (n + (n > root) + k >= PATH_LEN) {
                *err = "path too long";
                return -1;
            }
            if (n > root)
                out[n++] = '/';
            memcpy(out + n, rest, k);
            n += k;
        }
        rest += k + (slash != NULL);
    }
    out[n] = '\0';
    return 0;
}

int paths_resolve(const struct paths *p, const char *in, char *out, const char **err)
{
    const char *colon = strchr(in, ':');
    const char *slash = strchr(in, '/');
    const char *start = p->cwd, *rest = in;

    if (colon && (!slash || colon < slash)) {
        const struct assign *a = paths_find(p, in, (size_t)(colon - in));
        if (!a) {
            *err = "unknown assign";
            return -1;
        }
        start = a->dir;
        rest = colon + 1;
    } else if (in[0] == '/') {
        start = p->cwd[0] == '/' ? "/" : "";   /* the root of the current volume */
    }
    size_t n = strlen(start);
    memcpy(out, start, n + 1);
    return walk(out, n, start[0] == '/', rest, err);
}

int paths_assign(struct paths *p, const char *name, const char *dir, const char **err)
{
    size_t len = strlen(name);

    if (len > 0 && name[len - 1] == ':')
        len--;
    if (len == 0 || len >= ASSIGN_NAME || memchr(name, '/', len) || memchr(name, ':', len)) {
        *err = "bad assign name";
        return -1;
    }
    struct assign *a = (struct assign *)paths_find(p, name, len);
    if (!a) {
        if (p->nassigns == ASSIGNS_MAX) {
            *err = "too many assigns";
            return -1;
        }
        a = &p->assigns[p->nassigns++];
        memcpy(a->name, name, len);
        a->name[len] = '\0';
    }
    snprintf(a->dir, sizeof a->dir, "%s", dir);
    return 0;
}

/* Is dir inside (or equal to) base, on the same volume? */
static bool under(const char *dir, const char *base)
{
    size_t n = strlen(base);
    if ((dir[0] == '/') != (base[0] == '/'))
        return false;
    return n == 0 || (n == 1 && base[0] == '/') ||
           (strncmp(dir, base, n) == 0 && (dir[n] == '\0' || dir[n] == '/'));
}

/* The assign to show dir under: the one it was reached through if it still covers it,
 * else the first that does (SYS: on the boot filesystem). */
static void pick_assign(struct paths *p, const char *dir)
{
    const struct assign *a = paths_find(p, p->cwd_assign, strlen(p->cwd_assign));

    if (a && under(dir, a->dir))
        return;
    for (unsigned i = 0; i < p->nassigns; i++)
        if (under(dir, p->assigns[i].dir)) {
            snprintf(p->cwd_assign, sizeof p->cwd_assign, "%s", p->assigns[i].name);
            return;
        }
}

int paths_unassign(struct paths *p, const char *name, const char **err)
{
    const struct assign *a = paths_find(p, name, strlen(name));

    if (!a) {
        *err = "unknown assign";
        return -1;
    }
    if (same_name(a->name, "SYS", 3)) {
        *err = "SYS: cannot be removed";
        return -1;
    }
    unsigned i = (unsigned)(a - p->assigns);
    memmove(&p->assigns[i], &p->assigns[i + 1], (p->nassigns - i - 1) * sizeof p->assigns[0]);
    p->nassigns--;
    if (!paths_find(p, p->cwd_assign, strlen(p->cwd_assign))) {
        p->cwd_assign[0] = '\0';
        pick_assign(p, p->cwd);
    }
    return 0;
}

void paths_cd(struct paths *p, const char *typed, const char *dir)
{
    const char *colon = strchr(typed, ':');
    const char *slash = strchr(typed, '/');

    if (colon && (!slash || colon < slash)) {
        const struct assign *a = paths_find(p, typed, (size_t)(colon - typed));
        if (a)
            snprintf(p->cwd_assign, sizeof p->cwd_assign, "%s", a->name);
    }
    pick_assign(p, dir);
    snprintf(p->cwd, sizeof p->cwd, "%s", dir);
}

void paths_show(const struct paths *p, char *out, size_t len)
{
    const struct assign *a = paths_find(p, p->cwd_assign, strlen(p->cwd_assign));
    const char *rel = p->cwd + (a ? strlen(a->dir) : 0);

    while (*rel == '/')
        rel++;
    snprintf(out, len, "%s:%s", a ? a->name : "SYS", rel);
}
