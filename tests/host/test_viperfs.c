/*
 * tests/host/test_viperfs.c - the ViperFS library and host tools on sample images.
 *
 * A fresh image must read back exactly and fsck clean.  Then each kind of
 * damage the format guards against (bad magic, bad checksums, out-of-range
 * block numbers, a directory loop, bitmap mismatches, orphans, doubly
 * claimed blocks, two entries of one name) is made by hand: the reader must refuse what it needs
 * from the damaged part, `fsck -n` must report it (exit 4), fsck must
 * repair it (exit 1), and a second fsck must find the image clean (exit 0).
 * The journal is exercised directly: commit, replay, torn transactions,
 * wrapping around the ring.
 */
#include <signal.h>
#include <unistd.h>

#include "harness.h"
#include "viperfs_util.h"

#define NBLOCKS 2048   /* 8 MiB: /a/big reaches the double indirect block */
#define BIG_BLOCKS (VIPERFS_NDIRECT + VIPERFS_PTRS_PER_BLOCK + 20)

static struct image im;
static struct sample s;
static struct viperfs fs;

static void fresh(void)
{
    image_free(&im);
    if (sample_image(&im, NBLOCKS, BIG_BLOCKS, &s) != VIPER_OK) {
        printf("  cannot build the sample image\n");
        exit(1);
    }
}

static int open_fs(void)
{
    return viperfs_open(&fs, &im.dev, NULL);
}

static struct viperfs_inode *raw_inode(uint32_t ino)
{
    return &im.blocks[fs.sb.itable_start + ino / VIPERFS_INODES_PER_BLOCK]
                .inodes[ino % VIPERFS_INODES_PER_BLOCK];
}

/* The second fsck after a repair says nothing unless it finds something. */
static FILE *again_log(void)
{
    return getenv("VIPERFS_VERBOSE") ? stdout : NULL;
}

/* Damage found by -n (4), repaired (1), then clean (0); the repair is kept in im. */
static bool repairs_cleanly(void)
{
    int check = fsck_copy(&im, false, NULL);
    int fix = fsck_image(&im, true, getenv("VIPERFS_VERBOSE") ? stdout : NULL);
    int again = fsck_image(&im, true, again_log());
    if (check != FSCK_UNCORRECTED || fix != FSCK_REPAIRED || again != FSCK_CLEAN)
        printf("  fsck -n %d, fsck %d, fsck again %d\n", check, fix, again);
    return check == FSCK_UNCORRECTED && fix == FSCK_REPAIRED && again == FSCK_CLEAN &&
           im.bad_requests == 0;
}

HOST_TEST(crc32c_known_values)
{
    CHECK(viperfs_crc32c("123456789", 9) == 0xE3069283u);
    CHECK(viperfs_crc32c("", 0) == 0);
    uint8_t zeros[32] = { 0 };
    CHECK(viperfs_crc32c(zeros, 32) == 0x8A9136AAu);   /* RFC 3720 B.4: 32 bytes of zeros */
}

HOST_TEST(mkfs_then_fsck_is_clean)
{
    fresh();
    REQUIRE(open_fs() == VIPER_OK);
    CHECK(fs.sb.block_count == NBLOCKS);
    CHECK(fs.sb.free_blocks > 0 && fs.sb.free_blocks < NBLOCKS);
    CHECK(fsck_copy(&im, false, stdout) == FSCK_CLEAN);
    CHECK(fsck_copy(&im, true, stdout) == FSCK_CLEAN);
    CHECK(im.bad_requests == 0);
}

