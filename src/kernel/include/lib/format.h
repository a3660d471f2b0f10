/*
 * lib/format.h - printf-style formatting, independent of any output device.
 *
 * Supported: flags '-', '0', '+', ' ', '#'; width and precision (numbers or
 * '*'); length modifiers hh, h, l, ll, z, t; conversions d i u x X o c s p %.
 * %p prints 0x followed by 16 hex digits.  Unknown conversions are printed
 * verbatim so a bad format string is visible rather than silently eaten.
 * Pure C: used by kprintf and by the host unit tests.
 */
#pragma once
#include <stdarg.h>
#include <stddef.h>

/* Receives each output character in order. */
typedef void (*format_sink_fn)(void *ctx, char c);

/* Format into sink; returns the number of characters produced. */
int format_v(format_sink_fn sink, void *ctx, const char *fmt, va_list ap);

/*
 * snprintf/vsnprintf with C99 semantics: always NUL-terminate when size > 0,
 * return the length the full output would have had.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
