/*
 * tests/host/test_fdt.c - lib/fdt.c against real QEMU DTBs and broken ones.
 *
 * argv[1] is a directory holding virt-gicv2.dtb and virt-gicv3-smp4.dtb as
 * dumped by qemu -M virt,dumpdtb=.  QEMU pads totalsize to 1 MiB, so the
 * malformed-input tests work on a compact copy (totalsize = end of the
 * strings block) held in a buffer of exactly the claimed size: any read past
 * the end is caught by AddressSanitizer.  An alarm turns a hang into a failure.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lib/fdt.h>
#include <viper/errors.h>

#include "harness.h"

struct dtb {
    uint8_t *data;
    size_t size;
    struct fdt fdt;
};

static struct dtb gicv2, gicv3;
static uint8_t *compact;   /* gicv2, trimmed to header + rsvmap + struct + strings */
static size_t compact_size;

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int load_dtb(struct dtb *d, const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    d->size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    d->data = malloc(d->size);
    size_t got = d->data != NULL ? fread(d->data, 1, d->size, f) : 0;
    fclose(f);
    if (got != d->size)
        return -1;
    return fdt_init(&d->fdt, d->data, d->size);
}

/* Copy of the gicv2 blob with totalsize cut to the end of its strings block. */
static void make_compact(void)
{
    uint32_t off_strings = fdt_be32(gicv2.data + 12);
    uint32_t size_strings = fdt_be32(gicv2.data + 32);
    compact_size = off_strings + size_strings;
    compact = malloc(compact_size);
    memcpy(compact, gicv2.data, compact_size);
    put_be32(compact + 4, (uint32_t)compact_size);
}

/* ---- real DTBs ---------------------------------------------------------- */

static void check_reg(const struct fdt *fdt, int node, int index, uint64_t addr, uint64_t size)
{
    uint64_t a = 0, s = 0;
    CHECK(fdt_reg(fdt, node, index, &a, &s) == VIPER_OK);
    CHECK(a == addr);
    CHECK(s == size);
}

HOST_TEST(test_init_real)
{
    REQUIRE(gicv2.fdt.blob != NULL && gicv3.fdt.blob != NULL);
    CHECK(gicv2.fdt.total_size == gicv2.size);
    CHECK(fdt_root(&gicv2.fdt) >= 0);
    CHECK(strcmp(fdt_node_name(&gicv2.fdt, fdt_root(&gicv2.fdt)), "") == 0);
    CHECK(fdt_parent(&gicv2.fdt, fdt_root(&gicv2.fdt)) == -1);
    CHECK(fdt_getprop_u32(&gicv2.fdt, fdt_root(&gicv2.fdt), "#address-cells", 0) == 2);
    CHECK(fdt_getprop_u32(&gicv2.fdt, fdt_root(&gicv2.fdt), "no-such-prop", 77) == 77);
}

static void check_memory(const struct fdt *fdt, uint64_t size)
{
    int mem = fdt_find_device_type(fdt, -1, "memory");
    REQUIRE(mem >= 0);
    CHECK(fdt_path(fdt, "/memory") == mem);
    CHECK(fdt_path(fdt, "/memory@40000000") == mem);
    CHECK(fdt_path(fdt, "/memory@40000001") == -1);
    CHECK(strcmp(fdt_node_name(fdt, mem), "memory@40000000") == 0);
    check_reg(fdt, mem, 0, 0x40000000, size);
    CHECK(fdt_reg(fdt, mem, 1, NULL, NULL) == VIPER_ERR_NOT_FOUND);
    CHECK(fdt_reg(fdt, mem, -1, NULL, NULL) == VIPER_ERR_NOT_FOUND);
    CHECK(fdt_find_device_type(fdt, mem, "memory") == -1);
}

HOST_TEST(test_memory)
{
    check_memory(&gicv2.fdt, 256u << 20);
    check_memory(&gicv3.fdt, 1u << 30);
}

