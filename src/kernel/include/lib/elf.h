/*
 * lib/elf.h - validate a static AArch64 ELF64 executable and describe its
 * loadable segments.
 *
 * exec() and spawn() hand user-supplied files to elf_parse() before mapping
 * anything, so it checks every field it relies on: the ELF identification,
 * ET_EXEC for EM_AARCH64, header sizes, the program and section header
 * tables inside the file, and for each PT_LOAD the file range, sizes,
 * alignment, placement inside [VIPER_USER_MIN, VIPER_USER_MAX) and
 * page-granular disjointness.  The entry point must lie in an executable
 * segment.  Pure C: no allocation, results refer to offsets in the buffer.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 8      /* PT_LOAD segments a program may have */
#define ELF_PAGE_SIZE    4096u  /* the granule user mappings are made in */

/* One PT_LOAD: map [vaddr, vaddr+memsz) with prot, its first filesz bytes
 * from file offset `offset`, the rest zero. */
struct elf_segment {
    uint64_t vaddr;
    uint64_t memsz;
    uint64_t offset;
    uint64_t filesz;
    uint32_t prot;      /* VIPER_PROT_* */
};

struct elf_image {
    uint64_t entry;
    unsigned nsegments;                          /* 1..ELF_MAX_SEGMENTS, in file order */
    struct elf_segment segments[ELF_MAX_SEGMENTS];
    const char *why;    /* on failure: a static string naming the failed check */
};

/*
 * Validate the len-byte ELF file at buf (any alignment) and fill out.
 * Returns VIPER_OK; VIPER_ERR_NOT_SUPPORTED for a dynamically linked program
 * (PT_INTERP or PT_DYNAMIC); VIPER_ERR_BAD_FORMAT for anything else wrong.
 * On failure out->why says which check failed (e.g. "e_machine is not
 * EM_AARCH64"), for messages like "exec: /x: bad ELF: <why>".
 */
int elf_parse(const void *buf, size_t len, struct elf_image *out);
