/*
 * tests/host/test_string.c - lib/string.c's copies and fills against byte-by-byte
 * references, at every alignment of source and destination (0-15) and every
 * length up to 300, plus whole pages.
 *
 * string.c defines memcpy and friends, which would replace the host C
 * library's in this binary (and the sanitizers'), so it is included here under
 * other names; the references below are plain loops.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define memset  viper_memset
#define memcpy  viper_memcpy
#define memmove viper_memmove
#define memcmp  viper_memcmp
#define strlen  viper_strlen
#define strnlen viper_strnlen
#define strcmp  viper_strcmp
#define strncmp viper_strncmp
#define strchr  viper_strchr
#define strlcpy viper_strlcpy
#include "../../src/kernel/lib/string.c"
#undef memset
#undef memcpy
#undef memmove
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef strlcpy

#include "harness.h"

#define AREA 8192
#define MAXLEN 300

static unsigned char src[AREA], dst[AREA], want[AREA];

static void fill_pattern(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 31 + seed * 7 + 1);
}

static bool same(const unsigned char *a, const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* One copy of len bytes from src+so to dst+d0; every byte outside the copy stays. */
static bool copy_ok(size_t so, size_t d0, size_t len)
{
    fill_pattern(src, AREA, 1);
    fill_pattern(dst, AREA, 2);
    fill_pattern(want, AREA, 2);
    for (size_t i = 0; i < len; i++)
        want[d0 + i] = src[so + i];
    void *r = viper_memcpy(dst + d0, src + so, len);
    return r == dst + d0 && same(dst, want, AREA);
}

HOST_TEST(memcpy_alignments_and_lengths)
{
    for (size_t so = 0; so < 16; so++)
        for (size_t d0 = 0; d0 < 16; d0++)
            for (size_t len = 0; len <= MAXLEN; len++)
                if (!copy_ok(so, d0, len)) {
                    printf("  memcpy(dst+%zu, src+%zu, %zu) wrong\n", d0, so, len);
                    CHECK(false);
                    return;
                }
}

HOST_TEST(memcpy_pages)
{
    CHECK(copy_ok(0, 0, 4096));
    CHECK(copy_ok(4096, 0, 4096));
    CHECK(copy_ok(8, 16, 4096 + 24));
    CHECK(copy_ok(3, 5, 4096));
}

/* memmove within one buffer, both directions, overlapping by every amount up to 80. */
HOST_TEST(memmove_overlaps)
{
    for (size_t from = 0; from < 80; from++)
        for (size_t to = 0; to < 80; to++)
            for (size_t len = 0; len <= 200; len += 1 + len / 8) {
                fill_pattern(dst, AREA, 3);
                fill_pattern(want, AREA, 3);
                unsigned char tmp[256];
                for (size_t i = 0; i < len; i++)
                    tmp[i] = want[from + i];
                for (size_t i = 0; i < len; i++)
                    want[to + i] = tmp[i];
                viper_memmove(dst + to, dst + from, len);
                if (!same(dst, want, 512)) {
                    printf("  memmove(+%zu, +%zu, %zu) wrong\n", to, from, len);
                    CHECK(false);
                    return;
                }
            }
}

HOST_TEST(memset_alignments_and_lengths)
{
    for (size_t d0 = 0; d0 < 16; d0++)
        for (size_t len = 0; len <= MAXLEN; len++) {
            fill_pattern(dst, AREA, 4);
            fill_pattern(want, AREA, 4);
            for (size_t i = 0; i < len; i++)
                want[d0 + i] = 0xa5;
            viper_memset(dst + d0, 0x1a5, len);   /* only the low byte counts */
            if (!same(dst, want, AREA)) {
                printf("  memset(dst+%zu, 0xa5, %zu) wrong\n", d0, len);
                CHECK(false);
                return;
            }
        }
}

int main(void)
{
    host_binary = "string";
    host_run(memcpy_alignments_and_lengths);
    host_run(memcpy_pages);
    host_run(memmove_overlaps);
    host_run(memset_alignments_and_lengths);
    return host_summary();
}
