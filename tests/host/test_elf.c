/*
 * tests/host/test_elf.c - lib/elf.c against real executables and broken ones.
 *
 * argv[1] is a directory holding hello.elf, a tiny static AArch64 program
 * linked with src/user/lib/user.ld (tests/host/elf_hello.c).  Every user
 * program already built under <argv[1]>/../user/bin is parsed too (skipped
 * when absent), and so is /vinit inside <argv[1]>/../initrd.cpio.  Synthetic
 * files built here cover each rule one at a time;
 * truncations at every length, a corruption of every header field and a
 * fixed-seed fuzz loop run on heap buffers of exactly the file's length, so
 * AddressSanitizer catches any read past the end.
 */
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lib/cpio.h>
#include <lib/elf.h>
#include <viper/errors.h>
#include <viper/types.h>

#include "harness.h"

static const char *data_dir;
static uint8_t *hello;
static size_t hello_len;

static uint8_t *load_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
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

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/*
 * Everything a successful parse promises, checked independently: the
 * segments lie in the file and in user space, do not share pages, and the
 * entry is in an executable one.
 */
static bool image_sane(const struct elf_image *img, size_t len)
{
    bool entry_ok = false;

    if (img->nsegments == 0 || img->nsegments > ELF_MAX_SEGMENTS || img->why != NULL)
        return false;
    for (unsigned i = 0; i < img->nsegments; i++) {
        const struct elf_segment *s = &img->segments[i];
        if (s->offset > len || s->filesz > len - s->offset || s->filesz > s->memsz)
            return false;
        if (s->vaddr < VIPER_USER_MIN || s->memsz == 0 || s->vaddr + s->memsz > VIPER_USER_MAX ||
            s->vaddr + s->memsz < s->vaddr)
            return false;
        if ((s->vaddr & 4095) != (s->offset & 4095))
            return false;
        for (unsigned j = 0; j < i; j++) {
            const struct elf_segment *t = &img->segments[j];
            uint64_t a0 = s->vaddr / 4096, a1 = (s->vaddr + s->memsz + 4095) / 4096;
            uint64_t b0 = t->vaddr / 4096, b1 = (t->vaddr + t->memsz + 4095) / 4096;
            if (a0 < b1 && b0 < a1)
                return false;
        }
        if ((s->prot & VIPER_PROT_EXEC) && img->entry >= s->vaddr &&
            img->entry < s->vaddr + s->memsz)
            entry_ok = true;
    }
    return entry_ok;
}

/* ---- synthetic executables --------------------------------------------------- */

struct fake_seg {
    uint32_t type, flags;
    uint64_t offset, vaddr, filesz, memsz, align;
};

#define FAKE_MAX 12
#define FAKE_SIZE 0x6000

struct fake {
    uint64_t entry;
    unsigned n;
    struct fake_seg seg[FAKE_MAX];
};

/* Build a FAKE_SIZE-byte ELF: header, phdrs at 64, no section headers. */
static uint8_t *fake_build(const struct fake *fk)
{
    uint8_t *b = calloc(1, FAKE_SIZE);
    static const uint8_t ident[16] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 };

    memcpy(b, ident, sizeof(ident));
    put16(b + 16, 2);
    put16(b + 18, 183);
    put32(b + 20, 1);
    put64(b + 24, fk->entry);
    put64(b + 32, 64);
    put16(b + 52, 64);
    put16(b + 54, 56);
    put16(b + 56, (uint16_t)fk->n);
    for (unsigned i = 0; i < fk->n; i++) {
        uint8_t *p = b + 64 + 56 * i;
        const struct fake_seg *s = &fk->seg[i];
        put32(p, s->type);
        put32(p + 4, s->flags);
        put64(p + 8, s->offset);
        put64(p + 16, s->vaddr);
        put64(p + 24, s->vaddr);
        put64(p + 32, s->filesz);
        put64(p + 40, s->memsz);
        put64(p + 48, s->align);
    }
    return b;
}

