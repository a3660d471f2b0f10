/*
 * shell/shell.h - what the shell's files share (docs/shell.md).
 */
#pragma once
#include <bootfs/bootfs.h>
#include <stdbool.h>
#include <viper/types.h>
#include "path.h"

/* AmigaDOS return codes. */
#define RC_OK    0
#define RC_WARN  5
#define RC_ERROR 10
#define RC_FAIL  20

struct shell {
    struct paths paths;
    struct bootfs fs;
    bool have_fs;
    viper_handle_t registry;   /* TRAVERSE: for children and for reconnecting */
    viper_handle_t control;    /* to vinit (proto/vinit.h), or invalid */
    long rc;                   /* the last command's return code */
    char why[160];             /* why it failed ("" if it did not) */
};

extern struct shell sh;

struct command {
    const char *name;          /* as Help shows it */
    const char *alias;         /* the Unix name, or NULL */
    int (*run)(int argc, char **argv);
    const char *usage;
};

extern const struct command sh_commands[];
extern const unsigned sh_ncommands;

/* Print "<cmd>: <reason>", remember the reason for Why, and return rc. */
int sh_fail(int rc, const char *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A VIPER_ERR_* as words ("object not found"). */
const char *sh_strerror(int64_t err);

struct vol_entry;

/*
 * Resolve a typed path into resolved (PATH_LEN bytes) and look it up on its
 * volume.  RC_OK, or RC_ERROR with the failure already reported for cmd
 * (unknown assign, object not found).
 */
int sh_lookup(const char *cmd, const char *typed, char *resolved, struct vol_entry *e);

/* Run a program from the boot filesystem: in the foreground (its rc) or not (background). */
int sh_run_program(int argc, char **argv, bool background);

/* Ask vinit (proto/vinit.h); returns the reply's status. */
int64_t sh_ask_vinit(uint32_t op, int64_t arg);

/* The file commands (cmd_file.c) and the system commands (cmd_sys.c). */
int cmd_dir(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_type(int argc, char **argv);
int cmd_copy(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_makedir(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int cmd_cd(int argc, char **argv);
int cmd_assign(int argc, char **argv);
int cmd_avail(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_break(int argc, char **argv);
int cmd_why(int argc, char **argv);
int cmd_echo(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_date(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);
int cmd_reboot(int argc, char **argv);
int cmd_help(int argc, char **argv);
