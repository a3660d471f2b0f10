/*
 * tests/host/test_crypto.c - lib/chacha20.c and lib/blake2s.c against known
 * answers: RFC 8439's ChaCha20 block vectors (Appendix A.1 #1, §2.3.2) and
 * BLAKE2s-256 digests computed with Python's hashlib.blake2s, including
 * inputs on and around the 64-byte block boundary and split updates.
 */
#include <stdint.h>
#include <string.h>

#include <lib/blake2s.h>
#include <lib/chacha20.h>

#include "harness.h"

static void from_hex(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

HOST_TEST(chacha20_zero_key)
{
    uint8_t key[32] = { 0 }, nonce[12] = { 0 }, out[64], want[64];
    from_hex("76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
             "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586", want, 64);
    chacha20_block(key, 0, nonce, out);
    CHECK(memcmp(out, want, 64) == 0);
}

HOST_TEST(chacha20_rfc_2_3_2)
{
    uint8_t key[32], nonce[12], out[64], want[64];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    from_hex("000000090000004a00000000", nonce, 12);
    from_hex("10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
             "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e", want, 64);
    chacha20_block(key, 1, nonce, out);
    CHECK(memcmp(out, want, 64) == 0);
}

/* The digest of the message of `len` bytes i % 251 (hashlib.blake2s(...).hexdigest()). */
static int blake2s_matches(size_t len, size_t split, const char *hex)
{
    uint8_t msg[1000], got[32], want[32];
    struct blake2s s;
    for (size_t i = 0; i < len; i++)
        msg[i] = (uint8_t)(i % 251);
    from_hex(hex, want, 32);
    blake2s_init(&s, 32);
    blake2s_update(&s, msg, split);
    blake2s_update(&s, msg + split, len - split);
    blake2s_final(&s, got);
    return memcmp(got, want, 32) == 0;
}

HOST_TEST(blake2s_known_answers)
{
    CHECK(blake2s_matches(0, 0, "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9"));
    CHECK(blake2s_matches(64, 0, "56f34e8b96557e90c1f24b52d0c89d51086acf1b00f634cf1dde9233b8eaaa3e"));
    CHECK(blake2s_matches(64, 64, "56f34e8b96557e90c1f24b52d0c89d51086acf1b00f634cf1dde9233b8eaaa3e"));
    CHECK(blake2s_matches(65, 64, "1b53ee94aaf34e4b159d48de352c7f0661d0a40edff95a0b1639b4090e974472"));
    CHECK(blake2s_matches(1000, 333, "1c067a5e746fb0f6734efac9a8cdb0e11061f0077f255184365c690115392501"));
}

HOST_TEST(blake2s_abc)
{
    uint8_t got[32], want[32];
    struct blake2s s;
    from_hex("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982", want, 32);
    blake2s_init(&s, 32);
    blake2s_update(&s, "abc", 3);
    blake2s_final(&s, got);
    CHECK(memcmp(got, want, 32) == 0);
}

int main(void)
{
    host_binary = "crypto";
    host_run(chacha20_zero_key);
    host_run(chacha20_rfc_2_3_2);
    host_run(blake2s_known_answers);
    host_run(blake2s_abc);
    return host_summary();
}
