/*
 * uaccess.S - copies to and from user memory that may fault.
 *
 * Every instruction that loads or stores a user address is listed in
 * __uaccess_table with where to resume if it faults (the USER macro here,
 * user_load/user_store in syscall/uaccess.h for the inline ones).  A fault
 * there that the VM cannot resolve makes the trap handler resume at the
 * listed place: here uaccess_fault, which returns VIPER_ERR_FAULT from the
 * interrupted routine (they are leaf functions: x30 is intact).
 * Byte at a time: simple and enough for syscall arguments; bulk data
 * travels through shared memory, not through these copies.
 */
#define VIPER_ERR_FAULT  -6
#define VIPER_ERR_INVALID -1

.macro USER insn:vararg
9999:   \insn
    .pushsection __uaccess_table, "a"
    .balign 8
    .quad   9999b, uaccess_fault
    .popsection
.endm

    .text
    .globl uaccess_copy_from, uaccess_copy_to, uaccess_strncpy

/*
 * The user side of every copy uses the unprivileged forms (LDTRB/STTRB):
 * the MMU checks them with EL0's permissions, so the kernel can read or
 * write only what the program itself could (not PROT_NONE pages, not
 * read-only pages, not kernel memory), and a write to a COW page faults
 * and is resolved like the program's own write.
 */

/* int uaccess_copy_from(void *dst, const void *usrc, size_t n): 0 or VIPER_ERR_FAULT
 * Words while both sides are 8-byte aligned (message headers and payloads
 * usually are), then bytes. */
uaccess_copy_from:
    orr     x4, x0, x1
    tst     x4, #7
    b.ne    3f
4:  cmp     x2, #8
    b.lo    3f
    USER ldtr x3, [x1]
    str     x3, [x0], #8
    add     x1, x1, #8
    sub     x2, x2, #8
    b       4b
3:  cbz     x2, 2f
1:  USER ldtrb w3, [x1]
    strb    w3, [x0], #1
    add     x1, x1, #1
    subs    x2, x2, #1
    b.ne    1b
2:  mov     x0, #0
    ret

/* int uaccess_copy_to(void *udst, const void *src, size_t n): 0 or VIPER_ERR_FAULT */
uaccess_copy_to:
    orr     x4, x0, x1
    tst     x4, #7
    b.ne    3f
4:  cmp     x2, #8
    b.lo    3f
    ldr     x3, [x1], #8
    USER sttr x3, [x0]
    add     x0, x0, #8
    sub     x2, x2, #8
    b       4b
3:  cbz     x2, 2f
1:  ldrb    w3, [x1], #1
    USER sttrb w3, [x0]
    add     x0, x0, #1
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
    USER ldtrb w3, [x1]
    strb    w3, [x0, x4]
    cbz     w3, 2f
    add     x1, x1, #1
    add     x4, x4, #1
    b       1b
2:  mov     x0, x4
    ret
3:  mov     x0, #VIPER_ERR_INVALID
    ret

uaccess_fault:
    mov     x0, #VIPER_ERR_FAULT
    ret
