/*
 * uart_test.c - suite `uart`: reads a line that arrives through the PL011
 * receive interrupt (the grader types it) and echoes it back.  Run only when
 * named: it needs someone at the other end of the serial line.
 */
#include "arch/cpu.h"
#include "arch/timer.h"
#include "dev/console.h"
#include "kernel/ktest.h"
#include "kernel/log.h"

#define LINE_MAX 64
#define WAIT_NS  30000000000ull   /* 30 s of guest time for the line to arrive */

KTEST(uart, irq_receive_line)
{
    char line[LINE_MAX];
    int n = 0;
    kprintf("uart: type a line\n");
    uint64_t end = timer_now_ns() + WAIT_NS;
    timer_arm(end, NULL, NULL);   /* so the WFI below ends even if no line comes */
    while (timer_now_ns() < end) {
        /* Check and sleep with IRQs masked: an RX interrupt between an
         * empty check and the WFI would otherwise leave us asleep with the
         * line already queued.  WFI still wakes on the pending interrupt. */
        uint64_t flags = arch_irq_save();
        int c = console_getc();
        if (c < 0)
            cpu_wfi();
        arch_irq_restore(flags);
        if (c < 0)
            continue;
        if (c == '\r' || c == '\n')
            break;
        if (n < LINE_MAX - 1)
            line[n++] = (char)c;
    }
    line[n] = '\0';
    kprintf("uart: got '%s'\n", line);
    KT_EXPECT(n > 0);
}
