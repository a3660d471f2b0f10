/*
 * floor.h - what head.S and floor.c share: the EL0 context layout, the call
 * numbers of the probe's tiny kernel, and the assembly entry points.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define FLOOR_SYS_NULL   0  /* svc + eret */
#define FLOOR_SYS_YIELD  1  /* switch to ctx->next */
#define FLOOR_SYS_SEND   2  /* switch to ctx->next, x0-x3 carried across */
#define FLOOR_SYS_REPORT 3  /* return x0 to floor_run()'s caller */

/*
 * One EL0 context.  While it runs, SP_EL1 points here, so the exception
 * entry in head.S saves into it directly.  Offsets are fixed in head.S.
 */
struct floor_ctx {
    uint64_t regs[31];          /* x0-x30 */
    uint64_t sp_el0;
    uint64_t elr;
    uint64_t spsr;
    uint64_t ttbr0;             /* table PA | ASID << 48 */
    struct floor_ctx *next;     /* whom YIELD and SEND switch to */
    uint64_t pad;
} __attribute__((aligned(16)));

_Static_assert(offsetof(struct floor_ctx, sp_el0) == 248, "head.S CTX_SP_EL0");
_Static_assert(offsetof(struct floor_ctx, elr) == 256, "head.S CTX_ELR");
_Static_assert(offsetof(struct floor_ctx, ttbr0) == 272, "head.S CTX_TTBR0");
_Static_assert(offsetof(struct floor_ctx, next) == 280, "head.S CTX_NEXT");

/* Enter ctx at EL0; returns the x0 of the context that calls REPORT. */
uint64_t floor_run(struct floor_ctx *ctx);

/* EL0 code (head.S, section .user_text), mapped at USER_CODE_VA in every space. */
extern char user_code_start[], user_code_end[];
extern char user_measure[], user_measure_touch[], user_partner[], user_partner_touch[];

/* Image bounds (floor.ld). */
extern char _image_start[], __bss_start[], __bss_end[];

/* Called by head.S. */
void floor_main(const void *dtb, uint64_t entry_el);
_Noreturn void floor_bad_exception(uint64_t vector, uint64_t esr, uint64_t elr, uint64_t far);
