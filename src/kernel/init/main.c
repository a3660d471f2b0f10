/*
 * main.c - kmain, the boot CPU's path from the first C instruction to a
 * running kernel.
 *
 * Order matters: the DTB (mapped by the boot tables) says where RAM and
 * the console are; the real page tables come next, then the console, so
 * everything after can report; then memory, interrupts, time, devices and
 * the other CPUs.  Anything the machine lacks ends in fatal(), which says
 * what is missing and powers off.
 */
#include "arch/cpu.h"
#include "arch/mmu.h"
#include "arch/mmu_boot.h"
#include "arch/psci.h"
#include "arch/smp.h"
#include "arch/timer.h"
#include "dev/console.h"
#include "dev/devices.h"
#include "dev/random.h"
#include "dev/rtc.h"
#include "dev/irq.h"
#include "dev/virtio.h"
#include "kernel/bootargs.h"
#include "kernel/ktest.h"
#include "kernel/log.h"
#include "lib/fdt.h"
#include "mm/pmm.h"
#include "mm/vm.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "viper/errors.h"

#define VIPER_VERSION "0.1.0"
#define DTB_MAX_SIZE  (2u << 20)   /* the arm64 boot protocol's limit */

extern char _image_start[], _image_end[];

static struct fdt boot_fdt;

/*
 * Every RAM range of every memory node, cut to the linear map's reach from
 * *start, the lowest RAM address on a 2 MiB boundary (arch/mmu.h); *cut =
 * the bytes left out.
 */
static int find_ram(const struct fdt *fdt, struct mem_range *ram, uint64_t *start, uint64_t *cut)
{
    int n = 0;
    *start = UINT64_MAX;
    *cut = 0;
    for (int node = fdt_find_device_type(fdt, -1, "memory"); node >= 0;
         node = fdt_find_device_type(fdt, node, "memory")) {
        for (int i = 0; n < PMM_MAX_RANGES; i++) {
            uint64_t base, size;
            if (fdt_reg(fdt, node, i, &base, &size) != VIPER_OK)
                break;
            if (size) {
                ram[n++] = (struct mem_range){ base, size };
                if (base < *start)
                    *start = base & ~((1ul << 21) - 1);
            }
        }
    }
    int kept = 0;
    for (int i = 0; i < n; i++) {
        uint64_t base = ram[i].base, end = base + ram[i].size;
        uint64_t limit = *start + KERNEL_LINEAR_SIZE;
        uint64_t e = end < limit ? end : limit;
        *cut += ram[i].size - (e > base ? e - base : 0);
        if (e > base)
            ram[kept++] = (struct mem_range){ base, e - base };
    }
    return kept;
}

/* A /chosen address property of one or two cells. */
static uint64_t chosen_addr(const struct fdt *fdt, int chosen, const char *name)
{
    uint32_t len;
    const void *p = fdt_getprop(fdt, chosen, name, &len);
    if (!p)
        return 0;
    return len == 8 ? fdt_be64(p) : len == 4 ? fdt_be32(p) : 0;
}

/* Kernel image, DTB and initrd: RAM the page allocator must not hand out. */
static int find_reserved(const struct fdt *fdt, uint64_t dtb_pa, struct mem_range *res)
{
    int n = 0;
    res[n++] = (struct mem_range){ kimage_pa, (uint64_t)(_image_end - _image_start) };
    res[n++] = (struct mem_range){ dtb_pa, fdt->total_size };
    int chosen = fdt_path(fdt, "/chosen");
    uint64_t start = chosen_addr(fdt, chosen, "linux,initrd-start");
    uint64_t end = chosen_addr(fdt, chosen, "linux,initrd-end");
    if (chosen >= 0 && end > start)
        res[n++] = (struct mem_range){ start, end - start };
    return n;
}

static void print_memory_map(const struct mem_range *ram, int nram,
                             const struct mem_range *res, int nres)
{
    static const char *const res_names[] = { "kernel", "dtb", "initrd" };
    for (int i = 0; i < nram; i++)
        pr_info("mem: ram 0x%016lx-0x%016lx (%lu MiB)", (unsigned long)ram[i].base,
                (unsigned long)(ram[i].base + ram[i].size), (unsigned long)(ram[i].size >> 20));
    for (int i = 0; i < nres; i++)
        pr_info("mem: reserved 0x%016lx-0x%016lx %s", (unsigned long)res[i].base,
                (unsigned long)(res[i].base + res[i].size), res_names[i]);
}

