/*
 * viperfs/journal.c - the write-ahead metadata journal (docs/viperfs.md).
 *
 * The log is a ring of journal_blocks-1 blocks after the journal superblock.
 * A transaction is descriptor + copies + commit in consecutive slots; the
 * commit block's CRC over the copies is what makes a transaction count, so
 * one flush after writing all of it is enough: a crash that tore it leaves
 * a CRC mismatch and replay stops there.  Sequence numbers only grow, so a
 * stale transaction left in the ring from an earlier lap never matches the
 * sequence replay expects.  Replay writes copies verbatim and may run any
 * number of times.
 *
 * Buffers: fs->meta holds the descriptor while fs->data takes the copies
 * and the commit block, so a replay needs no memory of its own.
 */
#include <string.h>
#include <viper/errors.h>
#include <viperfs/viperfs.h>

static uint32_t slot_block(const struct viperfs_journal *j, uint64_t index)
{
    return j->start + 1 + (uint32_t)(index % j->log_blocks);
}

/* May a transaction's copy go to block b? Anywhere but the journal itself. */
static bool target_ok(const struct viperfs_super *sb, uint32_t b)
{
    return b < sb->block_count &&
           (b < sb->journal_start || b - sb->journal_start >= sb->journal_blocks);
}

void viperfs_journal_format(const struct viperfs_super *sb, union viperfs_block *b)
{
    memset(b, 0, sizeof(*b));
    b->jsuper.first = 0;
    b->jsuper.seq = 1;
    b->jsuper.log_blocks = sb->journal_blocks - 1;
    viperfs_block_seal(b, VIPERFS_JSUPER_MAGIC, sb->journal_start, 0);
}

int viperfs_journal_load(struct viperfs *fs, struct viperfs_journal *j, const char **why)
{
    const struct viperfs_super *sb = &fs->sb;
    if (fs->dev->read(fs->dev->ctx, sb->journal_start, &fs->meta) != VIPER_OK) {
        if (why)
            *why = "cannot read the journal superblock";
        return VIPER_ERR_IO;
    }
    int rc = viperfs_block_check(&fs->meta, VIPERFS_JSUPER_MAGIC, sb->journal_start, why);
    if (rc != VIPER_OK)
        return rc;
    const struct viperfs_jsuper *js = &fs->meta.jsuper;
    if (js->log_blocks != sb->journal_blocks - 1 || js->first >= js->log_blocks) {
        if (why)
            *why = "journal superblock fields out of range";
        return VIPER_ERR_BAD_FORMAT;
    }
    j->start = sb->journal_start;
    j->log_blocks = js->log_blocks;
    j->first = j->head = js->first;
    j->seq = j->next_seq = js->seq;
    return VIPER_OK;
}

/* Is there a whole, committed transaction with sequence seq at log index pos?
 * Leaves its descriptor in fs->meta. */
static bool txn_valid(struct viperfs *fs, const struct viperfs_journal *j, uint32_t pos,
                      uint32_t seq)
{
    struct viperfs_dev *dev = fs->dev;
    const struct viperfs_jdesc *d = &fs->meta.jdesc;
    uint32_t blk = slot_block(j, pos);
    if (dev->read(dev->ctx, blk, &fs->meta) != VIPER_OK ||
        viperfs_block_check(&fs->meta, VIPERFS_JDESC_MAGIC, blk, NULL) != VIPER_OK ||
        d->hdr.tag != seq || d->count == 0 || d->count > VIPERFS_JDESC_MAX ||
        d->count + 2 > j->log_blocks)
        return false;
    uint32_t state = ~0u;
    for (uint32_t i = 0; i < d->count; i++) {
        if (!target_ok(&fs->sb, d->target[i]) ||
            dev->read(dev->ctx, slot_block(j, (uint64_t)pos + 1 + i), &fs->data) != VIPER_OK)
            return false;
        state = viperfs_crc32c_update(state, fs->data.bytes, VIPERFS_BLOCK_SIZE);
    }
    blk = slot_block(j, (uint64_t)pos + 1 + d->count);
    const struct viperfs_jcommit *c = &fs->data.jcommit;
    return dev->read(dev->ctx, blk, &fs->data) == VIPER_OK &&
           viperfs_block_check(&fs->data, VIPERFS_JCOMMIT_MAGIC, blk, NULL) == VIPER_OK &&
           c->hdr.tag == seq && c->count == d->count && c->data_crc == ~state;
}

static int write_jsuper(struct viperfs *fs, struct viperfs_journal *j)
{
    struct viperfs_dev *dev = fs->dev;
    int rc = dev->flush(dev->ctx);
    if (rc != VIPER_OK)
        return rc;
    viperfs_journal_format(&fs->sb, &fs->meta);
    fs->meta.jsuper.first = j->head;
    fs->meta.jsuper.seq = j->next_seq;
    viperfs_block_seal(&fs->meta, VIPERFS_JSUPER_MAGIC, j->start, 0);
    if ((rc = dev->write(dev->ctx, j->start, &fs->meta)) != VIPER_OK)
        return rc;
    if ((rc = dev->flush(dev->ctx)) != VIPER_OK)
        return rc;
    j->first = j->head;
    j->seq = j->next_seq;
    return VIPER_OK;
}