HOST_TEST(files_read_back)
{
    fresh();
    REQUIRE(open_fs() == VIPER_OK);
    uint32_t ino;
    struct viperfs_inode in;
    REQUIRE(viperfs_namei(&fs, "/a/big", true, &ino) == VIPER_OK && ino == s.big);
    REQUIRE(viperfs_read_inode(&fs, ino, &in, NULL) == VIPER_OK);
    CHECK(in.size == s.big_len && in.indirect && in.dindirect && !in.tindirect);
    uint8_t *buf = malloc(s.big_len + 10);
    size_t got;
    REQUIRE(viperfs_read(&fs, ino, &in, 0, buf, s.big_len + 10, &got) == VIPER_OK);
    CHECK(got == s.big_len);
    bool same = true;
    for (size_t i = 0; i < got; i++)
        same &= buf[i] == pattern_byte(i, 7);
    CHECK(same);
    /* an unaligned read across the direct/indirect boundary */
    uint64_t off = VIPERFS_NDIRECT * VIPERFS_BLOCK_SIZE - 5;
    REQUIRE(viperfs_read(&fs, ino, &in, off, buf, 10, &got) == VIPER_OK && got == 10);
    CHECK(buf[0] == pattern_byte(off, 7) && buf[9] == pattern_byte(off + 9, 7));
    free(buf);
    char text[128];
    REQUIRE(viperfs_namei(&fs, "/long", true, &ino) == VIPER_OK);   /* block symlink */
    CHECK(ino == s.small);
    REQUIRE(viperfs_namei(&fs, "short", false, &ino) == VIPER_OK && ino == s.link_short);
    REQUIRE(viperfs_read_inode(&fs, ino, &in, NULL) == VIPER_OK);
    CHECK(in.flags & VIPERFS_INODE_INLINE);
    REQUIRE(viperfs_readlink(&fs, ino, &in, text, VIPERFS_SYMLINK_MAX + 1) == VIPER_OK);
    CHECK(strcmp(text, "/a/b/small.txt") == 0);
    CHECK(viperfs_namei(&fs, "/a/b/../b/./small.txt", true, &ino) == VIPER_OK && ino == s.small);
    CHECK(viperfs_namei(&fs, "/a/nope", true, &ino) == VIPER_ERR_NOT_FOUND);
    CHECK(viperfs_namei(&fs, "/a/big/x", true, &ino) == VIPER_ERR_INVALID);   /* ENOTDIR */
    CHECK(viperfs_namei(&fs, "/many/file-with-a-longish-name-number-099", true, &ino) == VIPER_OK);
    REQUIRE(viperfs_read_inode(&fs, s.many, &in, NULL) == VIPER_OK);
    CHECK(in.size >= 2 * VIPERFS_BLOCK_SIZE);   /* the entries needed more than one block */
}

HOST_TEST(symlink_loop_is_an_error)
{
    struct mkfs m;
    uint32_t ino;
    image_free(&im);
    REQUIRE(image_create(&im, 256) == VIPER_OK && mkfs_init(&m, &im, "", 0) == VIPER_OK);
    REQUIRE(mkfs_symlink(&m, VIPERFS_ROOT_INO, "x", "/y", &ino) == VIPER_OK);
    REQUIRE(mkfs_symlink(&m, VIPERFS_ROOT_INO, "y", "x", &ino) == VIPER_OK);
    REQUIRE(mkfs_finish(&m) == VIPER_OK);
    mkfs_free(&m);
    REQUIRE(open_fs() == VIPER_OK);
    CHECK(viperfs_namei(&fs, "/x", true, &ino) == VIPER_ERR_LIMIT);
    CHECK(viperfs_namei(&fs, "/x", false, &ino) == VIPER_OK);
    CHECK(fsck_copy(&im, false, NULL) == FSCK_CLEAN);
}

HOST_TEST(dirblock_add_remove)
{
    union viperfs_block b;
    struct viperfs_dentry e;
    char name[32];
    int n = 0;
    viperfs_dirblock_init(&b);
    for (;; n++) {
        snprintf(name, sizeof(name), "entry%d", n);
        if (viperfs_dirblock_add(&b, name, strlen(name), (uint32_t)n + 2, VIPERFS_FT_REG) != VIPER_OK)
            break;
    }
    CHECK(n == (VIPERFS_BLOCK_SIZE - VIPERFS_HDR_SIZE) / 16);   /* 8 + up to 7 bytes, rounded */
    viperfs_block_seal(&b, VIPERFS_DIR_MAGIC, 100, 5);
    CHECK(viperfs_dirblock_check(&b, 100, 5, NULL) == VIPER_OK);
    CHECK(viperfs_dirblock_check(&b, 101, 5, NULL) == VIPER_ERR_BAD_FORMAT);
    CHECK(viperfs_dirblock_check(&b, 100, 6, NULL) == VIPER_ERR_BAD_FORMAT);
    /* remove the first and a middle entry; both slots can be reused */
    uint32_t off = 0, seen = 0, mid = 0;
    while (viperfs_dirblock_next(&b, &off, &e) == 1)
        if (seen++ == 10)
            mid = e.off;
    CHECK(seen == (uint32_t)n);
    CHECK(viperfs_dirblock_remove(&b, VIPERFS_HDR_SIZE) == VIPER_OK);
    CHECK(viperfs_dirblock_remove(&b, mid) == VIPER_OK);
    CHECK(viperfs_dirblock_remove(&b, mid + 1) == VIPER_ERR_NOT_FOUND);
    CHECK(viperfs_dirblock_add(&b, "again1", 6, 900, VIPERFS_FT_DIR) == VIPER_OK);
    CHECK(viperfs_dirblock_add(&b, "again2", 6, 901, VIPERFS_FT_DIR) == VIPER_OK);
    CHECK(viperfs_dirblock_add(&b, "again3", 6, 902, VIPERFS_FT_DIR) == VIPER_ERR_LIMIT);
    CHECK(viperfs_dirblock_add(&b, "a/b", 3, 903, VIPERFS_FT_DIR) == VIPER_ERR_INVALID);
    viperfs_block_seal(&b, VIPERFS_DIR_MAGIC, 100, 5);
    CHECK(viperfs_dirblock_check(&b, 100, 5, NULL) == VIPER_OK);
}

