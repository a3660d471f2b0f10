/*
 * tests/host/test_cpio.c - lib/cpio.c against a real archive and broken ones.
 *
 * argv[1] is a directory holding test.cpio, written by the host's
 * `cpio -o -H newc` from the files listed in tests/host/host.mk.  Malformed
 * inputs (every truncation, single-field corruptions, a fixed-seed fuzz
 * loop) are parsed from heap buffers of exactly their length, so any read
 * past the end is caught by AddressSanitizer.  An alarm turns a hang into a
 * failure.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lib/cpio.h>
#include <viper/errors.h>

#include "harness.h"

static uint8_t *archive;
static size_t archive_len;
static size_t trailer_end;    /* offset just past the trailer member (padded) */

struct expect_file {
    const char *name;
    const char *data;    /* NULL: checked separately */
    size_t size;
};

static const struct expect_file expected[] = {
    { "hello.txt", "hello, cpio\n", 12 },
    { "empty", "", 0 },
    { "dir/five", "abcde", 5 },
    { "a", "x", 1 },
    { "ab", "yy", 2 },
    { "abc", "zzz", 3 },
    { "abcd", "wwww", 4 },
};

static char numbers[8192];  /* the text of `seq 1 1000` */
static size_t numbers_len;

static uint8_t *load_file(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc(*len ? *len : 1);
    size_t got = data != NULL ? fread(data, 1, *len, f) : 0;
    fclose(f);
    if (got != *len) {
        free(data);
        return NULL;
    }
    return data;
}

static uint8_t *copy_of(const uint8_t *src, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    memcpy(p, src, len);
    return p;
}

/* Walk the whole archive; returns the final status and counts members. */
static int walk(const uint8_t *buf, size_t len, int *count)
{
    size_t cursor = 0;
    struct cpio_file f;
    int rc;

    *count = 0;
    while ((rc = cpio_next(buf, len, &cursor, &f)) == VIPER_OK) {
        const uint8_t *name = (const uint8_t *)f.name;
        const uint8_t *data = f.data;
        if (name < buf || name >= buf + len || data < buf || data > buf + len ||
            f.size > (size_t)(buf + len - data))
            return 1000;  /* a result outside the buffer */
        if (memchr(f.name, '\0', (size_t)(buf + len - name)) == NULL)
            return 1001;
        (*count)++;
        if (*count > 100000)
            return 1002;
    }
    return rc;
}

/* ---- the real archive ----------------------------------------------------- */

HOST_TEST(test_find_real)
{
    struct cpio_file f;

    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        const struct expect_file *e = &expected[i];
        REQUIRE(cpio_find(archive, archive_len, e->name, &f) == VIPER_OK);
        CHECK(strcmp(f.name, e->name) == 0);
        CHECK(f.size == e->size);
        CHECK(memcmp(f.data, e->data, e->size) == 0);
        CHECK((f.mode & CPIO_MODE_TYPE) == CPIO_MODE_REG);
    }
    REQUIRE(cpio_find(archive, archive_len, "dir/sub/numbers", &f) == VIPER_OK);
    CHECK(f.size == numbers_len);
    CHECK(memcmp(f.data, numbers, numbers_len) == 0);
    REQUIRE(cpio_find(archive, archive_len, "dir", &f) == VIPER_OK);
    CHECK((f.mode & CPIO_MODE_TYPE) == CPIO_MODE_DIR);
    CHECK(f.size == 0);
}

HOST_TEST(test_find_prefixes)
{
    struct cpio_file f;

    CHECK(cpio_find(archive, archive_len, "/hello.txt", &f) == VIPER_OK);
    CHECK(cpio_find(archive, archive_len, "./hello.txt", &f) == VIPER_OK);
    CHECK(cpio_find(archive, archive_len, "//dir/five", &f) == VIPER_OK);
    CHECK(f.size == 5);
    CHECK(cpio_find(archive, archive_len, "nope", &f) == VIPER_ERR_NOT_FOUND);
    CHECK(cpio_find(archive, archive_len, "dir/fiv", &f) == VIPER_ERR_NOT_FOUND);
    CHECK(cpio_find(archive, archive_len, "dir/five/", &f) == VIPER_ERR_NOT_FOUND);
    CHECK(cpio_find(archive, archive_len, "hello.txt2", &f) == VIPER_ERR_NOT_FOUND);
    CHECK(cpio_find(archive, archive_len, "TRAILER!!!", &f) == VIPER_ERR_NOT_FOUND);
}

HOST_TEST(test_iterate)
{
    size_t cursor = 0, last = 0;
    struct cpio_file f;
    int n = 0, rc;
    bool seen_numbers = false;

    while ((rc = cpio_next(archive, archive_len, &cursor, &f)) == VIPER_OK) {
        CHECK(cursor > last);
        CHECK((cursor & 3) == 0);
        last = cursor;
        n++;
        if (strcmp(f.name, "dir/sub/numbers") == 0)
            seen_numbers = true;
    }
    CHECK(rc == VIPER_ERR_NOT_FOUND);
    CHECK(n == 11);     /* ".", 8 files and the directories dir and dir/sub */
    CHECK(seen_numbers);
    /* At the trailer the cursor stays put and the answer stays the same. */
    CHECK(cpio_next(archive, archive_len, &cursor, &f) == VIPER_ERR_NOT_FOUND);
    CHECK(cursor == last);
}

