/*
 * floor.c - the floor probe: what QEMU TCG charges for the operations
 * ViperOS's benchmarks time, with no operating system around them.
 *
 * QEMU's TCG has costs no kernel can beat (an exception entry, an eret, a
 * TLB flush on every ASID change) and they differ from host to host, so
 * `make bench` divides each ViperOS figure by the floor measured here, in
 * the same QEMU, on the same machine, minutes apart.
 *
 * Set-up, all from the DTB QEMU passes (nothing hard-coded): the PL011 for
 * output, RAM for the identity map, the PSCI conduit for power-off.  The
 * MMU runs an identity map of RAM (Normal write-back, global, EL1 only) and
 * the UART (Device), shared by every address space; each EL0 address space
 * adds, non-global under its own ASID, the EL0 code page, a stack page and
 * 16 pages to touch.  The counter is CNTVCT_EL0, read at EL0 (CNTKCTL_EL1
 * allows it), as the ViperOS and Linux bench programs read it.
 *
 * Each figure is the median of BATCHES batches of OPS operations, after one
 * warm-up batch (which also translates the code).  Medians of batch times,
 * not means, so one batch interrupted by a host hiccup changes nothing.
 */
#include "floor.h"

#include <lib/fdt.h>
#include <lib/format.h>
#include <lib/string.h>
#include <stdarg.h>
#include <stdbool.h>
#include <viper/errors.h>

#define BATCHES 31
#define OPS     1000

#define PAGE          4096ull
#define BLOCK_2M      (2ull << 20)
#define PA_MASK       0x0000fffffffff000ull
#define USER_CODE_VA  (1ull << 46)              /* L0 slot 128: far from any RAM */
#define USER_STACK_VA (USER_CODE_VA + 0x10000)
#define USER_TOUCH_VA (USER_CODE_VA + 0x100000)
#define TOUCH_PAGES   16

/* Descriptor bits (VMSAv8-64, 4 KiB granule). */
#define D_VALID      1ull
#define D_TABLE      3ull                        /* also "page" at level 3 */
#define D_ATTR(i)    ((uint64_t)(i) << 2)        /* MAIR index: 0 Device, 1 Normal WB */
#define D_AP_EL0_RW  (1ull << 6)
#define D_AP_RO      (3ull << 6)
#define D_SH_INNER   (3ull << 8)
#define D_AF         (1ull << 10)
#define D_NG         (1ull << 11)
#define D_PXN        (1ull << 53)
#define D_UXN        (1ull << 54)

#define K_RAM    (D_VALID | D_ATTR(1) | D_SH_INNER | D_AF | D_UXN)
#define K_DEVICE (D_VALID | D_ATTR(0) | D_AF | D_UXN | D_PXN)
#define U_CODE   (D_TABLE | D_ATTR(1) | D_SH_INNER | D_AF | D_NG | D_AP_RO | D_PXN)
#define U_DATA   (D_TABLE | D_ATTR(1) | D_SH_INNER | D_AF | D_NG | D_AP_EL0_RW | D_PXN | D_UXN)

#define MAIR_VALUE 0xff04ull
#define TCR_VALUE  (16ull | (1ull << 8) | (1ull << 10) | (3ull << 12) | (1ull << 23))
#define SCTLR_ON   (0x30d00800ull | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 12))

#define POOL_PAGES 64

static uint8_t pool[POOL_PAGES][PAGE] __attribute__((aligned(4096)));
static unsigned pool_used;
static uint64_t kernel_root[512] __attribute__((aligned(4096)));
static volatile uint32_t *uart;
static bool psci_smc;
static uint64_t counter_hz;

struct space {
    uint64_t *root;
    uint64_t ttbr0;
};
static struct space spaces[2];
static struct floor_ctx ctx_a, ctx_b;

/* ---- output and power ---------------------------------------------------- */

static void uart_sink(void *unused, char c)
{
    (void)unused;
    if (!uart)
        return;
    if (c == '\n')
        uart_sink(unused, '\r');
    while (uart[0x18 / 4] & (1u << 5))   /* FR.TXFF */
        ;
    uart[0] = (uint8_t)c;
}

static void out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    format_v(uart_sink, NULL, fmt, ap);
    va_end(ap);
}

static _Noreturn void power_off(void)
{
    register uint64_t x0 __asm__("x0") = 0x84000008u;   /* PSCI SYSTEM_OFF */
    if (psci_smc)
        __asm__ volatile("smc #0" : "+r"(x0) :: "memory");
    else
        __asm__ volatile("hvc #0" : "+r"(x0) :: "memory");
    for (;;)
        __asm__ volatile("wfi");
}

static _Noreturn void die(const char *why)
{
    out("floor: fatal: %s\n", why);
    power_off();
}

_Noreturn void floor_bad_exception(uint64_t vector, uint64_t esr, uint64_t elr, uint64_t far)
{
    out("floor: unexpected exception: vector %lu ESR %#lx ELR %#lx FAR %#lx\n",
        vector, esr, elr, far);
    power_off();
}

/* ---- device tree ------------------------------------------------------- */

