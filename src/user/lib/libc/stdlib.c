/*
 * libc/stdlib.c - process exit, the environment and integer parsing.
 *
 * strtoull() is the one parser: optional white space and sign, a base prefix
 * ("0x" for base 0 or 16, "0" for base 0), then digits; it saturates on
 * overflow (no errno yet) and sets *end to the first unparsed character, or
 * to s when no digits were found.  The signed versions clamp its result.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <viper/sys.h>

extern char **environ;   /* start.c */

char *getenv(const char *name)
{
    size_t n = strlen(name);
    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

_Noreturn void exit(int code)
{
    fflush(NULL);
    viper_exit(code);
}

_Noreturn void _Exit(int code)
{
    viper_exit(code);
}

_Noreturn void abort(void)
{
    fflush(stdout);
    fputs("abort()\n", stderr);
    viper_exit(134);
}

static bool is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* Parse the magnitude; *neg gets the sign.  Saturates at UINT64_MAX. */
static uint64_t parse_magnitude(const char *s, char **end, int base, bool *neg)
{
    const char *p = s;
    uint64_t v = 0;
    bool any = false, overflow = false;

    while (is_space(*p))
        p++;
    *neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    if (base < 2 || base > 36) {
        if (end != NULL)
            *end = (char *)s;
        return 0;
    }
    for (int d; (d = digit_value(*p)) < base; p++) {
        any = true;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            overflow = true;
        else
            v = v * (uint64_t)base + (uint64_t)d;
    }
    if (end != NULL)
        *end = (char *)(any ? p : s);
    return overflow ? UINT64_MAX : v;
}

unsigned long long strtoull(const char *s, char **end, int base)
{
    bool neg;
    uint64_t v = parse_magnitude(s, end, base, &neg);

    return neg ? (unsigned long long)(0 - v) : v;
}

long long strtoll(const char *s, char **end, int base)
{
    bool neg;
    uint64_t v = parse_magnitude(s, end, base, &neg);

    if (neg)
        return v >= (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    return strtoull(s, end, base);
}

long strtol(const char *s, char **end, int base)
{
    return strtoll(s, end, base);
}

int atoi(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

long atol(const char *s)
{
    return strtol(s, NULL, 10);
}

int abs(int v)
{
    return v < 0 ? -v : v;
}

long labs(long v)
{
    return v < 0 ? -v : v;
}