HOST_TEST(test_empty_and_tiny)
{
    struct cpio_file f;
    size_t cursor = 0;
    uint8_t *one = malloc(1);

    one[0] = '0';
    CHECK(cpio_next(one, 0, &cursor, &f) == VIPER_ERR_BAD_FORMAT);
    CHECK(cpio_next(one, 1, &cursor, &f) == VIPER_ERR_BAD_FORMAT);
    CHECK(cpio_find(one, 1, "a", &f) == VIPER_ERR_BAD_FORMAT);
    cursor = 3;  /* misaligned cursor */
    CHECK(cpio_next(archive, archive_len, &cursor, &f) == VIPER_ERR_BAD_FORMAT);
    cursor = archive_len + 4;
    CHECK(cpio_next(archive, archive_len, &cursor, &f) == VIPER_ERR_BAD_FORMAT);
    free(one);
}

/* ---- truncations ---------------------------------------------------------- */

HOST_TEST(test_truncated)
{
    for (size_t len = 0; len < archive_len; len++) {
        uint8_t *buf = copy_of(archive, len);
        int count;
        int rc = walk(buf, len, &count);
        if (len >= trailer_end) {
            if (rc != VIPER_ERR_NOT_FOUND)
                printf("  length %zu (trailer ends at %zu): walk returned %d\n", len,
                       trailer_end, rc);
            CHECK(rc == VIPER_ERR_NOT_FOUND);
        } else if (rc != VIPER_ERR_BAD_FORMAT) {
            printf("  length %zu: walk returned %d\n", len, rc);
            CHECK(rc == VIPER_ERR_BAD_FORMAT);
        }
        /* Whatever is found must be complete and intact. */
        for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
            struct cpio_file f;
            rc = cpio_find(buf, len, expected[i].name, &f);
            CHECK(rc == VIPER_OK || rc == VIPER_ERR_BAD_FORMAT);
            if (rc == VIPER_OK)
                CHECK(f.size == expected[i].size &&
                      memcmp(f.data, expected[i].data, f.size) == 0);
        }
        free(buf);
        if (host_case_failed)
            return;
    }
}

/* ---- single-field corruptions ----------------------------------------------- */

/* Offset of the member header holding name. */
static size_t member_offset(const char *name)
{
    size_t cursor = 0, at = 0;
    struct cpio_file f;

    while (cpio_next(archive, archive_len, &cursor, &f) == VIPER_OK) {
        if (strcmp(f.name, name) == 0)
            return at;
        at = cursor;
    }
    return SIZE_MAX;
}

static void put_hex8(uint8_t *p, uint32_t v)
{
    char tmp[9];
    snprintf(tmp, sizeof(tmp), "%08X", v);
    memcpy(p, tmp, 8);
}

static uint32_t get_hex8(const uint8_t *p)
{
    char tmp[9];
    memcpy(tmp, p, 8);
    tmp[8] = '\0';
    return (uint32_t)strtoul(tmp, NULL, 16);
}

/* Corrupt `member` with fn and expect a walk and a find of it to fail. */
static void expect_bad(const char *member, void (*fn)(uint8_t *hdr, void *arg), void *arg,
                       const char *what)
{
    size_t off = member_offset(member);
    uint8_t *buf = copy_of(archive, archive_len);
    struct cpio_file f;
    int count;

    fn(buf + off, arg);
    int rc = walk(buf, archive_len, &count);
    int rf = cpio_find(buf, archive_len, member, &f);
    if (rc != VIPER_ERR_BAD_FORMAT || rf != VIPER_ERR_BAD_FORMAT) {
        printf("  %s of %s: walk %d, find %d\n", what, member, rc, rf);
        host_case_failed = 1;
    }
    free(buf);
}

static void set_char(uint8_t *hdr, void *arg)
{
    const int *pos = arg;
    hdr[pos[0]] = (uint8_t)pos[1];
}

static void set_field(uint8_t *hdr, void *arg)
{
    const uint32_t *fv = arg;
    put_hex8(hdr + 6 + 8 * fv[0], fv[1]);
}

static void add_field(uint8_t *hdr, void *arg)
{
    const int32_t *fv = arg;
    uint8_t *p = hdr + 6 + 8 * fv[0];
    put_hex8(p, get_hex8(p) + (uint32_t)fv[1]);
}

