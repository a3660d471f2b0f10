/*
 * ipc_hostile.c - a hostile user of the capability and IPC calls: invalid
 * handles, oversize messages, NULL / unmapped / kernel / PROT_NONE /
 * read-only / misaligned / page-straddling pointers in struct viper_msg and
 * for the struct itself, huge lengths and counts, bad flags, bad registry
 * names, handle cycles through channel queues.  Every call must return an
 * error code (printed as INFO), the process lives on, and the counters
 * (kstat objects, heap bytes, free pages) are unchanged afterwards.
 */
#include "ipc_util.h"

#define PROG     "ipc_hostile"
#define KPTR     0xffff000000000000ull
#define UNMAPPED 0x0000007000000000ull
#define PAGE     4096ull

static uint8_t *area;   /* page 0: R+W, page 1: PROT_NONE, page 2: unmapped; page 3: R only */
static uint64_t reg;

#define EXPECT_ERR(call, want) expect_err(#call, (call), (want), __FILE__, __LINE__)

static void expect_err(const char *what, int64_t rc, int64_t want, const char *file, int line)
{
    UT_INFO("%s = %lld", what, (long long)rc);
    if (want != 0 && rc != want)
        ut_fail_eq(file, line, what, rc, want);
    else if (rc >= 0)
        ut_fail_eq(file, line, what, rc, -1);
}

static void setup(void)
{
    uint64_t a = 0;
    UT_CHECK_EQ(viper_mmap(0, 4 * PAGE, VIPER_PROT_READ | VIPER_PROT_WRITE, 0, &a), VIPER_OK);
    area = (uint8_t *)(uintptr_t)a;
    memset(area, 'a', PAGE);
    area[3 * PAGE] = 0;
    UT_CHECK_EQ(viper_mprotect(a + PAGE, PAGE, VIPER_PROT_NONE), VIPER_OK);
    UT_CHECK_EQ(viper_munmap(a + 2 * PAGE, PAGE), VIPER_OK);
    UT_CHECK_EQ(viper_mprotect(a + 3 * PAGE, PAGE, VIPER_PROT_READ), VIPER_OK);
}

/* A struct viper_msg placed so that it ends exactly where page 0 ends. */
static struct viper_msg *msg_at_end(void)
{
    return (struct viper_msg *)(uintptr_t)(area + PAGE - sizeof(struct viper_msg));
}

