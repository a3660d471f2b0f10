/*
 * consoled/consoled.h - the pieces of the console server (docs/console.md):
 * the serial line (uart.c), the terminal emulator over a cell grid
 * (term.c), drawing the grid into framebuffers (render.c, font.c), and the
 * screens that provide framebuffers (ramfb.c via fw_cfg, gpu.c).  One
 * thread runs all of it (consoled.c); nothing here locks.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- consoled.c ---------------------------------------------------------------- */

/* Typed bytes (from the UART or inputd) for the readers. */
void input_push(const uint8_t *p, size_t n);

/* One line on the kernel log (consoled's own stdio is debug_write). */
void con_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- uart.c: the PL011, interrupt-driven ------------------------------------- */

#define UART_TX_RING 16384u   /* power of two */

/* Map the UART device, take its interrupt from the kernel; VIPER_OK or an error. */
int64_t uart_init(uint64_t dev);
uint64_t uart_irq(void);

/* After VIPER_SIGNAL_IRQ: move received bytes to input_push, refill the TX FIFO, ack. */
void uart_service(void);

/* Free bytes in the TX ring; uart_write needs 2 per byte at most ('\n' is "\r\n"). */
size_t uart_tx_room(void);
void uart_write(const uint8_t *p, size_t n);

/* ---- term.c: the terminal emulator --------------------------------------------- */

#define TERM_MAX_COLS 160u
#define TERM_MAX_ROWS 64u

/* A cell: the character and its attribute (bits 0-3 foreground incl. bright, 4-6 background). */
struct cell {
    uint8_t ch;
    uint8_t attr;
};

#define ATTR_FG(a) ((a) & 0xfu)
#define ATTR_BG(a) (((a) >> 4) & 0x7u)

struct term {
    unsigned cols, rows;
    unsigned cx, cy;           /* the cursor; cx == cols: wrap before the next character */
    uint8_t attr;              /* for new characters */
    bool bold;
    unsigned top;              /* grid row shown as screen row 0 (the grid is a ring) */
    struct cell grid[TERM_MAX_ROWS][TERM_MAX_COLS];
    bool dirty[TERM_MAX_ROWS]; /* by screen row: changed since the last frame */
    unsigned scrolled;         /* lines scrolled since the last frame */
    int state;                 /* escape parser */
    unsigned params[8], nparams;
};

extern struct term term;

void term_init(unsigned cols, unsigned rows);
void term_write(const uint8_t *p, size_t n);

/* The cell at screen row y, column x. */
static inline struct cell *term_cell(unsigned y, unsigned x)
{
    return &term.grid[(term.top + y) % term.rows][x];
}

/* ---- render.c: framebuffers ------------------------------------------------------ */

#define FONT_W 8u
#define FONT_H 16u
#define DISPLAYS_MAX 2

struct display {
    const char *name;
    uint32_t *fb;              /* XRGB8888 */
    uint32_t width, height;    /* pixels */
    uint32_t stride;           /* pixels per row */
    /* After drawing: pixel rows [y0, y1) changed (NULL when the device reads RAM itself). */
    void (*flush)(struct display *d, uint32_t y0, uint32_t y1);
};

/* The font: FONT_H row bytes per character 32..127 (bit 7 = leftmost pixel). */
extern uint8_t font_bits[96][FONT_H];
int font_init(void);

/* Add a display (a cleared framebuffer); false when there is no room. */
bool render_add(struct display *d);
unsigned render_count(void);

/* The size of the smallest display, in cells. */
void render_cells(unsigned *cols, unsigned *rows);

/* Draw what changed in the terminal since the last frame into every display. */
void render_frame(void);

/* ---- ramfb.c and gpu.c: the screens -------------------------------------------- */

/* Set up ramfb through the fw_cfg device; fills d.  VIPER_OK or an error. */
int64_t ramfb_init(uint64_t fwcfg_dev, uint64_t dma_root, struct display *d);

/* Set up a virtio-gpu device's scanout 0; fills d.  VIPER_OK or an error. */
int64_t gpu_init(uint64_t gpu_dev, uint64_t dma_root, struct display *d);
