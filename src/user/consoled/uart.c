/*
 * uart.c - the console PL011 (Arm DDI 0183), driven from user space.
 *
 * Binding the UART's interrupt (irq_open) makes the kernel step back
 * (docs/console.md): from then on received bytes are ours, and we send
 * through a ring that the TX interrupt drains.  The kernel still writes
 * its own log polled to the same FIFO.  The TX interrupt is enabled only
 * while the ring holds bytes; callers check uart_tx_room first, so nothing
 * is ever dropped (consoled stops reading clients instead).
 */
#include <viper/sys.h>
#include "consoled.h"

#define UART_DR    0x00
#define UART_FR    0x18
#define UART_IFLS  0x34
#define UART_IMSC  0x38
#define UART_MIS   0x40
#define UART_ICR   0x44

#define FR_RXFE    (1u << 4)
#define FR_TXFF    (1u << 5)
#define INT_RX     (1u << 4)
#define INT_TX     (1u << 5)
#define INT_RT     (1u << 6)

static volatile uint32_t *regs;
static uint64_t irq;
static uint8_t tx_ring[UART_TX_RING];
static uint32_t tx_head, tx_tail;   /* free-running: next to send, next to fill */

static inline uint32_t reg_read(unsigned off)
{
    return regs[off / 4];
}

static inline void reg_write(unsigned off, uint32_t v)
{
    regs[off / 4] = v;
}

int64_t uart_init(uint64_t dev)
{
    uint64_t addr;
    int64_t rc = viper_dev_map(dev, 0, &addr);
    if (rc != VIPER_OK)
        return rc;
    regs = (volatile uint32_t *)(uintptr_t)addr;
    rc = viper_irq_open(dev, &irq);   /* the kernel hands RX and TX interrupts over */
    if (rc != VIPER_OK)
        return rc;
    reg_write(UART_IFLS, 0);   /* RX interrupt at 1/8 full: low latency for typing */
    reg_write(UART_ICR, INT_RX | INT_RT | INT_TX);
    reg_write(UART_IMSC, INT_RX | INT_RT);
    return VIPER_OK;
}

uint64_t uart_irq(void)
{
    return irq;
}

size_t uart_tx_room(void)
{
    return UART_TX_RING - (tx_tail - tx_head);
}

/* Fill the FIFO from the ring; the TX interrupt stays on while bytes wait. */
static void tx_kick(void)
{
    while (tx_head != tx_tail && !(reg_read(UART_FR) & FR_TXFF))
        reg_write(UART_DR, tx_ring[tx_head++ % UART_TX_RING]);
    uint32_t imsc = reg_read(UART_IMSC);
    reg_write(UART_IMSC, tx_head == tx_tail ? imsc & ~INT_TX : imsc | INT_TX);
}

/* Queue one byte; with the ring full (a caller that ignored uart_tx_room) wait for the FIFO
 * by polling rather than lose it. */
static void tx_put(uint8_t c)
{
    while (uart_tx_room() == 0) {
        while (reg_read(UART_FR) & FR_TXFF)
            ;
        tx_kick();
    }
    tx_ring[tx_tail++ % UART_TX_RING] = c;
}

void uart_write(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n')
            tx_put('\r');
        tx_put(p[i]);
    }
    tx_kick();
}

void uart_service(void)
{
    uint32_t mis = reg_read(UART_MIS);
    /* Clear first: a byte arriving while we drain raises the interrupt again. */
    reg_write(UART_ICR, mis & (INT_RX | INT_RT | INT_TX));
    uint8_t buf[64];
    size_t n = 0;
    while (!(reg_read(UART_FR) & FR_RXFE)) {
        buf[n++] = (uint8_t)reg_read(UART_DR);   /* bits 8-11 are error flags: dropped */
        if (n == sizeof buf) {
            input_push(buf, n);
            n = 0;
        }
    }
    if (n)
        input_push(buf, n);
    tx_kick();
    viper_irq_ack(irq);
}
