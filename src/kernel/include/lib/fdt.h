/*
 * lib/fdt.h - a read-only, bounds-checked flattened device tree parser.
 *
 * The kernel learns where RAM and every device is from the DTB the boot
 * loader passes in x0 (Linux arm64 boot protocol).  Every accessor checks
 * offsets against the blob size, so a malformed DTB yields errors, never a
 * fault.  Nodes are named by their structure-block offset (>= 0); -1 means
 * "none".  Pure C (no kernel calls), and safe to run with the MMU off:
 * it holds no pointers except into the blob it was given.
 *
 * Spec: Devicetree Specification v0.4, chapter 5 (flattened format).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FDT_MAGIC 0xd00dfeedu

struct fdt {
    const uint8_t *blob;     /* start of the blob */
    uint32_t total_size;     /* header totalsize, checked <= the caller's limit */
    uint32_t off_struct;     /* structure block */
    uint32_t size_struct;
    uint32_t off_strings;    /* strings block */
    uint32_t size_strings;
};

/*
 * Validate the header of blob (at most max_size bytes readable) and fill fdt.
 * Returns VIPER_OK, or VIPER_ERR_BAD_FORMAT (bad magic, version < 16,
 * blocks out of bounds or misaligned).
 */
int fdt_init(struct fdt *fdt, const void *blob, size_t max_size);

/* Offset of the root node, or -1 if the structure block is malformed. */
int fdt_root(const struct fdt *fdt);

/* First child / next sibling of node, or -1. */
int fdt_first_child(const struct fdt *fdt, int node);
int fdt_next_sibling(const struct fdt *fdt, int node);

/* Parent of node, or -1 for the root or on error. */
int fdt_parent(const struct fdt *fdt, int node);

/* Node name including any unit address ("uart@9000000"); "" for the root. */
const char *fdt_node_name(const struct fdt *fdt, int node);

/*
 * Find a node by absolute path ("/chosen", "/psci").  A path component
 * without '@' matches a node name with any unit address.  Returns -1 if absent.
 */
int fdt_path(const struct fdt *fdt, const char *path);

/*
 * Property value of node, or NULL.  *len (if non-NULL) gets its length.
 * The value is big-endian and only byte-aligned: read it with fdt_be32/64.
 */
const void *fdt_getprop(const struct fdt *fdt, int node, const char *name, uint32_t *len);

/* True if the node's "compatible" string list contains compat. */
bool fdt_is_compatible(const struct fdt *fdt, int node, const char *compat);

/*
 * Next node after `after` in depth-first order whose "compatible" contains
 * compat (after = -1 starts at the beginning), or -1.
 */
int fdt_find_compatible(const struct fdt *fdt, int after, const char *compat);

/* Next node after `after` in depth-first order whose device_type is type. */
int fdt_find_device_type(const struct fdt *fdt, int after, const char *type);

/* Node whose "phandle" property equals phandle, or -1. */
int fdt_find_phandle(const struct fdt *fdt, uint32_t phandle);

/*
 * Entry `index` of node's "reg", decoded with the parent's #address-cells and
 * #size-cells (defaults 2 and 1).  Returns VIPER_OK, VIPER_ERR_NOT_FOUND or
 * VIPER_ERR_BAD_FORMAT.
 */
int fdt_reg(const struct fdt *fdt, int node, int index, uint64_t *addr, uint64_t *size);

/* Read a u32 cell of a property ("#address-cells" and the like); def if absent. */
uint32_t fdt_getprop_u32(const struct fdt *fdt, int node, const char *name, uint32_t def);

/* Big-endian loads from an unaligned property value. */
static inline uint32_t fdt_be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint64_t fdt_be64(const void *p)
{
    return (uint64_t)fdt_be32(p) << 32 | fdt_be32((const uint8_t *)p + 4);
}
