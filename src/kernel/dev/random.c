/*
 * random.c - the entropy pool (BLAKE2s) and generator (ChaCha20), and the
 * getrandom / entropy_add system calls.  Design: docs/random.md.
 *
 * One CPU runs the kernel with interrupts masked, so the pool needs no lock
 * (the SMP issue adds one).  Output is made in 64-byte blocks on the stack
 * and copied out block by block, so nothing secret outlives the call in a
 * static buffer.
 */
#include "arch/timer.h"
#include "cap/handle.h"
#include "dev/devices.h"
#include "dev/random.h"
#include "kernel/log.h"
#include "lib/blake2s.h"
#include "lib/chacha20.h"
#include "lib/fdt.h"
#include "lib/string.h"
#include "proc/process.h"
#include "sched/wait.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"
#include "viper/errors.h"
#include "viper/types.h"

#define SEEDED_BITS 256
#define VIRTIO_ID_ENTROPY 4u

static uint8_t pool_key[CHACHA20_KEY_SIZE];
static uint64_t credited_bits;
static struct wait_queue seeded_wq = WAIT_QUEUE_INIT(seeded_wq);

void random_mix(const void *buf, size_t len, uint64_t credit_bits)
{
    struct blake2s h;
    blake2s_init(&h, sizeof pool_key);
    blake2s_update(&h, pool_key, sizeof pool_key);
    blake2s_update(&h, buf, len);
    blake2s_final(&h, pool_key);
    bool was_seeded = credited_bits >= SEEDED_BITS;
    credited_bits += credit_bits;
    if (!was_seeded && credited_bits >= SEEDED_BITS)
        wq_wake_all(&seeded_wq);
}

/*
 * The next 64 bytes of output: keystream block 1 under the current key,
 * while the first half of block 0 becomes the next key.  The nonce can stay
 * constant because no key is ever used twice.
 */
static void random_block(uint8_t out[CHACHA20_BLOCK_SIZE])
{
    static const uint8_t nonce[CHACHA20_NONCE_SIZE];
    uint8_t next[CHACHA20_BLOCK_SIZE];
    chacha20_block(pool_key, 0, nonce, next);
    chacha20_block(pool_key, 1, nonce, out);
    memcpy(pool_key, next, sizeof pool_key);
    memset(next, 0, sizeof next);
}

void random_init(const struct fdt *fdt)
{
    int chosen = fdt_path(fdt, "/chosen");
    uint64_t now = timer_ticks();
    random_mix(&now, sizeof now, 0);   /* boot timing: not counted, but never hurts */
    static const char *const seeds[] = { "rng-seed", "kaslr-seed" };
    for (unsigned i = 0; i < 2 && chosen >= 0; i++) {
        uint32_t len = 0;
        const void *seed = fdt_getprop(fdt, chosen, seeds[i], &len);
        if (seed && len) {
            /* Firmware-provided seeds are trusted in full, as Linux's
             * RANDOM_TRUST_BOOTLOADER does; kaslr-seed is 8 bytes, mixed only. */
            random_mix(seed, len, i == 0 ? (uint64_t)len * 8 : 0);
        }
    }
    if (credited_bits >= SEEDED_BITS)
        pr_info("random: seeded from the DTB's rng-seed");
    else
        pr_warn("random: no rng-seed in the DTB; getrandom waits for entropy_add (rngd)");
}

int64_t sys_getrandom(struct trap_frame *tf)
{
    uint64_t addr = tf->x[0], len = tf->x[1], flags = tf->x[2];
    if (len > VIPER_RANDOM_MAX || (flags & ~(uint64_t)VIPER_RANDOM_NONBLOCK))
        return VIPER_ERR_INVALID;
    while (credited_bits < SEEDED_BITS) {
        if (flags & VIPER_RANDOM_NONBLOCK)
            return VIPER_ERR_WOULD_BLOCK;
        int err = wq_wait(&seeded_wq, WAIT_FOREVER);
        if (err)
            return err;   /* killed while waiting */
    }
    uint8_t block[CHACHA20_BLOCK_SIZE];
    int err = VIPER_OK;
    for (uint64_t done = 0; done < len && !err; done += sizeof block) {
        uint64_t n = len - done < sizeof block ? len - done : sizeof block;
        random_block(block);
        err = copy_to_user(addr + done, block, n);
    }
    memset(block, 0, sizeof block);
    return err;
}

int64_t sys_entropy_add(struct trap_frame *tf)
{
    struct cap *c;
    int err = handle_lookup(&proc_current()->handles, tf->x[0], OBJ_DEVICE,
                            VIPER_RIGHT_DEVICE_ACCESS, &c);
    if (err)
        return err;
    const struct device_desc *d = device_obj_desc(c->obj);
    if (d->kind != VIPER_DEV_VIRTIO_MMIO || d->virtio_id != VIRTIO_ID_ENTROPY)
        return VIPER_ERR_ACCESS_DENIED;
    uint64_t len = tf->x[2];
    if (len == 0 || len > VIPER_RANDOM_MAX)
        return VIPER_ERR_INVALID;
    uint8_t chunk[256];
    for (uint64_t done = 0; done < len; done += sizeof chunk) {
        uint64_t n = len - done < sizeof chunk ? len - done : sizeof chunk;
        err = copy_from_user(chunk, tf->x[1] + done, n);
        if (err)
            return err;
        random_mix(chunk, n, n * 8);
    }
    memset(chunk, 0, sizeof chunk);
    return VIPER_OK;
}
