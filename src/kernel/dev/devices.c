/*
 * devices.c - the device table, and the device capabilities: the device
 * root (list, open, DMA), device regions (map, IRQ) and IRQ objects.
 *
 * A driver in user space holds a handle to its device and maps its
 * registers as Device-nGnRE memory; its interrupt is delivered through an
 * IRQ object: the kernel masks the interrupt when it fires and raises the
 * object's signal, the driver waits for it with wait_many, services the
 * device, and irq_ack unmasks it.  Nothing here touches the device itself.
 *
 * Besides the virtio-mmio slots the table lists the console PL011 (shared
 * with the kernel's own log: binding its interrupt hands RX and TX
 * interrupts over to the driver, dev/console.h) and QEMU's fw_cfg (ramfb).
 */
#include "cap/handle.h"
#include "dev/console.h"
#include "dev/devices.h"
#include "dev/irq.h"
#include "ipc/shm.h"
#include "kernel/log.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "mm/vm.h"
#include "proc/process.h"
#include "syscall/syscall.h"
#include "viper/errors.h"
#include "viper/types.h"

#define DEVICE_RIGHTS (VIPER_RIGHT_READ | VIPER_RIGHT_WRITE | VIPER_RIGHT_DEVICE_ACCESS | \
                       VIPER_RIGHT_IRQ_ACCESS | VIPER_RIGHT_TRANSFER | VIPER_RIGHT_DERIVE)
#define IRQ_RIGHTS    (VIPER_RIGHT_READ | VIPER_RIGHT_WRITE | VIPER_RIGHT_TRANSFER)
#define DMA_RIGHTS    (VIPER_RIGHT_READ | VIPER_RIGHT_WRITE | VIPER_RIGHT_TRANSFER | VIPER_RIGHT_DERIVE)
#define DMA_MAX_BYTES (4ull << 20)

static struct device_desc table[DEVICES_MAX];
static unsigned ndevices;
static struct object *root;

struct device_obj {
    struct object obj;
    unsigned index;
};

struct irq_obj {
    struct object obj;
    unsigned index;       /* the device whose interrupt this is */
    bool pending;
};

bool devices_add(uint32_t kind, uint64_t base, uint64_t size, unsigned intid, uint32_t virtio_id)
{
    if (ndevices == DEVICES_MAX)
        return false;
    table[ndevices++] = (struct device_desc){ kind, virtio_id, base, size, intid, false };
    return true;
}

void devices_add_platform(const struct fdt *fdt)
{
    uint64_t pa, size;
    unsigned intid;
    if (console_device(&pa, &size, &intid) == VIPER_OK &&
        !devices_add(VIPER_DEV_PL011, pa, size, intid, 0))
        pr_warn("devices: console uart left out: device table full");
    int n = fdt_find_compatible(fdt, -1, "qemu,fw-cfg-mmio");
    if (n >= 0 && fdt_reg(fdt, n, 0, &pa, &size) == VIPER_OK && size > 0 &&
        !devices_add(VIPER_DEV_FW_CFG, pa, size, 0, 0))
        pr_warn("devices: fw_cfg left out: device table full");
}

struct device_desc *devices_get(uint64_t index)
{
    return index < ndevices ? &table[index] : NULL;
}

struct device_desc *device_obj_desc(struct object *o)
{
    return &table[container_of(o, struct device_obj, obj)->index];
}

struct object *devices_root(void)
{
    if (!root) {
        root = kzalloc(sizeof *root);
        if (root)
            obj_init(root, OBJ_DEVROOT);   /* the kernel's reference, never dropped */
    }
    return root;
}

void devroot_destroy(struct object *o)
{
    kfree(o);
}

void device_obj_destroy(struct object *o)
{
    kfree(container_of(o, struct device_obj, obj));
}

static void irq_fired(unsigned intid, void *arg)
{
    struct irq_obj *q = arg;
    irq_disable(intid);   /* until the driver has serviced the device: irq_ack */
    q->pending = true;
    obj_signal(&q->obj);
}

void irq_obj_destroy(struct object *o)
{
    struct irq_obj *q = container_of(o, struct irq_obj, obj);
    irq_unregister(table[q->index].intid);
    table[q->index].irq_bound = false;
    if (table[q->index].kind == VIPER_DEV_PL011)
        console_reclaim_irq();   /* the kernel's console takes its interrupt back */
    kfree(q);
}

uint32_t irq_obj_signals(struct object *o)
{
    return container_of(o, struct irq_obj, obj)->pending ? VIPER_SIGNAL_IRQ : 0;
}

static struct handle_table *handles(void)
{
    return &proc_current()->handles;
}

/* Give the caller a handle to o (taking over the creator's reference). */
static int give(struct object *o, uint32_t rights, uint64_t *out)
{
    return handle_give(handles(), o, rights, out);
}

