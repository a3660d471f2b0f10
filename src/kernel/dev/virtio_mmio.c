/*
 * virtio_mmio.c - enumeration of the virtio-mmio transport slots the DTB
 * lists (compatible "virtio,mmio"): which device, if any, sits behind each.
 * Drivers live in user space (later issues); the kernel only reports.
 * Register offsets: virtio 1.2 spec, 4.2.2 (MMIO device register layout).
 */
#include "arch/mmu.h"
#include "dev/irq.h"
#include "dev/virtio.h"
#include "kernel/log.h"
#include "viper/errors.h"

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

unsigned virtio_mmio_list(const struct fdt *fdt)
{
    unsigned slot = 0, present = 0;
    for (int n = fdt_find_compatible(fdt, -1, "virtio,mmio"); n >= 0;
         n = fdt_find_compatible(fdt, n, "virtio,mmio"), slot++) {
        uint64_t pa, size;
        unsigned intid = 0;
        if (fdt_reg(fdt, n, 0, &pa, &size) != VIPER_OK || size < 0x100) {
            pr_warn("virtio: slot %u has no usable reg", slot);
            continue;
        }
        irq_from_fdt(fdt, n, 0, &intid);
        volatile uint32_t *regs = mmu_map_device(pa, size);
        if (!regs) {
            pr_warn("virtio: slot %u at 0x%lx could not be mapped", slot, (unsigned long)pa);
            continue;
        }
        uint32_t magic = regs[REG_MAGIC / 4], version = regs[REG_VERSION / 4];
        uint32_t id = regs[REG_DEVICE_ID / 4];
        if (magic != VIRTIO_MAGIC_VALUE) {
            pr_warn("virtio: slot %u at 0x%lx: bad magic 0x%x", slot, (unsigned long)pa, magic);
            continue;
        }
        present += id != 0;
        pr_info("virtio: slot %u at 0x%lx irq %u: device-id %u (%s), version %u", slot,
                (unsigned long)pa, intid, id, device_name(id), version);
    }
    pr_info("virtio: %u slots, %u devices", slot, present);
    return slot;
}
