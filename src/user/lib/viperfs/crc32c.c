/*
 * viperfs/crc32c.c - CRC32C (Castagnoli), the checksum on every ViperFS
 * metadata block and inode.
 *
 * Reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF
 * (RFC 3720 appendix B.4; "123456789" gives 0xE3069283).  A 256-entry
 * table, built on first use, gives a byte per step: about 4 KiB of table
 * for an 8x speedup over the bit loop, which matters because fsd checks
 * every metadata block it reads.
 */
#include <viperfs/viperfs.h>

#define CRC32C_POLY 0x82F63B78u

static uint32_t crc_table[256];
static bool crc_table_ready;

static void crc_table_build(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
        crc_table[i] = c;
    }
    crc_table_ready = true;
}

uint32_t viperfs_crc32c_update(uint32_t state, const void *p, size_t n)
{
    const uint8_t *s = p;
    if (!crc_table_ready)
        crc_table_build();
    while (n--)
        state = crc_table[(state ^ *s++) & 0xff] ^ (state >> 8);
    return state;
}

uint32_t viperfs_crc32c(const void *p, size_t n)
{
    return ~viperfs_crc32c_update(~0u, p, n);
}

uint32_t viperfs_crc_skip(const void *p, size_t n, size_t field_off)
{
    static const uint8_t zero[4];
    const uint8_t *s = p;
    uint32_t state = viperfs_crc32c_update(~0u, s, field_off);
    state = viperfs_crc32c_update(state, zero, 4);
    state = viperfs_crc32c_update(state, s + field_off + 4, n - field_off - 4);
    return ~state;
}
