/*
 * object.c - reference counts, per-type destruction and signals.
 *
 * The per-type tables are the only place that knows every object type:
 * adding a type means one destroy function and one signals function.
 */
#include <stdbool.h>
#include "cap/object.h"
#include "dev/devices.h"
#include "ipc/channel.h"
#include "ipc/shm.h"
#include "ipc/registry.h"
#include "ipc/timer_obj.h"
#include "kernel/log.h"
#include "proc/process.h"
#include "sched/sched.h"

static uint64_t live_objects;
static struct list dying = LIST_INIT(dying);
static bool destroying;

static void (*const destroy_fn[])(struct object *) = {
    [OBJ_PROCESS] = proc_obj_destroy,
    [OBJ_CHANNEL] = chan_destroy,
    [OBJ_SHM] = shm_destroy,
    [OBJ_REGISTRY] = registry_destroy,
    [OBJ_TIMER] = timer_obj_destroy,
    [OBJ_DEVROOT] = devroot_destroy,
    [OBJ_DEVICE] = device_obj_destroy,
    [OBJ_IRQ] = irq_obj_destroy,
    [OBJ_THREAD] = thread_obj_destroy,
};

static uint32_t (*const signals_fn[])(struct object *) = {
    [OBJ_PROCESS] = proc_obj_signals,
    [OBJ_CHANNEL] = chan_signals,
    [OBJ_SHM] = NULL,
    [OBJ_REGISTRY] = NULL,
    [OBJ_TIMER] = timer_obj_signals,
    [OBJ_DEVROOT] = NULL,
    [OBJ_DEVICE] = NULL,
    [OBJ_IRQ] = irq_obj_signals,
    [OBJ_THREAD] = thread_obj_signals,
};

void obj_init(struct object *o, enum obj_type type)
{
    o->magic = OBJECT_MAGIC;
    o->type = type;
    o->refcount = 1;
    list_init(&o->observers);
    live_objects++;
}

void obj_destroy_last(struct object *o)
{
    /*
     * Destruction can drop more last references (an endpoint's queue holds
     * messages holding endpoints holding queues ...).  Queue instead of
     * recursing, so a user cannot nest objects deep enough to overflow the
     * kernel stack; the outermost obj_put destroys them all.
     */
    list_push_back(&dying, &o->dying_node);
    if (destroying)
        return;
    destroying = true;
    while (!list_empty(&dying)) {
        struct object *d = container_of(list_pop_front(&dying), struct object, dying_node);
        d->magic = 0;
        live_objects--;
        destroy_fn[d->type](d);
    }
    destroying = false;
}

void obj_wake_observers(struct object *o)
{
    struct list *pos;
    list_for_each(pos, &o->observers)
        sched_wake(container_of(pos, struct obj_observer, node)->thread);
}

uint32_t obj_signals(struct object *o)
{
    return signals_fn[o->type] ? signals_fn[o->type](o) : 0;
}

uint64_t obj_live_count(void)
{
    return live_objects;
}
