/*
 * tools/viperfs/fsck.c - fsck.viperfs's checker, in passes like e2fsck's:
 *
 *   0 superblock (fall back to the backup in the last block)
 *   1 journal (replay committed transactions; reset a damaged journal)
 *   2 inodes: checksum and fields, then every block pointer: in range, not
 *     past the end of the file, not claimed twice, indirect blocks sound
 *   3 directories from the root, breadth first: damaged blocks emptied, bad
 *     entries and second entries of one name removed, . and .. fixed, a
 *     directory reached twice unlinked (which is what breaks a loop)
 *   4 orphans reconnected into /lost+found (made if missing); a file with no
 *     links left (unlinked while open) is freed instead, and that is no error
 *   5 link counts
 *   6 bitmaps and free counts rebuilt from what passes 2-4 found in use
 *
 * Every repair is made in memory as soon as it is found, so later passes
 * see a consistent filesystem; whether it counts as repaired (exit 1) or as
 * an error left (exit 4, `-n`) is the caller's choice of writing it back.
 * A second run over a repaired image must find nothing (the fuzz test
 * checks that).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <viper/errors.h>

#include "fsck.h"

#define PTRS VIPERFS_PTRS_PER_BLOCK

struct fsck {
    struct image *im;
    struct viperfs fs;
    struct viperfs_super *sb;   /* &fs.sb */
    FILE *log;
    unsigned found, unfixed;
    bool modified;              /* the journal was replayed */
    uint32_t *bowner;           /* per block: the inode that owns it, 0 = free */
    uint8_t *iok;               /* per inode: in use and sound after pass 2 */
    uint8_t *visited;           /* per inode: directory reached in pass 3 */
    uint32_t *links;            /* per inode: names counted (subdirectories, for a directory) */
    uint32_t *parent;           /* per directory: where pass 3 reached it from */
    uint32_t *queue, qhead, qtail;
    struct seen_name *seen;     /* the names kept so far in the directory pass 3 is in */
    unsigned nseen, seen_cap;
};

struct seen_name {
    uint32_t crc;
    uint8_t len;
    char name[VIPERFS_NAME_MAX];
};

static void problem(struct fsck *f, const char *fmt, ...)
{
    va_list ap;
    f->found++;
    if (!f->log)
        return;
    va_start(ap, fmt);
    fprintf(f->log, "fsck.viperfs: ");
    vfprintf(f->log, fmt, ap);
    fprintf(f->log, "\n");
    va_end(ap);
}

static union viperfs_block *blk(struct fsck *f, uint32_t b)
{
    return &f->im->blocks[b];
}

static void dirty(struct fsck *f, uint32_t b)
{
    f->im->dirty[b] = 1;
}

static struct viperfs_inode *inode(struct fsck *f, uint32_t ino)
{
    return &blk(f, f->sb->itable_start + ino / VIPERFS_INODES_PER_BLOCK)
                ->inodes[ino % VIPERFS_INODES_PER_BLOCK];
}

static void inode_put(struct fsck *f, uint32_t ino)
{
    viperfs_inode_seal(inode(f, ino));
    dirty(f, f->sb->itable_start + ino / VIPERFS_INODES_PER_BLOCK);
}

static void inode_clear(struct fsck *f, uint32_t ino)
{
    memset(inode(f, ino), 0, sizeof(struct viperfs_inode));
    dirty(f, f->sb->itable_start + ino / VIPERFS_INODES_PER_BLOCK);
    f->iok[ino] = 0;
    for (uint32_t b = 0; b < f->sb->block_count; b++)
        if (f->bowner[b] == ino)
            f->bowner[b] = 0;
}

static void super_put(struct fsck *f)
{
    viperfs_super_seal(f->sb);
    memset(blk(f, 0), 0, VIPERFS_BLOCK_SIZE);
    memcpy(&blk(f, 0)->super, f->sb, sizeof(*f->sb));
    dirty(f, 0);
}

/* ---- pass 0 and 1 ---- */