static void case_send_pointers(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = 0, b = 0, s = 0;
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    UT_CHECK_EQ(viper_shm_create(PAGE, &s), VIPER_OK);
    viper_handle_t hv[1] = { (viper_handle_t)s };
    struct viper_msg m;
    /* the struct itself */
    EXPECT_ERR(viper_chan_send(a, NULL, 0), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_chan_send(a, (struct viper_msg *)KPTR, 0), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_chan_send(a, (struct viper_msg *)UNMAPPED, 0), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_chan_send(a, (struct viper_msg *)(area + PAGE), 0), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_chan_send(a, (struct viper_msg *)(area + PAGE - 8), 0), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_chan_send(a, (struct viper_msg *)~7ull, 0), VIPER_ERR_FAULT);
    /* the bytes */
    m = ipc_msg(NULL, 10, NULL, 0);
    EXPECT_ERR(viper_chan_send(a, &m, 0), VIPER_ERR_FAULT);
    m = ipc_msg((void *)KPTR, 10, NULL, 0);
    EXPECT_ERR(viper_chan_send(a, &m, 0), VIPER_ERR_FAULT);
    m = ipc_msg((void *)UNMAPPED, 10, NULL, 0);
    EXPECT_ERR(viper_chan_send(a, &m, 0), VIPER_ERR_FAULT);
    m = ipc_msg(area + PAGE - 4, 10, hv, 1);            /* runs into PROT_NONE */
    EXPECT_ERR(viper_chan_send(a, &m, 0), VIPER_ERR_FAULT);
    m = ipc_msg(area + PAGE, 1, NULL, 0);
    EXPECT_ERR(viper_chan_send(a, &m, 0), VIPER_ERR_FAULT);
    m = ipc_msg((void *)(KPTR - 4), 256, NULL, 0);      /* wraps past the end of user space */
    EXPECT_ERR(viper_chan_send(a, &m, 0), VIPER_ERR_FAULT);
    m = ipc_msg((void *)~0ull, 256, NULL, 0);           /* address + len overflows */
    EXPECT_ERR(viper_chan_send(a, &m, 0), VIPER_ERR_FAULT);
    m = ipc_msg(area, 0xffffffffu, NULL, 0);
    EXPECT_ERR(viper_chan_send(a, &m, 0), VIPER_ERR_INVALID);
    m = ipc_msg(area, 257, NULL, 0);
    EXPECT_ERR(viper_chan_send(a, &m, 0), VIPER_ERR_INVALID);
    /* the handle array */
    m = ipc_msg(area, 4, NULL, 2);
    EXPECT_ERR(viper_chan_send(a, &m, 0), VIPER_ERR_FAULT);
    m = ipc_msg(area, 4, (void *)KPTR, 1);
    EXPECT_ERR(viper_chan_send(a, &m, 0), VIPER_ERR_FAULT);
    m = ipc_msg(area, 4, (void *)(area + PAGE - 4), 2); /* second entry in PROT_NONE */
    EXPECT_ERR(viper_chan_send(a, &m, 0), VIPER_ERR_FAULT);
    m = ipc_msg(area, 4, hv, 0xffffffffu);
    EXPECT_ERR(viper_chan_send(a, &m, 0), VIPER_ERR_INVALID);
    m = ipc_msg(area, 4, hv, 5);
    EXPECT_ERR(viper_chan_send(a, &m, 0), VIPER_ERR_INVALID);
    /* flags */
    m = ipc_msg(area, 4, NULL, 0);
    EXPECT_ERR(viper_chan_send(a, &m, 2), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_chan_send(a, &m, ~0ull), VIPER_ERR_INVALID);
    /* bad handles to send on */
    EXPECT_ERR(viper_chan_send(0, &m, 0), VIPER_ERR_BAD_HANDLE);
    EXPECT_ERR(viper_chan_send(0xffffffffull, &m, 0), VIPER_ERR_BAD_HANDLE);
    EXPECT_ERR(viper_chan_send(s, &m, 0), VIPER_ERR_BAD_HANDLE);
    EXPECT_ERR(viper_chan_send(reg, &m, 0), VIPER_ERR_BAD_HANDLE);
    /* handles in the message that are forged */
    static viper_handle_t forged[4] = { 0, 0xffffffffu, 0x12340001u, 0xffff };
    for (int i = 0; i < 4; i++) {
        m = ipc_msg(area, 4, &forged[i], 1);
        EXPECT_ERR(viper_chan_send(a, &m, 0), VIPER_ERR_BAD_HANDLE);
    }
    /* none of it moved the handle or queued anything */
    UT_CHECK(ipc_valid(s));
    UT_CHECK(!ipc_readable(b));
    /* legal but unusual: a misaligned descriptor, misaligned data and handle array,
     * a descriptor ending exactly at a page boundary, NULL bytes with length 0 */
    uint8_t *odd = area + 1001;
    struct viper_msg good = ipc_msg(area + 3, 5, NULL, 0);
    memcpy(odd, &good, sizeof good);
    int64_t rc = viper_chan_send(a, (struct viper_msg *)(uintptr_t)odd, 0);
    UT_INFO("send with a misaligned descriptor = %lld", (long long)rc);
    UT_CHECK(rc == VIPER_OK || rc == VIPER_ERR_FAULT || rc == VIPER_ERR_INVALID);
    memcpy(area + 2001, hv, sizeof hv);
    *msg_at_end() = ipc_msg(area + 7, 3, (void *)(area + 2001), 1);
    UT_CHECK_EQ(viper_chan_send(a, msg_at_end(), 0), VIPER_OK);
    UT_CHECK(!ipc_valid(s));
    m = ipc_msg(NULL, 0, NULL, 0);
    rc = viper_chan_send(a, &m, 0);
    UT_INFO("send of NULL, 0 bytes = %lld", (long long)rc);
    UT_CHECK(rc == VIPER_OK || rc == VIPER_ERR_FAULT);
    /* drain; the received shm handle closes with b's queue otherwise */
    viper_handle_t rh[4];
    uint8_t buf[16];
    uint64_t nh = 0;
    while (ipc_recv(b, buf, sizeof buf, rh, 4, VIPER_DEADLINE_POLL, NULL, &nh) == VIPER_OK)
        for (uint64_t i = 0; i < nh; i++)
            UT_CHECK_EQ(viper_handle_close(rh[i]), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(a), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(b), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

static void case_recv_pointers(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = 0, b = 0, s = 0, len = 0, nh = 0;
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    UT_CHECK_EQ(viper_shm_create(PAGE, &s), VIPER_OK);
    viper_handle_t hv[1] = { (viper_handle_t)s }, rh[4];
    uint8_t data[32] = "hostile recv";
    UT_CHECK_EQ(ipc_send(a, data, 12, hv, 1, 0), VIPER_OK);
    struct viper_msg m;
    /* every failure leaves the message queued, and its handle in no table */
    EXPECT_ERR(viper_chan_recv(b, NULL, VIPER_DEADLINE_POLL, &len, &nh), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_chan_recv(b, (struct viper_msg *)KPTR, VIPER_DEADLINE_POLL, &len, &nh),
               VIPER_ERR_FAULT);
    EXPECT_ERR(viper_chan_recv(b, (struct viper_msg *)(area + PAGE - 8), VIPER_DEADLINE_POLL,
                               &len, &nh), VIPER_ERR_FAULT);
    m = ipc_msg(NULL, 32, rh, 4);
    EXPECT_ERR(viper_chan_recv(b, &m, VIPER_DEADLINE_POLL, &len, &nh), VIPER_ERR_FAULT);
    m = ipc_msg((void *)KPTR, 32, rh, 4);
    EXPECT_ERR(viper_chan_recv(b, &m, VIPER_DEADLINE_POLL, &len, &nh), VIPER_ERR_FAULT);
    m = ipc_msg(area + 3 * PAGE, 32, rh, 4);              /* read-only */
    EXPECT_ERR(viper_chan_recv(b, &m, VIPER_DEADLINE_POLL, &len, &nh), VIPER_ERR_FAULT);
    m = ipc_msg(area + PAGE - 4, 32, rh, 4);              /* straddles into PROT_NONE */
    EXPECT_ERR(viper_chan_recv(b, &m, VIPER_DEADLINE_POLL, &len, &nh), VIPER_ERR_FAULT);
    m = ipc_msg(area, 32, NULL, 4);
    EXPECT_ERR(viper_chan_recv(b, &m, VIPER_DEADLINE_POLL, &len, &nh), VIPER_ERR_FAULT);
    m = ipc_msg(area, 32, (void *)UNMAPPED, 4);
    EXPECT_ERR(viper_chan_recv(b, &m, VIPER_DEADLINE_POLL, &len, &nh), VIPER_ERR_FAULT);
    m = ipc_msg(area, 32, (void *)(area + 3 * PAGE), 4);  /* read-only handle array */
    EXPECT_ERR(viper_chan_recv(b, &m, VIPER_DEADLINE_POLL, &len, &nh), VIPER_ERR_FAULT);
    m = ipc_msg(area, 32, (void *)(area + 2 * PAGE - 2), 4);
    EXPECT_ERR(viper_chan_recv(b, &m, VIPER_DEADLINE_POLL, &len, &nh), VIPER_ERR_FAULT);
    /* bad handles, a handle of the wrong type */
    m = ipc_msg(area, 32, rh, 4);
    EXPECT_ERR(viper_chan_recv(0, &m, VIPER_DEADLINE_POLL, &len, &nh), VIPER_ERR_BAD_HANDLE);
    EXPECT_ERR(viper_chan_recv(s, &m, VIPER_DEADLINE_POLL, &len, &nh), VIPER_ERR_BAD_HANDLE);
    EXPECT_ERR(viper_chan_recv(0xdead0001ull, &m, VIPER_DEADLINE_INFINITE, &len, &nh),
               VIPER_ERR_BAD_HANDLE);
    /* then the message comes out whole */
    memset(area, 0, 64);
    UT_CHECK_EQ(viper_chan_recv(b, &m, VIPER_DEADLINE_POLL, &len, &nh), VIPER_OK);
    UT_CHECK_EQ(len, 12);
    UT_CHECK_EQ(nh, 1);
    UT_CHECK(memcmp(area, "hostile recv", 12) == 0);
    UT_CHECK_EQ(ipc_type(rh[0]), VIPER_OBJ_SHM);
    UT_CHECK_EQ(viper_handle_close(rh[0]), VIPER_OK);
    /* chan_call with a bad reply descriptor: the request went, the call reports a fault */
    struct viper_msg req = ipc_msg("r", 1, NULL, 0);
    EXPECT_ERR(viper_chan_call(a, NULL, &m, VIPER_DEADLINE_POLL, 0, &len, &nh), VIPER_ERR_FAULT);
    UT_CHECK_EQ(ipc_send_str(b, "reply"), VIPER_OK);
    EXPECT_ERR(viper_chan_call(a, &req, (struct viper_msg *)KPTR, VIPER_DEADLINE_POLL, 0, &len, &nh),
               VIPER_ERR_FAULT);
    UT_CHECK_EQ(viper_handle_close(a), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(b), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

static void case_other_calls(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = 0, b = 0, s = 0, x = 0, addr = 0;
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    UT_CHECK_EQ(viper_shm_create(PAGE, &s), VIPER_OK);
    /* handle calls */
    EXPECT_ERR(viper_handle_close(0), VIPER_ERR_BAD_HANDLE);
    EXPECT_ERR(viper_handle_close(~0ull), VIPER_ERR_BAD_HANDLE);
    EXPECT_ERR(viper_handle_dup(0x7fff0001ull, &x), VIPER_ERR_BAD_HANDLE);
    EXPECT_ERR(viper_cap_derive(0, VIPER_RIGHT_READ, &x), VIPER_ERR_BAD_HANDLE);
    EXPECT_ERR(viper_cap_derive(a, 1ull << 40, &x), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_cap_revoke(0), VIPER_ERR_BAD_HANDLE);
    EXPECT_ERR(viper_cap_query(0x10001ull, NULL, NULL), VIPER_ERR_BAD_HANDLE);
    /* shm */
    EXPECT_ERR(viper_shm_create(0, &x), VIPER_ERR_INVALID);
    int64_t rc = viper_shm_create(~0ull, &x);
    expect_err("viper_shm_create(~0)", rc, rc == VIPER_ERR_LIMIT ? VIPER_ERR_LIMIT : VIPER_ERR_INVALID,
               __FILE__, __LINE__);
    rc = viper_shm_create(1ull << 40, &x);
    expect_err("viper_shm_create(1 TiB)", rc, rc == VIPER_ERR_LIMIT ? VIPER_ERR_LIMIT : VIPER_ERR_INVALID,
               __FILE__, __LINE__);
    EXPECT_ERR(viper_shm_map(s, 0, 0, &addr), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_shm_map(s, 0, 8, &addr), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_shm_map(s, 0, ~0ull, &addr), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_shm_map(a, 0, VIPER_PROT_READ, &addr), VIPER_ERR_BAD_HANDLE);
    EXPECT_ERR(viper_shm_map(0, 0, VIPER_PROT_READ, &addr), VIPER_ERR_BAD_HANDLE);
    /* a kernel or unaligned hint is only a hint: an error, or a page in user space */
    area[0] = 0x5a;
    const uint64_t hints[] = { KPTR, 0x1234567ull, ~0ull, UNMAPPED + 5,
                                      (uint64_t)(uintptr_t)area };
    for (unsigned i = 0; i < sizeof hints / sizeof hints[0]; i++) {
        addr = 0;
        rc = viper_shm_map(s, hints[i], VIPER_PROT_READ | VIPER_PROT_WRITE, &addr);
        UT_INFO("shm_map(hint %#llx) = %lld at %#llx", (unsigned long long)hints[i],
                (long long)rc, (unsigned long long)addr);
        if (rc == VIPER_OK) {
            UT_CHECK(addr >= VIPER_USER_MIN && addr + PAGE <= VIPER_USER_MAX && !(addr & 4095));
            UT_CHECK(addr != (uint64_t)(uintptr_t)area);   /* never over an existing mapping */
            *(volatile uint8_t *)(uintptr_t)addr = 1;
            UT_CHECK_EQ(viper_munmap(addr, PAGE), VIPER_OK);
        }
    }
    UT_CHECK_EQ(area[0], 0x5a);
    /* registry */
    char long_name[40];
    memset(long_name, 'N', sizeof long_name - 1);
    long_name[39] = '\0';
    EXPECT_ERR(viper_registry_register(reg, NULL, b), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_registry_register(reg, (const char *)KPTR, b), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_registry_register(reg, "", b), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_registry_register(reg, long_name, b), VIPER_ERR_INVALID);
    memset(area + PAGE - 4, 'Q', 4);                         /* runs into PROT_NONE */
    EXPECT_ERR(viper_registry_register(reg, (const char *)(area + PAGE - 4), b), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_registry_register(reg, "HOSTILE:", 0), VIPER_ERR_BAD_HANDLE);
    EXPECT_ERR(viper_registry_register(reg, "HOSTILE:", s), VIPER_ERR_BAD_HANDLE);
    EXPECT_ERR(viper_registry_register(0, "HOSTILE:", b), VIPER_ERR_BAD_HANDLE);
    EXPECT_ERR(viper_registry_register(a, "HOSTILE:", b), VIPER_ERR_BAD_HANDLE);
    UT_CHECK(ipc_valid(b));
    EXPECT_ERR(viper_registry_open(reg, NULL, &x), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_registry_open(reg, (const char *)UNMAPPED, &x), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_registry_open(reg, long_name, &x), 0);
    EXPECT_ERR(viper_registry_open(reg, "", &x), 0);
    EXPECT_ERR(viper_registry_open(reg, "NO-SUCH:", &x), VIPER_ERR_NOT_FOUND);
    EXPECT_ERR(viper_registry_open(s, "NO-SUCH:", &x), VIPER_ERR_BAD_HANDLE);
    /* process_open */
    EXPECT_ERR(viper_process_open(-5, &x), 0);
    EXPECT_ERR(viper_process_open(1ll << 40, &x), VIPER_ERR_NOT_FOUND);
    /* spawn with bad handle arrays */
    const char *const argv[] = { PROG, "--child", "nothing", NULL };
    int64_t pid = 0;
    uint32_t hs[9] = { (uint32_t)s, (uint32_t)s };
    EXPECT_ERR(viper_spawn("/tests/" PROG, argv, NULL, NULL, 1, &pid), VIPER_ERR_FAULT);
    EXPECT_ERR(viper_spawn("/tests/" PROG, argv, NULL, (const uint32_t *)KPTR, 1, &pid),
               VIPER_ERR_FAULT);
    EXPECT_ERR(viper_spawn("/tests/" PROG, argv, NULL, hs, 9, &pid), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_spawn("/tests/" PROG, argv, NULL, hs, ~0ull, &pid), VIPER_ERR_INVALID);
    EXPECT_ERR(viper_spawn("/tests/" PROG, argv, NULL, hs, 2, &pid), VIPER_ERR_INVALID);
    hs[1] = 0xdead0001u;
    EXPECT_ERR(viper_spawn("/tests/" PROG, argv, NULL, hs, 2, &pid), VIPER_ERR_BAD_HANDLE);
    /* a spawn that fails later (no such file) gives the handles back */
    EXPECT_ERR(viper_spawn("/tests/no-such-program", argv, NULL, hs, 1, &pid),
               VIPER_ERR_NOT_FOUND);
    UT_CHECK(ipc_valid(s));
    UT_CHECK_EQ(viper_handle_close(a), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(b), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(s), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

/*
 * An endpoint sent into its own queue: the message holds the last reference
 * to the endpoint whose queue holds the message.  Once the other end is
 * closed nobody can ever receive it; the kernel must refuse the send or
 * still free both ends.
 */
static void case_cycle_self(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = 0, b = 0;
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    viper_handle_t hv[1] = { (viper_handle_t)b };
    int64_t rc = ipc_send(a, "b into its own queue", 20, hv, 1, 0);
    UT_INFO("sending an end into its own queue = %lld", (long long)rc);
    if (rc != VIPER_OK)
        UT_CHECK_EQ(viper_handle_close(b), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(a), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

/* A flood of failing calls in a loop: still nothing leaks. */
static void case_flood(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t a = 0, b = 0, s = 0, len = 0, nh = 0;
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    UT_CHECK_EQ(viper_shm_create(PAGE, &s), VIPER_OK);
    viper_handle_t hv[4] = { (viper_handle_t)s, 0, 0, 0 }, rh[4];
    int errors = 0;
    for (int i = 0; i < 2000; i++) {
        struct viper_msg m = ipc_msg(area, (uint32_t)(i % 300), hv, (uint32_t)(i % 6));
        hv[1] = (viper_handle_t)(i * 2654435761u) | 0x8000u;   /* an index never in use */
        if (viper_chan_send(a, &m, VIPER_CHAN_NONBLOCK) < 0)
            errors++;
        else
            while (ipc_recv(b, area + 512, 256, rh, 4, VIPER_DEADLINE_POLL, &len, &nh) == VIPER_OK)
                if (nh >= 1)
                    hv[0] = rh[0];   /* the shm handle came back under a new value */
    }
    UT_INFO("2000 sends of random shapes: %d refused", errors);
    UT_CHECK(errors > 0);
    UT_CHECK(ipc_valid(hv[0]));
    UT_CHECK_EQ(viper_handle_close(hv[0]), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(a), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(b), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

int main(int argc, char **argv, char **envp)
{
    if (ipc_child_role(argc, argv))
        return 0;
    ut_init(argc, argv, envp);
    reg = viper_startup_handle(0);
    setup();
    UT_RUN_LEAK(case_send_pointers);
    UT_RUN_LEAK(case_recv_pointers);
    UT_RUN_LEAK(case_other_calls);
    UT_RUN_LEAK(case_flood);
    UT_RUN_LEAK(case_cycle_self);
    return ut_done();
}
