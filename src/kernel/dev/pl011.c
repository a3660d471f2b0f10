/*
 * pl011.c - the kernel console on an Arm PL011 UART (Arm DDI 0183).
 *
 * Output starts polled (write DR when the FIFO has room) so the first
 * messages need nothing but a mapping.  Once the GIC is up, output that
 * finds the FIFO full goes to a ring and the TX interrupt drains it, and
 * received characters are moved by the RX interrupt into a ring of their
 * own.  A panic switches back to polled output after draining the ring, so
 * the report always reaches the wire.
 *
 * The same UART is in the device table for consoled (docs/console.md).
 * When consoled binds its interrupt the kernel hands over: it drains its
 * ring, masks the UART's interrupts and writes polled from then on, never
 * touching the interrupt mask again; RX belongs to consoled.  When that
 * IRQ object goes, the kernel takes the interrupt back.
 */
#include <stdbool.h>
#include "arch/mmu.h"
#include "dev/console.h"
#include "dev/irq.h"
#include "kernel/spinlock.h"
#include "lib/string.h"
#include "viper/errors.h"

#define UART_DR    0x00
#define UART_FR    0x18
#define UART_LCRH  0x2c
#define UART_CR    0x30
#define UART_IFLS  0x34
#define UART_IMSC  0x38
#define UART_MIS   0x40
#define UART_ICR   0x44

#define FR_RXFE    (1u << 4)
#define FR_TXFF    (1u << 5)
#define INT_RX     (1u << 4)
#define INT_TX     (1u << 5)
#define INT_RT     (1u << 6)

#define RING_SIZE  4096   /* power of two */

struct ring {
    char buf[RING_SIZE];
    uint32_t head;        /* next to read */
    uint32_t tail;        /* next to write */
};

static volatile uint32_t *uart;
static uint64_t uart_pa, uart_size;
static unsigned uart_intid;   /* 0 until console_enable_irq */
static bool irq_mode;
static bool handed_over;      /* a user-space driver owns the interrupt */
static bool panicked;         /* polled for good */
static struct ring tx_ring, rx_ring;
static struct spinlock tx_lock = SPINLOCK_INIT;
static struct spinlock rx_lock = SPINLOCK_INIT;

static inline uint32_t reg_read(unsigned off) { return uart[off / 4]; }
static inline void reg_write(unsigned off, uint32_t v) { uart[off / 4] = v; }

static bool ring_empty(const struct ring *r) { return r->head == r->tail; }
static bool ring_full(const struct ring *r) { return r->tail - r->head == RING_SIZE; }

/* Move queued output into the FIFO while it has room; caller holds tx_lock. */
static void tx_drain(void)
{
    while (!ring_empty(&tx_ring) && !(reg_read(UART_FR) & FR_TXFF))
        reg_write(UART_DR, (uint8_t)tx_ring.buf[tx_ring.head++ % RING_SIZE]);
    uint32_t imsc = reg_read(UART_IMSC);
    reg_write(UART_IMSC, ring_empty(&tx_ring) ? imsc & ~INT_TX : imsc | INT_TX);
}

void console_putc(char c)
{
    if (!uart)
        return;
    if (c == '\n')
        console_putc('\r');
    if (!irq_mode) {
        while (reg_read(UART_FR) & FR_TXFF)
            ;
        reg_write(UART_DR, (uint8_t)c);
        return;
    }
    uint64_t flags = spin_lock_irqsave(&tx_lock);
    if (ring_empty(&tx_ring) && !(reg_read(UART_FR) & FR_TXFF)) {
        reg_write(UART_DR, (uint8_t)c);
    } else {
        while (ring_full(&tx_ring)) {   /* IRQs are masked here: drain by polling */
            while (reg_read(UART_FR) & FR_TXFF)
                ;
            tx_drain();
        }
        tx_ring.buf[tx_ring.tail++ % RING_SIZE] = c;
        tx_drain();
    }
    spin_unlock_irqrestore(&tx_lock, flags);
}

void console_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        console_putc(s[i]);
}

static void uart_irq(unsigned intid, void *arg)
{
    (void)intid;
    (void)arg;
    uint32_t mis = reg_read(UART_MIS);
    if (mis & (INT_RX | INT_RT)) {
        /* Clear first: a character arriving while we drain raises it again. */
        reg_write(UART_ICR, INT_RX | INT_RT);
        spin_lock(&rx_lock);
        while (!(reg_read(UART_FR) & FR_RXFE)) {
            char c = (char)reg_read(UART_DR);
            if (!ring_full(&rx_ring))   /* a full ring drops input, never blocks the IRQ */
                rx_ring.buf[rx_ring.tail++ % RING_SIZE] = c;
        }
        spin_unlock(&rx_lock);
    }
    if (mis & INT_TX) {
        spin_lock(&tx_lock);
        tx_drain();
        spin_unlock(&tx_lock);
    }
}

