/*
 * viper/types.h - constants and structures of the system call ABI.
 *
 * Shared by the kernel and libc.  Fixed-width types only; values are part
 * of the ABI (append, never renumber).  The calls themselves are listed in
 * viper/syscalls.h (generated from abi/syscalls.toml).
 */
#pragma once
#include <stdint.h>

/* wait(): why a process ended (the `reason` result). */
#define VIPER_EXIT_NORMAL  0   /* it called exit(code) or its last thread ended */
#define VIPER_EXIT_FAULT   1   /* killed by the kernel for a fault; code = ESR exception class */
#define VIPER_EXIT_KILLED  2   /* killed by kill(); code = pid of the killer */
#define VIPER_EXIT_OOM     3   /* killed because a page could not be allocated within its limits */

/* wait() flags */
#define VIPER_WAIT_NOHANG  1u  /* return VIPER_ERR_WOULD_BLOCK instead of waiting */

/* mmap()/mprotect() protection bits */
#define VIPER_PROT_NONE    0u
#define VIPER_PROT_READ    1u
#define VIPER_PROT_WRITE   2u
#define VIPER_PROT_EXEC    4u

/* mmap() flags */
#define VIPER_MAP_FIXED    1u  /* map exactly at addr, replacing what is there */

/* set_limit() kinds */
#define VIPER_LIMIT_MEMORY 0u  /* bytes of private pages the process may hold */
#define VIPER_LIMIT_PROCS  1u  /* live (unreaped) children the process may have */

/* Priorities: 0-255, higher runs first; eight levels of 32. */
#define VIPER_PRIORITY_MIN     0u
#define VIPER_PRIORITY_DEFAULT 128u
#define VIPER_PRIORITY_MAX     255u

/* Auxiliary vector entries placed after envp on a new stack (subset of the ELF names). */
#define VIPER_AT_NULL    0
#define VIPER_AT_PAGESZ  6
#define VIPER_AT_ENTRY   9
#define VIPER_AT_RANDOM  25

/* kstat(): kernel counters (tests compare them before and after to find leaks). */
struct viper_kstat {
    uint64_t free_pages;      /* free physical pages */
    uint64_t total_pages;     /* pages the allocator manages */
    uint64_t heap_bytes;      /* bytes handed out by kmalloc */
    uint64_t processes;       /* live processes (zombies included) */
    uint64_t threads;         /* live threads */
    uint64_t context_switches;
};

/*
 * User address-space layout (docs/processes.md).  Everything below
 * VIPER_USER_MIN is never mapped, so a NULL dereference always faults.
 */
#define VIPER_USER_MIN        0x0000000000010000ull   /* 64 KiB NULL guard */
#define VIPER_USER_IMAGE      0x0000000000400000ull   /* programs are linked here */
#define VIPER_USER_MMAP_BASE  0x0000001000000000ull   /* mmap() hints start here */
#define VIPER_USER_STACK_TOP  0x00007ffffff00000ull   /* the main thread's stack grows down from here */
#define VIPER_USER_STACK_SIZE 0x0000000000800000ull   /* 8 MiB, with an unmapped guard page below */
#define VIPER_USER_MAX        0x0000800000000000ull   /* 2^47: end of user space */
