/*
 * kernel/ksyms.h - the kernel's own symbol table, linked into the image by
 * the second link pass (tools/mkksyms), for symbolized backtraces.
 */
#pragma once
#include <stdint.h>

/* Name of the function containing addr, with *offset from its start; NULL if none. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

/* Print "name+0xoff" for addr, or "?" when it is not kernel text. */
void ksym_print(uint64_t addr);
