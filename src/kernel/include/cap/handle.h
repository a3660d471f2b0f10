/*
 * cap/handle.h - handle tables, capabilities and the derivation tree.
 *
 * A struct cap is one capability: an object reference plus rights, with
 * a place in the global derivation tree.  A handle table maps handle
 * values (generation << 16 | (index + 1)) to caps.  A cap in a message in
 * flight belongs to no table.  Design: docs/capabilities.md.
 */
#pragma once
#include "kernel/hot.h"
#include <stdbool.h>
#include <stdint.h>
#include "cap/object.h"
#include "lib/list.h"

struct handle_table;

struct cap {
    struct object *obj;           /* one reference, held by this cap */
    uint32_t rights;              /* VIPER_RIGHT_* */
    struct cap *parent;           /* derivation tree */
    struct list children;
    struct list sibling;
    struct handle_table *table;   /* NULL while in flight */
    uint32_t index;               /* slot in table */
    bool revoked;                 /* revoked while in flight: delivered as no handle */
};

struct handle_slot {
    struct cap *cap;              /* NULL: free */
    uint16_t gen;                 /* bumped on every free, so old values go stale */
};

struct handle_table {
    struct handle_slot *slots;
    uint32_t nslots;              /* allocated */
    uint32_t limit;               /* most slots the process may use */
    uint32_t used;
};

void handle_table_init(struct handle_table *t, uint32_t limit);

/* Close every handle (process exit). */
void handle_table_destroy(struct handle_table *t);

/* A new root cap holding the caller's reference to o; NULL when out of memory (o is put). */
struct cap *cap_create(struct object *o, uint32_t rights);

/*
 * Give t a new handle with rights to o, taking over the caller's reference
 * to o (which is dropped on failure).  *out gets the handle value.
 */
int handle_give(struct handle_table *t, struct object *o, uint32_t rights, uint64_t *out);

/* Put cap c into t; *out gets its handle.  VIPER_ERR_LIMIT or NO_MEMORY on failure (c unchanged). */
int handle_install(struct handle_table *t, struct cap *c, uint32_t *out);

/*
 * The cap behind h if it names an object of `type` (0: any) with every
 * right in `rights`: VIPER_OK, VIPER_ERR_BAD_HANDLE (stale, forged, wrong
 * type) or VIPER_ERR_ACCESS_DENIED (missing rights).
 */
int handle_lookup(struct handle_table *t, uint64_t h, enum obj_type type, uint32_t rights,
                  struct cap **out);

/* Take c out of its table (to move it in a message): its slot is freed. */
void handle_detach(struct cap *c);

/*
 * Put a detached cap back into t under its old value h if that slot is
 * still free, else under a new value (a send that failed after blocking).
 */
int handle_reattach(struct handle_table *t, struct cap *c, uint32_t h, uint32_t *out);

/* Drop a cap: children move up to its parent, the object reference goes. */
void cap_destroy(struct cap *c);

/*
 * Counts slot frees in every table (handle_detach, the only place a slot is
 * freed; it starts at 1).  While it is unchanged, a handle value that was
 * looked up still names the same cap in the same table, and so the same
 * object with the same rights (a cap's rights never change; it holds a
 * reference to its object).
 */
extern uint64_t handle_epoch;

/*
 * A thread's memo of one successful lookup in its own process's table:
 * good while handle_epoch is unchanged.  The channel calls keep one per
 * thread (struct thread.chan_memo), so a request/reply loop reads neither
 * the handle table nor the cap: under QEMU, pages not touched after each
 * address-space switch (docs/bench.md).
 */
struct handle_memo {
    uint64_t value;
    uint64_t epoch;          /* 0: empty */
    struct object *obj;
    uint32_t rights;
    uint32_t type;           /* enum obj_type */
};

/* The memo's object if it is for h, still good, of `type` and with every right in `rights`. */
static HOT_INLINE struct object *handle_memo_get(const struct handle_memo *m, uint64_t h,
                                             enum obj_type type, uint32_t rights)
{
    if (m->value == h && m->epoch == handle_epoch && m->type == type &&
        (m->rights & rights) == rights)
        return m->obj;
    return NULL;
}

/* Remember that h names c (just returned by handle_lookup in the thread's own table). */
static HOT_INLINE void handle_memo_set(struct handle_memo *m, uint64_t h, const struct cap *c)
{
    *m = (struct handle_memo){ .value = h, .epoch = handle_epoch, .obj = c->obj,
                               .rights = c->rights, .type = c->obj->type };
}

/* Handle values arrive as 64-bit syscall arguments: anything above 32 bits is refused. */
int handle_close(struct handle_table *t, uint64_t h);
int handle_dup(struct handle_table *t, uint64_t h, uint32_t *out);
int cap_derive(struct handle_table *t, uint64_t h, uint32_t mask, uint32_t *out);
int cap_revoke(struct handle_table *t, uint64_t h);
