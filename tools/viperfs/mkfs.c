/*
 * tools/viperfs/mkfs.c - the image builder behind mkfs.viperfs.
 *
 * Allocation is a bump pointer over data blocks and inodes (a fresh image
 * has no free list to speak of), so a tree's files land contiguously in
 * the order they are added.  Directory and indirect blocks are recorded in
 * kind[]/owner[] and sealed once, in mkfs_finish, after their last change.
 * Layout sizes follow docs/viperfs.md.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <viper/errors.h>

#include "mkfs.h"

#define PTRS VIPERFS_PTRS_PER_BLOCK
#define MIN_BLOCKS 64u

static uint32_t clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void layout(struct viperfs_super *sb, uint32_t nblocks)
{
    uint32_t inodes = nblocks / 4;
    inodes = (inodes + VIPERFS_INODES_PER_BLOCK - 1) / VIPERFS_INODES_PER_BLOCK *
             VIPERFS_INODES_PER_BLOCK;
    if (inodes < 64)
        inodes = 64;
    sb->magic = VIPERFS_MAGIC;
    sb->version = VIPERFS_VERSION;
    sb->feature_compat = VIPERFS_COMPAT_BACKUP_SB;
    sb->block_size = VIPERFS_BLOCK_SIZE;
    sb->block_count = nblocks;
    sb->inode_count = inodes;
    sb->journal_start = 1;
    sb->journal_blocks = clamp(nblocks / 32, 64, 1024);
    sb->bbitmap_start = sb->journal_start + sb->journal_blocks;
    sb->bbitmap_blocks = (nblocks + VIPERFS_BITMAP_BITS - 1) / VIPERFS_BITMAP_BITS;
    sb->ibitmap_start = sb->bbitmap_start + sb->bbitmap_blocks;
    sb->ibitmap_blocks = (inodes + VIPERFS_BITMAP_BITS - 1) / VIPERFS_BITMAP_BITS;
    sb->itable_start = sb->ibitmap_start + sb->ibitmap_blocks;
    sb->itable_blocks = inodes / VIPERFS_INODES_PER_BLOCK;
    sb->data_start = sb->itable_start + sb->itable_blocks;
    sb->root_ino = VIPERFS_ROOT_INO;
    sb->state = VIPERFS_STATE_CLEAN;
}

struct viperfs_inode *mkfs_inode(struct mkfs *m, uint32_t ino)
{
    return &m->im->blocks[m->sb.itable_start + ino / VIPERFS_INODES_PER_BLOCK]
                .inodes[ino % VIPERFS_INODES_PER_BLOCK];
}

/* A zeroed data block, or 0 when the disk is full. */
static uint32_t alloc_block(struct mkfs *m, uint32_t kind, uint32_t owner)
{
    while (m->next_block < m->sb.block_count && !viperfs_data_block_ok(&m->sb, m->next_block))
        m->next_block++;
    if (m->next_block >= m->sb.block_count)
        return 0;
    uint32_t b = m->next_block++;
    m->bused[b] = 1;
    m->kind[b] = kind;
    m->owner[b] = owner;
    memset(&m->im->blocks[b], 0, VIPERFS_BLOCK_SIZE);
    mkfs_inode(m, owner)->nblocks++;
    return b;
}

static int alloc_inode(struct mkfs *m, uint16_t mode, uint32_t *ino)
{
    if (m->next_ino >= m->sb.inode_count)
        return VIPER_ERR_NO_MEMORY;
    *ino = m->next_ino++;
    m->iused[*ino] = 1;
    struct viperfs_inode *in = mkfs_inode(m, *ino);
    memset(in, 0, sizeof(*in));
    in->mode = mode;
    in->links = 1;
    in->atime = in->mtime = in->ctime = in->crtime = m->now;
    in->generation = 1;
    return VIPER_OK;
}

