/*
 * timer_obj.c - timer objects and their syscalls.  Each holds a kernel
 * timer (sched.h); when it expires the object's FIRED signal goes up and
 * its observers are woken.  Setting it again (or to 0) lowers the signal.
 */
#include "cap/handle.h"
#include "ipc/timer_obj.h"
#include "mm/slab.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "syscall/syscall.h"
#include "viper/errors.h"
#include "viper/types.h"

#define TIMER_RIGHTS (VIPER_RIGHT_READ | VIPER_RIGHT_WRITE | VIPER_RIGHT_TRANSFER | VIPER_RIGHT_DERIVE)

struct timer_obj {
    struct object obj;
    struct ktimer kt;
    bool fired;
};

static void timer_obj_expired(struct ktimer *k)
{
    struct timer_obj *t = container_of(k, struct timer_obj, kt);
    t->fired = true;
    obj_signal(&t->obj);
}

void timer_obj_destroy(struct object *o)
{
    struct timer_obj *t = container_of(o, struct timer_obj, obj);
    ktimer_cancel(&t->kt);
    kfree(t);
}

uint32_t timer_obj_signals(struct object *o)
{
    return container_of(o, struct timer_obj, obj)->fired ? VIPER_SIGNAL_TIMER_FIRED : 0;
}

int64_t sys_timer_create(struct trap_frame *tf)
{
    struct timer_obj *t = kzalloc(sizeof *t);
    if (!t)
        return VIPER_ERR_NO_MEMORY;
    obj_init(&t->obj, OBJ_TIMER);
    t->kt.fn = timer_obj_expired;
    list_init(&t->kt.node);
    return handle_give(&proc_current()->handles, &t->obj, TIMER_RIGHTS, &tf->x[1]);
}

int64_t sys_timer_set(struct trap_frame *tf)
{
    struct cap *c;
    int err = handle_lookup(&proc_current()->handles, tf->x[0], OBJ_TIMER, VIPER_RIGHT_WRITE, &c);
    if (err)
        return err;
    struct timer_obj *t = container_of(c->obj, struct timer_obj, obj);
    t->fired = false;
    if (tf->x[1])
        ktimer_set(&t->kt, tf->x[1]);
    else
        ktimer_cancel(&t->kt);
    obj_signal(&t->obj);
    return VIPER_OK;
}