HOST_TEST(test_chosen_and_paths)
{
    const struct fdt *fdt = &gicv2.fdt;
    int chosen = fdt_path(fdt, "/chosen");
    REQUIRE(chosen >= 0);
    CHECK(fdt_parent(fdt, chosen) == fdt_root(fdt));
    uint32_t len = 0;
    const char *out = fdt_getprop(fdt, chosen, "stdout-path", &len);
    REQUIRE(out != NULL);
    CHECK(len == sizeof("/pl011@9000000") && strcmp(out, "/pl011@9000000") == 0);
    CHECK(fdt_path(fdt, out) == fdt_find_compatible(fdt, -1, "arm,pl011"));
    CHECK(fdt_path(fdt, "/") == fdt_root(fdt));
    CHECK(fdt_path(fdt, "//chosen/") == chosen);
    CHECK(fdt_path(fdt, "chosen") == -1);
    CHECK(fdt_path(fdt, "") == -1);
    CHECK(fdt_path(fdt, "/nonexistent") == -1);
    CHECK(fdt_path(fdt, "/chosen/x") == -1);
    CHECK(fdt_path(fdt, "/chose") == -1);
    CHECK(fdt_path(fdt, "/intc/v2m") >= 0);
    CHECK(fdt_path(fdt, "/intc@8000000/v2m@8020000") == fdt_path(fdt, "/intc/v2m"));
}

HOST_TEST(test_pl011)
{
    const struct fdt *fdt = &gicv2.fdt;
    int uart = fdt_find_compatible(fdt, -1, "arm,pl011");
    REQUIRE(uart >= 0);
    CHECK(fdt_is_compatible(fdt, uart, "arm,primecell"));
    CHECK(!fdt_is_compatible(fdt, uart, "arm,pl01"));
    CHECK(!fdt_is_compatible(fdt, uart, "arm,pl0111"));
    CHECK(strcmp(fdt_node_name(fdt, uart), "pl011@9000000") == 0);
    check_reg(fdt, uart, 0, 0x9000000, 0x1000);
    CHECK(fdt_find_compatible(fdt, uart, "arm,pl011") == -1);
    CHECK(fdt_parent(fdt, uart) == fdt_root(fdt));
    uint32_t len = 0;
    CHECK(fdt_getprop(fdt, uart, "interrupts", &len) != NULL && len == 12);
    CHECK(fdt_getprop(fdt, uart, "nope", &len) == NULL);
}

static void check_gic(const struct dtb *d, const char *compat, uint64_t redist, uint64_t rsize)
{
    const struct fdt *fdt = &d->fdt;
    int gic = fdt_find_compatible(fdt, -1, compat);
    REQUIRE(gic >= 0);
    check_reg(fdt, gic, 0, 0x8000000, 0x10000);
    check_reg(fdt, gic, 1, redist, rsize);
    CHECK(fdt_reg(fdt, gic, 2, NULL, NULL) == VIPER_ERR_NOT_FOUND);
    uint32_t phandle = fdt_getprop_u32(fdt, fdt_root(fdt), "interrupt-parent", 0);
    CHECK(phandle != 0);
    CHECK(fdt_find_phandle(fdt, phandle) == gic);
    CHECK(fdt_find_phandle(fdt, 0) == -1);
    CHECK(fdt_find_phandle(fdt, 0x12345) == -1);
    /* The MSI frame / ITS is the GIC's child and uses its 2+2 cells. */
    int child = fdt_first_child(fdt, gic);
    REQUIRE(child >= 0);
    CHECK(fdt_parent(fdt, child) == gic);
    CHECK(fdt_next_sibling(fdt, child) == -1);
    uint64_t addr = 0;
    CHECK(fdt_reg(fdt, child, 0, &addr, NULL) == VIPER_OK && addr >= 0x8020000 && addr < 0x8100000);
}

