/*
 * elf_symbols.c - address to function name through .symtab/.strtab.
 * Every offset read from the file is checked against its length, so a
 * stripped or damaged program just yields no name.
 */
#include "lib/elf_symbols.h"
#include "lib/string.h"

#define SHT_SYMTAB 2
#define STT_FUNC   2

static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

static int in_file(uint64_t off, uint64_t size, size_t len)
{
    return off <= len && size <= len - off;
}

const char *elf_symbolize(const void *buf, size_t len, uint64_t addr, uint64_t *offset)
{
    const uint8_t *f = buf;
    if (!f || len < 64 || memcmp(f, "\177ELF", 4) != 0)
        return NULL;
    uint64_t shoff = rd64(f + 0x28);
    uint16_t shentsize = rd16(f + 0x3a), shnum = rd16(f + 0x3c);
    if (shentsize != 64 || !in_file(shoff, (uint64_t)shnum * 64, len))
        return NULL;
    for (unsigned i = 0; i < shnum; i++) {
        const uint8_t *sh = f + shoff + 64ull * i;
        if (rd32(sh + 4) != SHT_SYMTAB)
            continue;
        uint64_t symoff = rd64(sh + 0x18), symsize = rd64(sh + 0x20);
        uint32_t link = rd32(sh + 0x28);
        if (link >= shnum || !in_file(symoff, symsize, len))
            return NULL;
        const uint8_t *strh = f + shoff + 64ull * link;
        uint64_t stroff = rd64(strh + 0x18), strsize = rd64(strh + 0x20);
        if (!in_file(stroff, strsize, len))
            return NULL;
        for (uint64_t s = 0; s + 24 <= symsize; s += 24) {
            const uint8_t *sym = f + symoff + s;
            uint64_t value = rd64(sym + 8), size = rd64(sym + 16);
            uint32_t name = rd32(sym);
            if ((sym[4] & 0xf) != STT_FUNC || addr < value || addr - value >= size ||
                name >= strsize ||
                strnlen((const char *)f + stroff + name, strsize - name) == strsize - name)
                continue;
            *offset = addr - value;
            return (const char *)f + stroff + name;
        }
        return NULL;
    }
    return NULL;
}
