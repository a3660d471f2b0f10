/*
 * registry.c - the name registry: a server process registers "TEST:" with
 * a registry handle it was given at spawn; clients open it with a
 * CREATE-less (TRAVERSE-only) copy, which cannot register; the server sees
 * each client arrive as a message carrying one handle and talks to each on
 * its own channel; unknown names are NOT_FOUND, a taken name is BUSY; when
 * the server dies its clients see PEER_CLOSED and a restarted server can
 * register the name again; a server that does not accept fills up (64
 * pending connections, then WOULD_BLOCK).  docs/ipc.md.
 */
#include "ipc_util.h"

#define PROG    "registry"
#define NAME    "TEST:"
#define MAXCLI  16

static uint64_t reg;

/* ---- the server (a helper process): handles = { registry, control end } ---- */

static int server_main(void)
{
    uint64_t sreg = viper_startup_handle(0), ctl = viper_startup_handle(1);
    uint64_t listen = 0, ep = 0, cli[MAXCLI] = { 0 };
    int ncli = 0;
    if (viper_chan_create(&listen, &ep) != VIPER_OK)
        return 1;
    int64_t rc = viper_registry_register(sreg, NAME, ep);
    if (rc != VIPER_OK) {
        char msg[32];
        snprintf(msg, sizeof msg, "err %lld", (long long)rc);
        ipc_send_str(ctl, msg);
        return 2;
    }
    if (ipc_valid(ep))   /* the endpoint moved to the registry */
        return 3;
    if (ipc_send_str(ctl, "up") != VIPER_OK)
        return 4;
    for (;;) {
        struct viper_wait_item it[2 + MAXCLI];
        int idx[2 + MAXCLI], n = 0;
        it[n] = (struct viper_wait_item){ (uint32_t)ctl,
                                          VIPER_SIGNAL_READABLE | VIPER_SIGNAL_PEER_CLOSED, 0, 0 };
        idx[n++] = -2;
        it[n] = (struct viper_wait_item){ (uint32_t)listen, VIPER_SIGNAL_READABLE, 0, 0 };
        idx[n++] = -1;
        for (int i = 0; i < ncli; i++)
            if (cli[i]) {
                it[n] = (struct viper_wait_item){ (uint32_t)cli[i],
                                                  VIPER_SIGNAL_READABLE | VIPER_SIGNAL_PEER_CLOSED,
                                                  0, 0 };
                idx[n++] = i;
            }
        uint64_t ready = 0;
        if (viper_wait_many(it, (uint64_t)n, VIPER_DEADLINE_INFINITE, &ready) != VIPER_OK)
            return 5;
        for (int k = 0; k < n; k++) {
            if (!(it[k].pending & it[k].signals))
                continue;
            char buf[64];
            uint64_t len = 0, nh = 0;
            viper_handle_t rh[4];
            if (idx[k] == -2) {
                rc = ipc_recv_str(ctl, buf, sizeof buf, VIPER_DEADLINE_POLL);
                if (rc == VIPER_ERR_PEER_CLOSED || (rc == VIPER_OK && strcmp(buf, "quit") == 0))
                    return 0;
                if (rc == VIPER_OK && strcmp(buf, "count") == 0) {
                    snprintf(buf, sizeof buf, "%d", ncli);
                    ipc_send_str(ctl, buf);
                }
            } else if (idx[k] == -1) {
                rc = ipc_recv(listen, buf, sizeof buf - 1, rh, 4, VIPER_DEADLINE_POLL, &len, &nh);
                if (rc != VIPER_OK)
                    return 6;
                buf[len] = '\0';
                if (nh != 1 || strcmp(buf, NAME) != 0 || ipc_type(rh[0]) != VIPER_OBJ_CHANNEL)
                    return 7;
                if (ncli >= MAXCLI)
                    return 8;
                cli[ncli++] = rh[0];
            } else {
                uint64_t h = cli[idx[k]];
                rc = ipc_recv(h, buf, 32, NULL, 0, VIPER_DEADLINE_POLL, &len, NULL);
                if (rc == VIPER_ERR_PEER_CLOSED) {
                    viper_handle_close(h);
                    cli[idx[k]] = 0;
                } else if (rc == VIPER_OK) {
                    char out[64];
                    buf[len] = '\0';
                    snprintf(out, sizeof out, "S%d:%s", idx[k], buf);
                    ipc_send_str(h, out);
                }
            }
        }
    }
}