static int pass_super(struct fsck *f)
{
    const char *why = NULL;
    int rc = viperfs_open(&f->fs, &f->im->dev, &why);
    if (rc == VIPER_ERR_NOT_SUPPORTED || rc == VIPER_ERR_IO) {
        if (f->log)
            fprintf(f->log, "fsck.viperfs: superblock: %s\n", why);
        return FSCK_OPERATIONAL;
    }
    const struct viperfs_super *backup = &blk(f, f->im->nblocks - 1)->super;
    if (rc != VIPER_OK) {
        problem(f, "superblock: %s; using the backup", why);
        if (viperfs_super_check(backup, f->im->nblocks, &why) != VIPER_OK) {
            if (f->log)
                fprintf(f->log, "fsck.viperfs: backup superblock: %s; cannot check\n", why);
            return FSCK_OPERATIONAL;
        }
        f->fs.sb = *backup;
        f->sb->state &= ~VIPERFS_STATE_CLEAN;
        super_put(f);
    } else if ((f->sb->feature_compat & VIPERFS_COMPAT_BACKUP_SB) &&
               viperfs_super_check(backup, f->im->nblocks, &why) != VIPER_OK) {
        problem(f, "backup superblock: %s; rewritten", why);
        memset(blk(f, f->sb->block_count - 1), 0, VIPERFS_BLOCK_SIZE);
        memcpy(&blk(f, f->sb->block_count - 1)->super, f->sb, sizeof(*f->sb));
        dirty(f, f->sb->block_count - 1);
    }
    return FSCK_CLEAN;
}

static int pass_journal(struct fsck *f)
{
    struct viperfs_journal j;
    const char *why = NULL;
    uint32_t n = 0;
    if (viperfs_journal_load(&f->fs, &j, &why) != VIPER_OK) {
        problem(f, "journal: %s; reset", why);
        return viperfs_journal_reset(&f->fs) == VIPER_OK ? FSCK_CLEAN : FSCK_OPERATIONAL;
    }
    if (viperfs_journal_replay(&f->fs, &j, &n) != VIPER_OK)
        return FSCK_OPERATIONAL;
    if (n == 0)
        return FSCK_CLEAN;
    if (f->log)
        fprintf(f->log, "fsck.viperfs: journal: replayed %u transaction%s\n", n, n == 1 ? "" : "s");
    f->modified = true;
    return pass_super(f);   /* a transaction may have rewritten the superblock */
}

/* ---- pass 2: inodes and their blocks ---- */

/* Why the pointer b at file block first (level 0: data, else indirect) must go, or NULL. */
static const char *pointer_problem(struct fsck *f, uint32_t ino, uint32_t b, int level,
                                   uint64_t first, uint64_t limit)
{
    const char *why = NULL;
    if (first >= limit)
        return "past the end of the file";
    if (!viperfs_data_block_ok(f->sb, b))
        return "out of range";
    if (f->bowner[b])
        return "already in use";
    if (level > 0 && viperfs_block_check(blk(f, b), VIPERFS_INDIRECT_MAGIC, b, &why) != VIPER_OK)
        return why;
    if (level > 0 && blk(f, b)->hdr.tag != ino)
        return "owned by another inode";
    return NULL;
}

/* Claim the tree under *slot for ino, counting blocks in *count; drop what is bad.
 * Sets *changed when *slot changes. */
static void walk(struct fsck *f, uint32_t ino, uint32_t *slot, int level, uint64_t first,
                 uint64_t limit, uint32_t *count, bool *changed)
{
    uint32_t b = *slot;
    if (b == 0)
        return;
    const char *why = pointer_problem(f, ino, b, level, first, limit);
    if (why) {
        problem(f, "inode %u: %s block %u %s; removed", ino, level ? "indirect" : "data", b, why);
        *slot = 0;
        *changed = true;
        return;
    }
    f->bowner[b] = ino;
    (*count)++;
    if (level == 0)
        return;
    uint64_t span = level == 3 ? (uint64_t)PTRS * PTRS : level == 2 ? PTRS : 1;
    bool ch = false;
    for (uint32_t i = 0; i < PTRS; i++)
        walk(f, ino, &blk(f, b)->ind.ptr[i], level - 1, first + i * span, limit, count, &ch);
    if (ch) {
        viperfs_block_seal(blk(f, b), VIPERFS_INDIRECT_MAGIC, b, ino);
        dirty(f, b);
    }
}

