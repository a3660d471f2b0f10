/*
 * proto/vinit.h - the shell's control channel to vinit (docs/vinit.md).
 *
 * vinit gives the shell one end of a channel (startup handle 3) and keeps the
 * other.  The shell asks for what only pid 1 may do: power the machine off or
 * reset it (vinit alone holds the device root), and end a process the shell
 * did not start (kill needs an ancestor, and vinit is everyone's).  Each
 * request gets one vinit_reply; a malformed one gets VIPER_ERR_INVALID.
 */
#pragma once
#include <stdint.h>

enum vinit_op {
    VINIT_READY = 1,   /* the first prompt is next: vinit logs the boot-to-shell time */
    VINIT_POWER = 2,   /* arg: VIPER_POWER_OFF or VIPER_POWER_REBOOT; no reply on success */
    VINIT_KILL  = 3,   /* arg: a pid other than 1 */
};

struct vinit_request {
    uint32_t op;
    uint32_t reserved;
    int64_t arg;
};

struct vinit_reply {
    int32_t status;    /* VIPER_OK or a VIPER_ERR_* */
    uint32_t reserved;
};