HOST_TEST(test_corrupt_fields)
{
    static const char *members[] = { "hello.txt", "dir/sub/numbers", "abcd", "TRAILER!!!" };
    static const int bad_chars[] = { 'g', ' ', '-', 'x', '\0', 0x80 };

    for (size_t m = 0; m < sizeof(members) / sizeof(members[0]); m++) {
        REQUIRE(member_offset(members[m]) != SIZE_MAX || strcmp(members[m], "TRAILER!!!") == 0);
        if (strcmp(members[m], "TRAILER!!!") == 0)
            continue;
        /* Every character of the magic and of every field: non-hex characters. */
        for (int pos = 0; pos < CPIO_HEADER_SIZE; pos++) {
            for (size_t c = 0; c < sizeof(bad_chars) / sizeof(bad_chars[0]); c++) {
                int arg[2] = { pos, bad_chars[c] };
                expect_bad(members[m], set_char, arg, "bad character");
            }
        }
        /* Sizes that point outside the archive or break the name. */
        uint32_t big[][2] = { { 6, 0xffffffffu }, { 6, (uint32_t)archive_len }, { 11, 0 },
                              { 11, 0xffffffffu }, { 11, (uint32_t)archive_len } };
        for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
            expect_bad(members[m], set_field, big[i], "bad size");
        int32_t off_by[][2] = { { 11, -1 }, { 11, 1 } };  /* NUL not last / not only */
        for (size_t i = 0; i < sizeof(off_by) / sizeof(off_by[0]); i++)
            expect_bad(members[m], add_field, off_by[i], "namesize off by one");
    }
}

HOST_TEST(test_trailer_missing)
{
    /* Rename the trailer: the walk runs off the end of the archive. */
    size_t cursor = 0, at = 0;
    struct cpio_file f;
    uint8_t *buf = copy_of(archive, archive_len);
    int count;

    while (cpio_next(archive, archive_len, &cursor, &f) == VIPER_OK)
        at = cursor;
    buf[at + CPIO_HEADER_SIZE] = 'X';
    CHECK(walk(buf, archive_len, &count) == VIPER_ERR_BAD_FORMAT);
    CHECK(cpio_find(buf, archive_len, "nope", &f) == VIPER_ERR_BAD_FORMAT);
    CHECK(cpio_find(buf, archive_len, "hello.txt", &f) == VIPER_OK);
    free(buf);
}

/* ---- fuzzing -------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

HOST_TEST(test_fuzz)
{
    static const char hex[] = "0123456789abcdefABCDEF";

    for (int iter = 0; iter < 2000; iter++) {
        size_t len = rng() % 4 == 0 ? rng() % (archive_len + 1) : archive_len;
        uint8_t *buf = copy_of(archive, len);
        int nmut = 1 + (int)(rng() % 4);
        for (int k = 0; k < nmut && len > 0; k++) {
            size_t pos = (size_t)(rng() % (len < trailer_end ? len : trailer_end));
            switch (rng() % 3) {
            case 0:
                buf[pos] = (uint8_t)rng();
                break;
            case 1:
                buf[pos] = (uint8_t)hex[rng() % (sizeof(hex) - 1)];
                break;
            default:
                buf[pos] ^= (uint8_t)(1u << (rng() % 8));
                break;
            }
        }
        int count;
        int rc = walk(buf, len, &count);
        CHECK(rc == VIPER_OK || rc == VIPER_ERR_NOT_FOUND || rc == VIPER_ERR_BAD_FORMAT);
        struct cpio_file f;
        rc = cpio_find(buf, len, expected[iter % 7].name, &f);
        if (rc == VIPER_OK)
            CHECK((const uint8_t *)f.data + f.size <= buf + len);
        free(buf);
        if (host_case_failed) {
            printf("  iteration %d\n", iter);
            return;
        }
    }
}

static void on_alarm(int sig)
{
    static const char msg[] = "FAIL cpio: timed out (a walk did not terminate)\n";
    (void)sig;
    (void)!write(1, msg, sizeof(msg) - 1);
    _exit(1);
}

int main(int argc, char **argv)
{
    host_binary = "cpio";
    if (argc < 2) {
        fprintf(stderr, "usage: %s <dir with test.cpio>\n", argv[0]);
        return 2;
    }
    signal(SIGALRM, on_alarm);
    alarm(120);
    archive = load_file(argv[1], "test.cpio", &archive_len);
    if (archive == NULL) {
        printf("FAIL cpio.load: cannot read %s/test.cpio\n", argv[1]);
        return 1;
    }
    for (int i = 1; i <= 1000; i++)
        numbers_len += (size_t)snprintf(numbers + numbers_len, sizeof(numbers) - numbers_len,
                                        "%d\n", i);
    size_t cursor = 0;
    struct cpio_file f;
    while (cpio_next(archive, archive_len, &cursor, &f) == VIPER_OK)
        ;
    trailer_end = cursor + ((CPIO_HEADER_SIZE + 11 + 3) & ~(size_t)3);  /* + "TRAILER!!!", padded */
    host_run(test_find_real);
    host_run(test_find_prefixes);
    host_run(test_iterate);
    host_run(test_empty_and_tiny);
    host_run(test_truncated);
    host_run(test_corrupt_fields);
    host_run(test_trailer_missing);
    host_run(test_fuzz);
    free(archive);
    return host_summary();
}
