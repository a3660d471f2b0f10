/*
 * dev/console.h - the kernel console on the PL011 UART named by /chosen
 * stdout-path.  Output is polled until console_enable_irq(), then goes
 * through a ring drained by the TX interrupt whenever the FIFO is full;
 * input arrives by the RX interrupt into a ring that console_getc reads,
 * until consoled takes the interrupt over (console_release_irq).
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

/* The UART's MMIO region and interrupt (0 if none), for the device table. */
int console_device(uint64_t *pa, uint64_t *size, unsigned *intid);

/*
 * Hand-over to a user-space driver (consoled) that binds the UART's
 * interrupt: release drains queued output and leaves the kernel writing
 * polled without touching the interrupt mask; reclaim (the driver's IRQ
 * object is gone) makes RX/TX interrupt-driven again, unless after a panic.
 */
void console_release_irq(void);
void console_reclaim_irq(void);

/* For panics: drain queued output synchronously and stay polled from now on. */
void console_panic_mode(void);
