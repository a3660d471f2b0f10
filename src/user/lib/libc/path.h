/*
 * path.h - folding a path into its absolute form (pure: also built for the
 * host unit test, tests/host/test_path.c).
 */
#pragma once
#include <stddef.h>

/*
 * Resolve path against cwd (itself absolute: "/..." or "NAME:..."): a path
 * starting with '/' or with an assign (`NAME:` before any '/') stands alone,
 * anything else is appended to cwd.  Then "." components and empty ones
 * vanish and ".." drops the component before it, never climbing above the
 * root ("/" or "NAME:").  Writes the result (NUL-terminated) to out and
 * returns 0, or -1 if it (or a component longer than name_max) does not fit.
 */
int path_resolve(const char *cwd, const char *path, char *out, size_t size, size_t name_max);
