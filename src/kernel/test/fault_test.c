/*
 * fault_test.c - suite `fault`: a deliberate NULL write in the kernel, so
 * the grader can check the panic report (decoded ESR, FAR, registers,
 * symbolized backtrace, addr2line command) and the power-off after it.
 * Run only when named: it never returns.
 */
#include "kernel/ktest.h"

/* noinline: the backtrace must show this function and its caller. */
__attribute__((noinline)) static void write_through_null(volatile int *p)
{
    *p = 0x7e57;
}

KTEST(fault, null_write)
{
    (void)t;
    write_through_null((volatile int *)0);
}
