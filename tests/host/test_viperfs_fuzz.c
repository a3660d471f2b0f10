/*
 * tests/host/test_viperfs_fuzz.c - every parser of src/user/lib/viperfs and
 * fsck over randomly damaged images, under ASan and UBSan.
 *
 * Each iteration takes a sample image (with one committed, unreplayed
 * journal transaction, so replay has work), applies 1-8 seeded mutations
 * (bit flips, random bytes, and 32-bit fields set to edge values such as 0,
 * ~0, block_count, inode numbers) aimed mostly at metadata blocks, and, half
 * the time, reseals the damaged block's checksum so the damage gets past
 * the CRC into the code behind it.  Then:
 *   - the reader (mount, journal replay, a walk of the whole tree reading
 *     every file and symlink, path lookups) must return, not crash;
 *   - fsck must repair; a second fsck must then find the image clean;
 *   - nothing may ask the device for a block past its end.
 * A failure prints its seed: VIPERFS_FUZZ_SEED=<n> reruns just that one.
 * VIPERFS_FUZZ_ITERS sets the count (make test: a few seconds' worth;
 * `make fuzz-viperfs`: 20000).
 */
#include <signal.h>
#include <unistd.h>

#include "harness.h"
#include "viperfs_util.h"

#define NBLOCKS 512
#define DEFAULT_ITERS 250

static struct image base;
static struct sample s;
static uint64_t rng;
static unsigned outcomes[FSCK_OPERATIONAL + 1];   /* by fsck's exit code on the damaged image */

static uint32_t rnd(void)
{
    /* xorshift64*: small, seedable, good enough to pick mutations */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545F4914F6CDD1Dull) >> 32);
}

/* The blocks worth damaging: everything but file data, plus a little data. */
static uint32_t pick_block(const struct viperfs_super *sb)
{
    uint32_t r = rnd() % 16;
    if (r == 0)
        return 0;
    if (r < 3)
        return sb->journal_start + rnd() % 8;   /* journal superblock and the transaction */
    if (r < 5)
        return sb->bbitmap_start + rnd() % (sb->itable_start + sb->itable_blocks - sb->bbitmap_start);
    if (r < 8)
        return sb->itable_start + rnd() % sb->itable_blocks;
    if (r == 15)
        return rnd() % sb->block_count;
    /* the first data blocks: directories, indirect blocks, the symlink block */
    return sb->data_start + rnd() % 40;
}

static uint32_t edge_value(const struct viperfs_super *sb)
{
    switch (rnd() % 10) {
    case 0: return 0;
    case 1: return 0xffffffffu;
    case 2: return sb->block_count;
    case 3: return sb->block_count - 1;
    case 4: return sb->data_start + rnd() % 40;
    case 5: return sb->inode_count;
    case 6: return rnd() % sb->inode_count;
    case 7: return rnd() % 8;
    case 8: return 0x80000000u;
    default: return rnd();
    }
}

static void reseal(struct image *im, uint32_t b)
{
    union viperfs_block *blk = &im->blocks[b];
    const struct viperfs_super *sb = &base.blocks[0].super;
    if (b == 0) {
        viperfs_super_seal(&blk->super);
    } else if (b >= sb->itable_start && b < sb->data_start) {
        for (int i = 0; i < (int)VIPERFS_INODES_PER_BLOCK; i++)
            viperfs_inode_seal(&blk->inodes[i]);
    } else {
        viperfs_block_seal(blk, blk->hdr.magic, blk->hdr.blockno, blk->hdr.tag);
    }
}

static void mutate(struct image *im)
{
    const struct viperfs_super *sb = &base.blocks[0].super;
    int n = 1 + rnd() % 8;
    for (int i = 0; i < n; i++) {
        uint32_t b = pick_block(sb);
        uint8_t *bytes = im->blocks[b].bytes;
        uint32_t off = rnd() % VIPERFS_BLOCK_SIZE;
        if (b == 0 || (b >= sb->itable_start && b < sb->data_start) || rnd() % 2)
            off %= 512;   /* where the fields are */
        switch (rnd() % 3) {
        case 0: bytes[off] ^= (uint8_t)(1u << (rnd() % 8)); break;
        case 1: bytes[off] = (uint8_t)rnd(); break;
        default: {
            uint32_t v = edge_value(sb);
            memcpy(bytes + (off & ~3u) % (VIPERFS_BLOCK_SIZE - 4), &v, 4);
        }
        }
        if (rnd() % 2)
            reseal(im, b);
    }
}

struct walk_entry {
    uint32_t ino;
    char name[VIPERFS_NAME_MAX + 1];
};

struct walk_list {
    struct walk_entry v[256];
    int n;
};

static int walk_collect(void *arg, const struct viperfs_dentry *e)
{
    struct walk_list *l = arg;
    if (l->n == 256)
        return 1;
    l->v[l->n].ino = e->ino;
    memcpy(l->v[l->n].name, e->name, e->name_len);
    l->v[l->n].name[e->name_len] = '\0';
    l->n++;
    return 0;
}

