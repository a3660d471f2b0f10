/*
 * kernel/bootargs.h - the kernel command line (/chosen bootargs).
 *
 * Known arguments: loglevel=N (0-7), quiet (= loglevel=4), test=<suite>
 * (run an in-kernel test suite and power off), nonce=<hex> (echoed in test
 * results so a grader knows they come from the run it started), init=<path>
 * (the first program, default /init).  Anything
 * else draws a warning.
 */
#pragma once

/* Parse and remember the command line; warns about unknown arguments. */
void bootargs_parse(const char *cmdline);

/* Value of key=value, "" for a bare key, NULL if absent. */
const char *bootarg(const char *key);
