/*
 * tests/host/stub_kernel.h - hooks of the host stand-ins for kernel services
 * (stub_kernel.c: kprintf, klog, panic).
 *
 * By default panic prints its message and aborts.  A test that expects a
 * panic (a double free, say) arms stub_panic_jmp with setjmp; panic then
 * counts the call and longjmps back instead:
 *
 *     jmp_buf jb;
 *     int before = stub_panic_count;
 *     if (setjmp(jb) == 0) { stub_panic_jmp = &jb; kfree(p); }
 *     stub_panic_jmp = NULL;
 *     CHECK(stub_panic_count == before + 1);
 */
#pragma once
#include <setjmp.h>

extern jmp_buf *stub_panic_jmp;   /* where panic jumps to, or NULL to abort */
extern int stub_panic_count;      /* panics caught through stub_panic_jmp */
extern int stub_quiet;            /* nonzero: klog prints nothing */