/* A valid base: text at 0x400000 (R+X, file 0x1000), data at 0x402000 (R+W, file 0x2000). */
static struct fake fake_base(void)
{
    struct fake fk = { .entry = 0x400010, .n = 2 };
    fk.seg[0] = (struct fake_seg){ 1, 5, 0x1000, 0x400000, 0x800, 0x800, 0x1000 };
    fk.seg[1] = (struct fake_seg){ 1, 6, 0x2000, 0x402000, 0x100, 0x3000, 0x1000 };
    return fk;
}

static int fake_parse(const struct fake *fk, struct elf_image *img)
{
    uint8_t *b = fake_build(fk);
    int rc = elf_parse(b, FAKE_SIZE, img);
    free(b);
    return rc;
}

static void expect_fake(const struct fake *fk, int want, const char *what)
{
    struct elf_image img;
    int rc = fake_parse(fk, &img);

    if (rc != want || (rc != VIPER_OK && img.why == NULL) ||
        (rc == VIPER_OK && !image_sane(&img, FAKE_SIZE))) {
        printf("  %s: got %d (%s), want %d\n", what, rc, img.why ? img.why : "-", want);
        host_case_failed = 1;
    }
}

HOST_TEST(test_fake_valid)
{
    struct fake fk = fake_base();
    struct elf_image img;

    REQUIRE(fake_parse(&fk, &img) == VIPER_OK);
    CHECK(img.why == NULL);
    CHECK(img.entry == 0x400010);
    REQUIRE(img.nsegments == 2);
    CHECK(img.segments[0].prot == (VIPER_PROT_READ | VIPER_PROT_EXEC));
    CHECK(img.segments[1].prot == (VIPER_PROT_READ | VIPER_PROT_WRITE));
    CHECK(img.segments[1].memsz == 0x3000 && img.segments[1].filesz == 0x100);
    CHECK(img.segments[1].offset == 0x2000 && img.segments[1].vaddr == 0x402000);

    /* Other program header types are ignored; memsz 0 loads are skipped. */
    fk.seg[2] = (struct fake_seg){ 0x6474e551 /* PT_GNU_STACK */, 6, 0, 0, 0, 0, 16 };
    fk.seg[3] = (struct fake_seg){ 4 /* PT_NOTE */, 4, 0x1000, 0x400000, 8, 8, 4 };
    fk.seg[4] = (struct fake_seg){ 1, 4, 0x3000, 0x500000, 0, 0, 0x1000 };
    fk.n = 5;
    REQUIRE(fake_parse(&fk, &img) == VIPER_OK);
    CHECK(img.nsegments == 2);

    /* Exactly eight loads is fine; p_align 0 and 1 mean "no constraint". */
    fk = fake_base();
    fk.n = 8;
    for (unsigned i = 1; i < 8; i++)
        fk.seg[i] = (struct fake_seg){ 1, 4, 0x2000, 0x402000 + 0x10000 * i, 0x10, 0x10,
                                       i % 2 };
    expect_fake(&fk, VIPER_OK, "eight loads");
}

