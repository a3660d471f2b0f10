/*
 * cap/object.h - the kernel object every handle names.
 *
 * An object is embedded at the start of each resource struct (endpoint,
 * shm, process, registry).  It is reference counted; the last obj_put
 * runs the type's destroy function.  Threads in wait_many observe objects:
 * obj_signal() wakes every observer when the object's state changes.
 * Single scheduling CPU: callers run with IRQs masked (see docs/locking.md).
 */
#pragma once
#include "kernel/hot.h"
#include <stdint.h>
#include "kernel/log.h"
#include "lib/list.h"

#define OBJECT_MAGIC 0x0b1ec7u

enum obj_type {
    OBJ_PROCESS = 1,   /* values match VIPER_OBJ_* */
    OBJ_CHANNEL = 2,
    OBJ_SHM = 3,
    OBJ_REGISTRY = 4,
    OBJ_TIMER = 5,
    OBJ_DEVROOT = 6,
    OBJ_DEVICE = 7,
    OBJ_IRQ = 8,
    OBJ_THREAD = 9,
};

struct object {
    uint32_t magic;
    enum obj_type type;
    uint32_t refcount;
    struct list observers;   /* struct obj_observer.node */
    struct list dying_node;  /* on the destruction list once the last reference went */
};

struct thread;

/* A thread waiting for an object to change (wait_many, one per item). */
struct obj_observer {
    struct list node;
    struct thread *thread;
};

/* Initialise o with one reference (the creator's). */
void obj_init(struct object *o, enum obj_type type);

/*
 * obj_get, obj_put and obj_signal are inline, their rare parts out of line:
 * each request and reply runs them (docs/bench.md: under QEMU a call to
 * another code page and every return cost a lookup).
 */
void obj_destroy_last(struct object *o);   /* obj_put's: the last reference went */
void obj_wake_observers(struct object *o); /* obj_signal's: o has observers */

static HOT_INLINE void obj_get(struct object *o)
{
    ASSERT(o->magic == OBJECT_MAGIC);
    o->refcount++;
}

/* Drop a reference; the last one destroys the object. */
static HOT_INLINE void obj_put(struct object *o)
{
    ASSERT(o->magic == OBJECT_MAGIC && o->refcount > 0);
    if (--o->refcount == 0)
        obj_destroy_last(o);
}

/* Wake every thread observing o (its signals may have changed). */
static HOT_INLINE void obj_signal(struct object *o)
{
    if (!list_empty(&o->observers))
        obj_wake_observers(o);
}

/* Current signals of o (VIPER_SIGNAL_*). */
uint32_t obj_signals(struct object *o);

/* Live objects, for kstat and leak tests. */
uint64_t obj_live_count(void);
