/*
 * bootfs/map.c - mapping the boot filesystem handle (see bootfs.h).
 *
 * shm_map does not say how big the object is, and the reader must never
 * look past the mapping.  Every mapping is followed by an unmapped guard
 * page, and mprotect succeeds only on a fully mapped range, so a binary
 * search with mprotect(base, n pages, READ) (which changes nothing: the
 * pages are read-only already) finds the mapping's exact length.
 */
#include <bootfs/bootfs.h>
#include <viper/sys.h>

#define PAGE 4096ull
#define SHM_PAGES_MAX ((64ull << 20) / PAGE)   /* shm_create's limit */

static bool mapped(uint64_t base, uint64_t pages)
{
    return viper_mprotect(base, pages * PAGE, VIPER_PROT_READ) == VIPER_OK;
}

int bootfs_map(uint32_t shm, struct bootfs *fs)
{
    uint64_t base, lo = 1, hi = SHM_PAGES_MAX;
    int64_t err = viper_shm_map(shm, 0, VIPER_PROT_READ, &base);

    if (err != VIPER_OK)
        return (int)err;
    if (!mapped(base, 1))
        return VIPER_ERR_BAD_FORMAT;
    while (lo < hi) {   /* invariant: lo pages are mapped, hi + 1 are not (or hi is the cap) */
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if (mapped(base, mid))
            lo = mid;
        else
            hi = mid - 1;
    }
    size_t len = bootfs_size((const void *)base, lo * PAGE);
    if (len == 0)
        return VIPER_ERR_BAD_FORMAT;
    bootfs_open(fs, (const void *)base, len);
    return VIPER_OK;
}