HOST_TEST(test_fake_rules)
{
    struct fake fk;

#define CASE(edit, want)          \
    do {                          \
        fk = fake_base();         \
        edit;                     \
        expect_fake(&fk, want, #edit); \
    } while (0)

    const int BAD = VIPER_ERR_BAD_FORMAT;
    CASE((fk.seg[1].type = 3), VIPER_ERR_NOT_SUPPORTED);        /* PT_INTERP */
    CASE((fk.seg[1].type = 2), VIPER_ERR_NOT_SUPPORTED);        /* PT_DYNAMIC */
    CASE((fk.n = 0), BAD);
    CASE((fk.seg[0].type = 6, fk.seg[1].type = 4), BAD);          /* no PT_LOAD */
    CASE((fk.n = 9), VIPER_OK);                                   /* 7 zeroed PT_NULL phdrs */
    CASE((fk.entry = 0x402010), BAD);                             /* entry in data */
    CASE((fk.entry = 0x400012), BAD);                             /* misaligned entry */
    CASE((fk.entry = 0x400800), BAD);                             /* just past text */
    CASE((fk.entry = 0), BAD);
    CASE((fk.seg[0].flags = 4), BAD);                             /* text not executable */
    CASE((fk.seg[0].flags = 0x15), BAD);                          /* unknown flag */
    CASE((fk.seg[1].filesz = 0x3001), BAD);                       /* filesz > memsz */
    CASE((fk.seg[1].offset = 0x2010), BAD);                       /* offset incongruent */
    CASE((fk.seg[1].offset = 0x5000, fk.seg[1].vaddr = 0x405000, fk.seg[1].filesz = 0x1001,
          fk.seg[1].memsz = 0x2000), BAD);                        /* past the end of file */
    CASE((fk.seg[1].offset = UINT64_MAX - 0xfff, fk.seg[1].vaddr = 0x402000), BAD);
    CASE((fk.seg[1].filesz = UINT64_MAX, fk.seg[1].memsz = UINT64_MAX), BAD);
    CASE((fk.seg[1].align = 0x1800), BAD);                        /* not a power of two */
    CASE((fk.seg[1].align = 0x10000, fk.seg[1].vaddr = 0x403000), BAD); /* mod p_align */
    CASE((fk.seg[1].vaddr = 0x402100), BAD);                      /* incongruent mod page */
    CASE((fk.seg[0].vaddr = 0x0, fk.entry = 0x10), BAD);          /* in the NULL guard */
    CASE((fk.seg[0].vaddr = VIPER_USER_MIN - 0x1000, fk.entry = VIPER_USER_MIN - 0x1000),
         BAD);
    CASE((fk.seg[1].vaddr = VIPER_USER_MAX - 0x2000, fk.seg[1].memsz = 0x2001), BAD);
    CASE((fk.seg[1].vaddr = VIPER_USER_MAX), BAD);
    CASE((fk.seg[1].vaddr = 0xfffffffffffff000ull, fk.seg[1].memsz = 0x2000), BAD); /* wraps */
    CASE((fk.seg[1].vaddr = 0x400800, fk.seg[1].offset = 0x2800), BAD); /* shares a page */
    CASE((fk.seg[1].vaddr = 0x3ff000, fk.seg[1].offset = 0x2000), BAD);  /* overlaps below */
    CASE((fk.seg[1].vaddr = 0x401000, fk.seg[1].offset = 0x2000), VIPER_OK); /* adjacent */
    CASE((fk.n = 9, fk.seg[8] = fk.seg[1]), BAD);                 /* duplicate of data */
#undef CASE
    /* Nine non-overlapping loads: one too many. */
    fk = fake_base();
    fk.n = 9;
    for (unsigned i = 1; i < 9; i++)
        fk.seg[i] = (struct fake_seg){ 1, 4, 0x2000, 0x402000 + 0x10000 * i, 0x10, 0x10, 0 };
    expect_fake(&fk, VIPER_ERR_BAD_FORMAT, "nine loads");
}

/* ---- ELF header fields ------------------------------------------------------ */

struct field_edit {
    unsigned off, size;
    uint64_t value;
    const char *what;
};

static const struct field_edit header_edits[] = {
    { 0, 1, 0x7e, "magic 0" }, { 1, 1, 'e', "magic 1" }, { 2, 1, 'l', "magic 2" },
    { 3, 1, 'f', "magic 3" }, { 4, 1, 1, "ELFCLASS32" }, { 4, 1, 0, "ELFCLASSNONE" },
    { 5, 1, 2, "big endian" }, { 5, 1, 0, "ELFDATANONE" }, { 6, 1, 0, "EI_VERSION 0" },
    { 6, 1, 2, "EI_VERSION 2" }, { 7, 1, 9, "EI_OSABI FreeBSD" }, { 8, 1, 1, "EI_ABIVERSION" },
    { 16, 2, 3, "ET_DYN" }, { 16, 2, 1, "ET_REL" }, { 16, 2, 4, "ET_CORE" },
    { 18, 2, 62, "EM_X86_64" }, { 18, 2, 40, "EM_ARM" }, { 20, 4, 0, "e_version 0" },
    { 20, 4, 2, "e_version 2" }, { 24, 8, 0, "e_entry 0" }, { 24, 8, 0x300000, "e_entry low" },
    { 24, 8, UINT64_MAX, "e_entry max" }, { 32, 8, 0, "e_phoff 0" }, { 32, 8, 65, "e_phoff odd" },
    { 32, 8, UINT64_MAX - 7, "e_phoff huge" }, { 32, 8, 1ull << 62, "e_phoff 2^62" },
    { 40, 8, 1, "e_shoff odd" }, { 40, 8, UINT64_MAX - 7, "e_shoff huge" },
    { 40, 8, 0, "e_shoff 0" }, { 48, 4, 1, "e_flags" }, { 52, 2, 52, "e_ehsize 52" },
    { 52, 2, 65, "e_ehsize 65" }, { 54, 2, 32, "e_phentsize 32" },
    { 54, 2, 64, "e_phentsize 64" }, { 56, 2, 0, "e_phnum 0" }, { 56, 2, 0xffff, "PN_XNUM" },
    { 56, 2, 1000, "e_phnum 1000" }, { 58, 2, 40, "e_shentsize 40" },
    { 58, 2, 0, "e_shentsize 0" }, { 60, 2, 0xffff, "e_shnum huge" },
    { 62, 2, 0xffff, "e_shstrndx SHN_XINDEX" }, { 62, 2, 200, "e_shstrndx too big" },
};

static void apply_edit(uint8_t *b, const struct field_edit *e)
{
    for (unsigned i = 0; i < e->size; i++)
        b[e->off + i] = (uint8_t)(e->value >> (8 * i));
}

HOST_TEST(test_header_fields)
{
    for (size_t i = 0; i < sizeof(header_edits) / sizeof(header_edits[0]); i++) {
        uint8_t *b = copy_of(hello, hello_len);
        struct elf_image img;
        apply_edit(b, &header_edits[i]);
        int rc = elf_parse(b, hello_len, &img);
        if (rc != VIPER_ERR_BAD_FORMAT || img.why == NULL) {
            printf("  %s: got %d\n", header_edits[i].what, rc);
            host_case_failed = 1;
        }
        free(b);
    }
}

/* Each field of each real PT_LOAD, set to values that must be refused. */
HOST_TEST(test_phdr_fields)
{
    uint64_t phoff = get64(hello + 32);
    unsigned phnum = (unsigned)(hello[56] | hello[57] << 8);
    static const struct { unsigned off, size; uint64_t value; const char *what; } edits[] = {
        { 4, 4, 8, "p_flags unknown bit" },
        { 8, 8, UINT64_MAX, "p_offset max" },
        { 8, 8, 0x100000, "p_offset past end" },
        { 8, 8, 0x10, "p_offset incongruent" },
        { 16, 8, 0, "p_vaddr 0" },
        { 16, 8, 0x1000, "p_vaddr in guard" },
        { 16, 8, VIPER_USER_MAX, "p_vaddr at USER_MAX" },
        { 16, 8, 0xffffffffc0000000ull, "p_vaddr kernel" },
        { 16, 8, 0x400010, "p_vaddr incongruent" },
        { 32, 8, UINT64_MAX, "p_filesz max" },
        { 32, 8, 0x100000, "p_filesz past end" },
        { 40, 8, UINT64_MAX, "p_memsz max" },
        { 40, 8, VIPER_USER_MAX, "p_memsz huge" },
        { 48, 8, 3, "p_align 3" },
        { 48, 8, 0x1800, "p_align 0x1800" },
        { 48, 8, 1ull << 40, "p_align 2^40" },
        { 0, 4, 3, "PT_INTERP" },
        { 0, 4, 2, "PT_DYNAMIC" },
    };
    unsigned loads = 0;

    for (unsigned i = 0; i < phnum; i++) {
        uint8_t *ph = hello + phoff + 56 * i;
        if (ph[0] != 1 || ph[1] || ph[2] || ph[3])
            continue;
        loads++;
        for (size_t k = 0; k < sizeof(edits) / sizeof(edits[0]); k++) {
            uint8_t *b = copy_of(hello, hello_len);
            struct elf_image img;
            struct field_edit e = { (unsigned)(phoff + 56 * i + edits[k].off), edits[k].size,
                                    edits[k].value, edits[k].what };
            apply_edit(b, &e);
            int rc = elf_parse(b, hello_len, &img);
            int want = edits[k].off == 0 ? VIPER_ERR_NOT_SUPPORTED : VIPER_ERR_BAD_FORMAT;
            if (rc != want || img.why == NULL) {
                printf("  segment %u, %s: got %d\n", i, edits[k].what, rc);
                host_case_failed = 1;
            }
            free(b);
        }
    }
    CHECK(loads == 3);
}

/* ---- real executables ------------------------------------------------------- */

HOST_TEST(test_hello)
{
    struct elf_image img;

    REQUIRE(elf_parse(hello, hello_len, &img) == VIPER_OK);
    CHECK(img.why == NULL);
    CHECK(image_sane(&img, hello_len));
    REQUIRE(img.nsegments == 3);
    CHECK(img.segments[0].vaddr == VIPER_USER_IMAGE);
    CHECK(img.segments[0].prot == (VIPER_PROT_READ | VIPER_PROT_EXEC));
    CHECK(img.segments[1].prot == VIPER_PROT_READ);
    CHECK(img.segments[2].prot == (VIPER_PROT_READ | VIPER_PROT_WRITE));
    CHECK(img.segments[2].memsz > img.segments[2].filesz);   /* has .bss */
    CHECK(img.entry >= img.segments[0].vaddr &&
          img.entry < img.segments[0].vaddr + img.segments[0].memsz);
}

HOST_TEST(test_hello_unaligned)
{
    /* The parser must not assume any alignment of the buffer. */
    uint8_t *b = malloc(hello_len + 1);
    struct elf_image img;

    memcpy(b + 1, hello, hello_len);
    CHECK(elf_parse(b + 1, hello_len, &img) == VIPER_OK);
    free(b);
}

HOST_TEST(test_truncated)
{
    /* The section headers are the last thing in the file: every cut is an error. */
    for (size_t len = 0; len < hello_len; len++) {
        uint8_t *b = copy_of(hello, len);
        struct elf_image img;
        int rc = elf_parse(b, len, &img);
        free(b);
        if (rc != VIPER_ERR_BAD_FORMAT || img.why == NULL) {
            printf("  length %zu: got %d\n", len, rc);
            host_case_failed = 1;
            return;
        }
    }
}

static unsigned parse_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    unsigned n = 0;

    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL) {
        char path[2048];
        struct stat st;
        size_t len;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (de->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        uint8_t *b = load_file(path, &len);
        if (b == NULL)
            continue;
        struct elf_image img;
        int rc = elf_parse(b, len, &img);
        /* tests/user/exec_badelf is built to be refused (a segment past user space). */
        bool must_fail = strncmp(de->d_name, "exec_badelf", 11) == 0;
        if (must_fail && rc != VIPER_ERR_BAD_FORMAT) {
            printf("  %s: %d, want VIPER_ERR_BAD_FORMAT\n", path, rc);
            host_case_failed = 1;
        } else if (!must_fail && (rc != VIPER_OK || !image_sane(&img, len))) {
            printf("  %s: %d (%s)\n", path, rc, img.why ? img.why : "insane result");
            host_case_failed = 1;
        }
        free(b);
        n++;
    }
    closedir(d);
    return n;
}