/* Read everything under dir; damage ends a branch, never the walk. */
static void walk_tree(struct viperfs *fs, uint32_t dir, int depth, int *budget)
{
    static uint8_t buf[VIPERFS_BLOCK_SIZE * 3];
    struct viperfs_inode in;
    struct walk_list *l;
    if (depth > 8 || --*budget < 0 || viperfs_read_inode(fs, dir, &in, NULL) != VIPER_OK)
        return;
    if ((in.mode & VIPERFS_S_IFMT) != VIPERFS_S_IFDIR || !(l = calloc(1, sizeof(*l))))
        return;
    viperfs_dir_iterate(fs, dir, &in, walk_collect, l);
    for (int i = 0; i < l->n; i++) {
        struct viperfs_inode c;
        size_t got;
        char target[VIPERFS_SYMLINK_MAX + 1];
        if (!strcmp(l->v[i].name, ".") || !strcmp(l->v[i].name, "..") ||
            viperfs_read_inode(fs, l->v[i].ino, &c, NULL) != VIPER_OK)
            continue;
        switch (c.mode & VIPERFS_S_IFMT) {
        case VIPERFS_S_IFDIR:
            walk_tree(fs, l->v[i].ino, depth + 1, budget);
            break;
        case VIPERFS_S_IFLNK:
            viperfs_readlink(fs, l->v[i].ino, &c, target, sizeof(target));
            break;
        default:
            for (uint64_t off = 0; off < c.size && off < 64 * VIPERFS_BLOCK_SIZE; off += sizeof(buf))
                if (viperfs_read(fs, l->v[i].ino, &c, off, buf, sizeof(buf), &got) != VIPER_OK)
                    break;
            viperfs_read(fs, l->v[i].ino, &c, c.size - (c.size > 5 ? 5 : 0), buf, 100, &got);
        }
    }
    free(l);
}

static void read_everything(struct image *im)
{
    static struct viperfs fs;
    struct viperfs_journal j;
    uint32_t n, ino;
    int budget = 64;
    if (viperfs_open(&fs, &im->dev, NULL) != VIPER_OK)
        return;
    if (viperfs_journal_load(&fs, &j, NULL) == VIPER_OK &&
        viperfs_journal_replay(&fs, &j, &n) == VIPER_OK && n > 0 &&
        viperfs_open(&fs, &im->dev, NULL) != VIPER_OK)
        return;
    walk_tree(&fs, fs.sb.root_ino, 0, &budget);
    static const char *paths[] = { "/a/b/small.txt", "/long", "/short", "/a/big",
                                   "/many/file-with-a-longish-name-number-050", "/a/../a/b/../.." };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        viperfs_namei(&fs, paths[i], true, &ino);
}

/* One iteration; false (with a message) if a property failed. */
static bool fuzz_one(uint64_t seed)
{
    struct image im;
    bool ok = true;
    rng = seed * 0x9E3779B97F4A7C15ull + 1;
    if (image_from_bytes(&im, base.blocks, (size_t)base.nblocks * VIPERFS_BLOCK_SIZE) != VIPER_OK)
        return false;
    mutate(&im);
    read_everything(&im);
    if (im.bad_requests) {
        printf("  seed %llu: the reader asked for a block past the end\n", (unsigned long long)seed);
        ok = false;
    }
    int first = fsck_copy(&im, true, NULL);
    if (first >= 0 && first <= FSCK_OPERATIONAL)
        outcomes[first]++;
    memset(im.dirty, 0, im.nblocks);
    int rc = fsck_image(&im, true, NULL);
    if (rc != first || im.bad_requests) {
        printf("  seed %llu: fsck gave %d then %d on the same image, or read past the end\n",
               (unsigned long long)seed, first, rc);
        ok = false;
    }
    if (rc == FSCK_CLEAN || rc == FSCK_REPAIRED) {
        int again = fsck_image(&im, true, NULL);
        if (again != FSCK_CLEAN) {
            printf("  seed %llu: fsck repaired (%d) but a second fsck gave %d:\n",
                   (unsigned long long)seed, rc, again);
            fsck_image(&im, false, stdout);
            ok = false;
        }
        read_everything(&im);
    }
    image_free(&im);
    return ok;
}

HOST_TEST(mutated_images)
{
    const char *one = getenv("VIPERFS_FUZZ_SEED"), *iters = getenv("VIPERFS_FUZZ_ITERS");
    uint64_t first = one ? strtoull(one, NULL, 10) : 1;
    uint64_t count = one ? 1 : iters ? strtoull(iters, NULL, 10) : DEFAULT_ITERS;
    unsigned failures = 0;
    for (uint64_t seed = first; seed < first + count && failures < 5; seed++)
        failures += !fuzz_one(seed);
    CHECK(failures == 0);
    printf("  %llu mutated images: fsck found %u clean, repaired %u, left errors in %u, "
           "could not check %u\n", (unsigned long long)count, outcomes[FSCK_CLEAN],
           outcomes[FSCK_REPAIRED], outcomes[FSCK_UNCORRECTED], outcomes[FSCK_OPERATIONAL]);
    CHECK(outcomes[FSCK_REPAIRED] > count / 4);   /* the mutations do reach the checks */
}

int main(int argc, char **argv)
{
    struct viperfs fs;
    struct viperfs_journal j;
    (void)argc;
    (void)argv;
    host_binary = "viperfs_fuzz";
    alarm(getenv("VIPERFS_FUZZ_ITERS") ? 3600 : 120);
    if (sample_image(&base, NBLOCKS, 20, &s) != VIPER_OK ||
        viperfs_open(&fs, &base.dev, NULL) != VIPER_OK ||
        viperfs_journal_load(&fs, &j, NULL) != VIPER_OK) {
        printf("cannot build the sample image\n");
        return 1;
    }
    /* a committed transaction (a copy of the root directory block) for replay to work on */
    uint32_t root_block = base.blocks[fs.sb.itable_start].inodes[VIPERFS_ROOT_INO].direct[0];
    union viperfs_block copy = base.blocks[root_block];
    const union viperfs_block *blocks[1] = { &copy };
    const uint32_t targets[1] = { root_block };
    if (viperfs_journal_commit(&fs, &j, 1, targets, blocks, 0) != VIPER_OK) {
        printf("cannot commit the sample transaction\n");
        return 1;
    }
    host_run(mutated_images);
    image_free(&base);
    return host_summary();
}
