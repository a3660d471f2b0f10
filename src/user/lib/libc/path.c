/*
 * path.c - path_resolve (path.h).  Works in out directly: components are
 * appended one at a time and ".." truncates back to the previous '/'.
 */
#include "path.h"

#include <string.h>

/* Length of the assign prefix "NAME:" at the start of p (0 if none). */
static size_t assign_len(const char *p)
{
    for (size_t i = 0; p[i] && p[i] != '/'; i++)
        if (p[i] == ':')
            return i + 1;
    return 0;
}

/* Append the components of p to out[0..*o) whose root ends at root. */
static int fold(const char *p, char *out, size_t *o, size_t root, size_t size, size_t name_max)
{
    while (*p) {
        while (*p == '/')
            p++;
        size_t n = 0;
        while (p[n] && p[n] != '/')
            n++;
        if (n == 0)
            break;
        if (n == 1 && p[0] == '.') {
            /* nothing */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (*o > root && out[*o - 1] != '/')
                (*o)--;
            if (*o > root)
                (*o)--;
        } else {
            size_t need = (*o > root ? 1 : 0) + n;
            if (n > name_max || *o + need + 1 > size)
                return -1;
            if (*o > root)
                out[(*o)++] = '/';
            memcpy(out + *o, p, n);
            *o += n;
        }
        p += n;
    }
    return 0;
}

/* Start out with the root of abs ("NAME:" or "/"); returns its length or 0 if it does not fit. */
static size_t put_root(const char *abs, char *out, size_t size)
{
    size_t a = assign_len(abs);
    size_t n = a ? a : 1;
    if (n + 1 > size)
        return 0;
    memcpy(out, a ? abs : "/", n);
    return n;
}

int path_resolve(const char *cwd, const char *path, char *out, size_t size, size_t name_max)
{
    size_t o, root;
    if (path[0] == '/' || assign_len(path)) {
        root = o = put_root(path, out, size);
        if (!o || fold(path + assign_len(path), out, &o, root, size, name_max))
            return -1;
    } else {
        root = o = put_root(cwd, out, size);
        if (!o || fold(cwd + assign_len(cwd), out, &o, root, size, name_max) ||
            fold(path, out, &o, root, size, name_max))
            return -1;
    }
    out[o] = '\0';
    return 0;
}
