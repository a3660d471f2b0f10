/*
 * virtio_mmio.c - enumeration of the virtio-mmio transport slots the DTB
 * lists (compatible "virtio,mmio"): which device, if any, sits behind each.
 * Drivers live in user space; the kernel reports the slots and records
 * them in the device table (dev/devices.c) for drivers to claim.
 * Register offsets: virtio 1.2 spec, 4.2.2 (MMIO device register layout).
 */
#include "arch/mmu.h"
#include "dev/irq.h"
#include "dev/devices.h"
#include "dev/virtio.h"
#include "kernel/log.h"
#include "viper/errors.h"
#include "viper/types.h"

#define VIRTIO_MAGIC_VALUE 0x74726976u   /* "virt" */
#define REG_MAGIC     0x000
#define REG_VERSION   0x004
#define REG_DEVICE_ID 0x008

static const char *device_name(uint32_t id)
{
    switch (id) {
    case 0:  return "empty";
    case 1:  return "network";
    case 2:  return "block";
    case 3:  return "console";
    case 4:  return "entropy";
    case 5:  return "balloon";
    case 9:  return "9p";
    case 16: return "gpu";
    case 18: return "input";
    case 19: return "vsock";
    default: return "other";
    }
}

/* Log a run of empty slots [first, last] as one line. */
static void log_empty_run(int first, int last)
{
    if (first < 0)
        return;
    if (first == last)
        pr_info("virtio: slot %d: device-id 0 (empty)", first);
    else
        pr_info("virtio: slots %d-%d: device-id 0 (empty)", first, last);
}

/*
 * One line per slot with a device, one per run of empty slots: QEMU's
 * virt machine has 32 slots, mostly empty, and every console character
 * costs boot time.
 */
unsigned virtio_mmio_list(const struct fdt *fdt)
{
    int slot = 0, empty_from = -1;
    unsigned present = 0;
    for (int n = fdt_find_compatible(fdt, -1, "virtio,mmio"); n >= 0;
         n = fdt_find_compatible(fdt, n, "virtio,mmio"), slot++) {
        uint64_t pa, size;
        unsigned intid = 0;
        volatile uint32_t *regs = NULL;
        if (fdt_reg(fdt, n, 0, &pa, &size) == VIPER_OK && size >= 0x100)
            regs = mmu_map_device(pa, size);
        if (!regs || regs[REG_MAGIC / 4] != VIRTIO_MAGIC_VALUE) {
            log_empty_run(empty_from, slot - 1);
            empty_from = -1;
            pr_warn("virtio: slot %d: no usable virtio-mmio registers", slot);
            continue;
        }
        uint32_t id = regs[REG_DEVICE_ID / 4];
        irq_from_fdt(fdt, n, 0, &intid);
        if (!devices_add(VIPER_DEV_VIRTIO_MMIO, pa, size, intid, id))
            pr_warn("virtio: slot %d left out: device table full", slot);
        if (id == 0) {
            if (empty_from < 0)
                empty_from = slot;
            continue;
        }
        log_empty_run(empty_from, slot - 1);
        empty_from = -1;
        present++;
        pr_info("virtio: slot %d at 0x%lx irq %u: device-id %u (%s), version %u", slot,
                (unsigned long)pa, intid, id, device_name(id), regs[REG_VERSION / 4]);
    }
    log_empty_run(empty_from, slot - 1);
    pr_info("virtio: %d slots, %u devices", slot, present);
    return (unsigned)slot;
}
