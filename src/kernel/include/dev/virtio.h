/*
 * dev/virtio.h - what the kernel knows of virtio: the virtio-mmio slots.
 */
#pragma once
#include "lib/fdt.h"

/* Log every virtio-mmio slot with its device ID; returns the number of slots. */
unsigned virtio_mmio_list(const struct fdt *fdt);