/* The slot that holds file block fb's pointer, allocating indirect blocks on the way. */
static uint32_t *block_slot(struct mkfs *m, uint32_t ino, uint64_t fb)
{
    struct viperfs_inode *in = mkfs_inode(m, ino);
    uint32_t *slot;
    int depth;
    if (fb < VIPERFS_NDIRECT)
        return &in->direct[fb];
    if ((fb -= VIPERFS_NDIRECT) < PTRS) {
        slot = &in->indirect;
        depth = 1;
    } else if ((fb -= PTRS) < (uint64_t)PTRS * PTRS) {
        slot = &in->dindirect;
        depth = 2;
    } else {
        fb -= (uint64_t)PTRS * PTRS;
        slot = &in->tindirect;
        depth = 3;
    }
    for (int level = depth - 1; level >= 0; level--) {
        if (*slot == 0 && (*slot = alloc_block(m, VIPERFS_INDIRECT_MAGIC, ino)) == 0)
            return NULL;
        uint64_t span = level == 2 ? (uint64_t)PTRS * PTRS : level == 1 ? PTRS : 1;
        slot = &m->im->blocks[*slot].ind.ptr[(fb / span) % PTRS];
    }
    return slot;
}

/* Give file block fb of ino a fresh block; returns its number or 0 (disk full). */
static uint32_t add_block(struct mkfs *m, uint32_t ino, uint64_t fb, uint32_t kind)
{
    uint32_t *slot = block_slot(m, ino, fb);
    if (!slot)
        return 0;
    return *slot = alloc_block(m, kind, ino);
}

static int dir_add(struct mkfs *m, uint32_t dir, const char *name, uint32_t ino, uint8_t type)
{
    struct viperfs_inode *din = mkfs_inode(m, dir);
    uint64_t nb = din->size / VIPERFS_BLOCK_SIZE;
    size_t len = strlen(name);
    if (!viperfs_name_ok(name, len))
        return VIPER_ERR_INVALID;
    for (uint64_t fb = 0; fb < nb; fb++) {
        union viperfs_block *b = &m->im->blocks[*block_slot(m, dir, fb)];
        struct viperfs_dentry e;
        uint32_t off = 0;
        while (viperfs_dirblock_next(b, &off, &e) == 1)
            if (e.name_len == len && memcmp(e.name, name, len) == 0)
                return VIPER_ERR_BUSY;
    }
    for (uint64_t fb = 0; fb < nb; fb++)
        if (viperfs_dirblock_add(&m->im->blocks[*block_slot(m, dir, fb)], name, len, ino, type) ==
            VIPER_OK)
            return VIPER_OK;
    uint32_t b = add_block(m, dir, nb, VIPERFS_DIR_MAGIC);
    if (b == 0)
        return VIPER_ERR_NO_MEMORY;
    din->size += VIPERFS_BLOCK_SIZE;
    viperfs_dirblock_init(&m->im->blocks[b]);
    return viperfs_dirblock_add(&m->im->blocks[b], name, len, ino, type);
}

/* A new directory inode holding . and .. (parent == 0: it is the root). */
static int make_dir(struct mkfs *m, uint32_t parent, uint16_t perm, uint32_t *ino)
{
    int rc = alloc_inode(m, (uint16_t)(VIPERFS_S_IFDIR | (perm & 07777)), ino);
    if (rc != VIPER_OK)
        return rc;
    mkfs_inode(m, *ino)->links = 2;
    if ((rc = dir_add(m, *ino, ".", *ino, VIPERFS_FT_DIR)) != VIPER_OK)
        return rc;
    if (parent == 0)
        parent = *ino;
    else
        mkfs_inode(m, parent)->links++;
    return dir_add(m, *ino, "..", parent, VIPERFS_FT_DIR);
}

int mkfs_mkdir(struct mkfs *m, uint32_t parent, const char *name, uint16_t perm, uint32_t *ino)
{
    int rc = make_dir(m, parent, perm, ino);
    return rc != VIPER_OK ? rc : dir_add(m, parent, name, *ino, VIPERFS_FT_DIR);
}