HOST_TEST(test_gic)
{
    check_gic(&gicv2, "arm,cortex-a15-gic", 0x8010000, 0x10000);
    check_gic(&gicv3, "arm,gic-v3", 0x80a0000, 0xf60000);
    CHECK(fdt_find_compatible(&gicv2.fdt, -1, "arm,gic-v3") == -1);
    CHECK(fdt_find_compatible(&gicv3.fdt, -1, "arm,cortex-a15-gic") == -1);
}

HOST_TEST(test_timer_and_psci)
{
    const struct dtb *dtbs[] = { &gicv2, &gicv3 };
    const char *methods[] = { "hvc", "smc" }; /* virtualization=on: PSCI via SMC */

    for (int i = 0; i < 2; i++) {
        const struct fdt *fdt = &dtbs[i]->fdt;
        int timer = fdt_find_compatible(fdt, -1, "arm,armv8-timer");
        REQUIRE(timer >= 0);
        uint32_t len = 0;
        CHECK(fdt_getprop(fdt, timer, "interrupts", &len) != NULL && len == 48);
        CHECK(fdt_getprop(fdt, timer, "always-on", &len) != NULL && len == 0);
        int psci = fdt_path(fdt, "/psci");
        REQUIRE(psci >= 0);
        CHECK(fdt_is_compatible(fdt, psci, "arm,psci-0.2"));
        const char *method = fdt_getprop(fdt, psci, "method", &len);
        CHECK(method != NULL && len == 4 && strcmp(method, methods[i]) == 0);
    }
}

HOST_TEST(test_virtio_mmio)
{
    const struct fdt *fdt = &gicv2.fdt;
    int count = 0;
    int prev = -1;

    for (int n = fdt_find_compatible(fdt, -1, "virtio,mmio"); n >= 0;
         n = fdt_find_compatible(fdt, n, "virtio,mmio")) {
        CHECK(n > prev);
        prev = n;
        uint64_t addr = 0, size = 0;
        CHECK(fdt_reg(fdt, n, 0, &addr, &size) == VIPER_OK);
        CHECK(addr >= 0xa000000 && addr < 0xa004000 && size == 0x200);
        if (++count > 100)
            break;
    }
    CHECK(count == 32);
}

HOST_TEST(test_cpus)
{
    const struct fdt *fdt = &gicv3.fdt;
    int cpus = fdt_path(fdt, "/cpus");
    int count = 0;

    REQUIRE(cpus >= 0);
    for (int n = fdt_find_device_type(fdt, -1, "cpu"); n >= 0;
         n = fdt_find_device_type(fdt, n, "cpu")) {
        CHECK(fdt_parent(fdt, n) == cpus);
        CHECK(fdt_is_compatible(fdt, n, "arm,cortex-a72"));
        uint64_t mpidr = 99, size = 99;
        CHECK(fdt_reg(fdt, n, 0, &mpidr, &size) == VIPER_OK); /* #size-cells = 0 */
        CHECK(mpidr == (uint64_t)count && size == 0);
        if (++count > 8)
            break;
    }
    CHECK(count == 4);
    count = 0;
    for (int n = fdt_find_device_type(&gicv2.fdt, -1, "cpu"); n >= 0 && count < 8;
         n = fdt_find_device_type(&gicv2.fdt, n, "cpu"))
        count++;
    CHECK(count == 1);
    CHECK(fdt_find_device_type(fdt, -1, "cp") == -1);
}

/* Count nodes by sibling/child links and check each one's parent link. */
static int count_tree(const struct fdt *fdt, int node, int depth)
{
    int n = 1;
    for (int c = fdt_first_child(fdt, node); c >= 0 && depth < 64; c = fdt_next_sibling(fdt, c)) {
        if (fdt_parent(fdt, c) != node)
            return -1000;
        n += count_tree(fdt, c, depth + 1);
    }
    return n;
}