/* Walk every pointer of ino, then fix its block count. */
static void walk_inode(struct fsck *f, uint32_t ino, uint64_t limit)
{
    struct viperfs_inode *in = inode(f, ino);
    bool changed = false;
    uint32_t count = 0;
    for (int i = 0; i < VIPERFS_NDIRECT; i++)
        walk(f, ino, &in->direct[i], 0, (uint64_t)i, limit, &count, &changed);
    walk(f, ino, &in->indirect, 1, VIPERFS_NDIRECT, limit, &count, &changed);
    walk(f, ino, &in->dindirect, 2, VIPERFS_NDIRECT + PTRS, limit, &count, &changed);
    walk(f, ino, &in->tindirect, 3, VIPERFS_NDIRECT + PTRS + (uint64_t)PTRS * PTRS, limit,
         &count, &changed);
    if (in->nblocks != count) {
        if (!changed)
            problem(f, "inode %u: block count %u, should be %u; fixed", ino, in->nblocks, count);
        in->nblocks = count;
        changed = true;
    }
    if (changed)
        inode_put(f, ino);
}

static void pass_inodes(struct fsck *f)
{
    for (uint32_t ino = 1; ino < f->sb->inode_count; ino++) {
        struct viperfs_inode *in = inode(f, ino);
        const char *why;
        if (in->mode == 0)
            continue;
        if (viperfs_crc_skip(in, sizeof(*in), offsetof(struct viperfs_inode, crc)) != in->crc) {
            problem(f, "inode %u: bad checksum; cleared", ino);
            inode_clear(f, ino);
            continue;
        }
        bool is_inline = in->flags & VIPERFS_INODE_INLINE;
        struct viperfs_inode probe = *in;   /* pointers are checked one by one in walk() */
        if (!is_inline) {
            memset(probe.direct, 0, sizeof(probe.direct));
            probe.indirect = probe.dindirect = probe.tindirect = 0;
            if ((probe.mode & VIPERFS_S_IFMT) == VIPERFS_S_IFLNK)
                probe.direct[0] = f->sb->data_start;
        }
        viperfs_inode_seal(&probe);
        if (viperfs_inode_check(f->sb, &probe, &why) != VIPER_OK) {
            problem(f, "inode %u: %s; cleared", ino, why);
            inode_clear(f, ino);
            continue;
        }
        f->iok[ino] = 1;
        if (is_inline)
            continue;
        bool lnk = (in->mode & VIPERFS_S_IFMT) == VIPERFS_S_IFLNK;
        walk_inode(f, ino, lnk ? 1 : (in->size + VIPERFS_BLOCK_SIZE - 1) / VIPERFS_BLOCK_SIZE);
        if (lnk && in->direct[0] == 0) {
            problem(f, "inode %u: symlink lost its block; cleared", ino);
            inode_clear(f, ino);
        }
    }
}

/* ---- allocation for repairs (after pass 2 knows what is in use) ---- */

static uint32_t alloc_block(struct fsck *f, uint32_t owner)
{
    for (uint32_t b = f->sb->data_start; b < f->sb->block_count; b++)
        if (viperfs_data_block_ok(f->sb, b) && f->bowner[b] == 0) {
            f->bowner[b] = owner;
            return b;
        }
    return 0;
}

static uint32_t alloc_inode(struct fsck *f)
{
    for (uint32_t ino = VIPERFS_ROOT_INO + 1; ino < f->sb->inode_count; ino++)
        if (!f->iok[ino] && inode(f, ino)->mode == 0)
            return ino;
    return 0;
}

/* Make ino an empty directory whose .. is parent. */
static bool make_dir(struct fsck *f, uint32_t ino, uint32_t parent)
{
    uint32_t b = alloc_block(f, ino);
    if (b == 0)
        return false;
    struct viperfs_inode *in = inode(f, ino);
    memset(in, 0, sizeof(*in));
    in->mode = VIPERFS_S_IFDIR | 0700;
    in->links = 2;
    in->size = VIPERFS_BLOCK_SIZE;
    in->nblocks = 1;
    in->generation = 1;
    in->direct[0] = b;
    inode_put(f, ino);
    viperfs_dirblock_init(blk(f, b));
    viperfs_dirblock_add(blk(f, b), ".", 1, ino, VIPERFS_FT_DIR);
    viperfs_dirblock_add(blk(f, b), "..", 2, parent, VIPERFS_FT_DIR);
    viperfs_block_seal(blk(f, b), VIPERFS_DIR_MAGIC, b, ino);
    dirty(f, b);
    f->iok[ino] = 1;
    return true;
}

