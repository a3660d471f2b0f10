/*
 * lib/cpio.c - read-only "newc" cpio archive reader.
 *
 * A member is [110-byte header][name, NUL, pad to 4][data, pad to 4]; all
 * offsets are relative to the start of the archive.  The header's fields are
 * 8 ASCII hex digits each, parsed strictly (no signs, spaces or short
 * fields).  Invariants checked for every member before anything is returned:
 * the header, the name (namesize bytes, its only NUL the last) and the data
 * all lie inside [0, len); arithmetic is done in size_t after range checks, so
 * it cannot wrap.  Padding after the last member's data may be missing only
 * when the trailer is reached.  Each call advances the cursor by at least one
 * header, so iteration always terminates.
 */
#include <lib/cpio.h>
#include <lib/string.h>
#include <stdbool.h>
#include <viper/errors.h>

#define CPIO_MAGIC       "070701"
#define CPIO_MAGIC_LEN   6
#define CPIO_FIELD_LEN   8
#define CPIO_TRAILER     "TRAILER!!!"

/* Field indices after the magic (newc order). */
enum cpio_field {
    F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE,
    F_DEVMAJOR, F_DEVMINOR, F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK
};

static size_t align4(size_t v)
{
    return (v + 3) & ~(size_t)3;
}

/* Parse exactly 8 hex digits; false on any other character. */
static bool parse_hex8(const char *p, uint32_t *out)
{
    uint32_t v = 0;

    for (int i = 0; i < CPIO_FIELD_LEN; i++) {
        char c = p[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (uint32_t)(c - 'A' + 10);
        else
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

static bool header_field(const char *hdr, enum cpio_field f, uint32_t *out)
{
    return parse_hex8(hdr + CPIO_MAGIC_LEN + (size_t)f * CPIO_FIELD_LEN, out);
}

/*
 * Decode the member at off.  On VIPER_OK fills out and *next (the offset of
 * the following member, possibly len when the archive ends right there).
 */
static int cpio_member(const char *base, size_t len, size_t off, struct cpio_file *out,
                       size_t *next)
{
    uint32_t mode, filesize, namesize;

    if (off > len || len - off < CPIO_HEADER_SIZE || (off & 3) != 0)
        return VIPER_ERR_BAD_FORMAT;
    const char *hdr = base + off;
    if (memcmp(hdr, CPIO_MAGIC, CPIO_MAGIC_LEN) != 0)
        return VIPER_ERR_BAD_FORMAT;
    for (int f = F_INO; f <= F_CHECK; f++) {
        uint32_t v;
        if (!header_field(hdr, (enum cpio_field)f, &v))
            return VIPER_ERR_BAD_FORMAT;
    }
    header_field(hdr, F_MODE, &mode);
    header_field(hdr, F_FILESIZE, &filesize);
    header_field(hdr, F_NAMESIZE, &namesize);

    size_t name_off = off + CPIO_HEADER_SIZE;
    if (namesize == 0 || namesize > len - name_off)
        return VIPER_ERR_BAD_FORMAT;
    const char *name = base + name_off;
    if (name[namesize - 1] != '\0' || strnlen(name, namesize) != namesize - 1)
        return VIPER_ERR_BAD_FORMAT;
    size_t data_off = align4(name_off + namesize);
    if (data_off > len || filesize > len - data_off)
        return VIPER_ERR_BAD_FORMAT;

    out->name = name;
    out->data = base + data_off;
    out->size = filesize;
    out->mode = mode;
    size_t end = data_off + filesize;
    *next = align4(end) <= len ? align4(end) : len;
    return VIPER_OK;
}

int cpio_next(const void *archive, size_t len, size_t *cursor, struct cpio_file *out)
{
    struct cpio_file f;
    size_t next;
    int rc = cpio_member(archive, len, *cursor, &f, &next);

    if (rc != VIPER_OK)
        return rc;
    if (strcmp(f.name, CPIO_TRAILER) == 0)
        return VIPER_ERR_NOT_FOUND;
    if (next == len)
        return VIPER_ERR_BAD_FORMAT; /* a member must follow: at least the trailer */
    *out = f;
    *cursor = next;
    return VIPER_OK;
}

/* Drop a leading "./" and any leading slashes. */
static const char *cpio_strip(const char *path)
{
    if (path[0] == '.' && path[1] == '/')
        path += 2;
    while (*path == '/')
        path++;
    return path;
}

int cpio_find(const void *archive, size_t len, const char *path, struct cpio_file *out)
{
    const char *want = cpio_strip(path);
    size_t cursor = 0;
    struct cpio_file f;
    int rc;

    while ((rc = cpio_next(archive, len, &cursor, &f)) == VIPER_OK) {
        if (strcmp(cpio_strip(f.name), want) == 0) {
            *out = f;
            return VIPER_OK;
        }
    }
    return rc;
}
