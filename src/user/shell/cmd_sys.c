/*
 * shell/cmd_sys.c - the system commands (Avail, Status, Run, Break, Why,
 * Echo, Version, Date, Shutdown, Reboot, Help) and running programs.
 *
 * A program gets two startup handles: the registry (the shell's own,
 * without CREATE) and a duplicate of the shell's console channel, so its
 * output and the shell's share one queue and keep their order.  What only
 * vinit may do (power, ending a process the shell did not start) goes over
 * the control channel.
 */
#include <proto/vinit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <viper/sys.h>
#include "io.h"
#include "shell.h"

#define SHELL_VERSION "1.0"
#define SYSTEM_VERSION "0.1.0"
#define PROCS_MAX 128u
#define PAGE_KB 4u
#define NS_PER_S 1000000000ull

static const char *const state_names[] = { "running", "ready", "blocked", "zombie" };

int cmd_avail(int argc, char **argv)
{
    struct viper_kstat k;

    (void)argv;
    if (argc != 1)
        return sh_fail(RC_ERROR, "Avail", "usage: Avail");
    if (viper_kstat(&k) != VIPER_OK)
        return sh_fail(RC_FAIL, "Avail", "kstat failed");
    uint64_t total = k.total_pages * PAGE_KB, avail = k.free_pages * PAGE_KB;
    io_printf("Type        Available      In-Use     Maximum\n");
    io_printf("memory    %9llu K %9llu K %9llu K\n", (unsigned long long)avail,
              (unsigned long long)(total - avail), (unsigned long long)total);
    io_printf("kernel heap %llu bytes; %llu processes, %llu threads\n",
              (unsigned long long)k.heap_bytes, (unsigned long long)k.processes,
              (unsigned long long)k.threads);
    return RC_OK;
}

int cmd_status(int argc, char **argv)
{
    static struct viper_proc_info procs[PROCS_MAX];
    uint64_t count;
    unsigned shown = 0;

    if (argc > 2)
        return sh_fail(RC_ERROR, "Status", "usage: Status [name]");
    int64_t err = viper_proc_list(procs, PROCS_MAX, &count);
    if (err != VIPER_OK)
        return sh_fail(RC_FAIL, "Status", "%s", sh_strerror(err));
    io_printf("  PID  PPID STATE    PRI THR  PAGES NAME\n");
    for (uint64_t i = 0; i < count && i < PROCS_MAX; i++) {
        const struct viper_proc_info *p = &procs[i];
        if (argc == 2 && strncmp(p->name, argv[1], sizeof p->name) != 0)
            continue;
        shown++;
        io_printf("%5lld %5lld %-8s %3u %3u %6llu %.*s\n", (long long)p->pid,
                  (long long)p->parent_pid, p->state < 4 ? state_names[p->state] : "?",
                  p->priority, p->threads, (unsigned long long)p->pages,
                  (int)sizeof p->name, p->name);
    }
    if (argc == 2 && shown == 0)
        return sh_fail(RC_WARN, "Status", "no process called %s", argv[1]);
    return RC_OK;
}

/* How a foreground program ended, as a return code (and a reason for Why). */
static int program_rc(const char *name, int64_t reason, int64_t code)
{
    switch (reason) {
    case VIPER_EXIT_NORMAL:
        if (code != 0)
            snprintf(sh.why, sizeof sh.why, "%s returned %lld", name, (long long)code);
        return (int)code;
    case VIPER_EXIT_FAULT:
        return sh_fail(RC_FAIL, name, "crashed (fault, class 0x%llx)", (unsigned long long)code);
    case VIPER_EXIT_KILLED:
        return sh_fail(RC_FAIL, name, "killed by pid %lld", (long long)code);
    default:
        return sh_fail(RC_FAIL, name, "ran out of memory");
    }
}

/* Is typed (resolved into path) a file? */
static bool is_program(const char *typed, char *path)
{
    struct bootfs_entry e;
    const char *err;

    return sh.have_fs && paths_resolve(&sh.paths, typed, path, &err) == 0 &&
           bootfs_lookup(&sh.fs, path, &e) == VIPER_OK && e.kind == BOOTFS_FILE;
}

