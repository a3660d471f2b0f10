/*
 * caps.c - capabilities: rights never grow, every right is checked by the
 * call that needs it, stale and forged handles fail, revoke takes the whole
 * subtree (chains, branches, other processes, messages in flight), dup is a
 * sibling, a 5000-deep derivation chain, the handle-table limit, cap_query.
 * docs/capabilities.md.
 */
#include "ipc_util.h"

#define PROG "caps"
#define ALL  VIPER_RIGHTS_ALL

static uint64_t reg;   /* startup handle 0: the registry, all rights */

static void close_all(const uint64_t *hs, int n)
{
    for (int i = 0; i < n; i++)
        UT_CHECK_EQ(viper_handle_close(hs[i]), VIPER_OK);
}

static void case_query(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = 0, b = 0, s = 0, p = 0, type = 0, rights = 0;
    int64_t pid = 0;
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    UT_CHECK(a != VIPER_HANDLE_INVALID && b != VIPER_HANDLE_INVALID && a != b);
    UT_CHECK_EQ(viper_cap_query(a, &type, &rights), VIPER_OK);
    UT_CHECK_EQ(type, VIPER_OBJ_CHANNEL);
    UT_CHECK_EQ(rights, CH_RIGHTS);
    UT_CHECK_EQ(viper_shm_create(4096, &s), VIPER_OK);
    UT_CHECK_EQ(viper_cap_query(s, &type, &rights), VIPER_OK);
    UT_CHECK_EQ(type, VIPER_OBJ_SHM);
    UT_CHECK_EQ(rights, CH_RIGHTS);
    UT_CHECK_EQ(viper_cap_query(reg, &type, &rights), VIPER_OK);
    UT_CHECK_EQ(type, VIPER_OBJ_REGISTRY);
    UT_CHECK_EQ(rights, ALL);
    viper_getpid(&pid, NULL);
    UT_CHECK_EQ(viper_process_open(pid, &p), VIPER_OK);
    UT_CHECK_EQ(viper_cap_query(p, &type, &rights), VIPER_OK);
    UT_CHECK_EQ(type, VIPER_OBJ_PROCESS);
    UT_CHECK_EQ(rights, VIPER_RIGHT_READ | VIPER_RIGHT_TRANSFER | VIPER_RIGHT_DERIVE);
    UT_CHECK_EQ(viper_cap_query(0, &type, &rights), VIPER_ERR_BAD_HANDLE);
    /* NULL result pointers are allowed */
    UT_CHECK_EQ(viper_cap_query(a, NULL, NULL), VIPER_OK);
    uint64_t hs[] = { a, b, s, p };
    close_all(hs, 4);
    IPC_CHECK_NO_LEAK(&before);
}