int console_getc(void)
{
    int c = -1;
    uint64_t flags = spin_lock_irqsave(&rx_lock);
    if (!ring_empty(&rx_ring))
        c = (unsigned char)rx_ring.buf[rx_ring.head++ % RING_SIZE];
    spin_unlock_irqrestore(&rx_lock, flags);
    return c;
}

/* The console node: /chosen stdout-path if it names one, else the first PL011. */
static int find_console_node(const struct fdt *fdt)
{
    int chosen = fdt_path(fdt, "/chosen");
    uint32_t len;
    const char *path = chosen >= 0 ? fdt_getprop(fdt, chosen, "stdout-path", &len) : NULL;
    if (path && len > 1 && len < 128) {
        char buf[128];
        size_t n = 0;
        while (n < len - 1 && path[n] && path[n] != ':')   /* drop ":115200n8" options */
            n++;
        memcpy(buf, path, n);
        buf[n] = '\0';
        int node = fdt_path(fdt, buf);
        if (node >= 0 && fdt_is_compatible(fdt, node, "arm,pl011"))
            return node;
    }
    return fdt_find_compatible(fdt, -1, "arm,pl011");
}

static int console_node = -1;

int console_init(const struct fdt *fdt)
{
    uint64_t pa, size;
    console_node = find_console_node(fdt);
    if (console_node < 0 || fdt_reg(fdt, console_node, 0, &pa, &size) != VIPER_OK)
        return VIPER_ERR_NOT_FOUND;
    uart_size = size ? size : 0x1000;
    uart = mmu_map_device(pa, uart_size);
    if (!uart)
        return VIPER_ERR_NO_MEMORY;
    uart_pa = pa;
    reg_write(UART_IMSC, 0);
    reg_write(UART_ICR, 0x7ff);
    reg_write(UART_LCRH, (3u << 5) | (1u << 4));   /* 8 bits, FIFOs on */
    reg_write(UART_CR, (1u << 0) | (1u << 8) | (1u << 9));   /* UARTEN, TXE, RXE */
    return VIPER_OK;
}

uint64_t console_phys_addr(void)
{
    return uart_pa;
}

int console_enable_irq(const struct fdt *fdt)
{
    unsigned intid;
    int err = irq_from_fdt(fdt, console_node, 0, &intid);
    if (err)
        return err;
    reg_write(UART_IFLS, 0);   /* interrupt at 1/8 full: low input latency */
    err = irq_register(intid, uart_irq, NULL);
    if (err)
        return err;
    uart_intid = intid;
    irq_mode = true;
    reg_write(UART_IMSC, INT_RX | INT_RT);
    return VIPER_OK;
}

int console_device(uint64_t *pa, uint64_t *size, unsigned *intid)
{
    if (!uart)
        return VIPER_ERR_NOT_FOUND;
    *pa = uart_pa;
    *size = uart_size;
    *intid = uart_intid;
    return VIPER_OK;
}

/* Drain the TX ring by polling; caller holds tx_lock with IRQs masked. */
static void tx_flush_polled(void)
{
    while (!ring_empty(&tx_ring)) {
        while (reg_read(UART_FR) & FR_TXFF)
            ;
        reg_write(UART_DR, (uint8_t)tx_ring.buf[tx_ring.head++ % RING_SIZE]);
    }
}

void console_release_irq(void)
{
    uint64_t flags = spin_lock_irqsave(&tx_lock);
    if (uart && irq_mode) {
        tx_flush_polled();
        irq_mode = false;
        reg_write(UART_IMSC, 0);
        reg_write(UART_ICR, INT_RX | INT_RT | INT_TX);
    }
    handed_over = true;
    spin_unlock_irqrestore(&tx_lock, flags);
}

void console_reclaim_irq(void)
{
    uint64_t flags = spin_lock_irqsave(&tx_lock);
    bool take = handed_over && !panicked && uart_intid;
    handed_over = false;
    if (take && irq_register(uart_intid, uart_irq, NULL) == VIPER_OK) {
        irq_mode = true;
        reg_write(UART_ICR, INT_RX | INT_RT | INT_TX);
        reg_write(UART_IMSC, INT_RX | INT_RT);
    }
    spin_unlock_irqrestore(&tx_lock, flags);
}

void console_panic_mode(void)
{
    panicked = true;
    if (!uart || !irq_mode)
        return;
    /* Take the ring as it is (another CPU may hold the lock forever) and flush it. */
    irq_mode = false;
    reg_write(UART_IMSC, 0);
    tx_flush_polled();
}
