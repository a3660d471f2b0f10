/*
 * chacha20.c - the ChaCha20 block function, RFC 8439 §2.1-2.3.
 *
 * The state is 16 little-endian words: four constants, the key, the block
 * counter and the nonce.  Twenty rounds (ten column + diagonal pairs), then
 * the input state is added back so the rounds cannot be run backwards.
 */
#include "lib/chacha20.h"

#define ROTL32(v, n) (((v) << (n)) | ((v) >> (32 - (n))))

#define QUARTER_ROUND(a, b, c, d)                    \
    do {                                             \
        a += b; d ^= a; d = ROTL32(d, 16);           \
        c += d; b ^= c; b = ROTL32(b, 12);           \
        a += b; d ^= a; d = ROTL32(d, 8);            \
        c += d; b ^= c; b = ROTL32(b, 7);            \
    } while (0)

static uint32_t load32_le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store32_le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void chacha20_block(const uint8_t key[CHACHA20_KEY_SIZE], uint32_t counter,
                    const uint8_t nonce[CHACHA20_NONCE_SIZE], uint8_t out[CHACHA20_BLOCK_SIZE])
{
    uint32_t in[16], x[16];

    in[0] = 0x61707865;   /* "expand 32-byte k" */
    in[1] = 0x3320646e;
    in[2] = 0x79622d32;
    in[3] = 0x6b206574;
    for (int i = 0; i < 8; i++)
        in[4 + i] = load32_le(key + 4 * i);
    in[12] = counter;
    for (int i = 0; i < 3; i++)
        in[13 + i] = load32_le(nonce + 4 * i);

    for (int i = 0; i < 16; i++)
        x[i] = in[i];
    for (int i = 0; i < 10; i++) {
        QUARTER_ROUND(x[0], x[4], x[8], x[12]);
        QUARTER_ROUND(x[1], x[5], x[9], x[13]);
        QUARTER_ROUND(x[2], x[6], x[10], x[14]);
        QUARTER_ROUND(x[3], x[7], x[11], x[15]);
        QUARTER_ROUND(x[0], x[5], x[10], x[15]);
        QUARTER_ROUND(x[1], x[6], x[11], x[12]);
        QUARTER_ROUND(x[2], x[7], x[8], x[13]);
        QUARTER_ROUND(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++)
        store32_le(out + 4 * i, x[i] + in[i]);
}
