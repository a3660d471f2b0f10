/*
 * ipc/timer_obj.h - timer objects: a deadline user space can wait for with
 * wait_many, alongside channels and processes.
 */
#pragma once
#include <stdint.h>
#include "cap/object.h"

void timer_obj_destroy(struct object *o);
uint32_t timer_obj_signals(struct object *o);
