/*
 * con_serial.c - consoled on the serial line, run as init: it starts
 * /consoled with the UART only, then as a client of CON: checks CON_INFO
 * (80x25 without a screen), writes a line and a 30 KB burst (more than the
 * TX ring: back-pressure, nothing may be lost; the grader counts the
 * lines), sends malformed requests (each gets VIPER_ERR_INVALID or is
 * dropped, and consoled goes on), reads a line the grader types, and runs
 * a child whose libc stdio goes over a console channel: first to a fake
 * consoled here (the exact CON_WRITE / CON_READ messages), then to the
 * real one; finally it kills consoled and starts another, which must get
 * the UART's interrupt back from the kernel and serve again.  docs/console.md.
 */
#include "con_util.h"

#define PROG        "con_serial"
#define BURST_LINES 300

static uint64_t con;
static int64_t consoled_pid;

static void case_start(void)
{
    int64_t pid = consoled_pid = con_start_consoled(0, 0);
    UT_CHECK(pid > 0);
    con = con_connect();
    UT_CHECK(con != 0);
}

static void case_info(void)
{
    uint32_t cols = 0, rows = 0;
    UT_CHECK_EQ(con_info(con, &cols, &rows), VIPER_OK);
    UT_CHECK_EQ(cols, 80);
    UT_CHECK_EQ(rows, 25);
}

static void case_write(void)
{
    char line[160];
    snprintf(line, sizeof line, "CONSERIAL %s written through CON:\n", ut_nonce);
    UT_CHECK_EQ(con_puts(con, line), VIPER_OK);
    for (int i = 0; i < BURST_LINES; i++) {
        snprintf(line, sizeof line, "CONBURST %s %03d %s\n", ut_nonce, i,
                 "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghij");
        UT_CHECK_EQ(con_puts(con, line), VIPER_OK);
    }
    snprintf(line, sizeof line, "CONBURST %s end\n", ut_nonce);
    UT_CHECK_EQ(con_puts(con, line), VIPER_OK);
    uint32_t cols, rows;
    UT_CHECK_EQ(con_info(con, &cols, &rows), VIPER_OK);   /* all of it was taken */
}

static void case_bad_requests(void)
{
    struct con_reply r;
    uint64_t len = 0;
    uint8_t two[2] = { 1, 0 };
    UT_CHECK_EQ(con_call(con, two, sizeof two, &r, &len), VIPER_ERR_INVALID);
    struct con_request q = { .op = 99, .len = 0 };
    UT_CHECK_EQ(con_call(con, &q, 8, &r, &len), VIPER_ERR_INVALID);
    q = (struct con_request){ .op = CON_READ, .len = 0 };
    UT_CHECK_EQ(con_call(con, &q, 8, &r, &len), VIPER_ERR_INVALID);
    q.len = CON_DATA_MAX + 1;
    UT_CHECK_EQ(con_call(con, &q, 8, &r, &len), VIPER_ERR_INVALID);
    UT_CHECK_EQ(con_call(con, &q, 4, &r, &len), VIPER_ERR_INVALID);   /* no len field */
    /* no reply for these: a lying length, and a handle nobody asked for */
    q = (struct con_request){ .op = CON_WRITE, .len = 200 };
    UT_CHECK_EQ(ipc_send(con, &q, 8 + 10, NULL, 0, 0), VIPER_OK);
    q.len = 1000;
    UT_CHECK_EQ(ipc_send(con, &q, sizeof q, NULL, 0, 0), VIPER_OK);
    viper_handle_t t = con_none();
    q = (struct con_request){ .op = CON_WRITE, .len = 1, .data = { '\n' } };
    UT_CHECK_EQ(ipc_send(con, &q, 9, &t, 1, 0), VIPER_OK);
    uint32_t cols = 0, rows = 0;
    UT_CHECK_EQ(con_info(con, &cols, &rows), VIPER_OK);   /* still serving */
    UT_CHECK_EQ(cols, 80);
}

static void case_read(void)
{
    char buf[64], esc[256];
    printf("CONSERIAL %s type a line\n", ut_nonce);
    fflush(stdout);
    int n = con_read_line(con, buf, sizeof buf);
    UT_CHECK(n > 0);
    con_escape(buf, esc, sizeof esc);
    printf("CONSERIAL %s read '%s'\n", ut_nonce, esc);
}

/* ---- the child: its stdio is its startup handle 1 ------------------------------- */

static int child_main(const char *nonce)
{
    printf("CONCHILD %s says %d\n", nonce, 42);
    fprintf(stderr, "CONCHILD %s on stderr\n", nonce);
    char line[64];
    int n = 0, c;
    while (n < 63 && (c = getchar()) != EOF && c != '\r')
        line[n++] = (char)c;
    line[n] = '\0';
    printf("CONCHILD %s got '%s'\n", nonce, line);
    return c == '\r' ? 0 : 1;
}