struct platform {
    uint64_t ram_base, ram_size;
    uint64_t uart_base;
};

static void read_dtb(const void *dtb, struct platform *plat)
{
    struct fdt fdt;
    /* The header's totalsize is checked against this bound. */
    if (fdt_init(&fdt, dtb, 16u << 20) != VIPER_OK)
        for (;;)                        /* no UART known: nothing to say */
            __asm__ volatile("wfe");
    int node = fdt_find_compatible(&fdt, -1, "arm,pl011");
    if (node < 0 || fdt_reg(&fdt, node, 0, &plat->uart_base, NULL) != VIPER_OK)
        for (;;)
            __asm__ volatile("wfe");
    uart = (volatile uint32_t *)(uintptr_t)plat->uart_base;
    node = fdt_find_compatible(&fdt, -1, "arm,psci-0.2");
    if (node < 0)
        node = fdt_find_compatible(&fdt, -1, "arm,psci-1.0");
    uint32_t len = 0;
    const char *method = node >= 0 ? fdt_getprop(&fdt, node, "method", &len) : NULL;
    psci_smc = method && len >= 3 && strncmp(method, "smc", 3) == 0;
    if (!method)
        die("no /psci method in the DTB");
    node = fdt_find_device_type(&fdt, -1, "memory");
    if (node < 0 || fdt_reg(&fdt, node, 0, &plat->ram_base, &plat->ram_size) != VIPER_OK)
        die("no memory node in the DTB");
}

/* ---- page tables ----------------------------------------------------------- */

static uint64_t *alloc_table(void)
{
    if (pool_used == POOL_PAGES)
        die("page-table pool exhausted");
    return (uint64_t *)pool[pool_used++];   /* bss: already zero */
}

/* The table that entry idx of table points to, made if absent. */
static uint64_t *next_table(uint64_t *table, unsigned idx)
{
    if (!(table[idx] & D_VALID))
        table[idx] = (uint64_t)(uintptr_t)alloc_table() | D_TABLE;
    return (uint64_t *)(uintptr_t)(table[idx] & PA_MASK);
}

/* Map one 2 MiB block (level 2) or one 4 KiB page (level 3). */
static void map(uint64_t *root, uint64_t va, uint64_t pa, uint64_t desc, int level)
{
    uint64_t *t = root;
    for (int l = 0; l < level; l++)
        t = next_table(t, (unsigned)(va >> (39 - 9 * l)) & 511);
    t[(va >> (39 - 9 * level)) & 511] = (pa & PA_MASK) | desc;
}

static void build_kernel_map(const struct platform *plat)
{
    uint64_t start = plat->ram_base & ~(BLOCK_2M - 1);
    uint64_t end = (plat->ram_base + plat->ram_size + BLOCK_2M - 1) & ~(BLOCK_2M - 1);
    for (uint64_t pa = start; pa < end; pa += BLOCK_2M)
        map(kernel_root, pa, pa, K_RAM, 2);
    uint64_t ub = plat->uart_base & ~(BLOCK_2M - 1);
    if (ub + BLOCK_2M <= start || ub >= end)
        map(kernel_root, ub, ub, K_DEVICE, 2);
    else
        map(kernel_root, plat->uart_base, plat->uart_base, K_DEVICE | D_TABLE, 3);
    if (kernel_root[(USER_CODE_VA >> 39) & 511])
        die("RAM reaches the user window");
}

/* An address space: the kernel's L0 entries (global) plus private EL0 pages. */
static void build_space(struct space *s, unsigned asid)
{
    s->root = alloc_table();
    memcpy(s->root, kernel_root, sizeof(kernel_root));
    uint64_t code = (uint64_t)(uintptr_t)user_code_start;
    uint64_t code_end = (uint64_t)(uintptr_t)user_code_end;
    for (uint64_t off = 0; code + off < code_end; off += PAGE)
        map(s->root, USER_CODE_VA + off, code + off, U_CODE, 3);
    map(s->root, USER_STACK_VA, (uint64_t)(uintptr_t)alloc_table(), U_DATA, 3);
    for (uint64_t i = 0; i < TOUCH_PAGES; i++)
        map(s->root, USER_TOUCH_VA + i * PAGE, (uint64_t)(uintptr_t)alloc_table(), U_DATA, 3);
    s->ttbr0 = (uint64_t)(uintptr_t)s->root | (uint64_t)asid << 48;
}

static void dcache_clean_inval(const void *start, const void *end)
{
    uint64_t ctr;
    __asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
    uint64_t line = 4ull << ((ctr >> 16) & 15);
    for (uintptr_t p = (uintptr_t)start & ~(line - 1); p < (uintptr_t)end; p += line)
        __asm__ volatile("dc civac, %0" ::"r"(p) : "memory");
    __asm__ volatile("dsb sy" ::: "memory");
}