static void case_derive_masks(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = 0, b = 0, r = 0, rw = 0, x = 0, y = 0, d = 0, t = 0;
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    /* a subset */
    UT_CHECK_EQ(viper_cap_derive(a, VIPER_RIGHT_READ, &r), VIPER_OK);
    UT_CHECK_EQ(ipc_rights(r), VIPER_RIGHT_READ);
    /* asking for everything gives what the original has, no more */
    UT_CHECK_EQ(viper_cap_derive(a, ALL, &x), VIPER_OK);
    UT_CHECK_EQ(ipc_rights(x), CH_RIGHTS);
    /* rights the object type never has are not invented */
    UT_CHECK_EQ(viper_cap_derive(a, VIPER_RIGHT_READ | VIPER_RIGHT_CREATE | VIPER_RIGHT_DERIVE |
                                        VIPER_RIGHT_SPAWN, &rw), VIPER_OK);
    UT_CHECK_EQ(ipc_rights(rw), VIPER_RIGHT_READ | VIPER_RIGHT_DERIVE);
    /* from a narrowed handle, asking for all gives only what it has */
    UT_CHECK_EQ(viper_cap_derive(rw, ALL, &y), VIPER_OK);
    UT_CHECK_EQ(ipc_rights(y), VIPER_RIGHT_READ | VIPER_RIGHT_DERIVE);
    /* no DERIVE: no derivation at all */
    UT_CHECK_EQ(viper_cap_derive(r, VIPER_RIGHT_READ, &d), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(viper_cap_derive(r, 0, &d), VIPER_ERR_ACCESS_DENIED);
    /* mask bits outside the rights: refused */
    UT_CHECK_EQ(viper_cap_derive(a, 1ull << 13, &d), VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_cap_derive(a, ~0ull, &d), VIPER_ERR_INVALID);
    /* an empty mask is a handle with no rights: it can name the object and nothing else */
    UT_CHECK_EQ(viper_cap_derive(a, 0, &t), VIPER_OK);
    UT_CHECK_EQ(ipc_rights(t), 0);
    UT_CHECK_EQ(ipc_type(t), VIPER_OBJ_CHANNEL);
    UT_CHECK_EQ(ipc_send_str(t, "x"), VIPER_ERR_ACCESS_DENIED);
    /* dup keeps the rights exactly, even without DERIVE */
    UT_CHECK_EQ(viper_handle_dup(r, &d), VIPER_OK);
    UT_CHECK_EQ(ipc_rights(d), VIPER_RIGHT_READ);
    /* the registry: a TRAVERSE-only copy */
    uint64_t rt = 0, rt2 = 0;
    UT_CHECK_EQ(viper_cap_derive(reg, VIPER_RIGHT_TRAVERSE, &rt), VIPER_OK);
    UT_CHECK_EQ(ipc_rights(rt), VIPER_RIGHT_TRAVERSE);
    UT_CHECK_EQ(ipc_type(rt), VIPER_OBJ_REGISTRY);
    UT_CHECK_EQ(viper_cap_derive(rt, ALL, &rt2), VIPER_ERR_ACCESS_DENIED);
    uint64_t hs[] = { a, b, r, rw, x, y, d, t, rt };
    close_all(hs, 9);
    IPC_CHECK_NO_LEAK(&before);
}

static void case_rights_checked(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = 0, b = 0, c = 0, e = 0, s = 0, wo = 0, ro = 0, nt = 0, sro = 0, snone = 0;
    uint64_t reg_nocreate = 0, reg_notrav = 0, ep_nt = 0, got = 0, addr = 0, ready = 0;
    char buf[16];
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    UT_CHECK_EQ(viper_chan_create(&c, &e), VIPER_OK);
    UT_CHECK_EQ(viper_shm_create(8192, &s), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(a, ALL & ~VIPER_RIGHT_READ, &wo), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(a, ALL & ~VIPER_RIGHT_WRITE, &ro), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(c, ALL & ~VIPER_RIGHT_TRANSFER, &nt), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(s, VIPER_RIGHT_READ | VIPER_RIGHT_TRANSFER, &sro), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(s, VIPER_RIGHT_WRITE | VIPER_RIGHT_TRANSFER, &snone), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(reg, ALL & ~VIPER_RIGHT_CREATE, &reg_nocreate), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(reg, ALL & ~VIPER_RIGHT_TRAVERSE, &reg_notrav), VIPER_OK);

    /* chan_send needs WRITE, chan_recv READ, chan_call both, wait_many READ */
    UT_CHECK_EQ(ipc_send_str(ro, "x"), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK(!ipc_readable(b));
    UT_CHECK_EQ(ipc_send_str(wo, "y"), VIPER_OK);
    UT_CHECK_EQ(ipc_recv_str(b, buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_OK);
    UT_CHECK_EQ(ipc_send_str(b, "z"), VIPER_OK);
    UT_CHECK_EQ(ipc_recv_str(wo, buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(ipc_recv_str(ro, buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_OK);
    UT_CHECK_EQ(strcmp(buf, "z"), 0);
    struct viper_msg req = ipc_msg("q", 1, NULL, 0), rep = ipc_msg(buf, sizeof buf, NULL, 0);
    UT_CHECK_EQ(viper_chan_call(ro, &req, &rep, VIPER_DEADLINE_POLL, 0, NULL, NULL),
                VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(viper_chan_call(wo, &req, &rep, VIPER_DEADLINE_POLL, 0, NULL, NULL),
                VIPER_ERR_ACCESS_DENIED);
    UT_CHECK(!ipc_readable(b));   /* the refused calls sent nothing */
    struct viper_wait_item it = { (uint32_t)wo, VIPER_SIGNAL_WRITABLE, 0, 0 };
    UT_CHECK_EQ(viper_wait_many(&it, 1, VIPER_DEADLINE_POLL, &ready), VIPER_ERR_ACCESS_DENIED);

    /* shm_map: READ always, WRITE for a writable mapping */
    UT_CHECK_EQ(viper_shm_map(sro, 0, VIPER_PROT_READ | VIPER_PROT_WRITE, &addr),
                VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(viper_shm_map(sro, 0, VIPER_PROT_WRITE, &addr), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(viper_shm_map(snone, 0, VIPER_PROT_READ, &addr), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(viper_shm_map(sro, 0, VIPER_PROT_READ, &addr), VIPER_OK);
    UT_CHECK_EQ(viper_munmap(addr, 8192), VIPER_OK);

    /* registry: register needs CREATE (and TRANSFER on the endpoint), open TRAVERSE */
    UT_CHECK_EQ(viper_registry_register(reg_nocreate, "CAPS:", e), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK(ipc_valid(e));   /* refused: the endpoint did not move */
    UT_CHECK_EQ(viper_cap_derive(e, ALL & ~VIPER_RIGHT_TRANSFER, &ep_nt), VIPER_OK);
    UT_CHECK_EQ(viper_registry_register(reg, "CAPS:", ep_nt), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK(ipc_valid(ep_nt));
    UT_CHECK_EQ(viper_registry_open(reg_notrav, "CAPS:", &got), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(viper_registry_open(reg_nocreate, "CAPS:", &got), VIPER_ERR_NOT_FOUND);

    /* sending a handle without TRANSFER: refused, nothing moves */
    viper_handle_t hv[2] = { (viper_handle_t)s, (viper_handle_t)nt };
    UT_CHECK_EQ(ipc_send(a, "h", 1, hv, 2, 0), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK(ipc_valid(s) && ipc_valid(nt));
    UT_CHECK(!ipc_readable(b));
    /* spawn checks TRANSFER on the handles it passes too */
    const char *const argv[] = { PROG, NULL };
    int64_t pid = 0;
    uint32_t sh[1] = { (uint32_t)nt };
    UT_CHECK_EQ(viper_spawn("/tests/" PROG, argv, NULL, sh, 1, &pid), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK(ipc_valid(nt));

    /* a handle of the wrong type is a bad handle for the call */
    UT_CHECK_EQ(ipc_send_str(s, "x"), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_shm_map(a, 0, VIPER_PROT_READ, &addr), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_registry_open(a, "CAPS:", &got), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_registry_register(s, "CAPS:", e), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_registry_register(reg, "CAPS:", s), VIPER_ERR_BAD_HANDLE);
    UT_CHECK(ipc_valid(s));

    uint64_t hs[] = { a, b, c, e, s, wo, ro, nt, sro, snone, reg_nocreate, reg_notrav, ep_nt };
    close_all(hs, 13);
    IPC_CHECK_NO_LEAK(&before);
}

static void case_stale(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = 0, b = 0, c = 0, d = 0, n = 0, got = 0, x = 0;
    char buf[16];
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    UT_CHECK_EQ(viper_chan_create(&c, &d), VIPER_OK);
    /* forged values */
    static const uint64_t forged[] = { 0, 0xffffffffull, 0xffff, 0x10000, 0xdead0001ull };
    for (unsigned i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        UT_CHECK_EQ(viper_cap_query(forged[i], NULL, NULL), VIPER_ERR_BAD_HANDLE);
        UT_CHECK_EQ(viper_handle_close(forged[i]), VIPER_ERR_BAD_HANDLE);
        UT_CHECK_EQ(ipc_send_str(forged[i], "x"), VIPER_ERR_BAD_HANDLE);
    }
    /* the right index with the wrong generation; an index that is not in use */
    UT_CHECK_EQ(viper_cap_query(a + 0x10000, NULL, NULL), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_cap_query((a & 0xffff0000u) | 1000, NULL, NULL), VIPER_ERR_BAD_HANDLE);
    uint64_t top = d;
    UT_CHECK_EQ(viper_cap_query(top + 1, NULL, NULL), VIPER_ERR_BAD_HANDLE);
    int64_t rc64 = viper_cap_query(a | (1ull << 32), NULL, NULL);
    UT_INFO("cap_query(handle | 1<<32) = %lld (the kernel reads handles as 32 bits)",
            (long long)rc64);

    /* after close: stale, and a new handle in the same slot has another value.  Each
     * handle is used just before it goes stale, so the kernel's memo of the thread's
     * last channel handle (struct handle_memo) must see the change too. */
    UT_CHECK_EQ(ipc_send_str(c, "c"), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(c), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(c), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_cap_query(c, NULL, NULL), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(ipc_send_str(c, "x"), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_handle_dup(a, &n), VIPER_OK);
    UT_CHECK((n & 0xffff) == (c & 0xffff));   /* the freed slot is reused ... */
    UT_CHECK(n != c);                         /* ... under a new generation */
    UT_CHECK_EQ(viper_cap_query(c, NULL, NULL), VIPER_ERR_BAD_HANDLE);
    UT_CHECK(ipc_valid(n));

    /* after transfer: the sender's value is stale, the receiver's works */
    uint64_t e = 0, f = 0;
    UT_CHECK_EQ(viper_chan_create(&e, &f), VIPER_OK);
    viper_handle_t hv[1] = { (viper_handle_t)e }, rh[4] = { 0 };
    UT_CHECK_EQ(ipc_send_str(e, "pre"), VIPER_OK);
    UT_CHECK_EQ(ipc_recv_str(f, buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_OK);
    UT_CHECK_EQ(ipc_send_str(e, "x"), VIPER_OK);   /* e is the memo; the send below moves it */
    UT_CHECK_EQ(ipc_recv_str(f, buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_OK);
    UT_CHECK_EQ(ipc_send(a, "e", 1, hv, 1, 0), VIPER_OK);
    UT_CHECK_EQ(viper_cap_query(e, NULL, NULL), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(ipc_send_str(e, "x"), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_handle_close(e), VIPER_ERR_BAD_HANDLE);
    uint64_t nh = 0;
    UT_CHECK_EQ(ipc_recv(b, buf, sizeof buf, rh, 4, VIPER_DEADLINE_POLL, NULL, &nh), VIPER_OK);
    UT_CHECK_EQ(nh, 1);
    UT_CHECK_EQ(ipc_send_str(rh[0], "via e"), VIPER_OK);
    UT_CHECK_EQ(ipc_recv_str(f, buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_OK);
    UT_CHECK_EQ(strcmp(buf, "via e"), 0);

    /* after revoke: the derived handle is stale, the original works */
    UT_CHECK_EQ(viper_cap_derive(a, ALL, &x), VIPER_OK);
    UT_CHECK_EQ(ipc_send_str(x, "x"), VIPER_OK);
    UT_CHECK_EQ(ipc_recv_str(b, buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_OK);
    UT_CHECK_EQ(viper_cap_revoke(a), VIPER_OK);
    UT_CHECK_EQ(viper_cap_query(x, NULL, NULL), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(ipc_send_str(x, "x"), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_handle_close(x), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_cap_revoke(x), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(ipc_send_str(a, "ok"), VIPER_OK);
    UT_CHECK_EQ(ipc_recv_str(b, buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_OK);
    UT_CHECK_EQ(viper_registry_open(got, "X:", &got), VIPER_ERR_BAD_HANDLE);
    uint64_t hs[] = { a, b, d, n, f, rh[0] };
    close_all(hs, 6);
    IPC_CHECK_NO_LEAK(&before);
}

static void case_revoke_tree(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = 0, b = 0, d1 = 0, d2 = 0, d3 = 0, f1 = 0, e1 = 0, e2 = 0, g = 0;
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    /* a ── d1 ── d2 ── d3      g = dup(d1): a sibling of d1, under a
     *   │     └─ f1
     *   ├─ e1 ── e2
     *   └─ g                                                         */
    UT_CHECK_EQ(viper_cap_derive(a, ALL, &d1), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(d1, ALL, &d2), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(d2, VIPER_RIGHT_READ | VIPER_RIGHT_DERIVE, &d3), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(d1, ALL, &f1), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(a, ALL, &e1), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(e1, ALL, &e2), VIPER_OK);
    UT_CHECK_EQ(viper_handle_dup(d1, &g), VIPER_OK);
    UT_CHECK_EQ(viper_cap_revoke(d1), VIPER_OK);
    UT_CHECK(!ipc_valid(d2) && !ipc_valid(d3) && !ipc_valid(f1));
    UT_CHECK(ipc_valid(d1) && ipc_valid(g) && ipc_valid(a) && ipc_valid(e1) && ipc_valid(e2));
    /* revoking again (nothing below) is fine */
    UT_CHECK_EQ(viper_cap_revoke(d1), VIPER_OK);
    UT_CHECK_EQ(viper_cap_revoke(a), VIPER_OK);
    UT_CHECK(!ipc_valid(d1) && !ipc_valid(g) && !ipc_valid(e1) && !ipc_valid(e2));
    UT_CHECK(ipc_valid(a) && ipc_valid(b));

    /* dup is a sibling: revoking the original's children leaves the dup */
    uint64_t y = 0, yd = 0, yc = 0, ydc = 0;
    UT_CHECK_EQ(viper_cap_derive(a, ALL, &y), VIPER_OK);
    UT_CHECK_EQ(viper_handle_dup(y, &yd), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(y, ALL, &yc), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(yd, ALL, &ydc), VIPER_OK);
    UT_CHECK_EQ(viper_cap_revoke(y), VIPER_OK);
    UT_CHECK(!ipc_valid(yc));
    UT_CHECK(ipc_valid(y) && ipc_valid(yd) && ipc_valid(ydc));
    UT_CHECK_EQ(ipc_rights(yd), CH_RIGHTS);
    /* ... but revoking their common parent takes both */
    UT_CHECK_EQ(viper_cap_revoke(a), VIPER_OK);
    UT_CHECK(!ipc_valid(y) && !ipc_valid(yd) && !ipc_valid(ydc));

    /* closing an intermediate re-parents: a later revoke still reaches the grandchild */
    uint64_t x1 = 0, x2 = 0, x3 = 0;
    UT_CHECK_EQ(viper_cap_derive(a, ALL, &x1), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(x1, ALL, &x2), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(x2, ALL, &x3), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(x2), VIPER_OK);
    UT_CHECK(ipc_valid(x3));
    UT_CHECK_EQ(viper_cap_revoke(x1), VIPER_OK);
    UT_CHECK(!ipc_valid(x3));
    UT_CHECK(ipc_valid(x1));
    UT_CHECK_EQ(viper_handle_close(x1), VIPER_OK);

    /* in flight: a revoked handle arrives as VIPER_HANDLE_INVALID; others in the message work */
    uint64_t q1 = 0, q2 = 0, m1 = 0, m2 = 0, s = 0, nh = 0, len = 0;
    UT_CHECK_EQ(viper_chan_create(&q1, &q2), VIPER_OK);
    UT_CHECK_EQ(viper_shm_create(4096, &s), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(a, ALL, &m1), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(m1, ALL, &m2), VIPER_OK);   /* m2 stays in the table */
    viper_handle_t hv[2] = { (viper_handle_t)m1, (viper_handle_t)s }, rh[4] = { 7, 7, 7, 7 };
    UT_CHECK_EQ(ipc_send(q1, "inflight", 8, hv, 2, 0), VIPER_OK);
    UT_CHECK_EQ(viper_cap_revoke(a), VIPER_OK);
    UT_CHECK(!ipc_valid(m2));
    char buf[16];
    UT_CHECK_EQ(ipc_recv(q2, buf, sizeof buf, rh, 4, VIPER_DEADLINE_POLL, &len, &nh), VIPER_OK);
    UT_CHECK_EQ(len, 8);
    UT_CHECK_EQ(nh, 2);
    UT_CHECK_EQ(rh[0], VIPER_HANDLE_INVALID);
    UT_CHECK(rh[1] != VIPER_HANDLE_INVALID && ipc_type(rh[1]) == VIPER_OBJ_SHM);
    /* a revoked handle in a message nobody receives goes with the queue */
    UT_CHECK_EQ(viper_cap_derive(a, ALL, &m1), VIPER_OK);
    hv[0] = (viper_handle_t)m1;
    UT_CHECK_EQ(ipc_send(q1, "x", 1, hv, 1, 0), VIPER_OK);
    UT_CHECK_EQ(viper_cap_revoke(a), VIPER_OK);
    uint64_t hs[] = { a, b, q1, q2, rh[1] };
    close_all(hs, 5);
    IPC_CHECK_NO_LEAK(&before);
}

/* Helper for revoke_cross: handle 0 = control end, 1 = a derived channel end. */
static int child_revoke(void)
{
    uint64_t ctl = viper_startup_handle(0), d = viper_startup_handle(1);
    char buf[16];
    if (ipc_type(d) != VIPER_OBJ_CHANNEL)
        return 1;
    if (ipc_send_str(d, "from child") != VIPER_OK)
        return 2;
    if (ipc_send_str(ctl, "ready") != VIPER_OK)
        return 3;
    if (ipc_recv_str(ctl, buf, sizeof buf, VIPER_DEADLINE_INFINITE) != VIPER_OK)
        return 4;
    if (strcmp(buf, "revoked") != 0)
        return 5;
    if (ipc_send_str(d, "after") != VIPER_ERR_BAD_HANDLE)
        return 6;
    if (viper_cap_query(d, NULL, NULL) != VIPER_ERR_BAD_HANDLE)
        return 7;
    if (ipc_send_str(ctl, "done") != VIPER_OK)
        return 8;
    return 0;
}

static void case_revoke_cross(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = 0, b = 0, p = 0, c = 0, d = 0, keep = 0;
    char buf[16];
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    UT_CHECK_EQ(viper_chan_create(&p, &c), VIPER_OK);
    UT_CHECK_EQ(viper_cap_derive(a, VIPER_RIGHT_WRITE | VIPER_RIGHT_TRANSFER, &d), VIPER_OK);
    UT_CHECK_EQ(viper_handle_dup(a, &keep), VIPER_OK);   /* a sibling: survives */
    viper_handle_t hv[2] = { (viper_handle_t)c, (viper_handle_t)d };
    int64_t pid = ipc_spawn_self(PROG, "revoke", hv, 2);
    UT_CHECK(!ipc_valid(c) && !ipc_valid(d));   /* moved to the child */
    UT_CHECK_EQ(ipc_recv_str(p, buf, sizeof buf, ipc_after_ms(5000)), VIPER_OK);
    UT_CHECK_EQ(strcmp(buf, "ready"), 0);
    UT_CHECK_EQ(ipc_recv_str(b, buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_OK);
    UT_CHECK_EQ(strcmp(buf, "from child"), 0);
    UT_CHECK_EQ(viper_cap_revoke(a), VIPER_OK);
    UT_CHECK_EQ(ipc_send_str(p, "revoked"), VIPER_OK);
    UT_CHECK_EQ(ipc_recv_str(p, buf, sizeof buf, ipc_after_ms(5000)), VIPER_OK);
    UT_CHECK_EQ(strcmp(buf, "done"), 0);
    if (pid > 0)
        UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    UT_CHECK(!ipc_readable(b));
    UT_CHECK(ipc_valid(keep));
    uint64_t hs[] = { a, b, p, keep };
    close_all(hs, 4);
    IPC_CHECK_NO_LEAK(&before);
}

#define CHAIN_DEPTH 5000
#define PARK_PAIRS  24     /* 24 channels x 64 messages x 4 handles = 6144 parked caps */

/*
 * A 5000-deep derivation chain.  The table holds 1024 handles, so all but
 * the newest links are parked four to a message in channel queues (caps in
 * flight keep their place in the tree).  Revoking the root invalidates all
 * of them; every parked handle then arrives as VIPER_HANDLE_INVALID.
 */
static void case_long_chain(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = 0, b = 0, park[PARK_PAIRS][2];
    for (int i = 0; i < PARK_PAIRS; i++)
        UT_CHECK_EQ(viper_chan_create(&park[i][0], &park[i][1]), VIPER_OK);
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    uint64_t cur = a;
    viper_handle_t batch[4];
    int nb = 0, pi = 0, depth = 0, parked = 0, sends_failed = 0;
    for (depth = 0; depth < CHAIN_DEPTH; depth++) {
        uint64_t next = 0;
        int64_t rc = viper_cap_derive(cur, ALL, &next);
        if (rc != VIPER_OK) {
            UT_CHECK_EQ(rc, VIPER_OK);
            break;
        }
        if (cur != a)
            batch[nb++] = (viper_handle_t)cur;
        cur = next;
        if (nb == 4) {
            while (pi < PARK_PAIRS &&
                   (rc = ipc_send(park[pi][0], "", 0, batch, 4, VIPER_CHAN_NONBLOCK)) ==
                       VIPER_ERR_WOULD_BLOCK)
                pi++;
            if (rc != VIPER_OK) {
                sends_failed++;
                break;
            }
            parked += 4;
            nb = 0;
        }
    }
    UT_CHECK_EQ(depth, CHAIN_DEPTH);
    UT_CHECK_EQ(sends_failed, 0);
    UT_CHECK(ipc_valid(cur));
    uint64_t t0 = viper_now_ns();
    UT_CHECK_EQ(viper_cap_revoke(a), VIPER_OK);
    uint64_t t1 = viper_now_ns();
    UT_INFO("depth %d (%d parked in messages): revoke took %llu us", depth, parked,
            (unsigned long long)((t1 - t0) / 1000));
    UT_CHECK(!ipc_valid(cur));
    for (int i = 0; i < nb; i++)
        UT_CHECK(!ipc_valid(batch[i]));
    UT_CHECK(ipc_valid(a));
    /* every parked handle arrives revoked */
    int invalid = 0, valid = 0;
    for (int i = 0; i < PARK_PAIRS; i++) {
        viper_handle_t rh[4];
        uint64_t nh = 0;
        while (ipc_recv(park[i][1], NULL, 0, rh, 4, VIPER_DEADLINE_POLL, NULL, &nh) == VIPER_OK)
            for (uint64_t k = 0; k < nh; k++) {
                if (rh[k] == VIPER_HANDLE_INVALID)
                    invalid++;
                else
                    valid++;
            }
    }
    UT_CHECK_EQ(invalid, parked);
    UT_CHECK_EQ(valid, 0);
    /* the root still works, and derives again */
    uint64_t again = 0;
    UT_CHECK_EQ(viper_cap_derive(a, ALL, &again), VIPER_OK);
    UT_CHECK_EQ(ipc_send_str(again, "alive"), VIPER_OK);
    char buf[8];
    UT_CHECK_EQ(ipc_recv_str(b, buf, sizeof buf, VIPER_DEADLINE_POLL), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(again), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(a), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(b), VIPER_OK);
    for (int i = 0; i < PARK_PAIRS; i++) {
        UT_CHECK_EQ(viper_handle_close(park[i][0]), VIPER_OK);
        UT_CHECK_EQ(viper_handle_close(park[i][1]), VIPER_OK);
    }
    IPC_CHECK_NO_LEAK(&before);
}

/* The same chain left entirely in flight: closing the queues frees it (no revoke). */
static void case_long_chain_close(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = 0, b = 0, park[PARK_PAIRS][2];
    for (int i = 0; i < PARK_PAIRS; i++)
        UT_CHECK_EQ(viper_chan_create(&park[i][0], &park[i][1]), VIPER_OK);
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    uint64_t cur = a;
    int pi = 0, depth = 0;
    viper_handle_t one[1];
    for (depth = 0; depth < CHAIN_DEPTH; depth++) {
        uint64_t next = 0;
        if (viper_cap_derive(cur, ALL, &next) != VIPER_OK)
            break;
        if (cur != a) {
            int64_t rc;
            one[0] = (viper_handle_t)cur;
            while (pi < PARK_PAIRS && (rc = ipc_send(park[pi][0], "", 0, one, 1,
                                                     VIPER_CHAN_NONBLOCK)) == VIPER_ERR_WOULD_BLOCK)
                pi++;
            if (pi >= PARK_PAIRS)   /* 24 x 64 single-handle messages: deep enough */
                break;
        }
        cur = next;
    }
    UT_INFO("chain of %d (1536 in flight), closed without revoke", depth);
    UT_CHECK(depth >= 1536);
    for (int i = 0; i < PARK_PAIRS; i++) {
        UT_CHECK_EQ(viper_handle_close(park[i][1]), VIPER_OK);   /* queue (and chain) destroyed */
        UT_CHECK_EQ(viper_handle_close(park[i][0]), VIPER_OK);
    }
    UT_CHECK(ipc_valid(cur));
    UT_CHECK_EQ(viper_cap_revoke(a), VIPER_OK);
    UT_CHECK(!ipc_valid(cur));
    UT_CHECK_EQ(viper_handle_close(a), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(b), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

static uint64_t lim[VIPER_HANDLES_MAX_DEFAULT + 8];

static void case_handle_limit(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = 0, b = 0, q1 = 0, q2 = 0, x = 0, y = 0;
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    UT_CHECK_EQ(viper_chan_create(&q1, &q2), VIPER_OK);
    /* a handle in flight to receive later */
    UT_CHECK_EQ(viper_handle_dup(a, &x), VIPER_OK);
    viper_handle_t hv[1] = { (viper_handle_t)x };
    UT_CHECK_EQ(ipc_send(q1, "h", 1, hv, 1, 0), VIPER_OK);
    /* open now: the startup handles (registry, device root), a, b, q1, q2 */
    int startup = 0;
    while (viper_startup_handle((unsigned)startup) != VIPER_HANDLE_INVALID)
        startup++;
    int n = 0;
    int64_t rc = VIPER_OK;
    while (n < (int)(sizeof lim / sizeof lim[0]) && (rc = viper_handle_dup(a, &lim[n])) == VIPER_OK)
        n++;
    UT_CHECK_EQ(rc, VIPER_ERR_LIMIT);
    UT_CHECK_EQ(n + startup + 4, VIPER_HANDLES_MAX_DEFAULT);
    /* everything that makes a handle says LIMIT, and nothing is left behind */
    struct viper_kstat full = ut_kstat();
    UT_CHECK_EQ(viper_cap_derive(a, ALL, &y), VIPER_ERR_LIMIT);
    UT_CHECK_EQ(viper_chan_create(&x, &y), VIPER_ERR_LIMIT);
    UT_CHECK_EQ(viper_shm_create(4096, &y), VIPER_ERR_LIMIT);
    int64_t pid = 0;
    viper_getpid(&pid, NULL);
    UT_CHECK_EQ(viper_process_open(pid, &y), VIPER_ERR_LIMIT);
    struct viper_kstat after = ut_kstat();
    UT_CHECK_EQ(after.objects, full.objects);
    UT_CHECK_EQ(after.heap_bytes, full.heap_bytes);
    /* a message with a handle does not fit: LIMIT, and it stays queued */
    viper_handle_t rh[4];
    char buf[4];
    uint64_t nh = 0;
    UT_CHECK_EQ(ipc_recv(q2, buf, sizeof buf, rh, 4, VIPER_DEADLINE_POLL, NULL, &nh),
                VIPER_ERR_LIMIT);
    UT_CHECK(ipc_readable(q2));
    /* close one: everything works again */
    UT_CHECK_EQ(viper_handle_close(lim[--n]), VIPER_OK);
    UT_CHECK_EQ(ipc_recv(q2, buf, sizeof buf, rh, 4, VIPER_DEADLINE_POLL, NULL, &nh), VIPER_OK);
    UT_CHECK_EQ(nh, 1);
    UT_CHECK_EQ(ipc_type(rh[0]), VIPER_OBJ_CHANNEL);
    UT_CHECK_EQ(viper_handle_dup(a, &y), VIPER_ERR_LIMIT);
    UT_CHECK_EQ(viper_handle_close(rh[0]), VIPER_OK);
    UT_CHECK_EQ(viper_handle_dup(a, &lim[n++]), VIPER_OK);
    for (int i = 0; i < n; i++)
        UT_CHECK_EQ(viper_handle_close(lim[i]), VIPER_OK);
    /* and the table fills up to the limit again */
    int m = 0;
    while (m < (int)(sizeof lim / sizeof lim[0]) && viper_handle_dup(a, &lim[m]) == VIPER_OK)
        m++;
    UT_CHECK_EQ(m, n);
    for (int i = 0; i < m; i++)
        UT_CHECK_EQ(viper_handle_close(lim[i]), VIPER_OK);
    uint64_t hs[] = { a, b, q1, q2 };
    close_all(hs, 4);
    IPC_CHECK_NO_LEAK(&before);
}

int main(int argc, char **argv, char **envp)
{
    const char *role = ipc_child_role(argc, argv);
    if (role)
        return strcmp(role, "revoke") == 0 ? child_revoke() : 99;
    ut_init(argc, argv, envp);
    reg = viper_startup_handle(0);
    UT_RUN_LEAK(case_query);
    UT_RUN_LEAK(case_derive_masks);
    UT_RUN_LEAK(case_rights_checked);
    UT_RUN_LEAK(case_stale);
    UT_RUN_LEAK(case_revoke_tree);
    UT_RUN_LEAK(case_revoke_cross);
    UT_RUN_LEAK(case_long_chain);
    UT_RUN_LEAK(case_long_chain_close);
    UT_RUN_LEAK(case_handle_limit);
    return ut_done();
}
