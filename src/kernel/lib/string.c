/*
 * lib/string.c - the freestanding string and memory routines.
 *
 * The compiler emits calls to memset/memcpy/memmove/memcmp on its own (struct
 * copies, zeroed arrays), so these must never call themselves: both GCC and
 * clang recognise plain byte loops as "memset/memcpy idioms" and would turn
 * the body of memset into a call to memset.  Every loop therefore passes its
 * cursor through opaque(), an empty asm that hides the pointer's value from
 * the optimiser, which defeats idiom recognition without costing a
 * instruction.  Word copies are used only when both pointers are 8-byte
 * aligned: the kernel runs some of this with the MMU off, where all memory is
 * Device memory and an unaligned access faults.
 */
#include <lib/string.h>
#include <stdint.h>

typedef uint64_t __attribute__((may_alias)) string_word_t;

#define WORD      sizeof(string_word_t)
#define WORD_MASK (WORD - 1)

/* Hide p's value from the optimiser so it cannot rewrite the loop as a libcall. */
#define opaque(p) __asm__("" : "+r"(p))

/*
 * memcpy and memset are marked hot: a user program's link puts them with its request path
 * (user.ld, .text.hot first), one code page fewer to walk after each switch for a server
 * or client that copies a block per call (docs/bench.md).
 */
#define STRING_HOT __attribute__((hot))

/* Forward copy, safe for overlapping buffers when dst < src. */
STRING_HOT static void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
    if ((((uintptr_t)d | (uintptr_t)s) & WORD_MASK) == 0) {
        /* 64 bytes a turn (four ldp/stp pairs): a 4 KiB block, fsd's and libc's
         * usual copy, in 64 turns of ~12 instructions rather than 128 of ~8 */
        for (; n >= 8 * WORD; n -= 8 * WORD) {
            string_word_t *dw = (string_word_t *)d;
            const string_word_t *sw = (const string_word_t *)s;
            string_word_t w0 = sw[0], w1 = sw[1], w2 = sw[2], w3 = sw[3];
            string_word_t w4 = sw[4], w5 = sw[5], w6 = sw[6], w7 = sw[7];
            dw[0] = w0;
            dw[1] = w1;
            dw[2] = w2;
            dw[3] = w3;
            dw[4] = w4;
            dw[5] = w5;
            dw[6] = w6;
            dw[7] = w7;
            d += 8 * WORD;
            s += 8 * WORD;
            opaque(d);
        }
        for (; n >= WORD; n -= WORD) {
            *(string_word_t *)d = *(const string_word_t *)s;
            d += WORD;
            s += WORD;
            opaque(d);
        }
    }
    for (; n > 0; n--) {
        *d++ = *s++;
        opaque(d);
    }
}

/* Backward copy, safe for overlapping buffers when dst > src. */
static void copy_backward(unsigned char *d, const unsigned char *s, size_t n)
{
    d += n;
    s += n;
    if ((((uintptr_t)d | (uintptr_t)s) & WORD_MASK) == 0) {
        for (; n >= WORD; n -= WORD) {
            d -= WORD;
            s -= WORD;
            *(string_word_t *)d = *(const string_word_t *)s;
            opaque(d);
        }
    }
    for (; n > 0; n--) {
        *--d = *--s;
        opaque(d);
    }
}

STRING_HOT void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    unsigned char b = (unsigned char)c;

    for (; n > 0 && ((uintptr_t)d & WORD_MASK) != 0; n--) {
        *d++ = b;
        opaque(d);
    }
    string_word_t w = b * (uint64_t)0x0101010101010101ull;
    for (; n >= 4 * WORD; n -= 4 * WORD) {
        string_word_t *dw = (string_word_t *)d;
        dw[0] = w;
        dw[1] = w;
        dw[2] = w;
        dw[3] = w;
        d += 4 * WORD;
        opaque(d);
    }
    for (; n >= WORD; n -= WORD) {
        *(string_word_t *)d = w;
        d += WORD;
        opaque(d);
    }
    for (; n > 0; n--) {
        *d++ = b;
        opaque(d);
    }
    return dst;
}

STRING_HOT void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    copy_forward(dst, src, n);
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n)
        copy_forward(d, s, n);
    else
        copy_backward(d, s, n);
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a;
    const unsigned char *y = b;

    for (; n > 0; n--, x++, y++) {
        opaque(x);
        if (*x != *y)
            return *x < *y ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *s)
{
    const char *p = s;

    while (*p != '\0') {
        p++;
        opaque(p);
    }
    return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n] != '\0') {
        n++;
        opaque(n);
    }
    return n;
}

int strcmp(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;

    while (*x != '\0' && *x == *y) {
        x++;
        y++;
        opaque(x);
    }
    return (*x > *y) - (*x < *y);
}

int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;

    for (; n > 0; n--, x++, y++) {
        opaque(x);
        if (*x != *y || *x == '\0')
            return (*x > *y) - (*x < *y);
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    char ch = (char)c;

    for (;; s++) {
        opaque(s);
        if (*s == ch)
            return (char *)s;
        if (*s == '\0')
            return NULL;
    }
}

/* Copy at most size-1 bytes and NUL-terminate (if size > 0); returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);

    if (size > 0) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}
