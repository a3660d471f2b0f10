/*
 * viperfs/format.h - the ViperFS on-disk format (docs/viperfs.md is the prose).
 *
 * Shared by fsd and the host tools (mkfs.viperfs, fsck.viperfs, viperfs).
 * All integers are little-endian; both ViperOS (AArch64) and the hosts we
 * build on are, so the structures are read in place.  Sizes are exact and
 * asserted below.  A block in memory is a union viperfs_block, so the same
 * 4 KiB buffer can be viewed as any kind of block without aliasing tricks.
 */
#pragma once
#include <stdint.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ViperFS is read in place: little-endian only");

#define VIPERFS_BLOCK_SIZE      4096u
#define VIPERFS_FOURCC(a, b, c, d) \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* Superblock */
#define VIPERFS_MAGIC           VIPERFS_FOURCC('V', 'P', 'F', 'S')
#define VIPERFS_VERSION         1u
#define VIPERFS_COMPAT_BACKUP_SB    1u  /* last block: a copy of the superblock as mkfs wrote it */
#define VIPERFS_COMPAT_KNOWN        VIPERFS_COMPAT_BACKUP_SB
#define VIPERFS_INCOMPAT_KNOWN      0u  /* any other bit: refuse to mount */
#define VIPERFS_RO_COMPAT_KNOWN     0u  /* any other bit: mount read-only */
#define VIPERFS_STATE_CLEAN     1u      /* unmounted cleanly */
#define VIPERFS_STATE_ERRORS    2u      /* fsd found corruption; fsck should run */
#define VIPERFS_ROOT_INO        1u
#define VIPERFS_LABEL_LEN       32

/* Metadata block kinds (viperfs_bhdr.magic) */
#define VIPERFS_BBITMAP_MAGIC   VIPERFS_FOURCC('B', 'B', 'M', 'P')
#define VIPERFS_IBITMAP_MAGIC   VIPERFS_FOURCC('I', 'B', 'M', 'P')
#define VIPERFS_DIR_MAGIC       VIPERFS_FOURCC('D', 'I', 'R', 'B')
#define VIPERFS_INDIRECT_MAGIC  VIPERFS_FOURCC('I', 'N', 'D', 'B')
#define VIPERFS_JSUPER_MAGIC    VIPERFS_FOURCC('J', 'S', 'U', 'P')
#define VIPERFS_JDESC_MAGIC     VIPERFS_FOURCC('J', 'D', 'S', 'C')
#define VIPERFS_JCOMMIT_MAGIC   VIPERFS_FOURCC('J', 'C', 'M', 'T')

#define VIPERFS_HDR_SIZE        16u
#define VIPERFS_BITMAP_BITS     ((VIPERFS_BLOCK_SIZE - VIPERFS_HDR_SIZE) * 8u)  /* 32640 */
#define VIPERFS_PTRS_PER_BLOCK  ((VIPERFS_BLOCK_SIZE - VIPERFS_HDR_SIZE) / 4u)  /* 1020 */

/* Inodes */
#define VIPERFS_INODE_SIZE      256u
#define VIPERFS_INODES_PER_BLOCK (VIPERFS_BLOCK_SIZE / VIPERFS_INODE_SIZE)      /* 16 */
#define VIPERFS_NDIRECT         12
#define VIPERFS_S_IFMT          0xF000u
#define VIPERFS_S_IFREG         0x8000u
#define VIPERFS_S_IFDIR         0x4000u
#define VIPERFS_S_IFLNK         0xA000u
#define VIPERFS_INODE_INLINE    1u      /* symlink target stored in direct[] and after */
#define VIPERFS_INODE_FLAGS_KNOWN VIPERFS_INODE_INLINE
#define VIPERFS_INLINE_MAX      60u     /* bytes at offset 64: direct, indirect, dindirect, tindirect */
#define VIPERFS_SYMLINK_MAX     4095u

/* Directories */
#define VIPERFS_NAME_MAX        255u
#define VIPERFS_DIRENT_HDR      8u
#define VIPERFS_FT_REG          1u
#define VIPERFS_FT_DIR          2u
#define VIPERFS_FT_SYMLINK      7u

/* Journal */
#define VIPERFS_JDESC_MAX       ((VIPERFS_BLOCK_SIZE - 24u) / 4u)  /* 1018 targets per descriptor */
#define VIPERFS_JOURNAL_MIN     8u