/* ---- pass 3: directories ---- */

static void dirent_set(struct fsck *f, uint32_t b, uint32_t off, uint32_t ino, uint8_t type)
{
    struct viperfs_dirent d;
    memcpy(&d, blk(f, b)->bytes + off, sizeof(d));
    d.ino = ino;
    d.type = type;
    memcpy(blk(f, b)->bytes + off, &d, sizeof(d));
}

static bool is_name(const struct viperfs_dentry *e, const char *s)
{
    return e->name_len == strlen(s) && memcmp(e->name, s, e->name_len) == 0;
}

/* Block 0 must start with . and ..; rebuild it around its other entries if not. */
static void fix_dots(struct fsck *f, uint32_t dir, uint32_t b)
{
    union viperfs_block old = *blk(f, b), *nb = blk(f, b);
    struct viperfs_dentry e1, e2, e;
    uint32_t off = VIPERFS_HDR_SIZE;
    if (viperfs_dirblock_next(&old, &off, &e1) == 1 && e1.off == VIPERFS_HDR_SIZE &&
        is_name(&e1, ".") && viperfs_dirblock_next(&old, &off, &e2) == 1 && is_name(&e2, ".."))
        return;
    problem(f, "directory %u: . or .. missing; added", dir);
    viperfs_dirblock_init(nb);
    viperfs_dirblock_add(nb, ".", 1, dir, VIPERFS_FT_DIR);
    viperfs_dirblock_add(nb, "..", 2, f->parent[dir], VIPERFS_FT_DIR);
    off = 0;
    while (viperfs_dirblock_next(&old, &off, &e) == 1)
        if (!is_name(&e, ".") && !is_name(&e, "..") &&
            viperfs_dirblock_add(nb, e.name, e.name_len, e.ino, e.type) != VIPER_OK)
            problem(f, "directory %u: no room for entry %u after the repair; dropped", dir, e.ino);
    viperfs_block_seal(nb, VIPERFS_DIR_MAGIC, b, dir);
    dirty(f, b);
}

/* Has the directory being checked already kept an entry with e's name?  Else remember it. */
static bool name_seen(struct fsck *f, const struct viperfs_dentry *e)
{
    uint32_t crc = viperfs_crc32c(e->name, e->name_len);
    for (unsigned i = 0; i < f->nseen; i++)
        if (f->seen[i].crc == crc && f->seen[i].len == e->name_len &&
            memcmp(f->seen[i].name, e->name, e->name_len) == 0)
            return true;
    if (f->nseen == f->seen_cap) {
        unsigned cap = f->seen_cap ? f->seen_cap * 2 : 64;
        struct seen_name *n = realloc(f->seen, cap * sizeof(*n));
        if (!n)
            return false;   /* out of memory: duplicates go unnoticed, nothing worse */
        f->seen = n;
        f->seen_cap = cap;
    }
    f->seen[f->nseen].crc = crc;
    f->seen[f->nseen].len = e->name_len;
    memcpy(f->seen[f->nseen].name, e->name, e->name_len);
    f->nseen++;
    return false;
}

