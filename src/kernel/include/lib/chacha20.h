/*
 * lib/chacha20.h - the ChaCha20 block function (RFC 8439 §2.3): 32-byte
 * key, 32-bit block counter, 96-bit nonce, 64 bytes of keystream per block.
 * Pure code (no kernel dependencies), unit-tested on the host.
 */
#pragma once
#include <stdint.h>

#define CHACHA20_KEY_SIZE   32
#define CHACHA20_NONCE_SIZE 12
#define CHACHA20_BLOCK_SIZE 64

void chacha20_block(const uint8_t key[CHACHA20_KEY_SIZE], uint32_t counter,
                    const uint8_t nonce[CHACHA20_NONCE_SIZE], uint8_t out[CHACHA20_BLOCK_SIZE]);
