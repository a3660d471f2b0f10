/*
 * kernel/hot.h - keeping the hot paths short: their tables in the hot
 * pages, and their rare branches out of line.
 *
 * Under QEMU every address-space switch flushes the emulated TLB, and each
 * page touched afterwards costs a page walk (docs/bench.md).  The system
 * call, switch and IPC code is packed into the first pages of .text
 * (kernel.ld); a read-only table those paths read on every call is placed
 * among them with HOT_RODATA, where it stays read-only (text is RX) and its
 * page is already in the TLB because the code around it just ran.
 */
#pragma once

/* A table chan_call's round trip reads (slice_ns): on its page, the vectors'. */
#define HOT_RODATA __attribute__((section(".text.hot_rodata")))
/* A table every other system call or switch reads (syscall_table): on the switch's page. */
#define ENTRY_RODATA __attribute__((section(".text.entry_rodata")))

/*
 * Which way a hot path's branch almost always goes.  Under QEMU every
 * branch ends a translation block, and a taken one jumps to another; with
 * the rare case out of line the common path runs straight on (docs/bench.md).
 */
/*
 * An inline function of those paths that must stay inline: GCC may
 * otherwise make an out-of-line copy inside a large caller, on another
 * page (a call, a return and a page walk more after each switch).
 */
#define HOT_INLINE inline __attribute__((always_inline))

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