static int64_t spawn_child(viper_handle_t console)
{
    const char *const argv[] = { PROG, "--child", "stdio", ut_nonce, NULL };
    viper_handle_t hs[2] = { con_derive(con_reg, VIPER_RIGHT_TRAVERSE | VIPER_RIGHT_TRANSFER),
                             console };
    int64_t pid = -1;
    fflush(stdout);
    UT_CHECK_EQ(viper_spawn("/tests/" PROG, argv, NULL, (const uint32_t *)hs, 2, &pid),
                VIPER_OK);
    return pid;
}

/* Take the child's next request from our end; returns its op, the bytes in data. */
static uint32_t fake_next(uint64_t ch, char *data, uint32_t *len)
{
    struct con_request q;
    uint64_t n = 0;
    memset(&q, 0, sizeof q);
    UT_CHECK_EQ(ipc_recv(ch, &q, sizeof q, NULL, 0, ipc_after_ms(5000), &n, NULL), VIPER_OK);
    UT_CHECK(n >= 8 && n == 8 + (q.op == CON_WRITE ? q.len : 0));
    *len = q.len;
    if (q.op == CON_WRITE && q.len < 200) {
        memcpy(data, q.data, q.len);
        data[q.len] = '\0';
    }
    return q.op;
}

static void case_stdio_protocol(void)
{
    uint64_t mine = 0, theirs = 0;
    UT_CHECK_EQ(viper_chan_create(&mine, &theirs), VIPER_OK);
    int64_t pid = spawn_child((viper_handle_t)theirs);
    char data[256], want[128];
    uint32_t len = 0;
    UT_CHECK_EQ(fake_next(mine, data, &len), CON_WRITE);
    snprintf(want, sizeof want, "CONCHILD %s says 42\n", ut_nonce);
    UT_CHECK_EQ(strcmp(data, want), 0);
    UT_CHECK_EQ(fake_next(mine, data, &len), CON_WRITE);
    snprintf(want, sizeof want, "CONCHILD %s on stderr\n", ut_nonce);
    UT_CHECK_EQ(strcmp(data, want), 0);
    UT_CHECK_EQ(fake_next(mine, data, &len), CON_READ);
    UT_CHECK(len >= 1 && len <= CON_DATA_MAX);
    struct con_reply r = { .status = VIPER_OK, .len = 3, .data = { 'x', 'y', '\r' } };
    UT_CHECK_EQ(ipc_send(mine, &r, 8 + 3, NULL, 0, 0), VIPER_OK);
    UT_CHECK_EQ(fake_next(mine, data, &len), CON_WRITE);
    snprintf(want, sizeof want, "CONCHILD %s got 'xy'\n", ut_nonce);
    UT_CHECK_EQ(strcmp(data, want), 0);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    viper_handle_close(mine);
}

static void case_stdio_consoled(void)
{
    uint64_t ch = con_connect();
    printf("CONSERIAL %s child reads a line\n", ut_nonce);
    fflush(stdout);
    int64_t pid = spawn_child((viper_handle_t)ch);
    UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
}

/* Kill consoled: the kernel takes the UART's interrupt back (its log still flows), clients
 * see PEER_CLOSED, and a new consoled can bind the interrupt and register CON: again. */
static void case_restart(void)
{
    int64_t self = 0;
    viper_getpid(&self, NULL);
    UT_CHECK_EQ(viper_kill(consoled_pid), VIPER_OK);
    UT_CHECK_EXIT(consoled_pid, VIPER_EXIT_KILLED, self);
    struct con_request q = { .op = CON_INFO };
    struct con_reply r;
    uint64_t len = 0;
    UT_CHECK_EQ(con_call(con, &q, 8, &r, &len), VIPER_ERR_PEER_CLOSED);
    viper_handle_close(con);
    uint32_t cols, rows;
    consoled_pid = con_start_consoled(0, 0);
    UT_CHECK(consoled_pid > 0);
    con = con_connect();
    UT_CHECK_EQ(con_info(con, &cols, &rows), VIPER_OK);
    char line[96];
    snprintf(line, sizeof line, "CONSERIAL %s after restart\n", ut_nonce);
    UT_CHECK_EQ(con_puts(con, line), VIPER_OK);
    printf("CONSERIAL %s type again\n", ut_nonce);
    fflush(stdout);
    char buf[64], esc[256];
    UT_CHECK(con_read_line(con, buf, sizeof buf) > 0);
    con_escape(buf, esc, sizeof esc);
    printf("CONSERIAL %s read again '%s'\n", ut_nonce, esc);
}

int main(int argc, char **argv, char **envp)
{
    if (argc >= 4 && strcmp(argv[1], "--child") == 0)
        return child_main(argv[3]);
    con_reg = viper_startup_handle(0);
    con_root = viper_startup_handle(1);
    ut_init(argc, argv, envp);
    UT_RUN(case_start);
    UT_RUN(case_info);
    UT_RUN(case_write);
    UT_RUN(case_bad_requests);
    UT_RUN(case_read);
    UT_RUN(case_stdio_protocol);
    UT_RUN(case_stdio_consoled);
    UT_RUN(case_restart);
    return ut_done();
}
