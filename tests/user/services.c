/*
 * services.c - the system-service calls, run as init: getrandom (seeded
 * from the DTB's rng-seed: output differs call to call, bad arguments are
 * refused), entropy_add (only the virtio-rng device may feed the pool),
 * proc_list, clock_wall (printed for the grader to compare with the host's
 * clock), power (argument and right checks; the real power-off is the
 * shell's test), and init's boot-filesystem handle (a read-only copy of
 * the initrd).  docs/random.md, docs/syscalls.md.
 */
#include "ipc_util.h"

#define VIRTIO_ID_ENTROPY 4u
#define CPIO_NEWC_MAGIC "070701"

static uint64_t reg, root, bootfs;

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static void case_getrandom(void)
{
    static uint8_t a[VIPER_RANDOM_MAX], b[VIPER_RANDOM_MAX];
    UT_CHECK_EQ(viper_getrandom(a, sizeof a, 0), VIPER_OK);
    UT_CHECK_EQ(viper_getrandom(b, sizeof b, VIPER_RANDOM_NONBLOCK), VIPER_OK);
    UT_CHECK(memcmp(a, b, sizeof a) != 0);
    UT_CHECK(!all_zero(a, 64) && !all_zero(a + sizeof a - 64, 64));
    /* Roughly balanced bits: 32768 bits, expect 16384 +- a few hundred. */
    uint64_t ones = 0;
    for (size_t i = 0; i < sizeof a; i++)
        ones += (uint64_t)__builtin_popcount(a[i]);
    UT_CHECK(ones > 15800 && ones < 16968);
    uint8_t small[7] = { 0 };
    UT_CHECK_EQ(viper_getrandom(small, sizeof small, 0), VIPER_OK);
    UT_CHECK_EQ(viper_getrandom(a, 0, 0), VIPER_OK);
    UT_CHECK_EQ(viper_getrandom(a, VIPER_RANDOM_MAX + 1, 0), VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_getrandom(a, 16, 0x80), VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_getrandom(NULL, 16, 0), VIPER_ERR_FAULT);
    UT_CHECK_EQ(viper_getrandom((void *)0xffff000000001000ull, 16, 0), VIPER_ERR_FAULT);
}

/* The index of the first virtio device with id, or -1. */
static int64_t find_virtio(uint32_t id)
{
    for (uint64_t i = 0;; i++) {
        uint64_t base, size, did;
        if (viper_dev_info(root, i, &base, &size, &did) != VIPER_OK)
            return -1;
        if ((did >> 32) == VIPER_DEV_VIRTIO_MMIO && (uint32_t)did == id)
            return (int64_t)i;
    }
}

