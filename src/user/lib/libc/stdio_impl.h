/*
 * stdio_impl.h - the stream structure shared by stdio.c (the core and the
 * console streams) and fstream.c (file streams).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define STDIO_CONSOLE_BUF 256
#define STDIO_FILE_BUF    4096

#define STREAM_EOF     1u
#define STREAM_ERROR   2u
#define STREAM_READING 4u   /* buf holds read-ahead [pos, len), not output */

struct viper_file {
    char *buf;
    size_t cap;
    size_t len;           /* output: bytes waiting; input: bytes read ahead */
    size_t pos;           /* input: the next byte to hand out */
    int fd;               /* -1: the console */
    bool line_buffered;   /* flush on '\n'; otherwise flush at the end of each call
                             (console) or when full (files) */
    unsigned state;       /* STREAM_* */
};

/* Write out pending output, or give back read-ahead; 0 or EOF on an error. */
int stream_flush(FILE *f);

/* fflush(NULL) for the open file streams (fstream.c). */
int fstream_flush_all(void);
