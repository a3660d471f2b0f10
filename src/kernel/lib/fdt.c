/*
 * lib/fdt.c - read-only flattened device tree walker.
 *
 * The blob is untrusted input, so the code is built around two invariants.
 * First, fdt_init checks once that the structure and strings blocks lie inside
 * total_size, which lies inside the caller's buffer; afterwards every read
 * goes through tag_at()/next_tag(), which check 4-byte alignment, token
 * bounds, NUL-terminated names and property lengths against those blocks,
 * and string offsets against the strings block.  Second, next_tag() always
 * returns an offset strictly greater than its input, so every walk moves
 * forward and ends within size_struct / 4 steps whatever the blob contains:
 * no recursion, no stack of parents, no loop that can spin.  Node handles
 * are structure-block offsets of FDT_BEGIN_NODE tokens; each accessor
 * re-checks the token, so a stale or forged handle yields -1, not a fault.
 * Depth-first order is simply structure-block order.
 */
#include <lib/fdt.h>
#include <lib/string.h>
#include <viper/errors.h>

#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP        4u
#define FDT_END        9u

#define FDT_HEADER_SIZE 40u
#define FDT_TAG_BAD     0u /* not a token: out of bounds or malformed */

/* Header field offsets (all big-endian u32). */
enum {
    HDR_MAGIC = 0,
    HDR_TOTALSIZE = 4,
    HDR_OFF_STRUCT = 8,
    HDR_OFF_STRINGS = 12,
    HDR_VERSION = 20,
    HDR_SIZE_STRINGS = 32,
    HDR_SIZE_STRUCT = 36,
};

static const uint8_t *struct_at(const struct fdt *fdt, uint32_t off)
{
    return fdt->blob + fdt->off_struct + off;
}

static uint32_t align4(uint32_t v)
{
    return (v + 3u) & ~3u;
}

/* True if `len` bytes at structure offset off lie inside the structure block. */
static bool struct_has(const struct fdt *fdt, uint32_t off, uint64_t len)
{
    return (uint64_t)off + len <= fdt->size_struct;
}

/* Length of the NUL-terminated string at p if it ends within max bytes, else -1. */
static int64_t bounded_len(const uint8_t *p, uint32_t max)
{
    for (uint32_t i = 0; i < max; i++) {
        if (p[i] == '\0')
            return i;
    }
    return -1;
}

/* The token at structure offset off, or FDT_TAG_BAD. */
static uint32_t tag_at(const struct fdt *fdt, int off)
{
    if (off < 0 || (off & 3) != 0 || !struct_has(fdt, (uint32_t)off, 4))
        return FDT_TAG_BAD;
    return fdt_be32(struct_at(fdt, (uint32_t)off));
}

/*
 * Property at structure offset off (a FDT_PROP token): checks the header,
 * the value and the name; returns the offset of the next token or -1.
 */
static int prop_check(const struct fdt *fdt, uint32_t off, const char **name,
                      const uint8_t **value, uint32_t *len)
{
    if (!struct_has(fdt, off, 12))
        return -1;
    uint32_t vlen = fdt_be32(struct_at(fdt, off + 4));
    uint32_t nameoff = fdt_be32(struct_at(fdt, off + 8));
    if (!struct_has(fdt, off + 12, vlen) || nameoff >= fdt->size_strings)
        return -1;
    const uint8_t *n = fdt->blob + fdt->off_strings + nameoff;
    if (bounded_len(n, fdt->size_strings - nameoff) < 0)
        return -1;
    if (name != NULL)
        *name = (const char *)n;
    if (value != NULL)
        *value = struct_at(fdt, off + 12);
    if (len != NULL)
        *len = vlen;
    return (int)align4(off + 12 + vlen);
}

/*
 * Offset of the token after the one at off, or -1 if that token is malformed
 * or FDT_END.  The result is always greater than off.
 */
static int next_tag(const struct fdt *fdt, int off)
{
    int64_t n;

    switch (tag_at(fdt, off)) {
    case FDT_BEGIN_NODE:
        n = bounded_len(struct_at(fdt, (uint32_t)off + 4), fdt->size_struct - (uint32_t)off - 4);
        return n < 0 ? -1 : (int)align4((uint32_t)off + 4 + (uint32_t)n + 1);
    case FDT_PROP:
        return prop_check(fdt, (uint32_t)off, NULL, NULL, NULL);
    case FDT_END_NODE:
    case FDT_NOP:
        return off + 4;
    default:
        return -1;
    }
}

/* Skip NOPs from off; returns the offset of the first other token, or -1. */
static int skip_nops(const struct fdt *fdt, int off)
{
    while (off >= 0 && tag_at(fdt, off) == FDT_NOP)
        off = next_tag(fdt, off);
    return off;
}

static bool is_node(const struct fdt *fdt, int node)
{
    return tag_at(fdt, node) == FDT_BEGIN_NODE;
}