static void case_entropy_add(void)
{
    uint8_t buf[64];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 37);
    UT_CHECK_EQ(viper_entropy_add(root, buf, sizeof buf), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_entropy_add(reg, buf, sizeof buf), VIPER_ERR_BAD_HANDLE);
    int64_t rng = find_virtio(VIRTIO_ID_ENTROPY);
    int64_t other = find_virtio(0);   /* an empty slot: a device, but not an entropy source */
    UT_CHECK(rng >= 0 && other >= 0);
    if (rng < 0 || other < 0)
        return;
    uint64_t dev = 0, odev = 0;
    UT_CHECK_EQ(viper_dev_open(root, (uint64_t)other, &odev), VIPER_OK);
    UT_CHECK_EQ(viper_entropy_add(odev, buf, sizeof buf), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(viper_dev_open(root, (uint64_t)rng, &dev), VIPER_OK);
    uint64_t ro = 0;
    UT_CHECK_EQ(viper_cap_derive(dev, VIPER_RIGHT_READ, &ro), VIPER_OK);
    UT_CHECK_EQ(viper_entropy_add(ro, buf, sizeof buf), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(viper_entropy_add(dev, buf, 0), VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_entropy_add(dev, buf, VIPER_RANDOM_MAX + 1), VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_entropy_add(dev, NULL, 16), VIPER_ERR_FAULT);
    UT_CHECK_EQ(viper_entropy_add(dev, buf, sizeof buf), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(ro), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(dev), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(odev), VIPER_OK);
}

static int64_t child_sleep(int64_t ms)
{
    viper_sleep_ns((uint64_t)ms * IPC_MS);
    return 0;
}

static void case_proc_list(void)
{
    static struct viper_proc_info info[VIPER_PROC_LIST_MAX];
    int64_t me = 0;
    uint64_t count = 0, count2 = 0;
    viper_getpid(&me, NULL);
    int64_t child = ut_fork(child_sleep, 200);
    UT_CHECK(child > 0);
    viper_sleep_ns(20 * IPC_MS);   /* let it run into its long sleep */
    UT_CHECK_EQ(viper_proc_list(info, VIPER_PROC_LIST_MAX, &count), VIPER_OK);
    UT_CHECK(count >= 2 && count <= VIPER_PROC_LIST_MAX);
    int seen_me = 0, seen_child = 0;
    for (uint64_t i = 0; i < count && i < VIPER_PROC_LIST_MAX; i++) {
        if (i > 0)
            UT_CHECK(info[i].pid > info[i - 1].pid);   /* pid order */
        if (info[i].pid == me) {
            seen_me = 1;
            UT_CHECK_EQ(info[i].state, VIPER_PROC_RUNNING);   /* it is making this call */
            UT_CHECK(strstr(info[i].name, "services") != NULL);
            UT_CHECK(info[i].threads == 1 && info[i].pages > 0 && info[i].handles >= 3);
        }
        if (info[i].pid == child) {
            seen_child = 1;
            UT_CHECK_EQ(info[i].parent_pid, me);
            UT_CHECK_EQ(info[i].state, VIPER_PROC_BLOCKED);   /* sleeping */
        }
    }
    UT_CHECK(seen_me && seen_child);
    UT_CHECK_EQ(viper_proc_list(info, 1, &count2), VIPER_OK);   /* a short buffer still counts all */
    UT_CHECK_EQ(count2, count);
    UT_CHECK_EQ(viper_proc_list(NULL, 0, &count2), VIPER_OK);
    UT_CHECK_EQ(count2, count);
    UT_CHECK_EQ(viper_proc_list((void *)((uint64_t)info + 4), 1, &count2), VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_proc_list(info, VIPER_PROC_LIST_MAX + 1, &count2), VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_proc_list(NULL, 1, &count2), VIPER_ERR_FAULT);
    UT_CHECK_EQ(viper_kill(child), VIPER_OK);
    UT_CHECK_EXIT(child, VIPER_EXIT_KILLED, me);
}

static void case_clock_wall(void)
{
    uint64_t a = 0, b = 0;
    UT_CHECK_EQ(viper_clock_wall(&a), VIPER_OK);
    viper_sleep_ns(10 * IPC_MS);
    UT_CHECK_EQ(viper_clock_wall(&b), VIPER_OK);
    UT_CHECK(b >= a + 10 * IPC_MS && b - a < 2000 * IPC_MS);
    UT_INFO("wall %llu", (unsigned long long)(a / 1000000000ull));
}

static void case_power_checks(void)
{
    uint64_t ro = 0;
    UT_CHECK_EQ(viper_power(reg, VIPER_POWER_OFF), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_power(0x12345, VIPER_POWER_OFF), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_cap_derive(root, VIPER_RIGHT_LIST, &ro), VIPER_OK);
    UT_CHECK_EQ(viper_power(ro, VIPER_POWER_OFF), VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(viper_power(root, 7), VIPER_ERR_INVALID);
    UT_CHECK_EQ(viper_handle_close(ro), VIPER_OK);
}

static void case_bootfs(void)
{
    uint64_t type = 0, rights = 0, addr = 0;
    UT_CHECK_EQ(viper_cap_query(bootfs, &type, &rights), VIPER_OK);
    UT_CHECK_EQ(type, VIPER_OBJ_SHM);
    UT_CHECK(!(rights & VIPER_RIGHT_WRITE));
    UT_CHECK_EQ(viper_shm_map(bootfs, 0, VIPER_PROT_READ | VIPER_PROT_WRITE, &addr),
                VIPER_ERR_ACCESS_DENIED);
    UT_CHECK_EQ(viper_shm_map(bootfs, 0, VIPER_PROT_READ, &addr), VIPER_OK);
    const char *cpio = (const char *)addr;
    UT_CHECK(memcmp(cpio, CPIO_NEWC_MAGIC, 6) == 0);
    /* Walk the newc headers (110 bytes: magic, then 8-hex-digit fields; the
     * name and the data each padded to 4 bytes) to our own entry. */
    int found = 0;
    uint64_t off = 0;
    while (!found && memcmp(cpio + off, CPIO_NEWC_MAGIC, 6) == 0) {
        char hex[9] = { 0 };
        memcpy(hex, cpio + off + 54, 8);
        uint64_t filesize = strtoull(hex, NULL, 16);
        memcpy(hex, cpio + off + 94, 8);
        uint64_t namesize = strtoull(hex, NULL, 16);
        const char *name = cpio + off + 110;
        if (strcmp(name, "TRAILER!!!") == 0)
            break;
        found = strcmp(name, "tests/services") == 0;
        off = (off + 110 + namesize + 3) & ~3ull;
        off = (off + filesize + 3) & ~3ull;
    }
    UT_CHECK(found);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    reg = viper_startup_handle(VIPER_INIT_HANDLE_REGISTRY);
    root = viper_startup_handle(VIPER_INIT_HANDLE_DEVROOT);
    bootfs = viper_startup_handle(VIPER_INIT_HANDLE_BOOTFS);
    UT_RUN(case_getrandom);
    UT_RUN_LEAK(case_entropy_add);
    UT_RUN(case_proc_list);
    UT_RUN(case_clock_wall);
    UT_RUN_LEAK(case_power_checks);
    UT_RUN(case_bootfs);
    return ut_done();
}
