/*
 * stdio.h - ViperOS libc: formatted output to the console, and input from it.
 *
 * The console is consoled when startup handle 1 is a channel to it
 * (proto/console.h), else the kernel's debug_write (no input).  stdout is
 * line buffered (flushed on '\n', by fflush and at exit); stderr is flushed
 * at the end of every call.  Formatting is the kernel's printf engine
 * (src/kernel/lib/format.c): flags, width, precision, hh/h/l/ll/z/t and
 * d i u x X o c s p %; no floating point.  Not thread-safe yet.
 */
#pragma once
#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)

typedef struct viper_file FILE;

extern FILE *const stdin;
extern FILE *const stdout;
extern FILE *const stderr;

/* The next byte typed (raw: Enter is '\r', no echo; the reader edits lines itself),
 * waiting for one; EOF without a console.  fgetc reads only stdin. */
int getchar(void);
int fgetc(FILE *f);

int putchar(int c);
int puts(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);

int fputc(int c, FILE *f);
int fputs(const char *s, FILE *f);
int fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vfprintf(FILE *f, const char *fmt, va_list ap);
int fflush(FILE *f);   /* NULL flushes every stream */

/* C99 semantics: always NUL-terminate when size > 0, return the untruncated length. */
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* Files (fstream.c over <unistd.h> descriptors): modes r, w, a, with + and b. */
FILE *fopen(const char *path, const char *mode);
FILE *fdopen(int fd, const char *mode);
int fclose(FILE *f);
size_t fread(void *data, size_t size, size_t n, FILE *f);
size_t fwrite(const void *data, size_t size, size_t n, FILE *f);
char *fgets(char *buf, int size, FILE *f);
int fseek(FILE *f, long offset, int whence);
long ftell(FILE *f);
void rewind(FILE *f);
int feof(FILE *f);
int ferror(FILE *f);
void clearerr(FILE *f);
int fileno(FILE *f);
int rename(const char *from, const char *to);   /* file.c */
int remove(const char *path);
void perror(const char *what);                  /* errno.c: "what: message" on stderr */