int64_t sys_dev_info(struct trap_frame *tf)
{
    struct cap *c;
    int err = handle_lookup(handles(), tf->x[0], OBJ_DEVROOT, VIPER_RIGHT_LIST, &c);
    if (err)
        return err;
    struct device_desc *d = devices_get(tf->x[1]);
    if (!d)
        return VIPER_ERR_NOT_FOUND;
    tf->x[1] = d->base;
    tf->x[2] = d->size;
    tf->x[3] = (uint64_t)d->kind << 32 | d->virtio_id;
    return VIPER_OK;
}

int64_t sys_dev_open(struct trap_frame *tf)
{
    struct cap *c;
    int err = handle_lookup(handles(), tf->x[0], OBJ_DEVROOT, VIPER_RIGHT_DEVICE_ACCESS, &c);
    if (err)
        return err;
    if (!devices_get(tf->x[1]))
        return VIPER_ERR_NOT_FOUND;
    struct device_obj *d = kzalloc(sizeof *d);
    if (!d)
        return VIPER_ERR_NO_MEMORY;
    obj_init(&d->obj, OBJ_DEVICE);
    d->index = (unsigned)tf->x[1];
    return give(&d->obj, DEVICE_RIGHTS, &tf->x[1]);
}

int64_t sys_dev_map(struct trap_frame *tf)
{
    struct cap *c;
    int err = handle_lookup(handles(), tf->x[0], OBJ_DEVICE, VIPER_RIGHT_DEVICE_ACCESS, &c);
    if (err)
        return err;
    struct device_desc *d = &table[container_of(c->obj, struct device_obj, obj)->index];
    struct vm_space *vm = proc_current()->vm;
    uint64_t len = ((d->base & (PAGE_SIZE - 1)) + d->size + PAGE_SIZE - 1) & PAGE_MASK;
    uint64_t addr = vm_find_free(vm, tf->x[1], len);
    if (!addr)
        return VIPER_ERR_NO_MEMORY;
    err = vm_map_device(vm, addr, d->base & PAGE_MASK, len);
    if (!err)
        tf->x[1] = addr + (d->base & (PAGE_SIZE - 1));
    return err;
}

int64_t sys_irq_open(struct trap_frame *tf)
{
    struct cap *c;
    int err = handle_lookup(handles(), tf->x[0], OBJ_DEVICE, VIPER_RIGHT_IRQ_ACCESS, &c);
    if (err)
        return err;
    unsigned index = container_of(c->obj, struct device_obj, obj)->index;
    struct device_desc *d = &table[index];
    if (!d->intid)
        return VIPER_ERR_NOT_FOUND;
    if (d->irq_bound)
        return VIPER_ERR_BUSY;
    struct irq_obj *q = kzalloc(sizeof *q);
    if (!q)
        return VIPER_ERR_NO_MEMORY;
    obj_init(&q->obj, OBJ_IRQ);
    q->index = index;
    d->irq_bound = true;
    if (d->kind == VIPER_DEV_PL011)
        console_release_irq();   /* the driver owns RX and TX interrupts from now on */
    err = irq_register(d->intid, irq_fired, q);
    if (err) {
        obj_put(&q->obj);   /* irq_obj_destroy gives the kernel its interrupt back */
        return err;
    }
    return give(&q->obj, IRQ_RIGHTS, &tf->x[1]);
}

int64_t sys_irq_ack(struct trap_frame *tf)
{
    struct cap *c;
    int err = handle_lookup(handles(), tf->x[0], OBJ_IRQ, VIPER_RIGHT_WRITE, &c);
    if (err)
        return err;
    struct irq_obj *q = container_of(c->obj, struct irq_obj, obj);
    q->pending = false;
    irq_enable(table[q->index].intid);
    obj_signal(&q->obj);
    return VIPER_OK;
}

int64_t sys_dma_alloc(struct trap_frame *tf)
{
    struct cap *c;
    int err = handle_lookup(handles(), tf->x[0], OBJ_DEVROOT, VIPER_RIGHT_DMA_ACCESS, &c);
    if (err)
        return err;
    uint64_t size = tf->x[1];
    if (size == 0 || size > DMA_MAX_BYTES)
        return VIPER_ERR_INVALID;
    struct shm *s;
    err = shm_alloc_contiguous(proc_current(), size, &s);
    if (err)
        return err;
    struct vm_space *vm = proc_current()->vm;
    uint64_t addr = vm_find_free(vm, tf->x[2], s->npages * PAGE_SIZE);
    err = addr ? vm_map_shm(vm, addr, VIPER_PROT_READ | VIPER_PROT_WRITE, s) : VIPER_ERR_NO_MEMORY;
    uint64_t h = 0;
    if (!err)
        err = give(&s->obj, DMA_RIGHTS, &h);   /* on failure this drops the creator's reference */
    else
        obj_put(&s->obj);
    if (err) {
        if (addr)
            vm_unmap(vm, addr, s->npages * PAGE_SIZE);
        return err;
    }
    tf->x[1] = h;
    tf->x[2] = addr;
    tf->x[3] = s->pages[0];
    return VIPER_OK;
}
