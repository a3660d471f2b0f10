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

/* Apply the components of rest to the resolved path in out (n bytes used). */
static int walk(char *out, size_t n, const char *rest, const char **err)
{
    while (*rest) {
        const char *slash = strchr(rest, '/');
        size_t k = slash ? (size_t)(slash - rest) : strlen(rest);
        if (k == 2 && rest[0] == '.' && rest[1] == '.') {
            while (n > 0 && out[n - 1] != '/')
                n--;
            if (n > 0)
                n--;   /* the slash before the dropped component */
        } else if (k > 0 && !(k == 1 && rest[0] == '.')) {
            if (n + (n > 0) + k >= PATH_LEN) {
                *err = "path too long";
                return -1;
            }
            if (n > 0)
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
        start = "";
    }
    size_t n = strlen(start);
    memcpy(out, start, n + 1);
    return walk(out, n, rest, err);
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
    if (!paths_find(p, p->cwd_assign, strlen(p->cwd_assign)))
        snprintf(p->cwd_assign, sizeof p->cwd_assign, "%s", "SYS");
    return 0;
}

/* Is dir inside (or equal to) base? */
static bool under(const char *dir, const char *base)
{
    size_t n = strlen(base);
    return n == 0 || (strncmp(dir, base, n) == 0 && (dir[n] == '\0' || dir[n] == '/'));
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
    const struct assign *a = paths_find(p, p->cwd_assign, strlen(p->cwd_assign));
    if (!a || !under(dir, a->dir))
        snprintf(p->cwd_assign, sizeof p->cwd_assign, "%s", "SYS");
    snprintf(p->cwd, sizeof p->cwd, "%s", dir);
}

void paths_show(const struct paths *p, char *out, size_t len)
{
    const struct assign *a = paths_find(p, p->cwd_assign, strlen(p->cwd_assign));
    const char *rel = p->cwd + (a ? strlen(a->dir) : 0);

    if (*rel == '/')
        rel++;
    snprintf(out, len, "%s:%s", a ? a->name : "SYS", rel);
}
