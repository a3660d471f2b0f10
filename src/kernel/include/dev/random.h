/*
 * dev/random.h - the kernel's entropy pool and random-number generator.
 *
 * Input (the DTB's /chosen/rng-seed at boot, the counter, and whatever
 * rngd reads from virtio-rng through entropy_add) is hashed into a 256-bit
 * key with BLAKE2s; output is ChaCha20 keystream under that key, and every
 * read replaces the key with keystream first (fast key erasure), so what
 * was handed out cannot be recomputed from a later state.  getrandom waits
 * until 256 bits have been credited.  Design: docs/random.md.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct fdt;

/* Seed from the DTB (rng-seed, kaslr-seed) and the boot counter. */
void random_init(const struct fdt *fdt);

/* Mix len bytes into the pool, crediting credit_bits of entropy. */
void random_mix(const void *buf, size_t len, uint64_t credit_bits);
