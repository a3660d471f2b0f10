/*
 * fsd/fsd.h - what fsd's files share: the disk (blkio.c), the block cache and
 * its transactions (bcache.c), the filesystem's write side (inode.c, dir.c),
 * and the operations behind the protocol (ops.c).  docs/fsd.md.
 *
 * fsd is single-threaded: one request runs to completion, so nothing here
 * takes a lock.  Every operation that changes metadata is one transaction:
 * blocks it dirties are pinned in the cache until txn_commit() logs them
 * to the journal, writes them home and checkpoints; txn_abort() drops them,
 * so a failed operation leaves no trace on disk or in the cache.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <viperfs/viperfs.h>

/* The request path of a cached read, placed together (.text.hot, user.ld): one code page
 * to walk after each switch to fsd. */
#define FSD_HOT __attribute__((hot))
/* What a read needs when its descriptor's map does not answer (the inode and the block
 * map), right after that page (.text.warm, user.ld) rather than inside it. */
#define FSD_WARM __attribute__((section(".text.warm")))
/* The variables that path reads and writes, on one data page (.data.hot, user.ld): under
 * QEMU each page touched after a switch costs a refill (docs/bench.md). */
#define FSD_HOT_DATA __attribute__((section(".data.hot")))
/* A large variable whose first bytes are on that path (fs: its superblock), placed after the
 * small ones (.data.hot.*) so that those bytes still share their page. */
#define FSD_HOT_DATA_LARGE __attribute__((section(".data.hot.large")))

/* ---- blkio.c: the disk, through blkd ---- */
int blkio_open(uint64_t registry);       /* connect to BLK0:, attach a buffer */
extern struct viperfs_dev blkio_dev;     /* raw 4 KiB block reads and writes, flush */

/* ---- bcache.c ---- */
struct buf {
    uint32_t blockno;
    bool valid;                 /* data holds the block's contents */
    bool dirty;                 /* data differs from the disk */
    bool in_txn;                /* metadata changed by the running transaction */
    uint32_t pins;              /* users holding it; never evicted while pinned */
    uint16_t inodes_ok;         /* inode table block: bit i, inodes[i] passed its check
                                   since the contents last changed (inode_get skips it) */
    uint16_t hnext;             /* the next in its hash chain (bcache.c), in the struct:
                                   a lookup then touches no page besides the buffers' */
    uint32_t checked_magic;     /* indirect or directory block: the magic it passed its whole
                                   check for (a CRC of 4 KiB, the entries) since the contents
                                   last changed, 0 if none (inode.c and dir.c skip it then) */
    uint32_t front_at;          /* lru_moves when it last went to the LRU list's front */
    struct buf *prev, *next;    /* LRU list, most recent first */
    union viperfs_block *data;
};
extern struct viperfs fs;              /* the mounted filesystem (fs.dev is the cache) */
extern struct viperfs_journal journal;
int bcache_init(unsigned nbufs);
struct buf *bget(uint32_t blockno);        /* pinned, read if needed; NULL on I/O error */
struct buf *bget_new(uint32_t blockno);    /* pinned, zeroed, not read (a fresh block) */
/* Unpin (inline: a call and a return fewer on every cached read). */
static inline void bput(struct buf *b)
{
    b->pins--;
}
void bmeta(struct buf *b);                 /* b's change belongs to the running transaction */
/* Bumped by every metadata change (bmeta) and undo (txn_abort): anything read from an inode
 * or an indirect block at an older value may be stale (struct ofile's map). */
extern uint64_t fsd_meta_gen;
void bdata(struct buf *b);                 /* b is dirty file data (written before commits) */
int txn_commit(void);
void txn_abort(void);
int bcache_sync(void);                     /* write every dirty buffer and flush */
void bcache_freed(uint32_t blockno);       /* the running transaction frees blockno */
bool bcache_reusable(uint32_t blockno);    /* not freed by an uncheckpointed transaction */
bool bcache_pending(void);                 /* some freed block waits for a checkpoint */
int bcache_checkpoint(void);               /* flush; the journal's committed part is done */
int bcache_mount(const char **why);        /* replay the journal, load the superblock */

/* ---- inode.c: inodes, allocation, block mapping, truncation ---- */
uint64_t fsd_now(void);
int inode_get(uint32_t ino, struct viperfs_inode *out);
int inode_put(uint32_t ino, const struct viperfs_inode *in);    /* seal and log */
/* A new inode; *out is it (a new directory or symlink is not valid on disk until filled). */
int inode_alloc(uint16_t mode, uint32_t *ino, struct viperfs_inode *out);
int inode_free(uint32_t ino);                                   /* its blocks too */
/* Disk block of file block fb (0: a hole), through the cache: an indirect block is checked
 * once while it stays unchanged there. */
