/*
 * dev/devices.h - the devices user-space drivers may claim: every one the
 * DTB lists except those the kernel drives itself (GIC, timer, console).
 * Filled at boot; user space reaches entries through the device root
 * capability (dev_info, dev_open, irq_open).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define DEVICES_MAX 64

struct device_desc {
    uint32_t kind;        /* VIPER_DEV_* */
    uint32_t virtio_id;   /* for virtio-mmio: the DeviceID register at boot (0: empty slot) */
    uint64_t base, size;  /* MMIO region */
    unsigned intid;       /* GIC INTID, 0 if none */
    bool irq_bound;       /* an IRQ object owns the interrupt */
};

/* Add a device to the table (boot only); false when the table is full. */
bool devices_add(uint32_t kind, uint64_t base, uint64_t size, unsigned intid, uint32_t virtio_id);

struct fdt;

/* Add the console UART and fw_cfg (after the virtio slots, at boot). */
void devices_add_platform(const struct fdt *fdt);

/* Entry index, or NULL. */
struct device_desc *devices_get(uint64_t index);

struct object;

/* The entry a device object (VIPER_OBJ_DEVICE) stands for. */
struct device_desc *device_obj_desc(struct object *o);

/* The device root object (created on first use); NULL when out of memory. */
struct object *devices_root(void);

/* Object hooks (cap/object.c). */
void devroot_destroy(struct object *o);
void device_obj_destroy(struct object *o);
void irq_obj_destroy(struct object *o);
uint32_t irq_obj_signals(struct object *o);
