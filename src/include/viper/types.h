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
#define VIPER_AT_HANDLE  0x7601   /* one per startup handle, in the order they were passed */

/* kstat(): kernel counters (tests compare them before and after to find leaks). */
struct viper_kstat {
    uint64_t free_pages;      /* free physical pages, counting empty slabs the kernel heap
                                 keeps cached (it gives them back on demand) */
    uint64_t total_pages;     /* pages the allocator manages */
    uint64_t heap_bytes;      /* bytes handed out by kmalloc */
    uint64_t processes;       /* live processes (zombies included) */
    uint64_t threads;         /* live threads */
    uint64_t context_switches;
    uint64_t objects;         /* live kernel objects (channels, shm, processes, ...) */
    uint64_t fast_calls;      /* chan_calls that took the fast path (docs/ipc.md) */
};

/* ---- capabilities ---------------------------------------------------------
 * A handle names an object in the caller's handle table: 32 bits, an index
 * and a generation, so a closed, revoked or made-up handle is refused with
 * VIPER_ERR_BAD_HANDLE rather than reaching another object.  0 is never valid.
 */
typedef uint32_t viper_handle_t;
#define VIPER_HANDLE_INVALID 0u

#define VIPER_RIGHT_READ          (1u << 0)
#define VIPER_RIGHT_WRITE         (1u << 1)
#define VIPER_RIGHT_EXECUTE       (1u << 2)
#define VIPER_RIGHT_LIST          (1u << 3)
#define VIPER_RIGHT_CREATE        (1u << 4)
#define VIPER_RIGHT_DELETE        (1u << 5)
#define VIPER_RIGHT_DERIVE        (1u << 6)
#define VIPER_RIGHT_TRANSFER      (1u << 7)
#define VIPER_RIGHT_SPAWN         (1u << 8)
#define VIPER_RIGHT_TRAVERSE      (1u << 9)
#define VIPER_RIGHT_DEVICE_ACCESS (1u << 10)
#define VIPER_RIGHT_IRQ_ACCESS    (1u << 11)
#define VIPER_RIGHT_DMA_ACCESS    (1u << 12)
#define VIPER_RIGHTS_ALL          0x1fffu

/* cap_query object types */
#define VIPER_OBJ_PROCESS   1u
#define VIPER_OBJ_CHANNEL   2u
#define VIPER_OBJ_SHM       3u
#define VIPER_OBJ_REGISTRY  4u
#define VIPER_OBJ_TIMER     5u
#define VIPER_OBJ_DEVROOT   6u   /* the list of devices (init's second startup handle) */
#define VIPER_OBJ_DEVICE    7u
#define VIPER_OBJ_IRQ       8u
#define VIPER_OBJ_THREAD    9u

#define VIPER_HANDLES_MAX_DEFAULT 1024u   /* per-process handle table limit */

/* dev_info kinds (id >> 32) */
#define VIPER_DEV_VIRTIO_MMIO 1u
#define VIPER_DEV_PL011       2u
#define VIPER_DEV_FW_CFG      3u   /* QEMU's fw_cfg (qemu,fw-cfg-mmio), for ramfb */

/* ---- channels ---------------------------------------------------------------- */
#define VIPER_MSG_MAX_BYTES   256u
#define VIPER_MSG_MAX_HANDLES 4u
#define VIPER_CHAN_QUEUE_MAX  64u

/* A message for chan_send / chan_recv / chan_call.  For receiving, len and
 * nhandles give the capacity of data and handles. */
struct viper_msg {
    uint64_t data;        /* user address of the bytes */
    uint32_t len;
    uint32_t nhandles;
    uint64_t handles;     /* user address of viper_handle_t[nhandles] */
};

#define VIPER_CHAN_NONBLOCK      1u                    /* chan_send, chan_call: the send never waits */
#define VIPER_CHAN_INTERRUPTIBLE 2u                    /* chan_call: news at another endpoint that
                                                          notifies the caller (chan_notify) ends
                                                          the wait for the reply: INTERRUPTED */