/* Check one entry of directory dir; returns true if the block changed. */
static bool check_entry(struct fsck *f, uint32_t dir, uint32_t b, uint64_t fb,
                        const struct viperfs_dentry *e, unsigned index)
{
    union viperfs_block *db = blk(f, b);
    bool dot = is_name(e, "."), dotdot = is_name(e, "..");
    if (dot || dotdot) {
        uint32_t want = dot ? dir : f->parent[dir];
        if (fb != 0 || index != (dot ? 0u : 1u)) {
            problem(f, "directory %u: stray '%s'; removed", dir, dot ? "." : "..");
            viperfs_dirblock_remove(db, e->off);
            return true;
        }
        if (e->ino == want && e->type == VIPERFS_FT_DIR)
            return false;
        problem(f, "directory %u: '%s' names %u, should be %u; fixed", dir, dot ? "." : "..",
                e->ino, want);
        dirent_set(f, b, e->off, want, VIPERFS_FT_DIR);
        return true;
    }
    if (e->ino >= f->sb->inode_count || !f->iok[e->ino]) {
        problem(f, "directory %u: entry '%.*s' names free or bad inode %u; removed", dir,
                e->name_len, e->name, e->ino);
        viperfs_dirblock_remove(db, e->off);
        return true;
    }
    struct viperfs_inode *child = inode(f, e->ino);
    uint8_t ft = (uint8_t)viperfs_mode_to_ft(child->mode);
    if (!(ft == VIPERFS_FT_DIR && f->visited[e->ino]) && name_seen(f, e)) {
        problem(f, "directory %u: a second entry named '%.*s'; removed", dir, e->name_len,
                e->name);
        viperfs_dirblock_remove(db, e->off);
        return true;
    }
    bool changed = false;
    if (ft == VIPERFS_FT_DIR && f->visited[e->ino]) {
        problem(f, "directory %u: entry '%.*s' is a second link to directory %u (a loop); removed",
                dir, e->name_len, e->name, e->ino);
        viperfs_dirblock_remove(db, e->off);
        return true;
    }
    if (e->type != ft) {
        problem(f, "directory %u: entry '%.*s' has the wrong type; fixed", dir, e->name_len, e->name);
        dirent_set(f, b, e->off, e->ino, ft);
        changed = true;
    }
    if (ft == VIPERFS_FT_DIR) {
        f->visited[e->ino] = 1;
        f->parent[e->ino] = dir;
        f->links[dir]++;
        f->queue[f->qtail++] = e->ino;
    } else {
        f->links[e->ino]++;
    }
    return changed;
}

/* Drop every block of ino at or past file block limit (a directory cut at a hole). */
static void cut(struct fsck *f, uint32_t ino, uint32_t *slot, int level, uint64_t first,
                uint64_t limit, bool *changed)
{
    uint32_t b = *slot;
    if (b == 0)
        return;
    if (level > 0) {
        uint64_t span = level == 3 ? (uint64_t)PTRS * PTRS : level == 2 ? PTRS : 1;
        bool ch = false;
        for (uint32_t i = 0; i < PTRS; i++)
            cut(f, ino, &blk(f, b)->ind.ptr[i], level - 1, first + i * span, limit, &ch);
        if (ch && first < limit) {
            viperfs_block_seal(blk(f, b), VIPERFS_INDIRECT_MAGIC, b, ino);
            dirty(f, b);
        }
    }
    if (first >= limit) {
        f->bowner[b] = 0;
        *slot = 0;
        *changed = true;
    }
}

static void truncate_dir(struct fsck *f, uint32_t dir, uint64_t nblocks)
{
    struct viperfs_inode *in = inode(f, dir);
    bool ch = false;
    for (int i = 0; i < VIPERFS_NDIRECT; i++)
        cut(f, dir, &in->direct[i], 0, (uint64_t)i, nblocks, &ch);
    cut(f, dir, &in->indirect, 1, VIPERFS_NDIRECT, nblocks, &ch);
    cut(f, dir, &in->dindirect, 2, VIPERFS_NDIRECT + PTRS, nblocks, &ch);
    cut(f, dir, &in->tindirect, 3, VIPERFS_NDIRECT + PTRS + (uint64_t)PTRS * PTRS, nblocks, &ch);
    in->size = nblocks * VIPERFS_BLOCK_SIZE;
    in->nblocks = 0;
    for (uint32_t b = 0; b < f->sb->block_count; b++)
        in->nblocks += f->bowner[b] == dir;
    inode_put(f, dir);
}

