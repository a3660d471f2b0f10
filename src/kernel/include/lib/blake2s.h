/*
 * lib/blake2s.h - BLAKE2s (RFC 7693), unkeyed, any digest length 1-32.
 * The entropy pool mixes its input with it.  Pure code, unit-tested on the
 * host against Python's hashlib.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define BLAKE2S_BLOCK_SIZE 64
#define BLAKE2S_MAX_DIGEST 32

struct blake2s {
    uint32_t h[8];
    uint32_t t[2];                   /* bytes hashed so far, 64-bit little-endian */
    uint8_t buf[BLAKE2S_BLOCK_SIZE]; /* the last, not yet compressed block */
    size_t buflen;
    size_t outlen;
};

void blake2s_init(struct blake2s *s, size_t outlen);
void blake2s_update(struct blake2s *s, const void *data, size_t len);
void blake2s_final(struct blake2s *s, uint8_t *out);