static void boot_devices(const struct fdt *fdt)
{
    int err = irq_init(fdt);
    if (err == VIPER_ERR_NOT_FOUND)
        fatal("no interrupt controller in the device tree (need arm,gic-v3, arm,gic-400 "
              "or arm,cortex-a15-gic)");
    if (err)
        fatal("interrupt controller setup failed (error %d)", err);
    err = timer_init(fdt);
    if (err)
        fatal("no usable timer in the device tree (need arm,armv8-timer with interrupts), "
              "error %d", err);
    err = console_enable_irq(fdt);
    if (err)
        pr_warn("uart: no interrupt (error %d); console stays polled", err);
    arch_irq_enable();
    pr_info("uart: pl011 at 0x%lx, %s", (unsigned long)console_phys_addr(),
            err ? "polled" : "irq-driven rx/tx");
    virtio_mmio_list(fdt);
    devices_add_platform(fdt);
    rtc_init(fdt);
    random_init(fdt);
}

/* Become the idle thread after starting the first process (init= or /vinit). */
static _Noreturn void start_user_space(const struct fdt *fdt)
{
    sched_init();
    vm_activate(NULL, NULL);   /* the boot identity map in TTBR0 is not needed any more */
    const char *init = bootarg("init");
    if (!init || !*init)
        init = "/vinit";
    int err = proc_start_init(fdt, init);
    if (err == VIPER_ERR_NOT_FOUND)
        pr_warn("init: %s not found (no initrd, or not in it); the kernel idles", init);
    else if (err)
        pr_warn("init: %s could not start (error %d); the kernel idles", init, err);
    sched_idle_loop();
}

void kmain(uint64_t dtb_pa)
{
    struct mem_range ram[PMM_MAX_RANGES], reserved[4];
    uint64_t linear_start, ram_cut;
    timer_conversion_init();   /* before anything reads the time */
    if (fdt_init(&boot_fdt, mmu_boot_dtb(dtb_pa), DTB_MAX_SIZE) != VIPER_OK)
        psci_system_off();   /* no DTB: no console to say so on */
    const struct fdt *fdt = &boot_fdt;
    int nram = find_ram(fdt, ram, &linear_start, &ram_cut);
    if (nram == 0 || dtb_pa < linear_start ||
        dtb_pa + boot_fdt.total_size > linear_start + KERNEL_LINEAR_SIZE ||
        mmu_init(ram, nram, linear_start) != VIPER_OK ||
        fdt_init(&boot_fdt, phys_to_virt(dtb_pa), DTB_MAX_SIZE) != VIPER_OK)
        psci_system_off();   /* nothing is mapped yet to print with */
    if (console_init(fdt) != VIPER_OK)
        psci_system_off();
    kprintf("\nViperOS " VIPER_VERSION " (aarch64) booting\n");
    kprintf("cpu: entered at EL%lu, kernel at 0x%lx, dtb at 0x%lx\n",
            (unsigned long)boot_entry_el, (unsigned long)kimage_pa, (unsigned long)dtb_pa);
    int chosen = fdt_path(fdt, "/chosen");
    const char *args = chosen >= 0 ? fdt_getprop(fdt, chosen, "bootargs", NULL) : NULL;
    bootargs_parse(args ? args : "");
    if (psci_init(fdt) != VIPER_OK)
        pr_warn("psci: no usable /psci node; power-off uses the QEMU convention");

    int nres = find_reserved(fdt, dtb_pa, reserved);
    print_memory_map(ram, nram, reserved, nres);
    if (ram_cut)
        pr_warn("mem: %lu MiB of RAM beyond the linear map's %lu GiB left unused",
                (unsigned long)(ram_cut >> 20), (unsigned long)(KERNEL_LINEAR_SIZE >> 30));
    if (pmm_init(ram, nram, reserved, nres) != VIPER_OK)
        fatal("not enough memory for the page allocator");
    pmm_dump();

    boot_devices(fdt);
    smp_init(fdt);

    uint64_t ns = timer_ticks_to_ns(timer_ticks() - boot_counter_start);
    kprintf("boot: ready in %lu.%03lu ms\n", (unsigned long)(ns / 1000000),
            (unsigned long)(ns / 1000 % 1000));
    const char *suite = bootarg("test");
    if (suite)
        ktest_run(suite);
    start_user_space(fdt);
}
