/*
 * rtc.c - the PL031 real-time clock (ARM DDI 0224: RTCDR at offset 0 holds
 * seconds since the epoch QEMU sets, the host's UTC time at start-up) and
 * the clock_wall system call.
 */
#include "arch/mmu.h"
#include "arch/timer.h"
#include "dev/rtc.h"
#include "kernel/log.h"
#include "lib/fdt.h"
#include "syscall/syscall.h"
#include "viper/errors.h"

#define PL031_DR 0x000   /* data register: the current count, in seconds */

static uint64_t boot_wall_ns;   /* 0: no RTC */
static uint64_t boot_mono_ns;   /* the monotonic clock when it was read */

void rtc_init(const struct fdt *fdt)
{
    uint64_t base, size;
    int node = fdt_find_compatible(fdt, -1, "arm,pl031");
    if (node < 0 || fdt_reg(fdt, node, 0, &base, &size) != 0 || size < 4)
        return;
    volatile uint32_t *regs = mmu_map_device(base, size);
    if (!regs)
        return;
    uint32_t secs = regs[PL031_DR / 4];
    boot_mono_ns = timer_now_ns();
    boot_wall_ns = (uint64_t)secs * 1000000000ull;
    pr_info("rtc: pl031 at 0x%lx, %u s since 1970", (unsigned long)base, secs);
}

int64_t sys_clock_wall(struct trap_frame *tf)
{
    if (!boot_wall_ns)
        return VIPER_ERR_NOT_SUPPORTED;
    tf->x[1] = boot_wall_ns + (timer_now_ns() - boot_mono_ns);
    return VIPER_OK;
}
