/*
 * dev/console.h - the kernel console on the PL011 UART named by /chosen
 * stdout-path.  Output is polled until console_enable_irq(), then goes
 * through a ring drained by the TX interrupt whenever the FIFO is full;
 * input arrives by the RX interrupt into a ring that console_getc reads.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "lib/fdt.h"

/* Find the UART in the DTB and map it; VIPER_ERR_NOT_FOUND if there is none. */
int console_init(const struct fdt *fdt);

/* Physical address of the console UART (0 before console_init). */
uint64_t console_phys_addr(void);

void console_putc(char c);
void console_write(const char *s, size_t len);

/* Switch to interrupt-driven RX/TX (after irq_init). */
int console_enable_irq(const struct fdt *fdt);

/* Next received character, or -1 if none is waiting. */
int console_getc(void);

/* For panics: drain queued output synchronously and stay polled from now on. */
void console_panic_mode(void);