HOST_TEST(test_tree_links)
{
    const struct fdt *fdt = &gicv3.fdt;
    int by_links = count_tree(fdt, fdt_root(fdt), 0);
    CHECK(by_links == 62); /* dtc -O dts lists 62 nodes, the root included */
    CHECK(fdt_parent(fdt, 3) == -1);       /* not a node offset */
    CHECK(fdt_parent(fdt, -1) == -1);
    CHECK(fdt_node_name(fdt, 4) == NULL);
    CHECK(fdt_first_child(fdt, 1 << 30) == -1);
    CHECK(fdt_next_sibling(fdt, -5) == -1);
    CHECK(fdt_getprop(fdt, 12345678, "reg", NULL) == NULL);
    CHECK(fdt_reg(fdt, -1, 0, NULL, NULL) == VIPER_ERR_NOT_FOUND);
    CHECK(fdt_find_compatible(fdt, 2, "arm,gic-v3") == -1);
}

/* ---- malformed input ------------------------------------------------------ */

static volatile uint32_t sink_sum;

static void touch(const void *p, uint32_t len)
{
    const uint8_t *b = p;
    for (uint32_t i = 0; i < len; i++)
        sink_sum += b[i];
}

static const char *const prop_names[] = {
    "compatible", "reg",    "device_type", "phandle", "interrupts",    "#address-cells",
    "#size-cells", "status", "ranges",     "method",  "stdout-path",   "bogus-name",
};

/* Exercise every accessor on node and its subtree; returns nodes visited. */
static int walk_node(const struct fdt *fdt, int node, int depth, int *budget, bool parents)
{
    int visited = 1;

    if (--*budget < 0 || depth > 64)
        return visited;
    const char *name = fdt_node_name(fdt, node);
    if (name != NULL)
        touch(name, (uint32_t)strlen(name) + 1);
    for (size_t i = 0; i < sizeof(prop_names) / sizeof(prop_names[0]); i++) {
        uint32_t len = 0;
        const void *v = fdt_getprop(fdt, node, prop_names[i], &len);
        if (v != NULL)
            touch(v, len);
    }
    (void)fdt_is_compatible(fdt, node, "virtio,mmio");
    (void)fdt_getprop_u32(fdt, node, "#address-cells", 2);
    if (parents) {
        uint64_t a, s;
        for (int i = 0; i < 4 && fdt_reg(fdt, node, i, &a, &s) == VIPER_OK; i++)
            sink_sum += (uint32_t)(a ^ s);
        (void)fdt_parent(fdt, node);
    }
    for (int c = fdt_first_child(fdt, node); c >= 0; c = fdt_next_sibling(fdt, c)) {
        if (c <= node)
            return -100000; /* handles must move forward */
        visited += walk_node(fdt, c, depth + 1, budget, parents);
    }
    return visited;
}

/* Walk the whole tree and run every search; false if something looked wrong. */
static bool walk_all(const struct fdt *fdt, bool parents)
{
    int budget = (int)(fdt->size_struct / 4) + 1;
    int root = fdt_root(fdt);

    if (root >= 0 && walk_node(fdt, root, 0, &budget, parents) < 0)
        return false;
    static const char *const compats[] = { "virtio,mmio", "arm,pl011", "arm,gic-v3", "" };
    for (size_t i = 0; i < sizeof(compats) / sizeof(compats[0]); i++) {
        int steps = 0;
        for (int n = fdt_find_compatible(fdt, -1, compats[i]); n >= 0;
             n = fdt_find_compatible(fdt, n, compats[i])) {
            if (++steps > (int)fdt->size_struct / 4)
                return false;
        }
    }
    int steps = 0;
    for (int n = fdt_find_device_type(fdt, -1, "cpu"); n >= 0;
         n = fdt_find_device_type(fdt, n, "cpu")) {
        if (++steps > (int)fdt->size_struct / 4)
            return false;
    }
    (void)fdt_find_phandle(fdt, 0x8002);
    (void)fdt_path(fdt, "/chosen");
    (void)fdt_path(fdt, "/intc/v2m");
    (void)fdt_path(fdt, "/pl011@9000000");
    return true;
}