/* Start a server; returns its pid; *ctl gets our control end.  Waits for "up". */
static int64_t start_server(uint64_t *ctl)
{
    uint64_t sreg = 0, c = 0;
    char buf[32];
    UT_CHECK_EQ(viper_cap_derive(reg, VIPER_RIGHT_CREATE | VIPER_RIGHT_TRAVERSE |
                                      VIPER_RIGHT_TRANSFER, &sreg), VIPER_OK);
    UT_CHECK_EQ(viper_chan_create(ctl, &c), VIPER_OK);
    viper_handle_t hv[2] = { (viper_handle_t)sreg, (viper_handle_t)c };
    int64_t pid = ipc_spawn_self(PROG, "server", hv, 2);
    UT_CHECK_EQ(ipc_recv_str(*ctl, buf, sizeof buf, ipc_after_ms(5000)), VIPER_OK);
    if (strcmp(buf, "up") != 0)
        UT_INFO("server said `%s`", buf);
    UT_CHECK_EQ(strcmp(buf, "up"), 0);
    return pid;
}

/* One request/reply on a client channel; the reply is "S<n>:<req>": returns n (or -1). */
static int talk(uint64_t ch, const char *req)
{
    char rep[64];
    uint64_t len = 0;
    struct viper_msg mq = ipc_msg(req, (uint32_t)strlen(req), NULL, 0);
    struct viper_msg mr = ipc_msg(rep, sizeof rep - 1, NULL, 0);
    int64_t rc = viper_chan_call(ch, &mq, &mr, ipc_after_ms(5000), 0, &len, NULL);
    UT_CHECK_EQ(rc, VIPER_OK);
    if (rc != VIPER_OK)
        return -1;
    rep[len] = '\0';
    int n = -1;
    char *colon = strchr(rep, ':');
    UT_CHECK(rep[0] == 'S' && colon != NULL);
    if (rep[0] == 'S' && colon) {
        n = atoi(rep + 1);
        UT_CHECK_EQ(strcmp(colon + 1, req), 0);
    }
    return n;
}

