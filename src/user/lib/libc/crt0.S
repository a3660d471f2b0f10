/*
 * crt0.S - the entry point of every user program.
 *
 * The kernel starts a program with SP 16-byte aligned and pointing at
 *     [argc][argv[0] .. argv[argc-1]][NULL][envp ...][NULL][auxv pairs ...][AT_NULL, 0]
 * and also x0 = argc, x1 = argv, x2 = envp (docs/user.md).  The stack is the
 * authority: _start hands SP to __libc_start (start.c), which finds argv,
 * envp and auxv from it, calls main and exits with its result.  x29 and x30
 * are zeroed so a backtrace ends here.
 */
    .section .text._start, "ax", %progbits
    .globl _start
    .type _start, %function
_start:
    mov     x29, #0
    mov     x30, #0
    mov     x0, sp
    bl      __libc_start
1:  b       1b                      /* __libc_start does not return */
    .size _start, . - _start

    .section .note.GNU-stack, "", %progbits