/* fdt_init on a malloc'd copy of exactly len bytes. */
static int init_copy(struct fdt *fdt, uint8_t **copy, const uint8_t *src, size_t len)
{
    *copy = malloc(len ? len : 1);
    memcpy(*copy, src, len);
    return fdt_init(fdt, *copy, len);
}

HOST_TEST(test_bad_headers)
{
    struct fdt fdt;
    uint8_t *b = malloc(compact_size);

    REQUIRE(compact != NULL);
    memcpy(b, compact, compact_size);
    CHECK(fdt_init(&fdt, b, compact_size) == VIPER_OK);
    CHECK(walk_all(&fdt, true));

#define MUTATE(off, val, expect)                                          \
    do {                                                                  \
        memcpy(b, compact, compact_size);                                 \
        put_be32(b + (off), (val));                                       \
        CHECK(fdt_init(&fdt, b, compact_size) == (expect));               \
    } while (0)
    MUTATE(0, 0xfeedd00du, VIPER_ERR_BAD_FORMAT);                    /* magic */
    MUTATE(20, 15, VIPER_ERR_BAD_FORMAT);                            /* version */
    MUTATE(20, 17, VIPER_OK);
    MUTATE(4, (uint32_t)compact_size + 1, VIPER_ERR_BAD_FORMAT);     /* totalsize */
    MUTATE(4, 39, VIPER_ERR_BAD_FORMAT);
    MUTATE(8, (uint32_t)compact_size, VIPER_ERR_BAD_FORMAT);         /* off_struct */
    MUTATE(8, 0xfffffff0u, VIPER_ERR_BAD_FORMAT);
    MUTATE(8, 0x42, VIPER_ERR_BAD_FORMAT);                           /* misaligned */
    MUTATE(8, 0, VIPER_ERR_BAD_FORMAT);                              /* overlaps header */
    MUTATE(36, 0xffffffffu, VIPER_ERR_BAD_FORMAT);                   /* size_struct */
    MUTATE(12, 0xffffff00u, VIPER_ERR_BAD_FORMAT);                   /* off_strings */
    MUTATE(32, (uint32_t)compact_size, VIPER_ERR_BAD_FORMAT);        /* size_strings */
#undef MUTATE
    CHECK(fdt_init(&fdt, b, 39) == VIPER_ERR_BAD_FORMAT);
    CHECK(fdt_init(&fdt, NULL, 4096) == VIPER_ERR_BAD_FORMAT);
    CHECK(fdt_init(&fdt, gicv2.data, gicv2.size - 1) == VIPER_ERR_BAD_FORMAT);
    /* After a failed init every accessor answers "nothing". */
    CHECK(fdt_root(&fdt) == -1 && fdt_path(&fdt, "/") == -1);
    CHECK(fdt_find_compatible(&fdt, -1, "arm,pl011") == -1);

    /* Empty blocks are legal in the header; the tree is then absent. */
    memcpy(b, compact, compact_size);
    put_be32(b + 36, 0);
    put_be32(b + 32, 0);
    CHECK(fdt_init(&fdt, b, compact_size) == VIPER_OK);
    CHECK(fdt_root(&fdt) == -1 && walk_all(&fdt, true));
    free(b);
}

/*
 * Every prefix of the compact blob: as is, fdt_init must refuse it (its
 * totalsize is too large); with the header patched to claim only the
 * prefix, init accepts and the walk must stay inside the shorter blocks.
 */