static void case_register_open(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t ctl = 0, creg = 0, cl[3] = { 0 }, x = 0, y = 0, ep = 0;
    char buf[16];
    int64_t pid = start_server(&ctl);
    /* clients get a copy that can look names up but not register them */
    UT_CHECK_EQ(viper_cap_derive(reg, VIPER_RIGHT_TRAVERSE, &creg), VIPER_OK);
    UT_CHECK_EQ(viper_chan_create(&x, &y), VIPER_OK);
    UT_CHECK_EQ(viper_registry_register(creg, "CLIENT:", y), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(viper_registry_register(creg, NAME, y), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK(ipc_valid(y));
    for (int i = 0; i < 3; i++) {
        UT_CHECK_EQ(viper_registry_open(creg, NAME, &cl[i]), VIPER_OK);
        UT_CHECK_EQ(ipc_type(cl[i]), VIPER_OBJ_CHANNEL);
    }
    /* each client has its own channel to the server, in any order */
    int s2 = talk(cl[2], "from two"), s0 = talk(cl[0], "from zero"), s1 = talk(cl[1], "one");
    UT_CHECK(s0 >= 0 && s1 >= 0 && s2 >= 0);
    UT_CHECK(s0 != s1 && s1 != s2 && s0 != s2);
    UT_CHECK_EQ(talk(cl[0], "again"), s0);
    UT_CHECK_EQ(talk(cl[2], "again"), s2);
    UT_CHECK_EQ(ipc_send_str(ctl, "count"), VIPER_OK);
    UT_CHECK_EQ(ipc_recv_str(ctl, buf, sizeof buf, ipc_after_ms(5000)), VIPER_OK);
    UT_CHECK_EQ(strcmp(buf, "3"), 0);
    /* unknown names; a taken name */
    UT_CHECK_EQ(viper_registry_open(creg, "NOPE:", &x), VIPER_ERR_NOT_FOUND);
    UT_CHECK_EQ(viper_registry_open(creg, "TEST", &x), VIPER_ERR_NOT_FOUND);
    UT_CHECK_EQ(viper_registry_open(creg, "TEST:X", &x), VIPER_ERR_NOT_FOUND);
    UT_CHECK_EQ(viper_registry_register(reg, NAME, y), VIPER_ERR_BUSY);
    UT_CHECK(ipc_valid(y));   /* refused: it did not move */
    /* a client that goes away does not disturb the others */
    UT_CHECK_EQ(viper_handle_close(cl[1]), VIPER_OK);
    UT_CHECK_EQ(talk(cl[0], "still here"), s0);
    /* the server quits: its clients see PEER_CLOSED */
    UT_CHECK_EQ(ipc_send_str(ctl, "quit"), VIPER_OK);
    if (pid > 0)
        UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    UT_CHECK_EQ(ipc_recv_str(cl[0], buf, sizeof buf, VIPER_DEADLINE_INFINITE),
                VIPER_ERR_PEER_CLOSED);
    UT_CHECK_EQ(ipc_send_str(cl[2], "anyone?"), VIPER_ERR_PEER_CLOSED);
    (void)ep;
    uint64_t hs[] = { ctl, creg, cl[0], cl[2], x, y };
    for (int i = 0; i < 6; i++)
        UT_CHECK_EQ(viper_handle_close(hs[i]), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

static void case_server_death(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t ctl = 0, creg = 0, c1 = 0, c2 = 0, c3 = 0, x = 0;
    char buf[16];
    int64_t pid = start_server(&ctl);
    UT_CHECK_EQ(viper_cap_derive(reg, VIPER_RIGHT_TRAVERSE, &creg), VIPER_OK);
    UT_CHECK_EQ(viper_registry_open(creg, NAME, &c1), VIPER_OK);
    UT_CHECK_EQ(viper_registry_open(creg, NAME, &c2), VIPER_OK);
    UT_CHECK(talk(c1, "a") >= 0);
    /* c2 has not been accepted yet when the server dies */
    int64_t me = 0;
    viper_getpid(&me, NULL);
    UT_CHECK_EQ(viper_kill(pid), VIPER_OK);
    UT_CHECK_EXIT(pid, VIPER_EXIT_KILLED, me);
    UT_CHECK_EQ(ipc_recv_str(c1, buf, sizeof buf, VIPER_DEADLINE_INFINITE), VIPER_ERR_PEER_CLOSED);
    UT_CHECK_EQ(ipc_recv_str(c2, buf, sizeof buf, VIPER_DEADLINE_INFINITE), VIPER_ERR_PEER_CLOSED);
    UT_CHECK_EQ(ipc_send_str(c1, "x"), VIPER_ERR_PEER_CLOSED);
    struct viper_msg mq = ipc_msg("q", 1, NULL, 0), mr = ipc_msg(buf, sizeof buf, NULL, 0);
    UT_CHECK_EQ(viper_chan_call(c2, &mq, &mr, VIPER_DEADLINE_INFINITE, 0, NULL, NULL),
                VIPER_ERR_PEER_CLOSED);
    UT_CHECK_EQ(ipc_recv_str(ctl, buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_ERR_PEER_CLOSED);
    /* the name is still there but nobody serves it */
    struct viper_kstat mid = ut_kstat();
    int64_t rc = viper_registry_open(creg, NAME, &x);
    UT_INFO("registry_open of a dead server's name = %lld", (long long)rc);
    UT_CHECK_EQ(rc, VIPER_ERR_PEER_CLOSED);
    UT_CHECK_EQ(ut_kstat().objects, mid.objects);
    UT_CHECK_EQ(viper_handle_close(ctl), VIPER_OK);
    /* a restarted server takes the name over */
    pid = start_server(&ctl);
    UT_CHECK_EQ(viper_registry_open(creg, NAME, &c3), VIPER_OK);
    UT_CHECK(talk(c3, "new server") >= 0);
    UT_CHECK_EQ(ipc_send_str(c1, "x"), VIPER_ERR_PEER_CLOSED);   /* old clients stay dead */
    UT_CHECK_EQ(ipc_send_str(ctl, "quit"), VIPER_OK);
    if (pid > 0)
        UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    uint64_t hs[] = { ctl, creg, c1, c2, c3 };
    for (int i = 0; i < 5; i++)
        UT_CHECK_EQ(viper_handle_close(hs[i]), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

/* A name served by this process itself, never accepted: 64 pending, then WOULD_BLOCK. */
static uint64_t pend[VIPER_CHAN_QUEUE_MAX + 1];

static void case_backlog(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t listen = 0, ep = 0, ep2 = 0, x = 0, y = 0;
    UT_CHECK_EQ(viper_chan_create(&listen, &ep), VIPER_OK);
    UT_CHECK_EQ(viper_registry_register(reg, "BACKLOG:", ep), VIPER_OK);
    UT_CHECK(!ipc_valid(ep));
    int n = 0;
    int64_t rc = VIPER_OK;
    while (n <= (int)VIPER_CHAN_QUEUE_MAX &&
           (rc = viper_registry_open(reg, "BACKLOG:", &pend[n])) == VIPER_OK)
        n++;
    UT_CHECK_EQ(n, VIPER_CHAN_QUEUE_MAX);
    UT_CHECK_EQ(rc, VIPER_ERR_WOULD_BLOCK);
    /* accept one: room for one more */
    viper_handle_t rh[4];
    char buf[16];
    uint64_t nh = 0;
    UT_CHECK_EQ(ipc_recv(listen, buf, sizeof buf, rh, 4, VIPER_DEADLINE_POLL, NULL, &nh), VIPER_OK);
    UT_CHECK_EQ(nh, 1);
    UT_CHECK_EQ(ipc_send_str(rh[0], "hi 0"), VIPER_OK);
    UT_CHECK_EQ(ipc_recv_str(pend[0], buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_OK);
    UT_CHECK_EQ(strcmp(buf, "hi 0"), 0);
    UT_CHECK_EQ(viper_registry_open(reg, "BACKLOG:", &pend[n]), VIPER_OK);
    n++;
    /* the name is taken while the listener lives */
    UT_CHECK_EQ(viper_chan_create(&x, &y), VIPER_OK);
    UT_CHECK_EQ(viper_registry_register(reg, "BACKLOG:", y), VIPER_ERR_BUSY);
    /* the listener goes: every pending client sees PEER_CLOSED */
    UT_CHECK_EQ(viper_handle_close(listen), VIPER_OK);
    UT_CHECK_EQ(ipc_recv_str(pend[0], buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_ERR_WOULD_BLOCK);
    int closed = 0;
    for (int i = 1; i < n; i++)
        closed += ipc_recv_str(pend[i], buf, sizeof buf, VIPER_DEADLINE_POLL) ==
                  VIPER_ERR_PEER_CLOSED;
    UT_CHECK_EQ(closed, n - 1);
    UT_CHECK_EQ(viper_registry_open(reg, "BACKLOG:", &x), VIPER_ERR_PEER_CLOSED);
    /* and the name can be taken again */
    UT_CHECK_EQ(viper_chan_create(&listen, &ep2), VIPER_OK);
    UT_CHECK_EQ(viper_registry_register(reg, "BACKLOG:", ep2), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(listen), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(rh[0]), VIPER_OK);
    for (int i = 0; i < n; i++)
        UT_CHECK_EQ(viper_handle_close(pend[i]), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(x), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(y), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

static void case_names(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t l = 0, e = 0, l2 = 0, e2 = 0, c = 0;
    char n31[32], n32[33];
    memset(n31, 'A', 31);
    n31[30] = ':';
    n31[31] = '\0';
    memset(n32, 'B', 32);
    n32[32] = '\0';
    UT_CHECK_EQ(viper_chan_create(&l, &e), VIPER_OK);
    UT_CHECK_EQ(viper_chan_create(&l2, &e2), VIPER_OK);
    UT_CHECK_EQ(viper_registry_register(reg, "", e), VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_registry_register(reg, n32, e), VIPER_ERR_INVALID);
    UT_CHECK(ipc_valid(e));
    UT_CHECK_EQ(viper_registry_register(reg, n31, e), VIPER_OK);
    UT_CHECK_EQ(viper_registry_open(reg, n31, &c), VIPER_OK);
    viper_handle_t rh[4];
    char buf[40];
    uint64_t len = 0, nh = 0;
    UT_CHECK_EQ(ipc_recv(l, buf, sizeof buf, rh, 4, VIPER_DEADLINE_POLL, &len, &nh), VIPER_OK);
    UT_CHECK_EQ(len, 31);
    UT_CHECK(memcmp(buf, n31, 31) == 0);   /* the server learns which name was opened */
    UT_CHECK_EQ(nh, 1);
    /* names are exact: a prefix is another name */
    char prefix[32];
    memcpy(prefix, n31, 20);
    prefix[20] = '\0';
    UT_CHECK_EQ(viper_registry_open(reg, prefix, &c), VIPER_ERR_NOT_FOUND);
    n31[29] = '\0';
    UT_CHECK_EQ(viper_registry_register(reg, n31, e2), VIPER_OK);
    uint64_t hs[] = { l, l2, c, rh[0] };
    for (int i = 0; i < 4; i++)
        UT_CHECK_EQ(viper_handle_close(hs[i]), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

int main(int argc, char **argv, char **envp)
{
    const char *role = ipc_child_role(argc, argv);
    if (role)
        return strcmp(role, "server") == 0 ? server_main() : 99;
    ut_init(argc, argv, envp);
    reg = viper_startup_handle(0);
    UT_RUN_LEAK(case_register_open);
    UT_RUN_LEAK(case_server_death);
    UT_RUN_LEAK(case_backlog);
    UT_RUN_LEAK(case_names);
    return ut_done();
}
