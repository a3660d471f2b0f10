/*
 * kernel/hot.h - keeping the tables of the hot paths in the hot pages.
 *
 * Under QEMU every address-space switch flushes the emulated TLB, and each
 * page touched afterwards costs a page walk (docs/bench.md).  The system
 * call, switch and IPC code is packed into the first pages of .text
 * (kernel.ld); a read-only table those paths read on every call is placed
 * among them with HOT_RODATA, where it stays read-only (text is RX) and its
 * page is already in the TLB because the code around it just ran.
 */
#pragma once

#define HOT_RODATA __attribute__((section(".text.hot_rodata")))