HOST_TEST(test_user_binaries)
{
    static const char *subdirs[] = { "bin", "bin/tests", "bin/bench",
                                     "initrd", "initrd/tests", "initrd/bench" };
    unsigned n = 0;

    for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
        char dir[1024];
        snprintf(dir, sizeof(dir), "%s/../user/%s", data_dir, subdirs[i]);
        n += parse_dir(dir);
    }
    printf("  %u user binaries parsed%s\n", n, n ? "" : " (none built yet)");
}

/* What exec() will do: find /vinit (the first program) in the boot filesystem and check it. */
HOST_TEST(test_initrd_init)
{
    char path[1024];
    size_t len;
    struct cpio_file f;
    struct elf_image img;

    snprintf(path, sizeof(path), "%s/../initrd.cpio", data_dir);
    uint8_t *archive = load_file(path, &len);
    if (archive == NULL) {
        printf("  no %s (not built yet)\n", path);
        return;
    }
    CHECK(cpio_find(archive, len, "/vinit", &f) == VIPER_OK);
    if (!host_case_failed) {
        int rc = elf_parse(f.data, f.size, &img);
        CHECK(rc == VIPER_OK);
        CHECK(rc != VIPER_OK || image_sane(&img, f.size));
        CHECK(img.segments[0].vaddr == VIPER_USER_IMAGE);
    }
    free(archive);
}