int sh_run_program(int argc, char **argv, bool background)
{
    char path[PATH_LEN + 1], typed[PATH_LEN];

    (void)argc;
    /* A bare name is looked for in the current directory, then in C:. */
    snprintf(typed, sizeof typed, "C:%s", argv[0]);
    path[0] = '/';
    if (!is_program(argv[0], path + 1) &&
        (strchr(argv[0], ':') || strchr(argv[0], '/') || !is_program(typed, path + 1)))
        return sh_fail(RC_FAIL, argv[0], "unknown command");
    uint64_t reg, con;
    viper_handle_t watch;
    uint32_t handles[2];
    if (viper_handle_dup(sh.registry, &reg) != VIPER_OK)
        return sh_fail(RC_FAIL, argv[0], "no handles left");
    handles[0] = (uint32_t)reg;
    con = io_console_for_child(&watch);
    if (con == VIPER_HANDLE_INVALID && viper_timer_create(&con) != VIPER_OK) {
        viper_handle_close(reg);
        return sh_fail(RC_FAIL, argv[0], "no handles left");
    }
    handles[1] = (uint32_t)con;
    int64_t pid, reason, code;
    /* A program starts in the shell's current directory when that is on the disk
     * (libc reads $PWD); the boot filesystem is not a place libc's files can be. */
    char pwd[PATH_LEN + 8];
    const char *envp[] = { pwd, NULL };
    snprintf(pwd, sizeof pwd, "PWD=%s", sh.paths.cwd);
    int64_t r = viper_spawn(path, (const char *const *)argv,
                            sh.paths.cwd[0] == '/' ? envp : NULL, handles, 2, &pid);
    if (r != VIPER_OK) {
        viper_handle_close(handles[0]);
        viper_handle_close(handles[1]);
        viper_handle_close(watch);
        return sh_fail(RC_FAIL, argv[0], "%s", sh_strerror(r));
    }
    if (background) {
        viper_handle_close(watch);   /* its output mixes with ours as it comes */
        io_printf("[pid %lld] %s\n", (long long)pid, argv[0]);
        return RC_OK;
    }
    r = viper_wait(pid, 0, NULL, &reason, &code);
    io_console_done(watch);
    if (r != VIPER_OK)
        return sh_fail(RC_FAIL, argv[0], "lost track of pid %lld", (long long)pid);
    return program_rc(argv[0], reason, code);
}

int cmd_run(int argc, char **argv)
{
    if (argc < 2)
        return sh_fail(RC_ERROR, "Run", "usage: Run command [args]");
    return sh_run_program(argc - 1, argv + 1, true);
}

int cmd_break(int argc, char **argv)
{
    char *end;

    if (argc != 2)
        return sh_fail(RC_ERROR, "Break", "usage: Break pid");
    long long pid = strtoll(argv[1], &end, 10);
    if (*end != '\0' || pid <= 0)
        return sh_fail(RC_ERROR, "Break", "%s: not a process id", argv[1]);
    int64_t err = viper_kill(pid);   /* our own children directly */
    if (err != VIPER_OK)
        err = sh_ask_vinit(VINIT_KILL, pid);
    if (err == VIPER_ERR_NOT_FOUND)
        return sh_fail(RC_WARN, "Break", "no process %lld", pid);
    if (err != VIPER_OK)
        return sh_fail(RC_ERROR, "Break", "%lld: %s", pid, sh_strerror(err));
    return RC_OK;
}

int cmd_why(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (sh.rc == 0 || sh.why[0] == '\0')
        io_printf("The last command did not fail (return code %ld)\n", sh.rc);
    else
        io_printf("Last command failed because %s (return code %ld)\n", sh.why, sh.rc);
    return RC_OK;
}

int cmd_echo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        io_printf("%s%s", argv[i], i + 1 < argc ? " " : "");
    io_puts("\n");
    return RC_OK;
}

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    io_printf("ViperOS %s (aarch64), shell %s\n", SYSTEM_VERSION, SHELL_VERSION);
    return RC_OK;
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian, 400-year eras). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    uint64_t doe = (uint64_t)(z - era * 146097);
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int cmd_date(int argc, char **argv)
{
    static const char *const days[] = { "Thursday", "Friday", "Saturday", "Sunday",
                                        "Monday", "Tuesday", "Wednesday" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    uint64_t ns;
    int64_t y;
    unsigned m, d;

    (void)argv;
    if (argc != 1)
        return sh_fail(RC_ERROR, "Date", "usage: Date");
    if (viper_clock_wall(&ns) != VIPER_OK)
        return sh_fail(RC_ERROR, "Date", "no real-time clock");
    uint64_t s = ns / NS_PER_S, day = s / 86400, sec = s % 86400;
    civil_from_days((int64_t)day, &y, &m, &d);
    io_printf("%s %02u-%s-%lld %02llu:%02llu:%02llu UTC\n", days[day % 7], d, months[m - 1],
              (long long)y, (unsigned long long)(sec / 3600), (unsigned long long)(sec / 60 % 60),
              (unsigned long long)(sec % 60));
    return RC_OK;
}

static int power(const char *cmd, int argc, uint64_t op)
{
    if (argc != 1)
        return sh_fail(RC_ERROR, cmd, "usage: %s", cmd);
    int64_t err = sh_ask_vinit(VINIT_POWER, (int64_t)op);
    return sh_fail(RC_FAIL, cmd, "vinit could not do it: %s", sh_strerror(err));
}

int cmd_shutdown(int argc, char **argv)
{
    (void)argv;
    return power("Shutdown", argc, VIPER_POWER_OFF);
}

int cmd_reboot(int argc, char **argv)
{
    (void)argv;
    return power("Reboot", argc, VIPER_POWER_REBOOT);
}

int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    for (unsigned i = 0; i < sh_ncommands; i++) {
        const struct command *c = &sh_commands[i];
        io_printf("  %-9s %-16s%s%s\n", c->name, c->usage, c->alias ? "also " : "",
                  c->alias ? c->alias : "");
    }
    io_puts("Any other word runs the program of that name from C:.\n");
    return RC_OK;
}