HOST_TEST(test_truncated)
{
    uint32_t off_struct = fdt_be32(compact + 8);
    uint32_t off_strings = fdt_be32(compact + 12);
    uint32_t size_strings = fdt_be32(compact + 32);
    int accepted = 0, bad_walks = 0;

    for (size_t len = 0; len <= compact_size; len++) {
        struct fdt fdt;
        uint8_t *copy;
        int rc = init_copy(&fdt, &copy, compact, len);
        if (len < compact_size)
            CHECK(rc == VIPER_ERR_BAD_FORMAT);
        else
            CHECK(rc == VIPER_OK);
        free(copy);
        if (len < 40 || len <= off_struct)
            continue;
        /* Patched: struct block cut at len, strings block cut or empty. */
        uint8_t *hdr = malloc(len);
        memcpy(hdr, compact, len);
        uint32_t l = (uint32_t)len;
        put_be32(hdr + 4, l);
        uint32_t struct_end = off_strings < l ? off_strings : l;
        put_be32(hdr + 36, struct_end - off_struct);
        put_be32(hdr + 12, off_strings < l ? off_strings : l);
        put_be32(hdr + 32, off_strings < l ? (l - off_strings < size_strings ? l - off_strings
                                                                            : size_strings)
                                          : 0);
        if (fdt_init(&fdt, hdr, len) == VIPER_OK) {
            accepted++;
            if (!walk_all(&fdt, true))
                bad_walks++;
        }
        free(hdr);
    }
    CHECK(accepted > 0);
    CHECK(bad_walks == 0);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* 2000 rounds of random byte damage (mostly in the structure block), then a full walk. */
HOST_TEST(test_fuzz)
{
    uint32_t off_struct = fdt_be32(compact + 8);
    uint32_t size_struct = fdt_be32(compact + 36);
    uint8_t *b = malloc(compact_size);
    int accepted = 0, bad_walks = 0;

    for (int iter = 0; iter < 2000; iter++) {
        memcpy(b, compact, compact_size);
        int flips = 1 + (int)(rng() % 8);
        for (int i = 0; i < flips; i++) {
            uint32_t r = rng();
            size_t pos;
            switch (r % 8) {
            case 0:
                pos = rng() % 40; /* header */
                break;
            case 1:
                pos = rng() % compact_size;
                break;
            default:
                pos = off_struct + rng() % size_struct;
                break;
            }
            if (r & 0x100)
                b[pos] ^= (uint8_t)(1u << (rng() % 8));
            else
                b[pos] = (uint8_t)rng();
        }
        struct fdt fdt;
        if (fdt_init(&fdt, b, compact_size) != VIPER_OK)
            continue;
        accepted++;
        if (!walk_all(&fdt, true))
            bad_walks++;
    }
    free(b);
    printf("  fuzz: %d of 2000 damaged blobs passed fdt_init and were walked\n", accepted);
    CHECK(accepted > 1000);
    CHECK(bad_walks == 0);
}

static void on_alarm(int sig)
{
    static const char msg[] = "FAIL fdt: timed out (a walk did not terminate)\n";
    (void)sig;
    (void)!write(1, msg, sizeof(msg) - 1);
    _exit(1);
}

int main(int argc, char **argv)
{
    host_binary = "fdt";
    if (argc < 2) {
        fprintf(stderr, "usage: %s <dir with virt-gicv2.dtb and virt-gicv3-smp4.dtb>\n", argv[0]);
        return 2;
    }
    signal(SIGALRM, on_alarm);
    alarm(120); /* a hang in the walker fails the run instead of stalling it */
    int rc2 = load_dtb(&gicv2, argv[1], "virt-gicv2.dtb");
    int rc3 = load_dtb(&gicv3, argv[1], "virt-gicv3-smp4.dtb");
    if (rc2 != VIPER_OK || rc3 != VIPER_OK) {
        printf("FAIL fdt.load: cannot load or parse the DTBs in %s (%d, %d)\n", argv[1], rc2, rc3);
        return 1;
    }
    make_compact();
    host_run(test_init_real);
    host_run(test_memory);
    host_run(test_chosen_and_paths);
    host_run(test_pl011);
    host_run(test_gic);
    host_run(test_timer_and_psci);
    host_run(test_virtio_mmio);
    host_run(test_cpus);
    host_run(test_tree_links);
    host_run(test_bad_headers);
    host_run(test_truncated);
    host_run(test_fuzz);
    free(compact);
    free(gicv2.data);
    free(gicv3.data);
    return host_summary();
}
