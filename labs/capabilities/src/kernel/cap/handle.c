/*
 * handle.c - handle tables and the derivation tree.
 *
 * Invariants: a cap with table != NULL sits in table->slots[index] and
 * nowhere else; a cap with table == NULL is owned by exactly one message
 * in flight; every cap is in its parent's children list (or is a root);
 * rights of a derived cap are a subset of its parent's at derivation time.
 * Single scheduling CPU, kernel entered with IRQs masked: no locks.
 */
#include "cap/handle.h"
#include "kernel/lab.h"
#include "kernel/log.h"
#include "mm/slab.h"
#include "viper/errors.h"
#include "viper/types.h"

#define SLOTS_INITIAL 16

uint64_t handle_epoch = 1;   /* in the hot data page (kernel.ld): the channel calls read it */

static inline uint32_t handle_value(uint32_t index, uint16_t gen)
{
    return ((uint32_t)gen << 16) | (index + 1);
}

void handle_table_init(struct handle_table *t, uint32_t limit)
{
    *t = (struct handle_table){ .limit = limit > 0xffff ? 0xffff : limit };
}

static struct cap *cap_alloc(struct object *o, uint32_t rights, struct cap *parent)
{
    struct cap *c = kzalloc(sizeof *c);
    if (!c)
        return NULL;
    c->obj = o;
    c->rights = rights;
    c->parent = parent;
    list_init(&c->children);
    list_init(&c->sibling);
    if (parent)
        list_push_back(&parent->children, &c->sibling);
    return c;
}

struct cap *cap_create(struct object *o, uint32_t rights)
{
    struct cap *c = cap_alloc(o, rights, NULL);
    if (!c)
        obj_put(o);
    return c;
}

/* A free slot index, growing the table if allowed; -1 if none. */
static int64_t slot_alloc(struct handle_table *t)
{
    if (t->used >= t->limit)
        return -1;
    for (uint32_t i = 0; i < t->nslots; i++)
        if (!t->slots[i].cap)
            return i;
    uint32_t n = t->nslots ? t->nslots * 2 : SLOTS_INITIAL;
    if (n > t->limit)
        n = t->limit;
    struct handle_slot *s = kzalloc(n * sizeof *s);
    if (!s)
        return -1;
    for (uint32_t i = 0; i < t->nslots; i++)
        s[i] = t->slots[i];
    kfree(t->slots);
    t->slots = s;
    uint32_t first = t->nslots;
    t->nslots = n;
    return first;
}

int handle_install(struct handle_table *t, struct cap *c, uint32_t *out)
{
    int64_t i = slot_alloc(t);
    if (i < 0)
        return t->used >= t->limit ? VIPER_ERR_LIMIT : VIPER_ERR_NO_MEMORY;
    t->slots[i].cap = c;
    t->used++;
    c->table = t;
    c->index = (uint32_t)i;
    *out = handle_value((uint32_t)i, t->slots[i].gen);
    return VIPER_OK;
}

int handle_give(struct handle_table *t, struct object *o, uint32_t rights, uint64_t *out)
{
    struct cap *c = cap_create(o, rights);
    uint32_t h;
    if (!c)
        return VIPER_ERR_NO_MEMORY;
    int err = handle_install(t, c, &h);
    if (err)
        cap_destroy(c);
    else
        *out = h;
    return err;
}

int handle_lookup(struct handle_table *t, uint64_t h, enum obj_type type, uint32_t rights,
                  struct cap **out)
{
    /* LAB capabilities BEGIN lookup: decode h into index and generation; refuse 0, out-of-range indexes, free slots, a stale generation and a wrong type (VIPER_ERR_BAD_HANDLE) */
    (void)t;
    (void)h;
    (void)type;
    LAB_NOT_IMPLEMENTED("capabilities", "lookup");
    struct handle_slot *s = NULL;
    if (!s)
        return VIPER_ERR_BAD_HANDLE;
    /* LAB capabilities END */
    /* LAB capabilities BEGIN rights: the cap must hold every right in `rights` (else VIPER_ERR_ACCESS_DENIED) */
    (void)rights;
    LAB_NOT_IMPLEMENTED("capabilities", "rights");
    /* LAB capabilities END */
    *out = s->cap;
    return VIPER_OK;
}

