/*
 * uaccess.S - copies to and from user memory that may fault.
 *
 * Every load or store of a user address happens between uaccess_start and
 * uaccess_end.  A fault there that the VM cannot resolve makes the trap
 * handler resume at uaccess_fault, which returns VIPER_ERR_FAULT from the
 * interrupted routine (they are leaf functions: x30 is intact).
 * Byte at a time: simple and enough for syscall arguments; bulk data will
 * travel through shared memory, not through these copies.
 */
#define VIPER_ERR_FAULT  -6
#define VIPER_ERR_INVALID -1

    .text
    .globl uaccess_start, uaccess_end, uaccess_fault
    .globl uaccess_copy, uaccess_strncpy
uaccess_start:

/* int uaccess_copy(void *dst, const void *src, size_t n): 0 or VIPER_ERR_FAULT */
uaccess_copy:
    cbz     x2, 2f
1:  ldrb    w3, [x1], #1
    strb    w3, [x0], #1
    subs    x2, x2, #1
    b.ne    1b
2:  mov     x0, #0
    ret

/* int64_t uaccess_strncpy(char *dst, const char *usrc, size_t max): length,
 * VIPER_ERR_INVALID if no NUL within max bytes, or VIPER_ERR_FAULT */
uaccess_strncpy:
    mov     x4, #0
1:  cmp     x4, x2
    b.hs    3f
    ldrb    w3, [x1, x4]
    strb    w3, [x0, x4]
    cbz     w3, 2f
    add     x4, x4, #1
    b       1b
2:  mov     x0, x4
    ret
3:  mov     x0, #VIPER_ERR_INVALID
    ret

uaccess_end:

uaccess_fault:
    mov     x0, #VIPER_ERR_FAULT
    ret
