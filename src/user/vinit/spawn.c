/*
 * vinit/spawn.c - the programs vinit runs, and starting one with exactly
 * the capabilities it needs.
 *
 * Every handle a child gets is derived (or opened) fresh for that spawn and
 * moves into it, so a restarted server starts from the same state as the
 * first, and vinit's own capabilities never leave it with more rights than
 * the table says.  The slot layouts are the servers' own contracts
 * (docs/console.md, docs/blkd.md, docs/vinit.md); a slot whose device the
 * machine lacks gets a placeholder (a timer object), which the server reads
 * as "absent".
 */
#include <proto/console.h>
#include <stdio.h>
#include <string.h>
#include <viper/sys.h>
#include "vinit.h"

#define DEV(k, id) { SLOT_DEVICE, (k), (id) }
#define DMA_ROOT   { SLOT_DMA_ROOT, 0, 0 }
#define VIRTIO_BLK   2u
#define VIRTIO_RNG   4u
#define VIRTIO_GPU   16u
#define VIRTIO_INPUT 18u

const struct program vinit_programs[] = {
    { "consoled", "/consoled", CON_NAME, false, NULL,
      { DEV(VIPER_DEV_PL011, 0), DEV(VIPER_DEV_FW_CFG, 0),
        DEV(VIPER_DEV_VIRTIO_MMIO, VIRTIO_GPU), DMA_ROOT } },
    { "inputd", "/inputd", NULL, false, NULL,
      { DEV(VIPER_DEV_VIRTIO_MMIO, VIRTIO_INPUT), DMA_ROOT } },
    { "rngd", "/rngd", NULL, true, NULL, { DEV(VIPER_DEV_VIRTIO_MMIO, VIRTIO_RNG), DMA_ROOT } },
    { "blkd", "/blkd", "BLK0:", true, NULL,
      { DEV(VIPER_DEV_VIRTIO_MMIO, VIRTIO_BLK), DMA_ROOT } },
    { "fsd", "/fsd", "FSD:", true, "BLK0:", { { SLOT_NONE, 0, 0 } } },
    { "shell", "/shell", NULL, true, NULL, { { SLOT_BOOTFS, 0, 0 }, { SLOT_CONTROL, 0, 0 } } },
};
const unsigned vinit_nprograms = sizeof vinit_programs / sizeof vinit_programs[0];
const struct program *const vinit_shell = &vinit_programs[sizeof vinit_programs /
                                                          sizeof vinit_programs[0] - 1];

/* A handle that is no channel and no device: "nothing here" in a slot. */
static int64_t placeholder(viper_handle_t *out)
{
    uint64_t h = 0;
    int64_t err = viper_timer_create(&h);

    *out = (viper_handle_t)h;
    return err;
}

/* The first device of the wanted kind not yet given out in this spawn. */
static int64_t open_device(const struct vinit_caps *caps, const struct slot_spec *s,
                           uint64_t *used, viper_handle_t *out)
{
    uint64_t base, size, id, h;

    for (uint64_t i = 0; i < 64; i++) {
        if (viper_dev_info(caps->devroot, i, &base, &size, &id) != VIPER_OK)
            break;
        if ((*used >> i & 1) || id >> 32 != s->kind)
            continue;
        if (s->kind == VIPER_DEV_VIRTIO_MMIO && (uint32_t)id != s->virtio_id)
            continue;
        int64_t err = viper_dev_open(caps->devroot, i, &h);
        if (err == VIPER_OK) {
            *used |= 1ull << i;
            *out = (viper_handle_t)h;
        }
        return err;
    }
    return placeholder(out);
}

static int64_t derive(viper_handle_t from, uint64_t rights, viper_handle_t *out)
{
    uint64_t h = 0;
    int64_t err = viper_cap_derive(from, rights | VIPER_RIGHT_TRANSFER, &h);

    *out = (viper_handle_t)h;
    return err;
}

bool vinit_runnable(const struct vinit_caps *caps, const struct program *prog)
{
    uint64_t base, size, id, h;

    if (prog->needs) {
        if (viper_registry_open(caps->registry, prog->needs, &h) != VIPER_OK)
            return false;
        viper_handle_close(h);
    }

    for (unsigned i = 0; i < VINIT_SLOTS_MAX - 2 && prog->slots[i].what != SLOT_NONE; i++) {
        const struct slot_spec *s = &prog->slots[i];
        if (s->what != SLOT_DEVICE)
            continue;
        for (uint64_t d = 0; viper_dev_info(caps->devroot, d, &base, &size, &id) == VIPER_OK; d++)
            if (id >> 32 == s->kind &&
                (s->kind != VIPER_DEV_VIRTIO_MMIO || (uint32_t)id == s->virtio_id))
                return true;
        return false;   /* only the first device slot is required */
    }
    return true;
}

/* Fill slot i (>= 2) of handles from spec s. */
static int64_t fill_slot(const struct vinit_caps *caps, const struct slot_spec *s,
                         uint64_t *used, viper_handle_t *out, viper_handle_t *control)
{
    uint64_t a, b;
    int64_t err;

    switch (s->what) {
    case SLOT_DEVICE:
        return open_device(caps, s, used, out);
    case SLOT_DMA_ROOT:
        return derive(caps->devroot, VIPER_RIGHT_DMA_ACCESS, out);
    case SLOT_BOOTFS:
        return derive(caps->bootfs_shm, VIPER_RIGHT_READ, out);
    case SLOT_CONTROL:
        err = viper_chan_create(&a, &b);
        if (err == VIPER_OK) {
            *control = (viper_handle_t)a;
            *out = (viper_handle_t)b;
        }
        return err;
    default:
        return VIPER_ERR_INVALID;
    }
}

/* Slot 1: a connection to the console, or a placeholder while there is none. */
static int64_t console_slot(const struct vinit_caps *caps, const struct program *prog,
                            viper_handle_t *out)
{
    uint64_t h;

    if (prog->console && viper_registry_open(caps->registry, CON_NAME, &h) == VIPER_OK) {
        *out = (viper_handle_t)h;
        return VIPER_OK;
    }
    return placeholder(out);
}

int64_t vinit_spawn(const struct vinit_caps *caps, const struct program *prog,
                    viper_handle_t *control)
{
    viper_handle_t h[VINIT_SLOTS_MAX];
    uint64_t used = 0, n = 0;
    uint64_t reg_rights = VIPER_RIGHT_TRAVERSE | (prog->regname ? VIPER_RIGHT_CREATE : 0);
    int64_t err, pid = 0;

    *control = VIPER_HANDLE_INVALID;
    err = derive(caps->registry, reg_rights, &h[0]);
    if (err != VIPER_OK)
        return err;
    n = 1;
    err = console_slot(caps, prog, &h[1]);
    if (err == VIPER_OK)
        n = 2;
    for (unsigned i = 0; err == VIPER_OK && i < VINIT_SLOTS_MAX - 2; i++) {
        if (prog->slots[i].what == SLOT_NONE)
            break;
        err = fill_slot(caps, &prog->slots[i], &used, &h[n], control);
        if (err == VIPER_OK)
            n++;
    }
    const char *argv[] = { prog->path, NULL };
    if (err == VIPER_OK)
        err = viper_spawn(prog->path, argv, NULL, h, n, &pid);
    if (err != VIPER_OK) {   /* the handles did not move: they are still ours */
        for (uint64_t i = 0; i < n; i++)
            viper_handle_close(h[i]);
        if (*control != VIPER_HANDLE_INVALID)
            viper_handle_close(*control);
        *control = VIPER_HANDLE_INVALID;
        return err;
    }
    return pid;
}
