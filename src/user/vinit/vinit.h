/*
 * vinit/vinit.h - what vinit's files share: the table of programs it runs
 * and the capabilities it cuts theirs from (docs/vinit.md).
 */
#pragma once
#include <bootfs/bootfs.h>
#include <stdbool.h>
#include <stdint.h>
#include <viper/types.h>

#define VINIT_SLOTS_MAX 8u   /* spawn passes at most 8 handles */

/* What goes in one of a child's startup slots from 2 on. */
enum vinit_slot {
    SLOT_NONE,       /* end of the list */
    SLOT_DEVICE,     /* the next unused device of .kind (and .virtio_id), or a placeholder */
    SLOT_DMA_ROOT,   /* the device root narrowed to DMA_ACCESS */
    SLOT_BOOTFS,     /* the boot filesystem, read-only */
    SLOT_CONTROL,    /* the child's end of a control channel to vinit (proto/vinit.h) */
};

struct slot_spec {
    uint8_t what;        /* enum vinit_slot */
    uint8_t kind;        /* SLOT_DEVICE: VIPER_DEV_* */
    uint16_t virtio_id;  /* SLOT_DEVICE of VIPER_DEV_VIRTIO_MMIO: the virtio device ID */
};

struct program {
    const char *name;     /* for the log */
    const char *path;     /* in the boot filesystem */
    const char *regname;  /* the name it registers ("CON:"), or NULL */
    bool console;         /* slot 1: a CON: connection (else a placeholder) */
    const char *needs;    /* a name that must answer before it starts ("BLK0:"), or NULL */
    struct slot_spec slots[VINIT_SLOTS_MAX - 2];
};

/* The servers, in start order, then the shell (the last entry). */
extern const struct program vinit_programs[];
extern const unsigned vinit_nprograms;
extern const struct program *const vinit_shell;

/* The capabilities vinit holds. */
struct vinit_caps {
    viper_handle_t registry, devroot, bootfs_shm;
    struct bootfs bootfs;
    bool have_bootfs;
};

/*
 * Can prog run here: does the machine have the device its first device slot
 * asks for (if any), and does the name it needs answer?
 */
bool vinit_runnable(const struct vinit_caps *caps, const struct program *prog);

/*
 * Start prog with freshly derived handles; *control gets vinit's end of the
 * control channel if prog has a SLOT_CONTROL.  Returns the pid or a VIPER_ERR_*.
 */
int64_t vinit_spawn(const struct vinit_caps *caps, const struct program *prog,
                    viper_handle_t *control);
