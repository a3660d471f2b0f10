/*
 * bootfs/bootfs.c - a bounds-checked newc cpio reader (see bootfs.h).
 *
 * A member is a 110-byte header ("070701" and 13 fields of 8 hex digits),
 * the NUL-terminated name padded to 4 bytes, then the data padded to 4
 * bytes; "TRAILER!!!" ends the archive.  member_at() checks that all three
 * lie inside the archive before anything uses them, and every step moves
 * forward by at least a header, so walking always ends.  The archive is
 * small (a hundred members), so lookups and listings simply walk it.
 */
#include <bootfs/bootfs.h>
#include <stdbool.h>
#include <string.h>
#include <viper/errors.h>

#define HDR_SIZE   110u
#define FIELD_LEN  8u
#define F_MODE     1u
#define F_FILESIZE 6u
#define F_NAMESIZE 11u
#define MODE_TYPE  0170000u
#define MODE_DIR   0040000u

struct member {
    const char *name;   /* full path, NUL-terminated, without a leading "./" */
    const void *data;
    size_t size;
    uint32_t mode;
    size_t next;        /* offset of the following member */
};

static size_t align4(size_t v)
{
    return (v + 3) & ~(size_t)3;
}

static bool field(const uint8_t *hdr, unsigned idx, uint32_t *out)
{
    uint32_t v = 0;
    const uint8_t *p = hdr + 6 + idx * FIELD_LEN;

    for (unsigned i = 0; i < FIELD_LEN; i++) {
        uint8_t c = p[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10u;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10u;
        else
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

/* The member at off: VIPER_OK, VIPER_ERR_NOT_FOUND at the trailer, or BAD_FORMAT. */
static int member_at(const uint8_t *base, size_t len, size_t off, struct member *m)
{
    uint32_t mode, size, namesize;

    if (off > len || len - off < HDR_SIZE || memcmp(base + off, "070701", 6) != 0)
        return VIPER_ERR_BAD_FORMAT;
    const uint8_t *hdr = base + off;
    if (!field(hdr, F_MODE, &mode) || !field(hdr, F_FILESIZE, &size) ||
        !field(hdr, F_NAMESIZE, &namesize) || namesize == 0)
        return VIPER_ERR_BAD_FORMAT;
    size_t name_off = off + HDR_SIZE;
    if (len - name_off < namesize || hdr[HDR_SIZE + namesize - 1] != '\0' ||
        strnlen((const char *)hdr + HDR_SIZE, namesize) != namesize - 1)
        return VIPER_ERR_BAD_FORMAT;
    const char *name = (const char *)hdr + HDR_SIZE;
    if (strcmp(name, "TRAILER!!!") == 0)
        return VIPER_ERR_NOT_FOUND;
    size_t data_off = align4(name_off + namesize);
    if (data_off > len || len - data_off < size)
        return VIPER_ERR_BAD_FORMAT;
    if (name[0] == '.' && name[1] == '/')
        name += 2;
    while (name[0] == '/')
        name++;
    if (name[0] == '.' && name[1] == '\0')
        name++;   /* "." is the root itself */
    *m = (struct member){ name, base + data_off, size, mode, align4(data_off + size) };
    return VIPER_OK;
}

void bootfs_open(struct bootfs *fs, const void *base, size_t len)
{
    fs->base = base;
    fs->len = len;
}

size_t bootfs_size(const void *base, size_t max)
{
    struct member m;
    size_t off = 0;
    int err;

    while ((err = member_at(base, max, off, &m)) == VIPER_OK)
        off = m.next;
    if (err != VIPER_ERR_NOT_FOUND)
        return 0;
    uint32_t namesize;
    field((const uint8_t *)base + off, F_NAMESIZE, &namesize);
    size_t end = off + HDR_SIZE + namesize;
    return end > max ? max : end;
}

/* Does name start with the directory prefix dir ("" matches everything)? Returns the rest. */
static const char *inside(const char *name, const char *dir, size_t dirlen)
{
    if (dirlen == 0)
        return name[0] ? name : NULL;
    if (strncmp(name, dir, dirlen) != 0 || name[dirlen] != '/' || name[dirlen + 1] == '\0')
        return NULL;
    return name + dirlen + 1;
}

static void entry_of(const struct member *m, const char *rest, struct bootfs_entry *e)
{
    const char *slash = strchr(rest, '/');
    bool implied = slash != NULL;

    e->name = rest;
    e->namelen = implied ? (size_t)(slash - rest) : strlen(rest);
    e->kind = implied || (m->mode & MODE_TYPE) == MODE_DIR ? BOOTFS_DIR : BOOTFS_FILE;
    e->data = e->kind == BOOTFS_FILE ? m->data : NULL;
    e->size = e->kind == BOOTFS_FILE ? m->size : 0;
}

int bootfs_lookup(const struct bootfs *fs, const char *path, struct bootfs_entry *out)
{
    struct member m;
    size_t off = 0, plen = strlen(path);
    int err;

    if (plen == 0) {   /* the root */
        *out = (struct bootfs_entry){ "", 0, NULL, 0, BOOTFS_DIR };
        return VIPER_OK;
    }
    while ((err = member_at(fs->base, fs->len, off, &m)) == VIPER_OK) {
        off = m.next;
        if (strcmp(m.name, path) == 0) {
            const char *last = strrchr(m.name, '/');
            entry_of(&m, last ? last + 1 : m.name, out);
            return VIPER_OK;
        }
        if (inside(m.name, path, plen)) {   /* a directory only its members imply */
            *out = (struct bootfs_entry){ path, plen, NULL, 0, BOOTFS_DIR };
            const char *slash = strrchr(path, '/');
            if (slash) {
                out->name = slash + 1;
                out->namelen = plen - (size_t)(slash + 1 - path);
            }
            return VIPER_OK;
        }
    }
    return err == VIPER_ERR_NOT_FOUND ? VIPER_ERR_NOT_FOUND : err;
}

/* Was the child name[0..n) of dir already reported by a member before offset stop? */
static bool seen_before(const struct bootfs *fs, const char *dir, size_t dirlen, size_t stop,
                        const char *name, size_t n)
{
    struct member m;
    size_t off = 0;

    while (off < stop && member_at(fs->base, fs->len, off, &m) == VIPER_OK) {
        off = m.next;
        const char *rest = inside(m.name, dir, dirlen);
        if (rest && strncmp(rest, name, n) == 0 && (rest[n] == '/' || rest[n] == '\0'))
            return true;
    }
    return false;
}

int bootfs_list(const struct bootfs *fs, const char *dir,
                int (*fn)(void *ctx, const struct bootfs_entry *e), void *ctx)
{
    struct bootfs_entry e;
    struct member m;
    size_t off = 0, dirlen = strlen(dir);
    int err = bootfs_lookup(fs, dir, &e);

    if (err)
        return err;
    if (e.kind != BOOTFS_DIR)
        return VIPER_ERR_NOT_FOUND;
    while ((err = member_at(fs->base, fs->len, off, &m)) == VIPER_OK) {
        size_t here = off;
        off = m.next;
        const char *rest = inside(m.name, dir, dirlen);
        if (!rest)
            continue;
        entry_of(&m, rest, &e);
        if (seen_before(fs, dir, dirlen, here, e.name, e.namelen))
            continue;
        if (fn(ctx, &e))
            return VIPER_OK;
    }
    return err == VIPER_ERR_NOT_FOUND ? VIPER_OK : err;
}
