/*
 * shm.c - shared memory: create and map read-write (zeroed, aliased by a
 * second mapping), fork shares it (unlike copy-on-write memory), a handle
 * passed over a channel to a spawned process that maps it and writes, a
 * read-only derived handle maps only PROT_READ (and cannot be made writable
 * with mprotect), the object outlives munmap while a handle exists and a
 * mapping outlives the handle, sizes 0 / huge are refused, the memory limit
 * applies.  docs/ipc.md.
 */
#include "ipc_util.h"

#define PROG "shm"
#define PAGE 4096ull
#define RW   (VIPER_PROT_READ | VIPER_PROT_WRITE)

static void case_map_rw(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t s = 0, a1 = 0, a2 = 0;
    UT_CHECK_EQ(viper_shm_create(3 * PAGE - 100, &s), VIPER_OK);   /* rounds up to 3 pages */
    UT_CHECK_EQ(viper_shm_map(s, 0, RW, &a1), VIPER_OK);
    UT_CHECK(a1 != 0 && (a1 & (PAGE - 1)) == 0);
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)a1;
    int nonzero = 0;
    for (uint64_t i = 0; i < 3 * PAGE; i++)
        nonzero += p[i] != 0;
    UT_CHECK_EQ(nonzero, 0);
    for (uint64_t i = 0; i < 3 * PAGE; i++)
        p[i] = (uint8_t)(i * 13);
    /* a second mapping of the same object sees the same bytes */
    UT_CHECK_EQ(viper_shm_map(s, 0, VIPER_PROT_READ, &a2), VIPER_OK);
    UT_CHECK(a2 != a1);
    volatile uint8_t *q = (volatile uint8_t *)(uintptr_t)a2;
    int diff = 0;
    for (uint64_t i = 0; i < 3 * PAGE; i++)
        diff += q[i] != (uint8_t)(i * 13);
    UT_CHECK_EQ(diff, 0);
    p[5000] = 0x77;
    UT_CHECK_EQ(q[5000], 0x77);
    /* a free page-aligned hint is honoured */
    uint64_t hint = 0x0000005000000000ull, a3 = 0;
    UT_CHECK_EQ(viper_shm_map(s, hint, RW, &a3), VIPER_OK);
    UT_CHECK_EQ(a3, hint);
    UT_CHECK_EQ(((volatile uint8_t *)(uintptr_t)a3)[5000], 0x77);
    UT_CHECK_EQ(viper_munmap(a1, 3 * PAGE), VIPER_OK);
    UT_CHECK_EQ(viper_munmap(a2, 3 * PAGE), VIPER_OK);
    UT_CHECK_EQ(viper_munmap(a3, 3 * PAGE), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(s), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

static volatile uint8_t *fork_shm;
static volatile uint64_t cow_word;

static int64_t child_fork_write(int64_t arg)
{
    (void)arg;
    if (fork_shm[0] != 0xaa || cow_word != 1)
        return 1;
    for (int i = 0; i < 8192; i++)
        fork_shm[i] = (uint8_t)(i ^ 0x5c);
    cow_word = 2;
    return 0;
}

static void case_fork_shared(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t s = 0, a = 0;
    UT_CHECK_EQ(viper_shm_create(2 * PAGE, &s), VIPER_OK);
    UT_CHECK_EQ(viper_shm_map(s, 0, RW, &a), VIPER_OK);
    fork_shm = (volatile uint8_t *)(uintptr_t)a;
    fork_shm[0] = 0xaa;
    cow_word = 1;
    int64_t pid = ut_fork(child_fork_write, 0);
    if (pid > 0)
        UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    int diff = 0;
    for (int i = 0; i < 8192; i++)
        diff += fork_shm[i] != (uint8_t)(i ^ 0x5c);
    UT_CHECK_EQ(diff, 0);       /* shared: the child's writes are ours */
    UT_CHECK_EQ(cow_word, 1);   /* private: copy-on-write */
    UT_CHECK_EQ(viper_munmap(a, 2 * PAGE), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(s), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

/* Helper: receive an shm handle on startup handle 0, map it, check "hello", write "world". */
static int child_mapper(void)
{
    uint64_t ch = viper_startup_handle(0), addr = 0, nh = 0;
    viper_handle_t rh[4];
    char buf[16];
    if (ipc_recv(ch, buf, sizeof buf, rh, 4, VIPER_DEADLINE_INFINITE, NULL, &nh) != VIPER_OK)
        return 1;
    if (nh != 1 || ipc_type(rh[0]) != VIPER_OBJ_SHM)
        return 2;
    if (viper_shm_map(rh[0], 0, RW, &addr) != VIPER_OK)
        return 3;
    char *p = (char *)(uintptr_t)addr;
    if (strcmp(p, "hello") != 0)
        return 4;
    memcpy(p, "world", 6);
    p[PAGE * 3] = 'z';   /* the last page too */
    if (ipc_send_str(ch, "done") != VIPER_OK)
        return 5;
    return 0;   /* exits with the mapping and the handle: both go */
}

static void case_spawn_transfer(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t s = 0, a = 0, b = 0, addr = 0;
    char buf[16];
    UT_CHECK_EQ(viper_shm_create(4 * PAGE, &s), VIPER_OK);
    UT_CHECK_EQ(viper_shm_map(s, 0, RW, &addr), VIPER_OK);
    char *p = (char *)(uintptr_t)addr;
    memcpy(p, "hello", 6);
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    viper_handle_t hv[1] = { (viper_handle_t)b };
    int64_t pid = ipc_spawn_self(PROG, "mapper", hv, 1);
    uint64_t s2 = 0;
    UT_CHECK_EQ(viper_handle_dup(s, &s2), VIPER_OK);
    hv[0] = (viper_handle_t)s2;
    UT_CHECK_EQ(ipc_send(a, "shm", 3, hv, 1, 0), VIPER_OK);
    UT_CHECK_EQ(ipc_recv_str(a, buf, sizeof buf, ipc_after_ms(5000)), VIPER_OK);
    UT_CHECK_EQ(strcmp(buf, "done"), 0);
    UT_CHECK_EQ(strcmp(p, "world"), 0);
    UT_CHECK_EQ(p[PAGE * 3], 'z');
    if (pid > 0)
        UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    UT_CHECK_EQ(viper_munmap(addr, 4 * PAGE), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(s), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(a), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

static volatile uint8_t *ro_map;

static int64_t child_write_ro(int64_t arg)
{
    (void)arg;
    ut_expect_fault("write to a read-only shm mapping");
    ro_map[10] = 1;
    return 0;   /* not reached */
}

static void case_read_only(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t s = 0, ro = 0, rw_addr = 0, addr = 0;
    UT_CHECK_EQ(viper_shm_create(PAGE, &s), VIPER_OK);
    UT_CHECK_EQ(viper_shm_map(s, 0, RW, &rw_addr), VIPER_OK);
    ((volatile uint8_t *)(uintptr_t)rw_addr)[10] = 0x42;
    UT_CHECK_EQ(viper_cap_derive(s, VIPER_RIGHT_READ | VIPER_RIGHT_TRANSFER, &ro), VIPER_OK);
    UT_CHECK_EQ(viper_shm_map(ro, 0, RW, &addr), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(viper_shm_map(ro, 0, VIPER_PROT_WRITE, &addr), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(viper_shm_map(ro, 0, VIPER_PROT_READ, &addr), VIPER_OK);
    ro_map = (volatile uint8_t *)(uintptr_t)addr;
    UT_CHECK_EQ(ro_map[10], 0x42);
    /* writing through the read-only mapping kills the writer */
    int64_t pid = ut_fork(child_write_ro, 0);
    if (pid > 0)
        UT_CHECK_EXIT(pid, VIPER_EXIT_FAULT, 0x24);
    UT_CHECK_EQ(ro_map[10], 0x42);
    /* mprotect cannot add the WRITE the handle did not grant */
    int64_t rc = viper_mprotect(addr, PAGE, RW);
    UT_INFO("mprotect(READ|WRITE) of a mapping made with a READ-only handle = %lld",
            (long long)rc);
    UT_CHECK(rc != VIPER_OK);
    if (rc == VIPER_OK) {
        pid = ut_fork(child_write_ro, 0);   /* does the write now reach the object? */
        int64_t got = -1, reason = -1, code = -1;
        viper_wait(pid, 0, &got, &reason, &code);
        UT_INFO("after that mprotect a write through it: reason %lld, shm byte now %d",
                (long long)reason, ((volatile uint8_t *)(uintptr_t)rw_addr)[10]);
    }
    UT_CHECK_EQ(viper_munmap(addr, PAGE), VIPER_OK);
    UT_CHECK_EQ(viper_munmap(rw_addr, PAGE), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(ro), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(s), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

static void case_lifetime(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t s = 0, addr = 0;
    UT_CHECK_EQ(viper_shm_create(16 * PAGE, &s), VIPER_OK);
    struct viper_kstat made = ut_kstat();
    UT_CHECK(made.free_pages + 16 <= before.free_pages);   /* allocated up front */
    UT_CHECK_EQ(made.objects, before.objects + 1);
    UT_CHECK_EQ(viper_shm_map(s, 0, RW, &addr), VIPER_OK);
    volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)addr;
    for (int i = 0; i < 16; i++)
        p[i * 1024] = 0xc0de0000u + (uint32_t)i;
    /* munmap: the object lives on while the handle does */
    UT_CHECK_EQ(viper_munmap(addr, 16 * PAGE), VIPER_OK);
    UT_CHECK_EQ(ut_kstat().objects, before.objects + 1);
    UT_CHECK_EQ(viper_shm_map(s, 0, VIPER_PROT_READ, &addr), VIPER_OK);
    p = (volatile uint32_t *)(uintptr_t)addr;
    int bad = 0;
    for (int i = 0; i < 16; i++)
        bad += p[i * 1024] != 0xc0de0000u + (uint32_t)i;
    UT_CHECK_EQ(bad, 0);
    /* close the handle: the mapping keeps the object */
    UT_CHECK_EQ(viper_handle_close(s), VIPER_OK);
    UT_CHECK_EQ(ut_kstat().objects, before.objects + 1);
    bad = 0;
    for (int i = 0; i < 16; i++)
        bad += p[i * 1024] != 0xc0de0000u + (uint32_t)i;
    UT_CHECK_EQ(bad, 0);
    /* unmapping half keeps it; the rest goes with the last page */
    UT_CHECK_EQ(viper_munmap(addr, 8 * PAGE), VIPER_OK);
    UT_CHECK_EQ(p[12 * 1024], 0xc0de000cu);
    UT_CHECK_EQ(viper_munmap(addr + 8 * PAGE, 8 * PAGE), VIPER_OK);
    IPC_CHECK_NO_LEAK(&before);
}

static int64_t child_limit(int64_t arg)
{
    uint64_t s1 = 0, s2 = 0;
    (void)arg;
    if (viper_set_limit(VIPER_LIMIT_MEMORY, 4ull << 20) != VIPER_OK)
        return 1;
    int64_t rc = viper_shm_create(8ull << 20, &s1);   /* over the limit on its own */
    if (rc != VIPER_ERR_LIMIT && rc != VIPER_ERR_NO_MEMORY)
        return 2;
    if (viper_shm_create(2ull << 20, &s1) != VIPER_OK)
        return 3;
    rc = viper_shm_create(3ull << 20, &s2);             /* 2 + 3 MiB: over 4 MiB together */
    if (rc != VIPER_ERR_LIMIT && rc != VIPER_ERR_NO_MEMORY)
        return 4;
    return 0;
}

static void case_sizes(void)
{
    struct viper_kstat before = ut_kstat();
    uint64_t s = 0, addr = 0;
    UT_CHECK_EQ(viper_shm_create(0, &s), VIPER_ERR_INVALID);
    int64_t rc = viper_shm_create((64ull << 20) + 1, &s);
    UT_CHECK(rc == VIPER_ERR_INVALID || rc == VIPER_ERR_LIMIT);
    rc = viper_shm_create(1ull << 40, &s);
    UT_CHECK(rc == VIPER_ERR_INVALID || rc == VIPER_ERR_LIMIT);
    rc = viper_shm_create(~0ull, &s);
    UT_CHECK(rc == VIPER_ERR_INVALID || rc == VIPER_ERR_LIMIT);
    rc = viper_shm_create(~0ull - 4000, &s);   /* rounding up would wrap */
    UT_CHECK(rc == VIPER_ERR_INVALID || rc == VIPER_ERR_LIMIT);
    UT_CHECK_EQ(ut_kstat().objects, before.objects);
    /* one byte is one page */
    UT_CHECK_EQ(viper_shm_create(1, &s), VIPER_OK);
    UT_CHECK_EQ(viper_shm_map(s, 0, RW, &addr), VIPER_OK);
    ((volatile uint8_t *)(uintptr_t)addr)[PAGE - 1] = 9;
    UT_CHECK_EQ(viper_munmap(addr, PAGE), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(s), VIPER_OK);
    /* the creator's memory limit */
    int64_t pid = ut_fork(child_limit, 0);
    if (pid > 0)
        UT_CHECK_EXIT(pid, VIPER_EXIT_NORMAL, 0);
    IPC_CHECK_NO_LEAK(&before);
}

int main(int argc, char **argv, char **envp)
{
    const char *role = ipc_child_role(argc, argv);
    if (role)
        return strcmp(role, "mapper") == 0 ? child_mapper() : 99;
    ut_init(argc, argv, envp);
    UT_RUN_LEAK(case_map_rw);
    UT_RUN_LEAK(case_fork_shared);
    UT_RUN_LEAK(case_spawn_transfer);
    UT_RUN_LEAK(case_read_only);
    UT_RUN_LEAK(case_lifetime);
    UT_RUN_LEAK(case_sizes);
    return ut_done();
}