static int write_data(struct mkfs *m, uint32_t ino, const void *data, size_t len)
{
    const uint8_t *src = data;
    for (uint64_t fb = 0; fb * VIPERFS_BLOCK_SIZE < len; fb++) {
        size_t off = fb * VIPERFS_BLOCK_SIZE, n = len - off;
        if (n > VIPERFS_BLOCK_SIZE)
            n = VIPERFS_BLOCK_SIZE;
        uint32_t b = add_block(m, ino, fb, 0);
        if (b == 0)
            return VIPER_ERR_NO_MEMORY;
        memcpy(m->im->blocks[b].bytes, src + off, n);
    }
    mkfs_inode(m, ino)->size = len;
    return VIPER_OK;
}

int mkfs_file(struct mkfs *m, uint32_t parent, const char *name, uint16_t perm, const void *data,
              size_t len, uint32_t *ino)
{
    int rc = alloc_inode(m, (uint16_t)(VIPERFS_S_IFREG | (perm & 07777)), ino);
    if (rc == VIPER_OK)
        rc = write_data(m, *ino, data, len);
    return rc != VIPER_OK ? rc : dir_add(m, parent, name, *ino, VIPERFS_FT_REG);
}

int mkfs_symlink(struct mkfs *m, uint32_t parent, const char *name, const char *target,
                 uint32_t *ino)
{
    size_t len = strlen(target);
    if (len == 0 || len > VIPERFS_SYMLINK_MAX)
        return VIPER_ERR_INVALID;
    int rc = alloc_inode(m, VIPERFS_S_IFLNK | 0777, ino);
    if (rc != VIPER_OK)
        return rc;
    struct viperfs_inode *in = mkfs_inode(m, *ino);
    if (len <= VIPERFS_INLINE_MAX) {
        in->flags = VIPERFS_INODE_INLINE;
        memcpy((uint8_t *)in + offsetof(struct viperfs_inode, direct), target, len);
        in->size = len;
    } else if ((rc = write_data(m, *ino, target, len)) != VIPER_OK) {
        return rc;
    }
    return dir_add(m, parent, name, *ino, VIPERFS_FT_SYMLINK);
}

int mkfs_init(struct mkfs *m, struct image *im, const char *label, uint64_t now)
{
    memset(m, 0, sizeof(*m));
    if (im->nblocks < MIN_BLOCKS)
        return VIPER_ERR_INVALID;
    m->im = im;
    m->now = now;
    layout(&m->sb, im->nblocks);
    m->sb.mkfs_time = m->sb.mount_time = m->sb.write_time = now;
    strncpy(m->sb.label, label, VIPERFS_LABEL_LEN - 1);
    for (int i = 0; i < 16; i++)
        m->sb.uuid[i] = (uint8_t)(viperfs_crc32c(&now, sizeof(now)) >> (i % 4 * 8) ^ (i * 37));
    m->bused = calloc(im->nblocks, 1);
    m->iused = calloc(m->sb.inode_count, 1);
    m->kind = calloc(im->nblocks, sizeof(uint32_t));
    m->owner = calloc(im->nblocks, sizeof(uint32_t));
    if (!m->bused || !m->iused || !m->kind || !m->owner) {
        mkfs_free(m);
        return VIPER_ERR_NO_MEMORY;
    }
    memset(im->blocks, 0, (size_t)im->nblocks * VIPERFS_BLOCK_SIZE);
    m->next_block = m->sb.data_start;
    m->next_ino = VIPERFS_ROOT_INO;
    uint32_t root, lost;
    int rc = make_dir(m, 0, 0755, &root);
    if (rc == VIPER_OK)
        rc = mkfs_mkdir(m, root, "lost+found", 0700, &lost);
    return rc;
}

