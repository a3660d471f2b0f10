/*
 * tests/host/test_path.c - libc's path_resolve (src/user/lib/libc/path.c):
 * relative and absolute paths, assigns, ".", "..", repeated slashes, the
 * root that ".." cannot climb above, and results that do not fit.
 */
#include <string.h>

#include "../../src/user/lib/libc/path.h"
#include "harness.h"

static int resolves(const char *cwd, const char *path, const char *want)
{
    char out[64];
    if (path_resolve(cwd, path, out, sizeof out, 16) != 0)
        return 0;
    if (strcmp(out, want) != 0) {
        printf("  %s + %s -> %s (want %s)\n", cwd, path, out, want);
        return 0;
    }
    return 1;
}

HOST_TEST(relative_and_absolute)
{
    CHECK(resolves("/", "a", "/a"));
    CHECK(resolves("/home/u", "notes/x.txt", "/home/u/notes/x.txt"));
    CHECK(resolves("/home/u", "/etc/motd", "/etc/motd"));
    CHECK(resolves("/home/u/", "x", "/home/u/x"));
    CHECK(resolves("/", "/", "/"));
}

HOST_TEST(dots_and_slashes)
{
    CHECK(resolves("/a/b", "..", "/a"));
    CHECK(resolves("/a/b", "../../..", "/"));
    CHECK(resolves("/a/b", "./c/./d/", "/a/b/c/d"));
    CHECK(resolves("/", "//x///y//", "/x/y"));
    CHECK(resolves("/a", "b/../../c", "/c"));
    CHECK(resolves("/a", ".", "/a"));
}

HOST_TEST(assigns)
{
    CHECK(resolves("SYS:", "c/echo", "SYS:c/echo"));
    CHECK(resolves("SYS:c", "echo", "SYS:c/echo"));
    CHECK(resolves("SYS:c", "..", "SYS:"));
    CHECK(resolves("SYS:c", "../..", "SYS:"));
    CHECK(resolves("/home", "FSD:x/./y", "FSD:x/y"));
    CHECK(resolves("SYS:c", "/abs", "/abs"));
    CHECK(resolves("/", "a/b:c", "/a/b:c"));   /* a ':' after a '/' is just a character */
}

HOST_TEST(too_long)
{
    char out[16];
    CHECK(path_resolve("/", "abcdefghijklmnopq", out, 64, 16) == -1);   /* 17-byte component */
    CHECK(path_resolve("/", "abcdefgh/abcdefgh", out, sizeof out, 16) == -1);
    CHECK(path_resolve("/", "abcdefgh/abcdef", out, sizeof out, 16) == -1);   /* 16 + NUL */
    CHECK(path_resolve("/", "abcdefgh/abcde", out, sizeof out, 16) == 0);     /* 15 + NUL */
    CHECK(strcmp(out, "/abcdefgh/abcde") == 0);
    CHECK(path_resolve("/", "x", out, 2, 16) == -1);   /* "/x" needs 3 bytes */
}

int main(void)
{
    host_binary = "path";
    host_run(relative_and_absolute);
    host_run(dots_and_slashes);
    host_run(assigns);
    host_run(too_long);
    return host_summary();
}