/* Offset just past the FDT_END_NODE that closes node, or -1. */
static int node_end(const struct fdt *fdt, int node)
{
    int depth = 0;

    for (int off = node; off >= 0; off = next_tag(fdt, off)) {
        uint32_t tag = tag_at(fdt, off);
        if (tag == FDT_BEGIN_NODE)
            depth++;
        else if (tag == FDT_END_NODE && --depth == 0)
            return off + 4;
    }
    return -1;
}

/* The node starting at or after off (NOPs skipped), or -1. */
static int node_at(const struct fdt *fdt, int off)
{
    off = skip_nops(fdt, off);
    return is_node(fdt, off) ? off : -1;
}

int fdt_init(struct fdt *fdt, const void *blob, size_t max_size)
{
    const uint8_t *b = blob;

    *fdt = (struct fdt){ 0 };
    if (b == NULL || max_size < FDT_HEADER_SIZE || fdt_be32(b + HDR_MAGIC) != FDT_MAGIC ||
        fdt_be32(b + HDR_VERSION) < 16)
        return VIPER_ERR_BAD_FORMAT;
    uint32_t total = fdt_be32(b + HDR_TOTALSIZE);
    uint32_t off_struct = fdt_be32(b + HDR_OFF_STRUCT);
    uint32_t size_struct = fdt_be32(b + HDR_SIZE_STRUCT);
    uint32_t off_strings = fdt_be32(b + HDR_OFF_STRINGS);
    uint32_t size_strings = fdt_be32(b + HDR_SIZE_STRINGS);
    if (total < FDT_HEADER_SIZE || total > max_size || total > INT32_MAX)
        return VIPER_ERR_BAD_FORMAT;
    if (off_struct < FDT_HEADER_SIZE || (off_struct & 3) != 0 ||
        (uint64_t)off_struct + size_struct > total)
        return VIPER_ERR_BAD_FORMAT;
    if (off_strings < FDT_HEADER_SIZE || (uint64_t)off_strings + size_strings > total)
        return VIPER_ERR_BAD_FORMAT;
    *fdt = (struct fdt){
        .blob = b,
        .total_size = total,
        .off_struct = off_struct,
        .size_struct = size_struct,
        .off_strings = off_strings,
        .size_strings = size_strings,
    };
    return VIPER_OK;
}

int fdt_root(const struct fdt *fdt)
{
    return node_at(fdt, 0);
}

int fdt_first_child(const struct fdt *fdt, int node)
{
    if (!is_node(fdt, node))
        return -1;
    int off = next_tag(fdt, node);
    while (off >= 0) {
        uint32_t tag = tag_at(fdt, off);
        if (tag == FDT_BEGIN_NODE)
            return off;
        if (tag != FDT_PROP && tag != FDT_NOP)
            return -1;
        off = next_tag(fdt, off);
    }
    return -1;
}

int fdt_next_sibling(const struct fdt *fdt, int node)
{
    if (!is_node(fdt, node))
        return -1;
    return node_at(fdt, node_end(fdt, node));
}

/*
 * Descend from the root, at each level entering the child whose extent
 * contains node.  Returns -1 for the root and for offsets not in the tree.
 */
int fdt_parent(const struct fdt *fdt, int node)
{
    int cur = fdt_root(fdt);

    if (!is_node(fdt, node) || cur < 0 || node <= cur)
        return -1;
    for (;;) {
        int child = fdt_first_child(fdt, cur);
        int next = -1;
        while (child >= 0 && child <= node) {
            if (child == node)
                return cur;
            int end = node_end(fdt, child);
            if (end < 0)
                return -1;
            if (node < end) {
                next = child;
                break;
            }
            child = node_at(fdt, end);
        }
        if (next < 0)
            return -1;
        cur = next; /* strictly deeper and > the previous cur: terminates */
    }
}

const char *fdt_node_name(const struct fdt *fdt, int node)
{
    if (!is_node(fdt, node) || next_tag(fdt, node) < 0)
        return NULL;
    return (const char *)struct_at(fdt, (uint32_t)node + 4);
}

/* Does node name `name` match path component comp[0..len)? */
static bool name_matches(const char *name, const char *comp, size_t len)
{
    bool has_unit = false;

    for (size_t i = 0; i < len; i++)
        has_unit |= comp[i] == '@';
    if (strncmp(name, comp, len) != 0)
        return false;
    return name[len] == '\0' || (name[len] == '@' && !has_unit);
}

/* Child of node matching comp[0..len), or -1. */
static int find_child(const struct fdt *fdt, int node, const char *comp, size_t len)
{
    for (int child = fdt_first_child(fdt, node); child >= 0;
         child = fdt_next_sibling(fdt, child)) {
        const char *name = fdt_node_name(fdt, child);
        if (name != NULL && name_matches(name, comp, len))
            return child;
    }
    return -1;
}

int fdt_path(const struct fdt *fdt, const char *path)
{
    int node = fdt_root(fdt);

    if (path == NULL || path[0] != '/')
        return -1;
    while (node >= 0 && *path != '\0') {
        while (*path == '/')
            path++;
        size_t len = 0;
        while (path[len] != '\0' && path[len] != '/')
            len++;
        if (len > 0)
            node = find_child(fdt, node, path, len);
        path += len;
    }
    return node;
}