static int add_host_entry(struct mkfs *m, uint32_t parent, const char *path, const char *name)
{
    struct stat st;
    uint32_t ino;
    int rc;
    if (lstat(path, &st) < 0) {
        fprintf(stderr, "mkfs.viperfs: %s: %s\n", path, strerror(errno));
        return VIPER_ERR_IO;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = mkfs_mkdir(m, parent, name, st.st_mode & 07777, &ino);
        return rc != VIPER_OK ? rc : mkfs_tree(m, ino, path);
    }
    if (S_ISLNK(st.st_mode)) {
        char target[VIPERFS_SYMLINK_MAX + 1];
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n <= 0)
            return VIPER_ERR_IO;
        target[n] = '\0';
        return mkfs_symlink(m, parent, name, target, &ino);
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "mkfs.viperfs: %s: skipped (not a file, directory or symlink)\n", path);
        return VIPER_OK;
    }
    FILE *f = fopen(path, "rb");
    uint8_t *data = malloc(st.st_size ? (size_t)st.st_size : 1);
    rc = VIPER_ERR_IO;
    if (f && data && fread(data, 1, (size_t)st.st_size, f) == (size_t)st.st_size)
        rc = mkfs_file(m, parent, name, st.st_mode & 07777, data, (size_t)st.st_size, &ino);
    if (f)
        fclose(f);
    free(data);
    return rc;
}

int mkfs_tree(struct mkfs *m, uint32_t parent, const char *path)
{
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort), rc = VIPER_OK;
    if (n < 0) {
        fprintf(stderr, "mkfs.viperfs: %s: %s\n", path, strerror(errno));
        return VIPER_ERR_IO;
    }
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (rc == VIPER_OK && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
            char child[4096];
            snprintf(child, sizeof(child), "%s/%s", path, name);
            rc = add_host_entry(m, parent, child, name);
            if (rc != VIPER_OK)
                fprintf(stderr, "mkfs.viperfs: %s: cannot add (%d)\n", child, rc);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static void write_bitmap(struct mkfs *m, uint32_t start, uint32_t nblocks, uint32_t magic,
                         const uint8_t *used, uint32_t count)
{
    for (uint32_t i = 0; i < nblocks; i++) {
        union viperfs_block *b = &m->im->blocks[start + i];
        memset(b, 0, sizeof(*b));
        for (uint32_t bit = 0; bit < VIPERFS_BITMAP_BITS; bit++) {
            uint64_t n = (uint64_t)i * VIPERFS_BITMAP_BITS + bit;
            viperfs_bit_set(b, bit, n >= count || used[n]);
        }
        viperfs_block_seal(b, magic, start + i, 0);
    }
}

int mkfs_finish(struct mkfs *m)
{
    struct viperfs_super *sb = &m->sb;
    uint32_t free_blocks = 0, free_inodes = 0;
    for (uint32_t b = 0; b < sb->block_count; b++) {
        if (viperfs_block_reserved(sb, b))
            m->bused[b] = 1;
        free_blocks += !m->bused[b];
        if (m->kind[b])
            viperfs_block_seal(&m->im->blocks[b], m->kind[b], b, m->owner[b]);
    }
    m->iused[0] = 1;
    for (uint32_t i = 0; i < sb->inode_count; i++) {
        free_inodes += !m->iused[i];
        if (i > 0 && m->iused[i])
            viperfs_inode_seal(mkfs_inode(m, i));
    }
    write_bitmap(m, sb->bbitmap_start, sb->bbitmap_blocks, VIPERFS_BBITMAP_MAGIC, m->bused,
                 sb->block_count);
    write_bitmap(m, sb->ibitmap_start, sb->ibitmap_blocks, VIPERFS_IBITMAP_MAGIC, m->iused,
                 sb->inode_count);
    viperfs_journal_format(sb, &m->im->blocks[sb->journal_start]);
    sb->free_blocks = free_blocks;
    sb->free_inodes = free_inodes;
    viperfs_super_seal(sb);
    memcpy(&m->im->blocks[0].super, sb, sizeof(*sb));
    memcpy(&m->im->blocks[sb->block_count - 1].super, sb, sizeof(*sb));
    return VIPER_OK;
}

void mkfs_free(struct mkfs *m)
{
    free(m->bused);
    free(m->iused);
    free(m->kind);
    free(m->owner);
    m->bused = m->iused = NULL;
    m->kind = m->owner = NULL;
}