/* ---- fuzzing ---------------------------------------------------------------- */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

HOST_TEST(test_fuzz)
{
    uint64_t phoff = get64(hello + 32);
    size_t hot = (size_t)phoff + 56 * 3;   /* header + program headers */
    unsigned ok = 0;

    for (int iter = 0; iter < 2000; iter++) {
        size_t len = rng() % 8 == 0 ? (size_t)(rng() % (hello_len + 1)) : hello_len;
        uint8_t *b = copy_of(hello, len);
        int nmut = 1 + (int)(rng() % 3);
        for (int k = 0; k < nmut && len > 0; k++) {
            size_t pos = rng() % 4 ? (size_t)(rng() % hot) : (size_t)(rng() % len);
            if (pos >= len)
                continue;
            switch (rng() % 3) {
            case 0:
                b[pos] = (uint8_t)rng();
                break;
            case 1:
                b[pos] ^= (uint8_t)(1u << (rng() % 8));
                break;
            default:
                b[pos] = rng() % 2 ? 0 : 0xff;
                break;
            }
        }
        struct elf_image img;
        int rc = elf_parse(b, len, &img);
        if (rc == VIPER_OK) {
            ok++;
            CHECK(image_sane(&img, len));
        } else {
            CHECK(rc == VIPER_ERR_BAD_FORMAT || rc == VIPER_ERR_NOT_SUPPORTED);
            CHECK(img.why != NULL);
        }
        free(b);
        if (host_case_failed) {
            printf("  iteration %d\n", iter);
            return;
        }
    }
    CHECK(ok > 0);   /* some mutations (e.g. of p_paddr) are harmless */
}

static void on_alarm(int sig)
{
    static const char msg[] = "FAIL elf: timed out\n";
    (void)sig;
    (void)!write(1, msg, sizeof(msg) - 1);
    _exit(1);
}

int main(int argc, char **argv)
{
    char path[1024];

    host_binary = "elf";
    if (argc < 2) {
        fprintf(stderr, "usage: %s <dir with hello.elf>\n", argv[0]);
        return 2;
    }
    signal(SIGALRM, on_alarm);
    alarm(120);
    data_dir = argv[1];
    snprintf(path, sizeof(path), "%s/hello.elf", data_dir);
    hello = load_file(path, &hello_len);
    if (hello == NULL) {
        printf("FAIL elf.load: cannot read %s\n", path);
        return 1;
    }
    host_run(test_fake_valid);
    host_run(test_fake_rules);
    host_run(test_header_fields);
    host_run(test_phdr_fields);
    host_run(test_hello);
    host_run(test_hello_unaligned);
    host_run(test_truncated);
    host_run(test_user_binaries);
    host_run(test_initrd_init);
    host_run(test_fuzz);
    free(hello);
    return host_summary();
}
