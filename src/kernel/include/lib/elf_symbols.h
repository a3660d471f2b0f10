/*
 * lib/elf_symbols.h - looking up a function name in an ELF file's symbol
 * table (for reports of faulting user programs).  Pure and bounds-checked.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

/*
 * Name of the STT_FUNC symbol containing addr in the ELF64 file buf, with
 * *offset from its start; NULL if the file has no symbol table or no
 * function contains addr.  The name points into buf.
 */
const char *elf_symbolize(const void *buf, size_t len, uint64_t addr, uint64_t *offset);
