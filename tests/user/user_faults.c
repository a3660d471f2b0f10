/*
 * user_faults.c - a child that faults is killed, with a readable report,
 * and nothing else is: stack overflow (the report names the guard page),
 * an undefined instruction, NULL read and write, a call to NULL, writes to
 * .text and .rodata, a load from a kernel address, a misaligned PC and a
 * BRK instruction.  (SCTLR_EL1.SA0 is clear, so a misaligned SP is not
 * checked by the CPU and not tested here.)  Each child announces itself
 * with an EXPECT-FAULT line and faults inside a function named
 * fault_<case>, so the grader (grade/tests_user.py) can match the kernel's
 * `user fault:` report to the case: exception class, FAR, the symbolized
 * PC (or LR, for the call to NULL), `killed`.  The parent checks the wait
 * status (VIPER_EXIT_FAULT, code = exception class) and the counters.
 */
#include "utest.h"

#define EC_UNKNOWN     0x00
#define EC_IABT_LOWER  0x20
#define EC_PC_ALIGN    0x22
#define EC_DABT_LOWER  0x24
#define EC_BRK         0x3c
#define KPTR           0xffff000000000000ull

static const uint32_t rodata_word = 0x12345678;

/*
 * Recurse without bound (the limit is opaque to the compiler); the array
 * keeps each frame big and the stores real.
 */
__attribute__((noinline)) static uint64_t fault_stack_overflow(uint64_t depth)
{
    volatile uint8_t frame[512];
    frame[0] = (uint8_t)depth;
    frame[511] = (uint8_t)depth;
    if (depth == ut_opaque(UINT64_MAX))
        return 0;
    return fault_stack_overflow(depth + 1) + frame[0] + frame[511];
}

__attribute__((noinline)) static void fault_undefined(void)
{
    __asm__ volatile("udf #0");
}

__attribute__((noinline)) static uint64_t fault_null_read(void)
{
    return *(volatile uint64_t *)(uintptr_t)ut_opaque(0);
}

__attribute__((noinline)) static void fault_null_write(void)
{
    *(volatile uint64_t *)(uintptr_t)ut_opaque(0) = 0xdead;
}

static volatile uint64_t call_sink;

/* Not a tail call (a store follows): LR must point back into fault_null_call. */
__attribute__((noinline)) static void fault_null_call(void)
{
    call_sink = ((uint64_t (*)(void))(uintptr_t)ut_opaque(0))() + 1;
}

__attribute__((noinline)) static void fault_text_write(void)
{
    *(volatile uint32_t *)(uintptr_t)ut_opaque((uint64_t)(uintptr_t)fault_undefined) = 0;
}

__attribute__((noinline)) static void fault_rodata_write(void)
{
    *(volatile uint32_t *)(uintptr_t)ut_opaque((uint64_t)(uintptr_t)&rodata_word) = 0;
}

__attribute__((noinline)) static uint64_t fault_kernel_read(void)
{
    return *(volatile uint64_t *)(uintptr_t)ut_opaque(KPTR);
}

__attribute__((noinline)) static void fault_pc_align(void)
{
    uint64_t target = ut_opaque((uint64_t)(uintptr_t)fault_undefined + 2);
    __asm__ volatile("br %0" : : "r"(target));
}

__attribute__((noinline)) static void fault_brk(void)
{
    __asm__ volatile("brk #0x42");
}

struct fault_case {
    const char *name;
    void (*fn)(void);
    int64_t ec;
};

static void run_stack_overflow(void)
{
    fault_stack_overflow(0);
}

static void run_null_read(void)
{
    fault_null_read();
}

static void run_kernel_read(void)
{
    fault_kernel_read();
}

static const struct fault_case cases[] = {
    { "stack_overflow", run_stack_overflow, EC_DABT_LOWER },
    { "undefined", fault_undefined, EC_UNKNOWN },
    { "null_read", run_null_read, EC_DABT_LOWER },
    { "null_write", fault_null_write, EC_DABT_LOWER },
    { "null_call", fault_null_call, EC_IABT_LOWER },
    { "text_write", fault_text_write, EC_DABT_LOWER },
    { "rodata_write", fault_rodata_write, EC_DABT_LOWER },
    { "kernel_read", run_kernel_read, EC_DABT_LOWER },
    { "pc_align", fault_pc_align, EC_PC_ALIGN },
    { "brk", fault_brk, EC_BRK },
};

static int64_t child_fault(int64_t index)
{
    ut_case = cases[index].name;
    ut_expect_fault(cases[index].name);
    cases[index].fn();
    return 1000;   /* survived: wrong */
}

static const struct fault_case *current;

static void run_current(void)
{
    int64_t self = -1;
    viper_getpid(&self, NULL);
    struct viper_kstat before = ut_kstat();
    int64_t pid = ut_fork(child_fault, current - cases);
    UT_CHECK_EXIT(pid, VIPER_EXIT_FAULT, current->ec);
    int64_t check = -1;
    viper_getpid(&check, NULL);
    UT_CHECK_EQ(check, self);                 /* and we are still here */
    UT_CHECK_NO_LEAK(&before);
}

int main(int argc, char **argv, char **envp)
{
    ut_init(argc, argv, envp);
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        current = &cases[i];
        ut_run(cases[i].name, run_current, 1);
    }
    return ut_done();
}
