/*
 * power.c - the power system call: switch the machine off or reset it
 * through PSCI.  Only a holder of the device root with DEVICE_ACCESS may
 * (in the reference image that is vinit alone; the shell asks it).
 */
#include "arch/psci.h"
#include "cap/handle.h"
#include "kernel/log.h"
#include "proc/process.h"
#include "syscall/syscall.h"
#include "viper/errors.h"
#include "viper/types.h"

int64_t sys_power(struct trap_frame *tf)
{
    struct cap *c;
    int err = handle_lookup(&proc_current()->handles, tf->x[0], OBJ_DEVROOT,
                            VIPER_RIGHT_DEVICE_ACCESS, &c);
    if (err)
        return err;
    switch (tf->x[1]) {
    case VIPER_POWER_OFF:
        pr_info("power: off, asked by pid %ld", (long)proc_current()->pid);
        psci_system_off();
    case VIPER_POWER_REBOOT:
        pr_info("power: reboot, asked by pid %ld", (long)proc_current()->pid);
        psci_system_reset();
    default:
        return VIPER_ERR_INVALID;
    }
}