void handle_detach(struct cap *c)
{
    struct handle_table *t = c->table;
    if (!t)
        return;
    t->slots[c->index].cap = NULL;
    t->slots[c->index].gen++;
    t->used--;
    c->table = NULL;
    handle_epoch++;   /* every memo of a lookup (struct handle_memo) is stale now */
}

int handle_reattach(struct handle_table *t, struct cap *c, uint32_t h, uint32_t *out)
{
    uint32_t index = (h & 0xffff) - 1;
    uint16_t gen = (uint16_t)(h >> 16);
    if (index < t->nslots && !t->slots[index].cap && t->slots[index].gen == (uint16_t)(gen + 1) &&
        t->used < t->limit) {
        t->slots[index].cap = c;
        t->slots[index].gen = gen;
        t->used++;
        c->table = t;
        c->index = index;
        *out = h;
        return VIPER_OK;
    }
    return handle_install(t, c, out);
}

void cap_destroy(struct cap *c)
{
    handle_detach(c);
    while (!list_empty(&c->children)) {   /* children keep their place under our parent */
        struct cap *ch = container_of(list_pop_front(&c->children), struct cap, sibling);
        ch->parent = c->parent;
        if (c->parent)
            list_push_back(&c->parent->children, &ch->sibling);
    }
    list_remove(&c->sibling);
    obj_put(c->obj);
    kfree(c);
}

void handle_table_destroy(struct handle_table *t)
{
    for (uint32_t i = 0; i < t->nslots; i++)
        if (t->slots[i].cap)
            cap_destroy(t->slots[i].cap);
    kfree(t->slots);
    t->slots = NULL;
    t->nslots = 0;
}

int handle_close(struct handle_table *t, uint64_t h)
{
    struct cap *c;
    int err = handle_lookup(t, h, 0, 0, &c);
    if (!err)
        cap_destroy(c);
    return err;
}

/* A new cap for the same object under parent, installed in t. */
static int cap_copy(struct handle_table *t, struct cap *src, struct cap *parent, uint32_t rights,
                    uint32_t *out)
{
    struct cap *c = cap_alloc(src->obj, rights, parent);
    if (!c)
        return VIPER_ERR_NO_MEMORY;
    obj_get(src->obj);
    int err = handle_install(t, c, out);
    if (err)
        cap_destroy(c);
    return err;
}

int handle_dup(struct handle_table *t, uint64_t h, uint32_t *out)
{
    struct cap *c;
    int err = handle_lookup(t, h, 0, 0, &c);
    return err ? err : cap_copy(t, c, c->parent, c->rights, out);
}

/* LAB capabilities BEGIN derive: a new handle to the same object, a child of h's cap in the derivation tree, with h's rights masked (h needs DERIVE) */
int cap_derive(struct handle_table *t, uint64_t h, uint32_t mask, uint32_t *out)
{
    (void)t;
    (void)h;
    (void)mask;
    (void)out;
    LAB_NOT_IMPLEMENTED("capabilities", "derive");
    return VIPER_ERR_NOT_SUPPORTED;
}
/* LAB capabilities END */

/* LAB capabilities BEGIN revoke: invalidate every descendant of h's cap (not h itself): caps in tables are destroyed, caps in flight are marked revoked; iterate, never recurse (chains can be arbitrarily deep) */
int cap_revoke(struct handle_table *t, uint64_t h)
{
    (void)t;
    (void)h;
    LAB_NOT_IMPLEMENTED("capabilities", "revoke");
    return VIPER_ERR_NOT_SUPPORTED;
}
/* LAB capabilities END */
