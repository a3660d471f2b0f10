/*
 * timers.c - timer objects: a deadline fires its signal no earlier than
 * asked, wait_many wakes on it beside a channel, re-setting and 0 lower the
 * signal, a deadline in the past fires at once, rights are checked, and
 * nothing leaks.  docs/ipc.md.
 */
#include "ipc_util.h"

static uint32_t wait_timer(uint64_t timer, uint64_t deadline, int64_t *rc)
{
    struct viper_wait_item it = { (uint32_t)timer, VIPER_SIGNAL_TIMER_FIRED, 0, 0 };
    *rc = viper_wait_many(&it, 1, deadline, NULL);
    return it.pending;
}

static void case_fires_on_time(void)
{
    uint64_t t = 0;
    int64_t rc;
    UT_CHECK_EQ(viper_timer_create(&t), VIPER_OK);
    for (int i = 0; i < 3; i++) {
        uint64_t deadline = viper_now_ns() + 20 * IPC_MS;
        UT_CHECK_EQ(viper_timer_set(t, deadline), VIPER_OK);
        uint32_t pending = wait_timer(t, VIPER_DEADLINE_INFINITE, &rc);
        uint64_t now = viper_now_ns();
        UT_CHECK_EQ(rc, VIPER_OK);
        UT_CHECK(pending & VIPER_SIGNAL_TIMER_FIRED);
        UT_CHECK(now >= deadline);                     /* never early */
        UT_CHECK(now - deadline < 500 * IPC_MS);        /* and not lost */
    }
    UT_CHECK_EQ(viper_handle_close(t), VIPER_OK);
}

static void case_cancel_and_reset(void)
{
    uint64_t t = 0;
    int64_t rc;
    UT_CHECK_EQ(viper_timer_create(&t), VIPER_OK);
    UT_CHECK_EQ(viper_timer_set(t, viper_now_ns() + 10 * IPC_MS), VIPER_OK);
    UT_CHECK_EQ(viper_timer_set(t, 0), VIPER_OK);       /* disarmed */
    uint32_t pending = wait_timer(t, viper_now_ns() + 40 * IPC_MS, &rc);
    UT_CHECK_EQ(rc, VIPER_ERR_TIMED_OUT);
    UT_CHECK_EQ(pending & VIPER_SIGNAL_TIMER_FIRED, 0u);
    UT_CHECK_EQ(viper_timer_set(t, 1), VIPER_OK);       /* long past: fires at once */
    pending = wait_timer(t, viper_now_ns() + 1000 * IPC_MS, &rc);
    UT_CHECK_EQ(rc, VIPER_OK);
    UT_CHECK(pending & VIPER_SIGNAL_TIMER_FIRED);
    UT_CHECK_EQ(viper_timer_set(t, viper_now_ns() + 1000 * IPC_MS), VIPER_OK);   /* lowers it */
    pending = wait_timer(t, VIPER_DEADLINE_POLL, &rc);
    UT_CHECK_EQ(pending & VIPER_SIGNAL_TIMER_FIRED, 0u);
    UT_CHECK_EQ(viper_handle_close(t), VIPER_OK);        /* closing an armed timer is fine */
}

static void case_beside_a_channel(void)
{
    uint64_t t = 0, a = 0, b = 0;
    UT_CHECK_EQ(viper_timer_create(&t), VIPER_OK);
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    UT_CHECK_EQ(viper_timer_set(t, viper_now_ns() + 15 * IPC_MS), VIPER_OK);
    struct viper_wait_item items[2] = {
        { (uint32_t)b, VIPER_SIGNAL_READABLE, 0, 0 },
        { (uint32_t)t, VIPER_SIGNAL_TIMER_FIRED, 0, 0 },
    };
    uint64_t ready = 0;
    UT_CHECK_EQ(viper_wait_many(items, 2, VIPER_DEADLINE_INFINITE, &ready), VIPER_OK);
    UT_CHECK_EQ(ready, 1u);
    UT_CHECK_EQ(items[0].pending & VIPER_SIGNAL_READABLE, 0u);
    UT_CHECK(items[1].pending & VIPER_SIGNAL_TIMER_FIRED);
    UT_CHECK_EQ(viper_handle_close(t), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(a), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(b), VIPER_OK);
}

static void case_rights(void)
{
    uint64_t t = 0, ro = 0, type = 0, rights;
    UT_CHECK_EQ(viper_timer_create(&t), VIPER_OK);
    UT_CHECK_EQ(viper_cap_query(t, &type, &rights), VIPER_OK);
    UT_CHECK_EQ(type, VIPER_OBJ_TIMER);
    UT_CHECK_EQ(viper_cap_derive(t, VIPER_RIGHT_READ, &ro), VIPER_OK);
    UT_CHECK_EQ(viper_timer_set(ro, viper_now_ns()), VIPER_ERR_ACCESS_DENIED);
    uint64_t a = 0, b = 0;
    UT_CHECK_EQ(viper_chan_create(&a, &b), VIPER_OK);
    UT_CHECK_EQ(viper_timer_set(a, viper_now_ns()), VIPER_ERR_BAD_HANDLE);   /* not a timer */
    UT_CHECK_EQ(viper_timer_set(0, 1), VIPER_ERR_BAD_HANDLE);
    UT_CHECK_EQ(viper_handle_close(ro), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(t), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(a), VIPER_OK);
    UT_CHECK_EQ(viper_handle_close(b), VIPER_OK);
}

static void case_no_leak(void)
{
    struct viper_kstat before = ut_kstat();
    for (int i = 0; i < 50; i++) {
        uint64_t t = 0;
        UT_CHECK_EQ(viper_timer_create(&t), VIPER_OK);
        UT_CHECK_EQ(viper_timer_set(t, viper_now_ns() + (uint64_t)(i % 5) * IPC_MS), VIPER_OK);
        UT_CHECK_EQ(viper_handle_close(t), VIPER_OK);
    }
    viper_sleep_ns(10 * IPC_MS);   /* any timer left armed would fire into freed memory now */
    struct viper_kstat after = ut_kstat();
    UT_CHECK_EQ(after.objects, before.objects);
    UT_CHECK_EQ(after.heap_bytes, before.heap_bytes);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    UT_RUN_LEAK(case_fires_on_time);
    UT_RUN_LEAK(case_cancel_and_reset);
    UT_RUN_LEAK(case_beside_a_channel);
    UT_RUN_LEAK(case_rights);
    UT_RUN_LEAK(case_no_leak);
    return ut_done();
}