/* A transaction that gives the superblock a new label and /a/b/small.txt new contents. */
static int commit_label(struct viperfs_journal *j, const char *label)
{
    static union viperfs_block copies[2];
    const union viperfs_block *blocks[2] = { &copies[0], &copies[1] };
    uint32_t targets[2] = { 0, raw_inode(s.small)->direct[0] };
    copies[0] = im.blocks[0];
    strcpy(copies[0].super.label, label);
    viperfs_super_seal(&copies[0].super);
    memset(&copies[1], 0, sizeof(copies[1]));
    strcpy((char *)copies[1].bytes, label);
    return viperfs_journal_commit(&fs, j, 2, targets, blocks, 1);
}

HOST_TEST(journal_commit_and_replay)
{
    struct viperfs_journal j;
    uint32_t n;
    fresh();
    REQUIRE(open_fs() == VIPER_OK && viperfs_journal_load(&fs, &j, NULL) == VIPER_OK);
    REQUIRE(commit_label(&j, "one") == VIPER_OK);
    REQUIRE(commit_label(&j, "two") == VIPER_OK);
    CHECK(strcmp(im.blocks[0].super.label, "test") == 0);   /* home blocks not written yet */
    /* a crash now: replay at mount applies both, in order */
    REQUIRE(viperfs_journal_load(&fs, &j, NULL) == VIPER_OK);
    REQUIRE(viperfs_journal_replay(&fs, &j, &n) == VIPER_OK);
    CHECK(n == 2);
    REQUIRE(open_fs() == VIPER_OK);
    CHECK(strcmp(fs.sb.label, "two") == 0);
    char text[8] = "";
    uint32_t ino;
    struct viperfs_inode in;
    size_t got;
    REQUIRE(viperfs_namei(&fs, "/a/b/small.txt", true, &ino) == VIPER_OK);
    REQUIRE(viperfs_read_inode(&fs, ino, &in, NULL) == VIPER_OK);
    REQUIRE(viperfs_read(&fs, ino, &in, 0, text, 4, &got) == VIPER_OK);
    CHECK(memcmp(text, "two", 4) == 0);
    /* replayed transactions are not replayed again */
    REQUIRE(viperfs_journal_load(&fs, &j, NULL) == VIPER_OK);
    REQUIRE(viperfs_journal_replay(&fs, &j, &n) == VIPER_OK);
    CHECK(n == 0);
    /* a torn transaction (one logged copy damaged) is ignored, and so is what follows */
    REQUIRE(commit_label(&j, "three") == VIPER_OK);
    REQUIRE(commit_label(&j, "four") == VIPER_OK);
    im.blocks[j.start + 1 + (j.first + 1) % j.log_blocks].bytes[100] ^= 1;
    REQUIRE(viperfs_journal_load(&fs, &j, NULL) == VIPER_OK);
    REQUIRE(viperfs_journal_replay(&fs, &j, &n) == VIPER_OK);
    CHECK(n == 0);
    REQUIRE(open_fs() == VIPER_OK);
    CHECK(strcmp(fs.sb.label, "two") == 0);
    CHECK(im.bad_requests == 0);
}