int inode_bmap(uint32_t ino, const struct viperfs_inode *in, uint64_t fb, uint32_t *out);
/* The same, but a hole gets a block (and indirect blocks on the way); *fresh then says the
 * block is new, so its old contents do not matter. */
int inode_bmap_alloc(uint32_t ino, struct viperfs_inode *in, uint64_t fb, uint32_t *out,
                     bool *fresh);
int inode_truncate(uint32_t ino, struct viperfs_inode *in, uint64_t size);
/* Commit the running operation (with the superblock if its counts changed). */
int fsd_commit(void);
void fsd_abort(void);   /* undo the running operation, superblock counts included */
void super_dirty(void);  /* fs.sb changed: log it with the next commit */

/* ---- dir.c: directories ---- */
int dir_lookup(uint32_t dir, const char *name, size_t len, uint32_t *ino);
int dir_add(uint32_t dir, struct viperfs_inode *din, const char *name, size_t len, uint32_t ino,
            uint8_t type);
int dir_remove(uint32_t dir, const char *name, size_t len);
int dir_set_dotdot(uint32_t dir, uint32_t parent);
int dir_is_empty(uint32_t dir, bool *empty);
int dir_init(uint32_t dir, struct viperfs_inode *in, uint32_t parent);

/* ---- ops.c: the protocol's operations for one client ---- */
#include <proto/fs.h>

#define FSD_MAX_FDS 32u         /* open files per client */

struct ofile {
    bool used;
    uint32_t ino;
    uint32_t flags;             /* FS_O_* */
    uint64_t off;               /* a directory's: the byte position READDIR goes on from */
    /* What the last read mapped, valid while fsd_meta_gen == map_gen (0: never): a read
     * within one block it covers needs neither the inode nor the block map. */
    uint64_t map_gen, map_size; /* the file's size then */
    uint64_t map_fb;            /* file block map_fb is disk block map_blk (0: a hole) */
    uint32_t map_blk;
    uint32_t map_direct[VIPERFS_NDIRECT];   /* the inode's direct blocks, checked (MAP_NONE:
                                               not usable, the read takes the block map) */
};
#define MAP_NONE UINT32_MAX

/* Page-aligned, so that a request touches one page of its client, not two. */
struct fsd_client {
    uint64_t chan;              /* 0: slot free */
    uint8_t *buf;               /* the attached buffer (NULL before ATTACH) */
    uint64_t buflen;
    struct ofile files[FSD_MAX_FDS];
} __attribute__((aligned(4096)));
_Static_assert(sizeof(struct fsd_client) == 4096, "a client is one page");

extern bool fsd_mounted;
/* Carry out one request (all but ATTACH); fills rep->value/cookie/stat, returns the status. */
int fsd_op(struct fsd_client *c, const struct fs_request *req, struct fs_reply *rep);
void fsd_close_all(struct fsd_client *c);

/* ops.c helpers that names.c shares */
#define FSD_TYPE(in) ((in)->mode & VIPERFS_S_IFMT)
int fsd_ref_find(uint32_t ino);                  /* open-reference slot of ino, or -1 */
bool fsd_range_ok(const struct fsd_client *c, uint64_t off, uint64_t len);
int fsd_get_path(const struct fsd_client *c, uint64_t off, uint32_t len, char *out);
int fsd_lookup(const char *path, bool follow, uint32_t *ino);
int fsd_parent(const char *path, uint32_t *dir, char *name, size_t *len);
void fsd_fill_stat(uint32_t ino, const struct viperfs_inode *in, struct fs_stat *st);
struct ofile *fsd_fd(struct fsd_client *c, int32_t fd);
int fsd_finish(int rc);                          /* commit on success, undo on failure */

/* names.c */
int op_stat(struct fsd_client *c, const struct fs_request *req, struct fs_reply *rep);
int op_unlink(struct fsd_client *c, const struct fs_request *req);
int op_mkdir(struct fsd_client *c, const struct fs_request *req);
int op_rename(struct fsd_client *c, const struct fs_request *req);
int op_symlink(struct fsd_client *c, const struct fs_request *req);
int op_readlink(struct fsd_client *c, const struct fs_request *req, struct fs_reply *rep);
int op_readdir(struct fsd_client *c, const struct fs_request *req, struct fs_reply *rep);
