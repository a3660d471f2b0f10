/*
 * ktest.c - the in-kernel test runner (`test=<suite>` on the command line).
 *
 * Tests register themselves in the .ktests section (kernel/ktest.h).  Each
 * result line carries the nonce the grader passed in `nonce=`, so a grader
 * believes only lines printed by the run it started.  Suites that do not
 * return (fault) or need a person or grader at the keyboard (uart) run
 * only when named.
 */
#include "arch/psci.h"
#include "kernel/bootargs.h"
#include "kernel/ktest.h"
#include "kernel/log.h"
#include "lib/string.h"

extern const struct ktest __ktests_start[], __ktests_end[];

static const char *const explicit_only[] = { "fault", "uart" };
static const char *nonce;
static const struct ktest *current;

void ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *what)
{
    if (t->failures++ == 0)
        kprintf("KTEST %s FAIL %s.%s: %s:%d: %s\n", nonce, current->suite, current->name, file,
                line, what);
}

static bool selected(const struct ktest *k, const char *suite)
{
    if (strcmp(suite, "all") != 0)
        return strcmp(k->suite, suite) == 0;
    for (unsigned i = 0; i < sizeof explicit_only / sizeof explicit_only[0]; i++)
        if (strcmp(k->suite, explicit_only[i]) == 0)
            return false;
    return true;
}

_Noreturn void ktest_run(const char *suite)
{
    int passed = 0, failed = 0;
    nonce = bootarg("nonce");
    if (!nonce || !*nonce)
        nonce = "-";
    kprintf("KTEST %s BEGIN %s\n", nonce, suite);
    for (const struct ktest *k = __ktests_start; k < __ktests_end; k++) {
        if (!selected(k, suite))
            continue;
        struct ktest_ctx ctx = { 0 };
        current = k;
        k->fn(&ctx);
        if (ctx.failures) {
            failed++;
        } else {
            passed++;
            kprintf("KTEST %s PASS %s.%s\n", nonce, k->suite, k->name);
        }
    }
    if (passed + failed == 0) {
        kprintf("KTEST %s FAIL %s: no such test suite\n", nonce, suite);
        failed = 1;
    }
    kprintf("KTEST %s DONE passed=%d failed=%d\n", nonce, passed, failed);
    psci_system_off();
}