static void check_dir(struct fsck *f, uint32_t dir)
{
    struct viperfs_inode in = *inode(f, dir);
    f->nseen = 0;
    uint64_t nb = in.size / VIPERFS_BLOCK_SIZE;
    for (uint64_t fb = 0; fb < nb; fb++) {
        uint32_t b = 0, off = 0;
        const char *why;
        if (viperfs_bmap(&f->fs, dir, &in, fb, &b) != VIPER_OK || b == 0) {
            problem(f, "directory %u: hole at block %llu; truncated", dir, (unsigned long long)fb);
            if (fb == 0) {   /* nothing left: make it empty again */
                truncate_dir(f, dir, 0);
                if (!make_dir(f, dir, f->parent[dir])) {
                    f->unfixed++;
                    return;
                }
                fb = 0;
                nb = 1;
                in = *inode(f, dir);
                b = in.direct[0];
            } else {
                truncate_dir(f, dir, fb);
                return;
            }
        }
        if (viperfs_dirblock_check(blk(f, b), b, dir, &why) != VIPER_OK) {
            problem(f, "directory %u block %u: %s; emptied", dir, b, why);
            viperfs_dirblock_init(blk(f, b));
            viperfs_block_seal(blk(f, b), VIPERFS_DIR_MAGIC, b, dir);
            dirty(f, b);
        }
        if (fb == 0)
            fix_dots(f, dir, b);
        struct viperfs_dentry e;
        bool changed = false;
        for (unsigned index = 0; viperfs_dirblock_next(blk(f, b), &off, &e) == 1; index++)
            changed |= check_entry(f, dir, b, fb, &e, index);
        if (changed) {
            viperfs_block_seal(blk(f, b), VIPERFS_DIR_MAGIC, b, dir);
            dirty(f, b);
        }
    }
}

static void walk_dirs_from(struct fsck *f, uint32_t dir)
{
    f->qhead = f->qtail = 0;
    f->queue[f->qtail++] = dir;
    while (f->qhead < f->qtail)
        check_dir(f, f->queue[f->qhead++]);
}

static void pass_dirs(struct fsck *f)
{
    uint32_t root = VIPERFS_ROOT_INO;
    if (!f->iok[root] || (inode(f, root)->mode & VIPERFS_S_IFMT) != VIPERFS_S_IFDIR) {
        problem(f, "root directory missing; made anew");
        if (f->iok[root])
            inode_clear(f, root);
        if (!make_dir(f, root, root)) {
            f->unfixed++;
            return;
        }
    }
    f->visited[root] = 1;
    f->parent[root] = root;
    walk_dirs_from(f, root);
}

/* ---- pass 4: orphans ---- */

static uint32_t lost_and_found(struct fsck *f)
{
    uint32_t ino;
    if (viperfs_lookup(&f->fs, VIPERFS_ROOT_INO, "lost+found", 10, &ino) == VIPER_OK &&
        f->iok[ino] && (inode(f, ino)->mode & VIPERFS_S_IFMT) == VIPERFS_S_IFDIR)
        return ino;
    ino = alloc_inode(f);
    if (ino == 0 || !make_dir(f, ino, VIPERFS_ROOT_INO))
        return 0;
    uint32_t rb = inode(f, VIPERFS_ROOT_INO)->direct[0];
    if (viperfs_dirblock_add(blk(f, rb), "lost+found", 10, ino, VIPERFS_FT_DIR) != VIPER_OK) {
        inode_clear(f, ino);
        return 0;
    }
    viperfs_block_seal(blk(f, rb), VIPERFS_DIR_MAGIC, rb, VIPERFS_ROOT_INO);
    dirty(f, rb);
    problem(f, "/lost+found missing; made");
    f->visited[ino] = 1;
    f->parent[ino] = VIPERFS_ROOT_INO;
    f->links[VIPERFS_ROOT_INO]++;
    return ino;
}

/* Link orphan ino into lost+found as #ino; false if there is no room. */
static bool reconnect(struct fsck *f, uint32_t lf, uint32_t ino)
{
    struct viperfs_inode in = *inode(f, lf);
    uint8_t ft = (uint8_t)viperfs_mode_to_ft(inode(f, ino)->mode);
    char name[16];
    int len = snprintf(name, sizeof(name), "#%u", ino);
    for (uint64_t fb = 0; fb < in.size / VIPERFS_BLOCK_SIZE; fb++) {
        uint32_t b;
        if (viperfs_bmap(&f->fs, lf, &in, fb, &b) != VIPER_OK || b == 0)
            return false;
        if (viperfs_dirblock_add(blk(f, b), name, (size_t)len, ino, ft) == VIPER_OK) {
            viperfs_block_seal(blk(f, b), VIPERFS_DIR_MAGIC, b, lf);
            dirty(f, b);
            return true;
        }
    }
    return false;
}