const void *fdt_getprop(const struct fdt *fdt, int node, const char *name, uint32_t *len)
{
    if (!is_node(fdt, node))
        return NULL;
    for (int off = next_tag(fdt, node); off >= 0;) {
        uint32_t tag = tag_at(fdt, off);
        if (tag == FDT_NOP) {
            off = next_tag(fdt, off);
            continue;
        }
        if (tag != FDT_PROP)
            return NULL;
        const char *pname;
        const uint8_t *value;
        uint32_t vlen;
        off = prop_check(fdt, (uint32_t)off, &pname, &value, &vlen);
        if (off >= 0 && strcmp(pname, name) == 0) {
            if (len != NULL)
                *len = vlen;
            return value;
        }
    }
    return NULL;
}

/* Does the string list value[0..len) contain s? */
static bool stringlist_contains(const uint8_t *value, uint32_t len, const char *s)
{
    size_t slen = strlen(s);

    for (uint32_t pos = 0; pos < len;) {
        int64_t n = bounded_len(value + pos, len - pos);
        if (n < 0)
            return false;
        if ((size_t)n == slen && memcmp(value + pos, s, slen) == 0)
            return true;
        pos += (uint32_t)n + 1;
    }
    return false;
}

bool fdt_is_compatible(const struct fdt *fdt, int node, const char *compat)
{
    uint32_t len;
    const uint8_t *value = fdt_getprop(fdt, node, "compatible", &len);

    return value != NULL && stringlist_contains(value, len, compat);
}

/* True if node's property `name` is exactly the string s. */
static bool prop_is_string(const struct fdt *fdt, int node, const char *name, const char *s)
{
    uint32_t len;
    const uint8_t *value = fdt_getprop(fdt, node, name, &len);
    size_t slen = strlen(s);

    return value != NULL && len == slen + 1 && value[slen] == '\0' &&
           memcmp(value, s, slen) == 0;
}

/* The next node after `after` in structure order (root if after is -1), or -1. */
static int next_node(const struct fdt *fdt, int after)
{
    if (after == -1)
        return fdt_root(fdt);
    if (!is_node(fdt, after))
        return -1;
    for (int off = next_tag(fdt, after); off >= 0; off = next_tag(fdt, off)) {
        if (tag_at(fdt, off) == FDT_BEGIN_NODE)
            return off;
    }
    return -1;
}

int fdt_find_compatible(const struct fdt *fdt, int after, const char *compat)
{
    for (int node = next_node(fdt, after); node >= 0; node = next_node(fdt, node)) {
        if (fdt_is_compatible(fdt, node, compat))
            return node;
    }
    return -1;
}

int fdt_find_device_type(const struct fdt *fdt, int after, const char *type)
{
    for (int node = next_node(fdt, after); node >= 0; node = next_node(fdt, node)) {
        if (prop_is_string(fdt, node, "device_type", type))
            return node;
    }
    return -1;
}

int fdt_find_phandle(const struct fdt *fdt, uint32_t phandle)
{
    if (phandle == 0 || phandle == 0xffffffffu)
        return -1;
    for (int node = next_node(fdt, -1); node >= 0; node = next_node(fdt, node)) {
        if (fdt_getprop_u32(fdt, node, "phandle", 0) == phandle ||
            fdt_getprop_u32(fdt, node, "linux,phandle", 0) == phandle)
            return node;
    }
    return -1;
}

uint32_t fdt_getprop_u32(const struct fdt *fdt, int node, const char *name, uint32_t def)
{
    uint32_t len;
    const void *value = fdt_getprop(fdt, node, name, &len);

    return value != NULL && len == 4 ? fdt_be32(value) : def;
}

/* Read a 1- or 2-cell number (cells already validated). */
static uint64_t read_cells(const uint8_t *p, uint32_t cells)
{
    return cells == 2 ? fdt_be64(p) : cells == 1 ? fdt_be32(p) : 0;
}

int fdt_reg(const struct fdt *fdt, int node, int index, uint64_t *addr, uint64_t *size)
{
    int parent = fdt_parent(fdt, node);
    uint32_t ac = 2, sc = 1, len;

    if (parent >= 0) {
        ac = fdt_getprop_u32(fdt, parent, "#address-cells", 2);
        sc = fdt_getprop_u32(fdt, parent, "#size-cells", 1);
    }
    /* #size-cells = 0 is legal (cpu nodes): the size reads as 0. */
    if (ac < 1 || ac > 2 || sc > 2)
        return VIPER_ERR_BAD_FORMAT;
    const uint8_t *reg = fdt_getprop(fdt, node, "reg", &len);
    if (reg == NULL || index < 0)
        return VIPER_ERR_NOT_FOUND;
    uint32_t entry = 4 * (ac + sc);
    if (len % entry != 0)
        return VIPER_ERR_BAD_FORMAT;
    if ((uint32_t)index >= len / entry)
        return VIPER_ERR_NOT_FOUND;
    reg += (uint32_t)index * entry;
    if (addr != NULL)
        *addr = read_cells(reg, ac);
    if (size != NULL)
        *size = read_cells(reg + 4 * ac, sc);
    return VIPER_OK;
}
