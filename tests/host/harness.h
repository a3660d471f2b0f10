/*
 * tests/host/harness.h - a minimal unit-test harness for host builds of
 * kernel code (compiled with -fsanitize=address,undefined).
 *
 * Each test binary defines its cases with HOST_TEST(name) and lists them in
 * main() through host_run(); every case prints `PASS <binary>.<name>` or
 * `FAIL <binary>.<name>: <file>:<line>: <expr>`, and host_summary() prints
 * `N passed, N failed` and returns the exit status.
 */
#pragma once
#include <stdio.h>
#include <stdlib.h>

static int host_case_failed;
static int host_passed, host_failed;
static const char *host_binary = "host";

#define HOST_TEST(name) static void name(void)

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            printf("  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);\
            host_case_failed = 1;                                            \
        }                                                                    \
    } while (0)

#define REQUIRE(cond)                                                        \
    do {                                                                     \
        if (!(cond)) {                                                       \
            printf("  %s:%d: requirement failed: %s\n", __FILE__, __LINE__, #cond); \
            host_case_failed = 1;                                            \
            return;                                                          \
        }                                                                    \
    } while (0)

static inline void host_run_case(const char *name, void (*fn)(void))
{
    host_case_failed = 0;
    fn();
    if (host_case_failed) {
        host_failed++;
        printf("FAIL %s.%s\n", host_binary, name);
    } else {
        host_passed++;
        printf("PASS %s.%s\n", host_binary, name);
    }
    fflush(stdout);
}

#define host_run(fn) host_run_case(#fn, fn)

static inline int host_summary(void)
{
    printf("%s: %d passed, %d failed\n", host_binary, host_passed, host_failed);
    return host_failed ? 1 : 0;
}
