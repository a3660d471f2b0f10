/*
 * con_keys.c - keyboard input through inputd, run as init with QEMU's
 * virtio keyboard (and mouse, when given): starts /consoled and one
 * /inputd per virtio-input device, then reads what is typed until Enter
 * and prints it with control bytes escaped; the grader presses the keys
 * with the monitor's `sendkey` (and moves the mouse, which must type
 * nothing) and compares.  docs/console.md.
 */
#include "con_util.h"

#define PROG "con_keys"

static uint64_t con;

static void case_start(void)
{
    UT_CHECK(con_start_consoled(0, 0) > 0);
    con = con_connect();
    UT_CHECK(con != 0);
    int n = 0;
    while (con_start_inputd((unsigned)n) > 0)
        n++;
    UT_CHECK(n >= 1);
    printf("CONKEYS %s %d input devices\n", ut_nonce, n);
}

static void case_read(void)
{
    char buf[128], esc[512];
    int n = con_read_line(con, buf, sizeof buf);
    UT_CHECK(n > 0);
    con_escape(buf, esc, sizeof esc);
    printf("CONKEYS %s read '%s'\n", ut_nonce, esc);
}

int main(int argc, char **argv, char **envp)
{
    con_reg = viper_startup_handle(0);
    con_root = viper_startup_handle(1);
    ut_init(argc, argv, envp);
    UT_RUN(case_start);
    UT_RUN(case_read);
    return ut_done();
}
