/*
 * ipc/registry.h - the name registry (assigns such as FSD:, NETD:).
 * Design: docs/ipc.md.
 */
#pragma once
#include "cap/object.h"
#include "ipc/channel.h"

#define REGISTRY_NAME_MAX 32

/* The registry object (created at boot, one reference kept by the kernel). */
struct object *registry_root(void);

/* Register ep (its cap moves into the registry) under name. */
int registry_add(const char *name, struct cap *ep_cap);

/* A new channel to the server registered under name; *client gets the client's endpoint. */
int registry_connect(const char *name, struct endpoint **client);

void registry_destroy(struct object *o);
