/*
 * exec_helper.h - what exec_args.c passes to exec_helper in `check` mode,
 * shared so both sides agree: odd cases on purpose (an empty string,
 * spaces, non-ASCII bytes, a 400-byte string, `=` inside a value).
 */
#pragma once
#include <stddef.h>

#define EXEC_HELPER_PATH "/tests/exec_helper"

#define EH_X10  "xxxxxxxxxx"
#define EH_X100 EH_X10 EH_X10 EH_X10 EH_X10 EH_X10 EH_X10 EH_X10 EH_X10 EH_X10 EH_X10
#define EH_LONG EH_X100 EH_X100 EH_X100 EH_X100

static const char *const exec_helper_argv[] __attribute__((unused)) = {
    "exec_helper", "check", "alpha", "", "with space", "caf\xc3\xa9", EH_LONG, NULL,
};
#define EXEC_HELPER_ARGC 7

static const char *const exec_helper_envp[] __attribute__((unused)) = {
    "A=1", "EMPTY=", "B=two words", "EQ=x=y", "LONG=" EH_LONG, NULL,
};
