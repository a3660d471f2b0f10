/*
 * ramfb.c - a framebuffer in guest RAM that QEMU shows (-device ramfb),
 * configured through QEMU's fw_cfg device (QEMU docs/specs/fw_cfg.rst).
 *
 * fw_cfg on the virt machine is three big-endian registers: data (+0),
 * selector (+8) and the DMA address (+16).  We use only DMA: a descriptor
 * {control, length, address}, all big-endian, whose physical address is
 * written to the DMA register (the write of its low half starts the
 * transfer); the device clears control when done, or leaves bit 0 (error).
 * The file directory (selector 0x19: a count, then 64-byte entries
 * {size, select, reserved, name[56]}) tells which selector "etc/ramfb" has;
 * writing its 28-byte RAMFBCfg {addr, fourcc, flags, width, height, stride}
 * makes QEMU scan out of our buffer.
 */
#include <string.h>
#include <viper/sys.h>
#include "consoled.h"

#define FW_CFG_DMA         0x10
#define FW_CFG_DMA_SIG     0x51454d5520434647ull   /* "QEMU CFG", read from the DMA register */
#define FW_CFG_FILE_DIR    0x19

#define DMA_CTL_ERROR      0x01u
#define DMA_CTL_READ       0x02u
#define DMA_CTL_SELECT     0x08u
#define DMA_CTL_WRITE      0x10u
#define DMA_SPINS          1000000

#define RAMFB_WIDTH        1024u
#define RAMFB_HEIGHT       768u
#define DRM_FORMAT_XRGB8888 0x34325258u   /* fourcc "XR24" */

struct fw_cfg_dma {
    uint32_t control, length;
    uint64_t address;
};

struct fw_cfg_file {
    uint32_t size;
    uint16_t select, reserved;
    char name[56];
};

struct ramfb_cfg {
    uint64_t addr;
    uint32_t fourcc, flags, width, height, stride;
} __attribute__((packed));

static volatile uint8_t *regs;
static volatile struct fw_cfg_dma *desc;   /* at the start of the scratch page */
static uint8_t *scratch;                   /* the rest of it: what a transfer reads or writes */
static uint64_t desc_phys, scratch_phys;

static inline uint32_t be32(uint32_t v)
{
    return __builtin_bswap32(v);
}

static inline uint64_t be64(uint64_t v)
{
    return __builtin_bswap64(v);
}

/* One DMA transfer of len bytes (<= 256) to or from scratch; VIPER_OK or VIPER_ERR_IO. */
static int64_t fw_cfg_dma(uint32_t control, uint32_t len)
{
    desc->control = be32(control);
    desc->length = be32(len);
    desc->address = be64(scratch_phys);
    __asm__ volatile("dsb sy" ::: "memory");
    *(volatile uint32_t *)(regs + FW_CFG_DMA) = be32((uint32_t)(desc_phys >> 32));
    *(volatile uint32_t *)(regs + FW_CFG_DMA + 4) = be32((uint32_t)desc_phys);
    for (int i = 0; i < DMA_SPINS; i++) {
        __asm__ volatile("dsb sy" ::: "memory");
        uint32_t c = be32(desc->control);
        if (c & DMA_CTL_ERROR)
            return VIPER_ERR_IO;
        if (c == 0)
            return VIPER_OK;
    }
    return VIPER_ERR_IO;
}

/* The selector of the fw_cfg file called name; NOT_FOUND if it is not there. */
static int64_t find_file(const char *name, uint16_t *select)
{
    int64_t rc = fw_cfg_dma((uint32_t)FW_CFG_FILE_DIR << 16 | DMA_CTL_SELECT | DMA_CTL_READ, 4);
    if (rc != VIPER_OK)
        return rc;
    uint32_t count = be32(*(uint32_t *)scratch);
    for (uint32_t i = 0; i < count && i < 4096; i++) {   /* QEMU has a few dozen at most */
        struct fw_cfg_file f;
        rc = fw_cfg_dma(DMA_CTL_READ, sizeof f);   /* the next entry */
        if (rc != VIPER_OK)
            return rc;
        memcpy(&f, scratch, sizeof f);
        f.name[sizeof f.name - 1] = '\0';
        if (strcmp(f.name, name) == 0) {
            *select = __builtin_bswap16(f.select);
            return VIPER_OK;
        }
    }
    return VIPER_ERR_NOT_FOUND;
}

int64_t ramfb_init(uint64_t fwcfg_dev, uint64_t dma_root, struct display *d)
{
    uint64_t addr, h, va, phys;
    int64_t rc = viper_dev_map(fwcfg_dev, 0, &addr);
    if (rc != VIPER_OK)
        return rc;
    regs = (volatile uint8_t *)(uintptr_t)addr;
    if (be64(*(volatile uint64_t *)(regs + FW_CFG_DMA)) != FW_CFG_DMA_SIG)
        return VIPER_ERR_NOT_SUPPORTED;   /* an fw_cfg without the DMA interface */
    rc = viper_dma_alloc(dma_root, 4096, 0, &h, &va, &phys);
    if (rc != VIPER_OK)
        return rc;
    desc = (volatile struct fw_cfg_dma *)(uintptr_t)va;
    scratch = (uint8_t *)(uintptr_t)va + 256;
    desc_phys = phys;
    scratch_phys = phys + 256;

    uint16_t select;
    rc = find_file("etc/ramfb", &select);
    if (rc != VIPER_OK)
        return rc;
    uint64_t bytes = (uint64_t)RAMFB_WIDTH * RAMFB_HEIGHT * 4;
    rc = viper_dma_alloc(dma_root, bytes, 0, &h, &va, &phys);
    if (rc != VIPER_OK)
        return rc;
    struct ramfb_cfg cfg = {
        .addr = be64(phys), .fourcc = be32(DRM_FORMAT_XRGB8888), .flags = 0,
        .width = be32(RAMFB_WIDTH), .height = be32(RAMFB_HEIGHT), .stride = be32(RAMFB_WIDTH * 4),
    };
    memcpy(scratch, &cfg, sizeof cfg);
    rc = fw_cfg_dma((uint32_t)select << 16 | DMA_CTL_SELECT | DMA_CTL_WRITE, sizeof cfg);
    if (rc != VIPER_OK)
        return rc;
    *d = (struct display){ "ramfb", (uint32_t *)(uintptr_t)va, RAMFB_WIDTH, RAMFB_HEIGHT,
                           RAMFB_WIDTH, NULL };
    return VIPER_OK;
}