HOST_TEST(journal_wraps_around)
{
    struct viperfs_journal j;
    uint32_t n;
    char label[16];
    fresh();
    REQUIRE(open_fs() == VIPER_OK && viperfs_journal_load(&fs, &j, NULL) == VIPER_OK);
    /* 4 slots per transaction: several laps of the ring, checkpointing as a server would */
    int i, limits = 0;
    for (i = 0; i < 100; i++) {
        snprintf(label, sizeof(label), "lap%d", i);
        int rc = commit_label(&j, label);
        if (rc == VIPER_ERR_LIMIT) {   /* ring full: write home blocks, checkpoint, retry */
            limits++;
            REQUIRE(viperfs_journal_replay(&fs, &j, &n) == VIPER_OK);
            REQUIRE(viperfs_journal_checkpoint(&fs, &j) == VIPER_OK);
            rc = commit_label(&j, label);
        }
        REQUIRE(rc == VIPER_OK);
    }
    CHECK(limits >= 5);
    REQUIRE(viperfs_journal_load(&fs, &j, NULL) == VIPER_OK);
    REQUIRE(viperfs_journal_replay(&fs, &j, &n) == VIPER_OK);
    CHECK(n > 0);
    REQUIRE(open_fs() == VIPER_OK);
    CHECK(strcmp(fs.sb.label, "lap99") == 0);
    CHECK(fsck_copy(&im, true, NULL) == FSCK_CLEAN);
}

HOST_TEST(fsck_replays_the_journal)
{
    struct viperfs_journal j;
    fresh();
    REQUIRE(open_fs() == VIPER_OK && viperfs_journal_load(&fs, &j, NULL) == VIPER_OK);
    REQUIRE(commit_label(&j, "fsck") == VIPER_OK);
    CHECK(fsck_copy(&im, false, NULL) == FSCK_CLEAN);   /* -n replays in memory only */
    CHECK(fsck_image(&im, true, NULL) == FSCK_REPAIRED);
    CHECK(strcmp(im.blocks[0].super.label, "fsck") == 0);
    CHECK(fsck_image(&im, true, NULL) == FSCK_CLEAN);
}

HOST_TEST(bad_magic_restored_from_backup)
{
    fresh();
    im.blocks[0].super.magic ^= 0x1000;
    CHECK(viperfs_open(&fs, &im.dev, NULL) == VIPER_ERR_BAD_FORMAT);
    CHECK(repairs_cleanly());
    CHECK(open_fs() == VIPER_OK);
    /* both copies gone: fsck cannot even start */
    im.blocks[0].super.magic = 0;
    im.blocks[im.nblocks - 1].super.magic = 0;
    CHECK(fsck_copy(&im, true, NULL) == FSCK_OPERATIONAL);
}

HOST_TEST(bad_inode_checksum)
{
    uint32_t ino;
    struct viperfs_inode in;
    fresh();
    REQUIRE(open_fs() == VIPER_OK);
    raw_inode(s.small)->size ^= 1;   /* no reseal: the checksum no longer matches */
    CHECK(viperfs_read_inode(&fs, s.small, &in, NULL) == VIPER_ERR_BAD_FORMAT);
    CHECK(viperfs_namei(&fs, "/a/b/small.txt", true, &ino) == VIPER_ERR_BAD_FORMAT);
    CHECK(repairs_cleanly());
    CHECK(viperfs_namei(&fs, "/a/b/small.txt", true, &ino) == VIPER_ERR_NOT_FOUND);
    CHECK(viperfs_namei(&fs, "/a/big", true, &ino) == VIPER_OK);   /* the rest is intact */
}

HOST_TEST(bad_directory_block_checksum)
{
    uint32_t ino;
    fresh();
    REQUIRE(open_fs() == VIPER_OK);
    im.blocks[raw_inode(s.dir_b)->direct[0]].bytes[40] ^= 0x55;
    CHECK(viperfs_namei(&fs, "/a/b/small.txt", true, &ino) == VIPER_ERR_BAD_FORMAT);
    CHECK(repairs_cleanly());
    /* the block was emptied; its file is now in lost+found */
    char path[64];
    snprintf(path, sizeof(path), "/lost+found/#%u", s.small);
    CHECK(viperfs_namei(&fs, path, true, &ino) == VIPER_OK && ino == s.small);
}

