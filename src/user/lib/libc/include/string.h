/*
 * string.h - ViperOS libc: memory and string routines.
 *
 * The first group is the kernel's own src/kernel/lib/string.c, compiled into
 * libc.a (one copy of each function; the prototypes match
 * src/kernel/include/lib/string.h); the rest is libc's string.c.
 */
#pragma once
#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
size_t strlcpy(char *dst, const char *src, size_t size);

char *strrchr(const char *s, int c);
char *strstr(const char *hay, const char *needle);
char *strcpy(char *restrict dst, const char *restrict src);
char *strncpy(char *restrict dst, const char *restrict src, size_t n);
char *strcat(char *restrict dst, const char *restrict src);
size_t strlcat(char *dst, const char *src, size_t size);
size_t strspn(const char *s, const char *accept);
size_t strcspn(const char *s, const char *reject);
char *strtok_r(char *s, const char *delim, char **save);
int strcasecmp(const char *a, const char *b);
int strncasecmp(const char *a, const char *b, size_t n);
char *strdup(const char *s);   /* malloc'd copy, or NULL */
void *memchr(const void *s, int c, size_t n);
char *strerror(int err);        /* errno.c */
