/*
 * tests/host/elf_hello.c - a tiny static AArch64 program for test_elf.c.
 *
 * Built with the cross compiler and src/user/lib/user.ld (no libc), so it has
 * the three segments every user program has: text, rodata, data + bss.
 */
#include <stdint.h>

static const char hello_msg[] = "hello from elf_hello\n";
volatile int64_t hello_counter = 42;
int64_t hello_zeroes[512];

static int64_t hello_syscall(uint64_t num, uint64_t a0, uint64_t a1)
{
    register uint64_t x8 __asm__("x8") = num;
    register uint64_t x0 __asm__("x0") = a0;
    register uint64_t x1 __asm__("x1") = a1;
    __asm__ volatile("svc #0" : "+r"(x0), "+r"(x1), "+r"(x8) : : "memory");
    return (int64_t)x0;
}

void _start(void);
void _start(void)
{
    hello_zeroes[hello_counter] = hello_counter;
    hello_syscall(0, (uint64_t)(uintptr_t)hello_msg, sizeof(hello_msg) - 1);
    for (;;)
        hello_syscall(1, (uint64_t)hello_zeroes[42], 0);
}