int viperfs_journal_replay(struct viperfs *fs, struct viperfs_journal *j, uint32_t *count)
{
    struct viperfs_dev *dev = fs->dev;
    uint32_t pos = j->first, seq = j->seq;
    uint64_t walked = 0;
    *count = 0;
    /* Each transaction takes at least 3 slots; a lap of the ring is the most there can be. */
    while (walked < j->log_blocks && txn_valid(fs, j, pos, seq)) {
        uint32_t n = fs->meta.jdesc.count;
        for (uint32_t i = 0; i < n; i++) {
            int rc = dev->read(dev->ctx, slot_block(j, (uint64_t)pos + 1 + i), &fs->data);
            if (rc == VIPER_OK)
                rc = dev->write(dev->ctx, fs->meta.jdesc.target[i], &fs->data);
            if (rc != VIPER_OK)
                return rc;
        }
        pos = (uint32_t)(((uint64_t)pos + n + 2) % j->log_blocks);
        walked += n + 2;
        seq++;
        (*count)++;
    }
    j->head = pos;
    j->next_seq = seq;
    return *count ? write_jsuper(fs, j) : VIPER_OK;
}

static uint32_t journal_used(const struct viperfs_journal *j)
{
    if (j->next_seq == j->seq)
        return 0;
    return (j->head + j->log_blocks - j->first - 1) % j->log_blocks + 1;
}

int viperfs_journal_commit(struct viperfs *fs, struct viperfs_journal *j, uint32_t count,
                           const uint32_t *targets, const union viperfs_block *const *blocks,
                           uint64_t now)
{
    struct viperfs_dev *dev = fs->dev;
    if (count == 0 || count > VIPERFS_JDESC_MAX)
        return VIPER_ERR_INVALID;
    if ((uint64_t)count + 2 > j->log_blocks - journal_used(j))
        return VIPER_ERR_LIMIT;   /* checkpoint first */
    memset(&fs->meta, 0, sizeof(fs->meta));
    fs->meta.jdesc.count = count;
    uint32_t state = ~0u;
    for (uint32_t i = 0; i < count; i++) {
        if (!target_ok(&fs->sb, targets[i]))
            return VIPER_ERR_INVALID;
        fs->meta.jdesc.target[i] = targets[i];
        state = viperfs_crc32c_update(state, blocks[i]->bytes, VIPERFS_BLOCK_SIZE);
    }
    uint32_t blk = slot_block(j, j->head);
    viperfs_block_seal(&fs->meta, VIPERFS_JDESC_MAGIC, blk, j->next_seq);
    int rc = dev->write(dev->ctx, blk, &fs->meta);
    for (uint32_t i = 0; i < count && rc == VIPER_OK; i++)
        rc = dev->write(dev->ctx, slot_block(j, (uint64_t)j->head + 1 + i), blocks[i]);
    if (rc != VIPER_OK)
        return rc;
    memset(&fs->meta, 0, sizeof(fs->meta));
    fs->meta.jcommit.count = count;
    fs->meta.jcommit.data_crc = ~state;
    fs->meta.jcommit.commit_time = now;
    blk = slot_block(j, (uint64_t)j->head + 1 + count);
    viperfs_block_seal(&fs->meta, VIPERFS_JCOMMIT_MAGIC, blk, j->next_seq);
    if ((rc = dev->write(dev->ctx, blk, &fs->meta)) != VIPER_OK ||
        (rc = dev->flush(dev->ctx)) != VIPER_OK)
        return rc;
    j->head = (uint32_t)(((uint64_t)j->head + count + 2) % j->log_blocks);
    j->next_seq++;
    return VIPER_OK;
}

int viperfs_journal_checkpoint(struct viperfs *fs, struct viperfs_journal *j)
{
    if (j->head == j->first && j->next_seq == j->seq)
        return VIPER_OK;
    return write_jsuper(fs, j);
}

int viperfs_journal_reset(struct viperfs *fs)
{
    struct viperfs_dev *dev = fs->dev;
    /* Zero the log so no transaction of an earlier life can match sequence 1 again. */
    memset(&fs->meta, 0, sizeof(fs->meta));
    for (uint32_t i = 1; i < fs->sb.journal_blocks; i++) {
        int rc = dev->write(dev->ctx, fs->sb.journal_start + i, &fs->meta);
        if (rc != VIPER_OK)
            return rc;
    }
    viperfs_journal_format(&fs->sb, &fs->meta);
    int rc = dev->write(dev->ctx, fs->sb.journal_start, &fs->meta);
    return rc != VIPER_OK ? rc : dev->flush(dev->ctx);
}
