/*
 * stdlib.h - ViperOS libc: process exit, number parsing, the heap.
 *
 * The heap (malloc.c) is a first-fit, address-ordered free list with
 * coalescing on top of viper_brk(); every block is 16-byte aligned.
 */
#pragma once
#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

_Noreturn void exit(int code);    /* flushes stdout and stderr, then viper_exit(code) */
_Noreturn void _Exit(int code);   /* ends the process without flushing */
_Noreturn void abort(void);       /* prints "abort()" and exits with code 134 */

/* The value of NAME=value in the environment main was given, or NULL. */
char *getenv(const char *name);

int atoi(const char *s);
long atol(const char *s);
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
long long strtoll(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);
int abs(int v);
long labs(long v);

void *malloc(size_t size);
void free(void *ptr);
void *calloc(size_t count, size_t size);
void *realloc(void *ptr, size_t size);
