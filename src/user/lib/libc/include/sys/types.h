/*
 * sys/types.h - ViperOS libc: the POSIX scalar types.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef int64_t ssize_t;
typedef int64_t off_t;
typedef uint32_t mode_t;
typedef uint64_t ino_t;
typedef int64_t pid_t;
typedef int64_t time_t;