/* Clear bit n of a bitmap whose blocks are sound (a damaged one is rebuilt in pass 6). */
static bool bit_release(struct fsck *f, uint32_t start, uint32_t magic, uint32_t n)
{
    uint32_t b = start + n / VIPERFS_BITMAP_BITS;
    if (viperfs_block_check(blk(f, b), magic, b, NULL) != VIPER_OK ||
        !viperfs_bit_get(blk(f, b), n % VIPERFS_BITMAP_BITS))
        return false;
    viperfs_bit_set(blk(f, b), n % VIPERFS_BITMAP_BITS, false);
    viperfs_block_seal(blk(f, b), magic, b, 0);
    dirty(f, b);
    return true;
}

/* Finish deleting an inode that lost its last name while open: the inode, its blocks, their
 * bitmap bits and the free counts, as fsd would have at the last close. */
static void free_orphan(struct fsck *f, uint32_t ino)
{
    struct viperfs_super *sb = f->sb;
    for (uint32_t b = 0; b < sb->block_count; b++)
        if (f->bowner[b] == ino && bit_release(f, sb->bbitmap_start, VIPERFS_BBITMAP_MAGIC, b) &&
            sb->free_blocks < sb->block_count)
            sb->free_blocks++;
    if (bit_release(f, sb->ibitmap_start, VIPERFS_IBITMAP_MAGIC, ino) &&
        sb->free_inodes < sb->inode_count)
        sb->free_inodes++;
    super_put(f);
    inode_clear(f, ino);
    f->modified = true;
}

static void pass_orphans(struct fsck *f)
{
    uint32_t lf = 0;
    for (uint32_t ino = VIPERFS_ROOT_INO + 1; ino < f->sb->inode_count; ino++) {
        if (!f->iok[ino])
            continue;
        bool dir = (inode(f, ino)->mode & VIPERFS_S_IFMT) == VIPERFS_S_IFDIR;
        if (dir ? f->visited[ino] : f->links[ino] > 0)
            continue;
        if (!dir && inode(f, ino)->links == 0) {
            /* unlinked while open when the system stopped: its deletion is finished here,
             * as fsd does at mount; that is not damage (like ext4's orphan list) */
            if (f->log)
                fprintf(f->log, "fsck.viperfs: inode %u was unlinked while open; freed\n", ino);
            free_orphan(f, ino);
            continue;
        }
        if (lf == 0)
            lf = lost_and_found(f);
        if (lf == 0 || lf == ino || !reconnect(f, lf, ino)) {
            problem(f, "inode %u is not in any directory and cannot be reconnected; cleared", ino);
            inode_clear(f, ino);
            continue;
        }
        problem(f, "inode %u is not in any directory; reconnected as /lost+found/#%u", ino, ino);
        if (dir) {
            f->visited[ino] = 1;
            f->parent[ino] = lf;
            f->links[lf]++;
            walk_dirs_from(f, ino);
        } else {
            f->links[ino]++;
        }
    }
}

/* ---- pass 5 and 6 ---- */

static void pass_links(struct fsck *f)
{
    for (uint32_t ino = 1; ino < f->sb->inode_count; ino++) {
        if (!f->iok[ino])
            continue;
        struct viperfs_inode *in = inode(f, ino);
        bool dir = (in->mode & VIPERFS_S_IFMT) == VIPERFS_S_IFDIR;
        uint32_t want = dir ? 2 + f->links[ino] : f->links[ino];
        if (want > UINT16_MAX)
            want = UINT16_MAX;
        if (in->links != want) {
            problem(f, "inode %u: link count %u, should be %u; fixed", ino, in->links, want);
            in->links = (uint16_t)want;
            inode_put(f, ino);
        }
    }
}

static bool block_in_use(struct fsck *f, uint64_t b)
{
    return b >= f->sb->block_count || viperfs_block_reserved(f->sb, (uint32_t)b) || f->bowner[b];
}

static bool inode_in_use(struct fsck *f, uint64_t i)
{
    return i == 0 || i >= f->sb->inode_count || f->iok[i];
}

