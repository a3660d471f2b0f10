/*
 * viper/handles.h - the handles a program starts with.
 *
 * The kernel passes a new program's startup handles in its auxv: init gets
 * the registry; a spawned child gets the handles its parent passed to
 * spawn, in the same order.
 */
#pragma once
#include <viper/types.h>

/* The i-th startup handle, or VIPER_HANDLE_INVALID. */
viper_handle_t viper_startup_handle(unsigned i);

/* The first startup handle from index `from` on whose object is of type
 * (VIPER_OBJ_*), or VIPER_HANDLE_INVALID: how a server finds its device and
 * DMA root whatever else it was given. */
viper_handle_t viper_startup_find(unsigned from, uint64_t type);
