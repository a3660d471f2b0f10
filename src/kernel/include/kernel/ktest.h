/*
 * kernel/ktest.h - in-kernel self-tests, run at boot with `test=<suite>`.
 *
 * KTEST(suite, name) defines a test and registers it in the .ktests section;
 * the runner (test/ktest.c) runs every test of the chosen suite (or all of
 * them with test=all), prints one result line per test carrying the run's
 * nonce, a summary, and powers off.  Within a test, KT_EXPECT records a
 * failure and goes on; KT_ASSERT records it and returns.
 */
#pragma once
#include <stdbool.h>

struct ktest_ctx {
    int failures;
};

struct ktest {
    const char *suite;
    const char *name;
    void (*fn)(struct ktest_ctx *t);
};

#define KTEST(suite_, name_)                                                  \
    static void ktest_##suite_##_##name_(struct ktest_ctx *t);               \
    static const struct ktest ktest_desc_##suite_##_##name_                   \
        __attribute__((used, section(".ktests"), aligned(8))) = {            \
            #suite_, #name_, ktest_##suite_##_##name_};                       \
    static void ktest_##suite_##_##name_(struct ktest_ctx *t)

void ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *what);

#define KT_EXPECT(cond) \
    do { if (!(cond)) ktest_fail(t, __FILE__, __LINE__, #cond); } while (0)
#define KT_ASSERT(cond) \
    do { if (!(cond)) { ktest_fail(t, __FILE__, __LINE__, #cond); return; } } while (0)

/* Run the suite named by test= (or "all"); prints results and powers off. */
_Noreturn void ktest_run(const char *suite);