HOST_TEST(out_of_range_block_numbers)
{
    uint32_t blk;
    struct viperfs_inode in;
    uint8_t buf[16];
    size_t got;
    fresh();
    REQUIRE(open_fs() == VIPER_OK);
    raw_inode(s.small)->direct[0] = NBLOCKS + 5;
    viperfs_inode_seal(raw_inode(s.small));
    CHECK(viperfs_read_inode(&fs, s.small, &in, NULL) == VIPER_ERR_BAD_FORMAT);
    /* an indirect entry pointing into the inode table */
    union viperfs_block *ind = &im.blocks[raw_inode(s.big)->indirect];
    ind->ind.ptr[3] = fs.sb.itable_start;
    viperfs_block_seal(ind, VIPERFS_INDIRECT_MAGIC, raw_inode(s.big)->indirect, s.big);
    REQUIRE(viperfs_read_inode(&fs, s.big, &in, NULL) == VIPER_OK);
    CHECK(viperfs_bmap(&fs, s.big, &in, VIPERFS_NDIRECT + 3, &blk) == VIPER_ERR_BAD_FORMAT);
    CHECK(viperfs_read(&fs, s.big, &in, (VIPERFS_NDIRECT + 3) * VIPERFS_BLOCK_SIZE, buf, 16,
                       &got) == VIPER_ERR_BAD_FORMAT);
    CHECK(viperfs_read(&fs, s.big, &in, 0, buf, 16, &got) == VIPER_OK);   /* other blocks fine */
    CHECK(repairs_cleanly());
    REQUIRE(viperfs_read_inode(&fs, s.big, &in, NULL) == VIPER_OK);
    CHECK(viperfs_bmap(&fs, s.big, &in, VIPERFS_NDIRECT + 3, &blk) == VIPER_OK && blk == 0);
    CHECK(im.bad_requests == 0);
}

HOST_TEST(directory_loop)
{
    uint32_t ino;
    fresh();
    REQUIRE(open_fs() == VIPER_OK);
    /* /a/b/up names /a: a cycle a -> b -> a */
    uint32_t b = raw_inode(s.dir_b)->direct[0];
    REQUIRE(viperfs_dirblock_add(&im.blocks[b], "up", 2, s.dir_a, VIPERFS_FT_DIR) == VIPER_OK);
    viperfs_block_seal(&im.blocks[b], VIPERFS_DIR_MAGIC, b, s.dir_b);
    CHECK(viperfs_namei(&fs, "/a/b/up/b/up/b/small.txt", true, &ino) == VIPER_OK);
    CHECK(repairs_cleanly());
    CHECK(viperfs_namei(&fs, "/a/b/up", true, &ino) == VIPER_ERR_NOT_FOUND);
    CHECK(viperfs_namei(&fs, "/a/b/small.txt", true, &ino) == VIPER_OK);
}

HOST_TEST(bitmap_mismatch)
{
    fresh();
    REQUIRE(open_fs() == VIPER_OK);
    /* a block in use marked free, and a free inode marked used */
    union viperfs_block *bb = &im.blocks[fs.sb.bbitmap_start];
    viperfs_bit_set(bb, raw_inode(s.big)->direct[2], false);
    viperfs_block_seal(bb, VIPERFS_BBITMAP_MAGIC, fs.sb.bbitmap_start, 0);
    union viperfs_block *ib = &im.blocks[fs.sb.ibitmap_start];
    viperfs_bit_set(ib, fs.sb.inode_count - 2, true);
    viperfs_block_seal(ib, VIPERFS_IBITMAP_MAGIC, fs.sb.ibitmap_start, 0);
    CHECK(repairs_cleanly());
    CHECK(viperfs_bit_get(&im.blocks[fs.sb.bbitmap_start], raw_inode(s.big)->direct[2]));
    CHECK(!viperfs_bit_get(&im.blocks[fs.sb.ibitmap_start], fs.sb.inode_count - 2));
}