/* Block 0, bytes 0-255. */
struct viperfs_super {
    uint32_t magic;
    uint32_t version;
    uint32_t feature_compat;
    uint32_t feature_incompat;
    uint32_t feature_ro_compat;
    uint32_t block_size;
    uint32_t block_count;
    uint32_t inode_count;       /* slots, slot 0 included; a multiple of 16 */
    uint32_t free_blocks;       /* hints: fsck recomputes them */
    uint32_t free_inodes;
    uint32_t journal_start;
    uint32_t journal_blocks;
    uint32_t bbitmap_start;
    uint32_t bbitmap_blocks;
    uint32_t ibitmap_start;
    uint32_t ibitmap_blocks;
    uint32_t itable_start;
    uint32_t itable_blocks;
    uint32_t data_start;
    uint32_t root_ino;
    uint32_t state;             /* VIPERFS_STATE_* */
    uint32_t mount_count;
    uint64_t mkfs_time;         /* ns since the Unix epoch, like every time */
    uint64_t mount_time;
    uint64_t write_time;
    uint8_t uuid[16];
    char label[VIPERFS_LABEL_LEN];
    uint8_t reserved[92];
    uint32_t crc;               /* CRC32C of the 256 bytes, this field as zero */
};

/* The first 16 bytes of every metadata block but the superblock and the inode table. */
struct viperfs_bhdr {
    uint32_t magic;             /* VIPERFS_*_MAGIC: what kind of block */
    uint32_t crc;               /* CRC32C of the 4096 bytes, this field as zero */
    uint32_t blockno;           /* the block's home location */
    uint32_t tag;               /* owner inode (dir, indirect), sequence (journal), else 0 */
};

struct viperfs_inode {
    uint16_t mode;              /* VIPERFS_S_IF* | permission bits; 0 = free */
    uint16_t links;
    uint32_t flags;             /* VIPERFS_INODE_* */
    uint64_t size;
    uint32_t uid;
    uint32_t gid;
    uint64_t atime;
    uint64_t mtime;
    uint64_t ctime;
    uint64_t crtime;
    uint32_t nblocks;           /* blocks owned: data and indirect */
    uint32_t generation;
    uint32_t direct[VIPERFS_NDIRECT];
    uint32_t indirect;
    uint32_t dindirect;
    uint32_t tindirect;
    uint8_t reserved[128];
    uint32_t crc;               /* CRC32C of the 256 bytes, this field as zero */
};

/* A directory entry's fixed part; the name follows, rec_len covers the padding. */
struct viperfs_dirent {
    uint32_t ino;               /* 0: free space */
    uint16_t rec_len;           /* to the next entry; a multiple of 4 */
    uint8_t name_len;
    uint8_t type;               /* VIPERFS_FT_* */
};

struct viperfs_jsuper {
    struct viperfs_bhdr hdr;
    uint32_t first;             /* log index of the oldest transaction to replay */
    uint32_t seq;               /* its sequence number */
    uint32_t log_blocks;        /* journal_blocks - 1 */
};

struct viperfs_jdesc {
    struct viperfs_bhdr hdr;    /* tag = sequence number */
    uint32_t count;
    uint32_t reserved;
    uint32_t target[VIPERFS_JDESC_MAX];  /* home block of each logged copy */
};

struct viperfs_jcommit {
    struct viperfs_bhdr hdr;    /* tag = the descriptor's sequence number */
    uint32_t count;
    uint32_t data_crc;          /* CRC32C over the logged copies, in order */
    uint64_t commit_time;
};

/* One block, seen as whatever it holds. */
union viperfs_block {
    uint8_t bytes[VIPERFS_BLOCK_SIZE];
    uint32_t words[VIPERFS_BLOCK_SIZE / 4];
    struct viperfs_bhdr hdr;
    struct viperfs_super super;
    struct viperfs_inode inodes[VIPERFS_INODES_PER_BLOCK];
    struct {
        struct viperfs_bhdr hdr;
        uint32_t ptr[VIPERFS_PTRS_PER_BLOCK];
    } ind;
    struct {
        struct viperfs_bhdr hdr;
        uint8_t bits[VIPERFS_BITMAP_BITS / 8];
    } bitmap;
    struct viperfs_jsuper jsuper;
    struct viperfs_jdesc jdesc;
    struct viperfs_jcommit jcommit;
};

_Static_assert(sizeof(struct viperfs_super) == 256, "superblock is 256 bytes");
_Static_assert(sizeof(struct viperfs_inode) == VIPERFS_INODE_SIZE, "inode is 256 bytes");
_Static_assert(sizeof(struct viperfs_bhdr) == VIPERFS_HDR_SIZE, "block header is 16 bytes");
_Static_assert(sizeof(struct viperfs_dirent) == VIPERFS_DIRENT_HDR, "dirent header is 8 bytes");
_Static_assert(sizeof(struct viperfs_jdesc) == VIPERFS_BLOCK_SIZE, "descriptor fills a block");
_Static_assert(sizeof(union viperfs_block) == VIPERFS_BLOCK_SIZE, "a block is 4096 bytes");
