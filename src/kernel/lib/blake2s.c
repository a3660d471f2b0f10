/*
 * blake2s.c - BLAKE2s, RFC 7693 §3.
 *
 * The last block must be compressed with the "final" flag, so update()
 * keeps up to one full block buffered and compresses it only once more
 * input arrives.
 */
#include "lib/blake2s.h"
#include "lib/string.h"

static const uint32_t blake2s_iv[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static const uint8_t sigma[10][16] = {
    { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
    { 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
    { 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
    { 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
    { 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
    { 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
    { 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
    { 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
    { 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
    { 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
};

#define ROTR32(v, n) (((v) >> (n)) | ((v) << (32 - (n))))

#define G(a, b, c, d, x, y)                          \
    do {                                             \
        a = a + b + (x); d = ROTR32(d ^ a, 16);      \
        c = c + d;       b = ROTR32(b ^ c, 12);      \
        a = a + b + (y); d = ROTR32(d ^ a, 8);       \
        c = c + d;       b = ROTR32(b ^ c, 7);       \
    } while (0)

static void compress(struct blake2s *s, const uint8_t block[BLAKE2S_BLOCK_SIZE], int last)
{
    uint32_t m[16], v[16];
    for (int i = 0; i < 16; i++)
        m[i] = (uint32_t)block[4 * i] | (uint32_t)block[4 * i + 1] << 8 |
               (uint32_t)block[4 * i + 2] << 16 | (uint32_t)block[4 * i + 3] << 24;
    for (int i = 0; i < 8; i++) {
        v[i] = s->h[i];
        v[8 + i] = blake2s_iv[i];
    }
    v[12] ^= s->t[0];
    v[13] ^= s->t[1];
    if (last)
        v[14] = ~v[14];
    for (int r = 0; r < 10; r++) {
        const uint8_t *p = sigma[r];
        G(v[0], v[4], v[8], v[12], m[p[0]], m[p[1]]);
        G(v[1], v[5], v[9], v[13], m[p[2]], m[p[3]]);
        G(v[2], v[6], v[10], v[14], m[p[4]], m[p[5]]);
        G(v[3], v[7], v[11], v[15], m[p[6]], m[p[7]]);
        G(v[0], v[5], v[10], v[15], m[p[8]], m[p[9]]);
        G(v[1], v[6], v[11], v[12], m[p[10]], m[p[11]]);
        G(v[2], v[7], v[8], v[13], m[p[12]], m[p[13]]);
        G(v[3], v[4], v[9], v[14], m[p[14]], m[p[15]]);
    }
    for (int i = 0; i < 8; i++)
        s->h[i] ^= v[i] ^ v[8 + i];
}

static void count_bytes(struct blake2s *s, uint32_t n)
{
    s->t[0] += n;
    if (s->t[0] < n)
        s->t[1]++;
}

void blake2s_init(struct blake2s *s, size_t outlen)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < 8; i++)
        s->h[i] = blake2s_iv[i];
    s->h[0] ^= 0x01010000u ^ (uint32_t)outlen;   /* depth 1, fanout 1, no key */
    s->outlen = outlen;
}

void blake2s_update(struct blake2s *s, const void *data, size_t len)
{
    const uint8_t *in = data;
    while (len > 0) {
        if (s->buflen == BLAKE2S_BLOCK_SIZE) {   /* more input follows: not the last block */
            count_bytes(s, BLAKE2S_BLOCK_SIZE);
            compress(s, s->buf, 0);
            s->buflen = 0;
        }
        size_t n = BLAKE2S_BLOCK_SIZE - s->buflen;
        if (n > len)
            n = len;
        memcpy(s->buf + s->buflen, in, n);
        s->buflen += n;
        in += n;
        len -= n;
    }
}

void blake2s_final(struct blake2s *s, uint8_t *out)
{
    uint8_t digest[BLAKE2S_MAX_DIGEST];
    count_bytes(s, (uint32_t)s->buflen);
    memset(s->buf + s->buflen, 0, BLAKE2S_BLOCK_SIZE - s->buflen);
    compress(s, s->buf, 1);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (uint8_t)s->h[i];
        digest[4 * i + 1] = (uint8_t)(s->h[i] >> 8);
        digest[4 * i + 2] = (uint8_t)(s->h[i] >> 16);
        digest[4 * i + 3] = (uint8_t)(s->h[i] >> 24);
    }
    memcpy(out, digest, s->outlen);
    memset(s, 0, sizeof *s);   /* no key material left behind */
}