HOST_TEST(orphan_and_link_count)
{
    uint32_t ino, off = 0;
    struct viperfs_dentry e;
    fresh();
    REQUIRE(open_fs() == VIPER_OK);
    /* drop /a/big's entry: the file becomes an orphan */
    uint32_t b = raw_inode(s.dir_a)->direct[0];
    while (viperfs_dirblock_next(&im.blocks[b], &off, &e) == 1 && e.ino != s.big)
        ;
    REQUIRE(e.ino == s.big);
    REQUIRE(viperfs_dirblock_remove(&im.blocks[b], e.off) == VIPER_OK);
    viperfs_block_seal(&im.blocks[b], VIPERFS_DIR_MAGIC, b, s.dir_a);
    raw_inode(s.small)->links = 7;
    viperfs_inode_seal(raw_inode(s.small));
    CHECK(repairs_cleanly());
    char path[64];
    snprintf(path, sizeof(path), "/lost+found/#%u", s.big);
    CHECK(viperfs_namei(&fs, path, true, &ino) == VIPER_OK && ino == s.big);
    CHECK(raw_inode(s.small)->links == 1);
}

HOST_TEST(block_claimed_twice)
{
    fresh();
    REQUIRE(open_fs() == VIPER_OK);
    /* /a/b/small.txt's block also appears in /a/big: the later inode loses it */
    raw_inode(s.big)->direct[5] = raw_inode(s.small)->direct[0];
    viperfs_inode_seal(raw_inode(s.big));
    CHECK(repairs_cleanly());
    CHECK(raw_inode(s.small)->direct[0] != 0);
    CHECK(raw_inode(s.big)->direct[5] == 0);
}

HOST_TEST(duplicate_names)
{
    uint32_t ino;
    fresh();
    REQUIRE(open_fs() == VIPER_OK);
    /* a second "small.txt" in /a/b naming /a/big: the later entry goes, big is reconnected */
    uint32_t b = raw_inode(s.dir_b)->direct[0];
    REQUIRE(viperfs_dirblock_add(&im.blocks[b], "small.txt", 9, s.big, VIPERFS_FT_REG) ==
            VIPER_OK);
    viperfs_block_seal(&im.blocks[b], VIPERFS_DIR_MAGIC, b, s.dir_b);
    uint32_t a = raw_inode(s.dir_a)->direct[0], off = 0;
    struct viperfs_dentry e;
    while (viperfs_dirblock_next(&im.blocks[a], &off, &e) == 1 && e.ino != s.big)
        ;
    REQUIRE(viperfs_dirblock_remove(&im.blocks[a], e.off) == VIPER_OK);
    viperfs_block_seal(&im.blocks[a], VIPERFS_DIR_MAGIC, a, s.dir_a);
    CHECK(repairs_cleanly());
    CHECK(viperfs_namei(&fs, "/a/b/small.txt", true, &ino) == VIPER_OK && ino == s.small);
    char path[64];
    snprintf(path, sizeof(path), "/lost+found/#%u", s.big);
    CHECK(viperfs_namei(&fs, path, true, &ino) == VIPER_OK && ino == s.big);
}

HOST_TEST(root_destroyed)
{
    uint32_t ino;
    fresh();
    REQUIRE(open_fs() == VIPER_OK);
    memset(raw_inode(VIPERFS_ROOT_INO), 0xEE, VIPERFS_INODE_SIZE);
    CHECK(viperfs_namei(&fs, "/a", true, &ino) == VIPER_ERR_BAD_FORMAT);
    CHECK(repairs_cleanly());
    char path[64];
    snprintf(path, sizeof(path), "/lost+found/#%u/b/small.txt", s.dir_a);
    CHECK(viperfs_namei(&fs, path, true, &ino) == VIPER_OK && ino == s.small);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    host_binary = "viperfs";
    alarm(60);
    host_run(crc32c_known_values);
    host_run(mkfs_then_fsck_is_clean);
    host_run(files_read_back);
    host_run(symlink_loop_is_an_error);
    host_run(dirblock_add_remove);
    host_run(journal_commit_and_replay);
    host_run(journal_wraps_around);
    host_run(fsck_replays_the_journal);
    host_run(bad_magic_restored_from_backup);
    host_run(bad_inode_checksum);
    host_run(bad_directory_block_checksum);
    host_run(out_of_range_block_numbers);
    host_run(directory_loop);
    host_run(bitmap_mismatch);
    host_run(orphan_and_link_count);
    host_run(block_claimed_twice);
    host_run(duplicate_names);
    host_run(root_destroyed);
    image_free(&im);
    return host_summary();
}
