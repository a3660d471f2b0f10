/*
 * wait.c - wait_many: block until any of up to 256 objects has a signal.
 *
 * The thread looks at every object; if none is ready it becomes an
 * observer of all of them (obj_signal wakes it), sleeps once, and looks
 * again.  Checking and sleeping happen with IRQs masked on the one
 * scheduling CPU, so no signal can slip in between.
 */
#include "cap/handle.h"
#include "mm/slab.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"
#include "viper/errors.h"
#include "viper/types.h"

struct wait_slot {
    struct object *obj;
    struct obj_observer obs;
};

/* Fill every item's pending signals; returns how many have a requested one. */
static uint64_t poll_items(struct viper_wait_item *items, struct wait_slot *slots, uint64_t n)
{
    uint64_t ready = 0;
    for (uint64_t i = 0; i < n; i++) {
        items[i].pending = obj_signals(slots[i].obj);
        if (items[i].pending & items[i].signals)
            ready++;
    }
    return ready;
}

static int wait_loop(struct viper_wait_item *items, struct wait_slot *slots, uint64_t n,
                     uint64_t deadline, uint64_t *ready)
{
    bool observing = false;
    int err = VIPER_OK;
    for (;;) {
        *ready = poll_items(items, slots, n);
        if (*ready || err)
            break;
        if (deadline == VIPER_DEADLINE_POLL) {
            err = VIPER_ERR_TIMED_OUT;
            break;
        }
        if (!observing) {
            for (uint64_t i = 0; i < n; i++) {
                slots[i].obs.thread = sched_current();
                list_push_back(&slots[i].obj->observers, &slots[i].obs.node);
            }
            observing = true;
        }
        err = wq_wait(NULL, wq_deadline(deadline));
    }
    if (observing)
        for (uint64_t i = 0; i < n; i++)
            list_remove(&slots[i].obs.node);
    return *ready ? VIPER_OK : err;
}

int64_t sys_wait_many(struct trap_frame *tf)
{
    uint64_t n = tf->x[1];
    if (n == 0 || n > VIPER_WAIT_MANY_MAX)
        return VIPER_ERR_INVALID;
    struct viper_wait_item *items = kmalloc(n * sizeof *items);
    struct wait_slot *slots = kzalloc(n * sizeof *slots);
    int err = items && slots ? copy_from_user(items, tf->x[0], n * sizeof *items) : VIPER_ERR_NO_MEMORY;
    uint64_t got = 0, ready = 0;
    for (; !err && got < n; got++) {
        struct cap *c;
        err = handle_lookup(&proc_current()->handles, items[got].handle, 0, VIPER_RIGHT_READ, &c);
        if (!err) {
            slots[got].obj = c->obj;
            obj_get(c->obj);
        }
    }
    if (!err)
        err = wait_loop(items, slots, n, tf->x[2], &ready);
    for (uint64_t i = 0; i < got; i++)
        if (slots[i].obj)
            obj_put(slots[i].obj);
    if (!err || err == VIPER_ERR_TIMED_OUT) {
        int cerr = copy_to_user(tf->x[0], items, n * sizeof *items);
        if (cerr)
            err = cerr;
    }
    kfree(items);
    kfree(slots);
    if (!err)
        tf->x[1] = ready;
    return err;
}