static void mmu_enable(uint64_t ttbr0)
{
    uint64_t mmfr0;
    __asm__ volatile("mrs %0, id_aa64mmfr0_el1" : "=r"(mmfr0));
    uint64_t tcr = TCR_VALUE | (mmfr0 & 7) << 32;        /* IPS = PARange */
    __asm__ volatile("msr mair_el1, %0\n"
                     "msr tcr_el1, %1\n"
                     "msr ttbr0_el1, %2\n"
                     "isb\n"
                     "tlbi vmalle1\n"
                     "dsb nsh\n"
                     "isb\n"
                     "msr sctlr_el1, %3\n"
                     "isb" ::"r"(MAIR_VALUE), "r"(tcr), "r"(ttbr0), "r"(SCTLR_ON) : "memory");
}

/* ---- measurements ---------------------------------------------------------- */

struct bench {
    char name[32];
    unsigned call;      /* FLOOR_SYS_* the loop makes */
    bool partner;       /* a second context to switch to */
    bool same_space;    /* the partner shares the first context's TTBR0 */
    bool touch;         /* each side touches 16 pages per turn */
    unsigned per_iter;  /* operations per loop iteration */
};

/* No pointers in this table: the image is position-independent. */
static const struct bench benches[] = {
    { "null_syscall", FLOOR_SYS_NULL, false, false, false, 1 },
    { "thread_switch", FLOOR_SYS_YIELD, true, true, false, 2 },
    { "process_switch", FLOOR_SYS_YIELD, true, false, false, 2 },
    { "ipc_roundtrip", FLOOR_SYS_SEND, true, false, false, 1 },
    { "ipc_roundtrip_16p", FLOOR_SYS_SEND, true, false, true, 1 },
};

static void ctx_init(struct floor_ctx *c, const struct space *s, const char *entry,
                     const struct bench *b, uint64_t count)
{
    memset(c, 0, sizeof(*c));
    c->elr = USER_CODE_VA + (uint64_t)(entry - user_code_start);
    c->spsr = 0;                                     /* EL0t, interrupts unmasked */
    c->sp_el0 = USER_STACK_VA + PAGE;
    c->ttbr0 = s->ttbr0;
    c->regs[19] = count;
    c->regs[20] = b->call;
    c->regs[22] = b->touch ? USER_TOUCH_VA : 0;
}

/* Counter ticks one batch of `count` loop iterations took. */
static uint64_t run_batch(const struct bench *b, uint64_t count)
{
    ctx_init(&ctx_a, &spaces[0], b->touch ? user_measure_touch : user_measure, b, count);
    if (b->partner) {
        const struct space *sb = b->same_space ? &spaces[0] : &spaces[1];
        ctx_init(&ctx_b, sb, b->touch ? user_partner_touch : user_partner, b, 0);
        ctx_a.next = &ctx_b;
        ctx_b.next = &ctx_a;
    }
    return floor_run(&ctx_a);
}

static uint64_t median(uint64_t *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v[n / 2];
}

/* ticks for `ops` operations -> thousandths of a nanosecond per operation. */
static uint64_t per_op_mns(uint64_t ticks, uint64_t ops)
{
    if (ticks < UINT64_MAX / 1000000000000ull)
        return ticks * 1000000000000ull / counter_hz / ops;
    return ticks * 1000000000ull / counter_hz / ops * 1000;
}

static void run_bench(const struct bench *b)
{
    uint64_t t[BATCHES];
    run_batch(b, OPS);                                  /* warm-up */
    for (int i = 0; i < BATCHES; i++)
        t[i] = run_batch(b, OPS);
    uint64_t lo = t[0], hi = t[0];
    for (int i = 1; i < BATCHES; i++) {
        lo = t[i] < lo ? t[i] : lo;
        hi = t[i] > hi ? t[i] : hi;
    }
    uint64_t ops = (uint64_t)OPS * b->per_iter;
    uint64_t mns = per_op_mns(median(t, BATCHES), ops);
    out("bench: floor_%s %lu.%03lu ns\n", b->name, mns / 1000, mns % 1000);
    uint64_t lo_m = per_op_mns(lo, ops), hi_m = per_op_mns(hi, ops);
    out("floor:   %s min %lu.%03lu max %lu.%03lu ns\n", b->name, lo_m / 1000, lo_m % 1000,
        hi_m / 1000, hi_m % 1000);
}

void floor_main(const void *dtb, uint64_t entry_el)
{
    struct platform plat;
    read_dtb(dtb, &plat);
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(counter_hz));
    if (counter_hz == 0)
        die("CNTFRQ_EL0 is 0");
    build_kernel_map(&plat);
    build_space(&spaces[0], 1);
    build_space(&spaces[1], 2);
    dcache_clean_inval(__bss_start, __bss_end);
    mmu_enable(spaces[0].ttbr0);
    uint64_t cntkctl;
    __asm__ volatile("mrs %0, cntkctl_el1" : "=r"(cntkctl));
    cntkctl |= 3;                                       /* EL0PCTEN | EL0VCTEN */
    __asm__ volatile("msr cntkctl_el1, %0\nisb" ::"r"(cntkctl));

    out("floor: bare-metal floor probe, entered at EL%lu, counter %lu Hz, "
        "median of %d batches x %d ops\n", entry_el, counter_hz, BATCHES, OPS);
    for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
        run_bench(&benches[i]);
    out("floor: done\n");
    power_off();
}