static void rebuild_bitmap(struct fsck *f, uint32_t start, uint32_t nblocks, uint32_t magic,
                           bool (*in_use)(struct fsck *, uint64_t), const char *what)
{
    bool reported = false;
    for (uint32_t i = 0; i < nblocks; i++) {
        union viperfs_block want;
        memset(&want, 0, sizeof(want));
        for (uint32_t bit = 0; bit < VIPERFS_BITMAP_BITS; bit++)
            viperfs_bit_set(&want, bit, in_use(f, (uint64_t)i * VIPERFS_BITMAP_BITS + bit));
        viperfs_block_seal(&want, magic, start + i, 0);
        if (memcmp(&want, blk(f, start + i), sizeof(want)) == 0)
            continue;
        if (!reported)
            problem(f, "%s bitmap differs from what is in use; rewritten", what);
        reported = true;
        *blk(f, start + i) = want;
        dirty(f, start + i);
    }
}

static void pass_bitmaps(struct fsck *f, bool repair)
{
    struct viperfs_super *sb = f->sb;
    rebuild_bitmap(f, sb->bbitmap_start, sb->bbitmap_blocks, VIPERFS_BBITMAP_MAGIC, block_in_use,
                   "block");
    rebuild_bitmap(f, sb->ibitmap_start, sb->ibitmap_blocks, VIPERFS_IBITMAP_MAGIC, inode_in_use,
                   "inode");
    uint32_t free_blocks = 0, free_inodes = 0;
    for (uint32_t b = 0; b < sb->block_count; b++)
        free_blocks += !block_in_use(f, b);
    for (uint32_t i = 0; i < sb->inode_count; i++)
        free_inodes += !inode_in_use(f, i);
    if (sb->free_blocks != free_blocks || sb->free_inodes != free_inodes) {
        problem(f, "free counts %u blocks, %u inodes; should be %u, %u; fixed", sb->free_blocks,
                sb->free_inodes, free_blocks, free_inodes);
        sb->free_blocks = free_blocks;
        sb->free_inodes = free_inodes;
        super_put(f);
    }
    if (repair && (sb->state & VIPERFS_STATE_ERRORS) && f->unfixed == 0) {
        sb->state &= ~VIPERFS_STATE_ERRORS;
        super_put(f);
    }
}

static bool fsck_alloc(struct fsck *f)
{
    uint32_t nb = f->sb->block_count, ni = f->sb->inode_count;
    f->bowner = calloc(nb, sizeof(uint32_t));
    f->iok = calloc(ni, 1);
    f->visited = calloc(ni, 1);
    f->links = calloc(ni, sizeof(uint32_t));
    f->parent = calloc(ni, sizeof(uint32_t));
    f->queue = calloc(ni, sizeof(uint32_t));
    return f->bowner && f->iok && f->visited && f->links && f->parent && f->queue;
}

static void fsck_release(struct fsck *f)
{
    free(f->bowner);
    free(f->iok);
    free(f->visited);
    free(f->links);
    free(f->parent);
    free(f->queue);
    free(f->seen);
}

int fsck_image(struct image *im, bool repair, FILE *log)
{
    struct fsck *f = calloc(1, sizeof(*f));
    if (!f)
        return FSCK_OPERATIONAL;
    f->im = im;
    f->sb = &f->fs.sb;
    f->log = log;
    int rc = im->nblocks ? pass_super(f) : FSCK_OPERATIONAL;
    if (rc == FSCK_CLEAN)
        rc = pass_journal(f);
    if (rc == FSCK_CLEAN && !fsck_alloc(f))
        rc = FSCK_OPERATIONAL;
    if (rc == FSCK_CLEAN) {
        pass_inodes(f);
        pass_dirs(f);
        pass_orphans(f);
        pass_links(f);
        pass_bitmaps(f, repair);
        if (f->found == 0)
            rc = f->modified && repair ? FSCK_REPAIRED : FSCK_CLEAN;
        else
            rc = repair && f->unfixed == 0 ? FSCK_REPAIRED : FSCK_UNCORRECTED;
        if (log)
            fprintf(log, "fsck.viperfs: %u problem%s found, %s\n", f->found,
                    f->found == 1 ? "" : "s",
                    f->found == 0 ? "clean" : repair && f->unfixed == 0 ? "all repaired" : "not repaired");
    }
    fsck_release(f);
    free(f);
    return rc;
}
