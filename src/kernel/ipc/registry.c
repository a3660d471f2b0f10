/*
 * registry.c - names to server endpoints, and connecting to them.
 *
 * One registry object exists, created on first use and kept alive by the
 * kernel; init gets the first handle to it.  A name maps to a cap for the
 * endpoint a server registered; connecting sends the server its end of a
 * fresh channel through that endpoint (the server sees each client as a
 * message carrying one handle, whose bytes are the name).
 */
#include "ipc/registry.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "viper/errors.h"
#include "viper/types.h"

#define CHANNEL_RIGHTS (VIPER_RIGHT_READ | VIPER_RIGHT_WRITE | VIPER_RIGHT_TRANSFER | VIPER_RIGHT_DERIVE)

struct registry_entry {
    struct list node;
    char name[REGISTRY_NAME_MAX];
    struct cap *ep_cap;           /* in no table: owned by the registry */
};

struct registry {
    struct object obj;
    struct list entries;
};

static struct registry *root;

struct object *registry_root(void)
{
    if (!root) {
        root = kzalloc(sizeof *root);
        if (!root)
            return NULL;
        obj_init(&root->obj, OBJ_REGISTRY);   /* this reference is the kernel's, never dropped */
        list_init(&root->entries);
    }
    return &root->obj;
}

static struct registry_entry *find(const char *name)
{
    struct list *pos;
    list_for_each(pos, &root->entries) {
        struct registry_entry *e = container_of(pos, struct registry_entry, node);
        if (strcmp(e->name, name) == 0)
            return e;
    }
    return NULL;
}

int registry_add(const char *name, struct cap *ep_cap)
{
    struct registry_entry *old = find(name);
    if (old) {
        /* A name whose server is gone may be taken over (a restarted server re-registers). */
        struct endpoint *ep = container_of(old->ep_cap->obj, struct endpoint, obj);
        if (ep->peer)
            return VIPER_ERR_BUSY;
        list_remove(&old->node);
        cap_destroy(old->ep_cap);
        kfree(old);
    }
    struct registry_entry *e = kzalloc(sizeof *e);
    if (!e)
        return VIPER_ERR_NO_MEMORY;
    strlcpy(e->name, name, sizeof e->name);
    handle_detach(ep_cap);
    e->ep_cap = ep_cap;
    list_push_back(&root->entries, &e->node);
    return VIPER_OK;
}

int registry_connect(const char *name, struct endpoint **client)
{
    struct registry_entry *e = find(name);
    if (!e)
        return VIPER_ERR_NOT_FOUND;
    struct endpoint *c, *s;
    int err = chan_create_pair(&c, &s);
    if (err)
        return err;
    struct chan_msg *msg = chan_msg_alloc();
    struct cap *scap = msg ? cap_create(&s->obj, CHANNEL_RIGHTS) : NULL;
    if (!scap) {
        if (msg)
            chan_msg_free(msg);
        else
            obj_put(&s->obj);
        obj_put(&c->obj);
        return VIPER_ERR_NO_MEMORY;
    }
    msg->len = (uint32_t)strlcpy((char *)msg->data, name, VIPER_MSG_MAX_BYTES);
    msg->nhandles = 1;
    msg->caps[0] = scap;
    err = chan_post(container_of(e->ep_cap->obj, struct endpoint, obj), msg, true);
    if (err) {
        chan_msg_free(msg);   /* the server end goes: the client end would see PEER_CLOSED */
        obj_put(&c->obj);
        return err;
    }
    *client = c;
    return VIPER_OK;
}

void registry_destroy(struct object *o)
{
    struct registry *r = container_of(o, struct registry, obj);
    while (!list_empty(&r->entries)) {
        struct registry_entry *e = container_of(list_pop_front(&r->entries), struct registry_entry, node);
        cap_destroy(e->ep_cap);
        kfree(e);
    }
    kfree(r);
}
