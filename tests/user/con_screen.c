/*
 * con_screen.c - consoled's screen, run as init: starts /consoled with
 * fw_cfg (for ramfb, when QEMU has -device ramfb) and the virtio-gpu
 * device when there is one; writes text that scrolls, colours, cursor movement,
 * erasing, a tab and a backspace; prints the grid size and "drawn"; then
 * waits for the grader, which takes a QEMU `screendump` and compares every
 * glyph cell with the font (grade/tests_console.py), to type a line.
 */
#include "con_util.h"

#define PROG "con_screen"

static uint64_t con;
static uint32_t cols, rows;

static void case_start(void)
{
    int gpu = con_find(VIPER_DEV_VIRTIO_MMIO, VIRTIO_GPU_ID, 0) >= 0;
    UT_CHECK(con_start_consoled(1, gpu) > 0);
    con = con_connect();
    UT_CHECK(con != 0);
    UT_CHECK_EQ(con_info(con, &cols, &rows), VIPER_OK);
    UT_CHECK(cols >= 40 && cols <= 160);
    UT_CHECK(rows >= 20 && rows <= 64);
    printf("CONSCREEN %s grid %u %u\n", ut_nonce, cols, rows);
}

static void out(const char *s)
{
    UT_CHECK_EQ(con_puts(con, s), VIPER_OK);
}

static void case_draw(void)
{
    char line[96];
    out("\x1b[2J\x1b[H");
    for (uint32_t i = 0; i < rows + 12; i++) {   /* 13 lines scroll off the top */
        snprintf(line, sizeof line, "scroll %02u\n", i);
        out(line);
    }
    snprintf(line, sizeof line, "\x1b[1;1H\x1b[2KViperOS screen test %s", ut_nonce);
    out(line);
    out("\x1b[3;5H\x1b[31mRED\x1b[1;32mGREEN\x1b[0m\x1b[K");
    out("\x1b[5;1H\x1b[2K\x1b[44;33mBLUE\x1b[0m");
    out("\x1b[7;1H\x1b[2Kabcdef\x1b[3DX\x1b[BY");
    out("\x1b[9;1H\x1b[2Ka\tb");
    out("\x1b[10;1H\x1b[2Kxy\bZ");
    out("\x1b[12;3H");
    uint32_t c, r;
    UT_CHECK_EQ(con_info(con, &c, &r), VIPER_OK);   /* everything before it was handled */
    printf("CONSCREEN %s drawn\n", ut_nonce);
}

static void case_wait(void)
{
    char buf[32];
    UT_CHECK(con_read_line(con, buf, sizeof buf) > 0);
}

int main(int argc, char **argv, char **envp)
{
    con_reg = viper_startup_handle(0);
    con_root = viper_startup_handle(1);
    ut_init(argc, argv, envp);
    UT_RUN(case_start);
    UT_RUN(case_draw);
    UT_RUN(case_wait);
    return ut_done();
}