#define VIPER_DEADLINE_POLL      0ull                  /* do not wait at all */
#define VIPER_DEADLINE_INFINITE  0xffffffffffffffffull /* wait as long as it takes */

/* ---- waiting on many --------------------------------------------------------- */
#define VIPER_SIGNAL_READABLE       (1u << 0)   /* a message is queued */
#define VIPER_SIGNAL_WRITABLE       (1u << 1)   /* the peer's queue has room */
#define VIPER_SIGNAL_PEER_CLOSED    (1u << 2)   /* the other end is gone */
#define VIPER_SIGNAL_PROCESS_EXITED (1u << 3)   /* the process has ended */
#define VIPER_SIGNAL_TIMER_FIRED    (1u << 4)   /* the timer's deadline has passed */
#define VIPER_SIGNAL_IRQ            (1u << 5)   /* the interrupt fired (masked until irq_ack) */
#define VIPER_SIGNAL_THREAD_EXITED  (1u << 6)   /* the thread has ended */
#define VIPER_WAIT_MANY_MAX         256u

struct viper_wait_item {
    uint32_t handle;
    uint32_t signals;     /* in: what to wait for */
    uint32_t pending;     /* out: what the object has now */
    uint32_t reserved;
};

/*
 * User address-space layout (docs/user.md).  Everything below
 * VIPER_USER_MIN is never mapped, so a NULL dereference always faults.
 * The main stack ends where the program begins, at 9 MiB: not 2 MiB
 * aligned, so the stack's top and the program's first MiB share one
 * level-3 page table, and the stack, the program and its heap share the
 * first GiB (one level-1 and one level-2 table).  Each table page a walk
 * reads after a switch is a cost under QEMU (docs/bench.md): a request and
 * its reply touch the stack and the code on each side.
 */
#define VIPER_USER_MIN        0x0000000000010000ull   /* 64 KiB NULL guard */
#define VIPER_USER_IMAGE      0x0000000000900000ull   /* programs are linked here */
#define VIPER_USER_STACK_TOP  VIPER_USER_IMAGE        /* the main thread's stack grows down from here */
#define VIPER_USER_STACK_SIZE 0x0000000000800000ull   /* 8 MiB, with an unmapped guard page below */
#define VIPER_USER_HEAP_MAX   0x0000000040000000ull   /* the heap (after the program) ends by 1 GiB */
#define VIPER_USER_MMAP_BASE  0x0000001000000000ull   /* mmap() hints start here */
#define VIPER_USER_MAX        0x0000008000000000ull   /* 2^39 (512 GiB): end of user space */

/* ---- system services ---------------------------------------------------------- */
#define VIPER_RANDOM_NONBLOCK 1u   /* getrandom: WOULD_BLOCK instead of waiting for the seed */
#define VIPER_RANDOM_MAX      4096u

#define VIPER_POWER_OFF    0u
#define VIPER_POWER_REBOOT 1u

#define VIPER_PROC_NAME_MAX 32u
#define VIPER_PROC_LIST_MAX 1024u

/* Process states in viper_proc_info (that of its first live thread). */
#define VIPER_PROC_RUNNING  0u   /* on a CPU */
#define VIPER_PROC_READY    1u   /* waiting for a CPU */
#define VIPER_PROC_BLOCKED  2u   /* waiting for an event or a deadline */
#define VIPER_PROC_ZOMBIE   3u   /* exited, not yet reaped */

struct viper_proc_info {
    int64_t pid;
    int64_t parent_pid;       /* 0 for init */
    uint32_t state;           /* VIPER_PROC_* */
    uint32_t priority;        /* of its first live thread, 0-255 */
    uint32_t threads;         /* live threads */
    uint32_t handles;         /* open handles */
    uint64_t pages;           /* private pages charged to it */
    char name[VIPER_PROC_NAME_MAX];
};

/* init's startup handles: the registry, the device root, and the boot
 * filesystem (a read-only shared-memory copy of the initrd's newc cpio archive). */
#define VIPER_INIT_HANDLE_REGISTRY 0u
#define VIPER_INIT_HANDLE_DEVROOT  1u
#define VIPER_INIT_HANDLE_BOOTFS   2u
