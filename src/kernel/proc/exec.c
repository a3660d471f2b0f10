/*
 * exec.c - loading a program: the initrd lookup, the ELF's segments, and
 * the initial stack; and the three users of that: spawn, exec, and the
 * first process.
 *
 * A program is checked completely (lib/elf.c) before anything is built,
 * and built in a new address space, so a bad ELF or a lack of memory
 * leaves the caller exactly as it was.  The stack a program starts with:
 *   sp -> argc, argv[0..argc-1], NULL, envp[...], NULL, auxv pairs, AT_NULL
 * and above them the strings; x0 = argc, x1 = argv, x2 = envp as well.
 */
#include "arch/cpu.h"
#include "arch/fpu.h"
#include "arch/mmu.h"
#include "kernel/bootargs.h"
#include "kernel/log.h"
#include "lib/format.h"
#include "dev/devices.h"
#include "ipc/registry.h"
#include "ipc/shm.h"
#include "lib/cpio.h"
#include "lib/elf.h"
#include "lib/fdt.h"
#include "lib/string.h"
#include "mm/page.h"
#include "mm/slab.h"
#include "mm/vm.h"
#include "proc_priv.h"
#include "sched/sched.h"
#include "viper/errors.h"
#include "viper/types.h"

static const void *initrd;
static uint64_t initrd_size;

int initrd_lookup(const char *path, const void **data, uint64_t *size)
{
    struct cpio_file f;
    if (!initrd || cpio_find(initrd, initrd_size, path, &f) != VIPER_OK ||
        (f.mode & CPIO_MODE_TYPE) != CPIO_MODE_REG)
        return VIPER_ERR_NOT_FOUND;
    *data = f.data;
    *size = f.size;
    return VIPER_OK;
}

static int load_segments(struct vm_space *vm, const uint8_t *file, const struct elf_image *elf,
                         uint64_t *image_end)
{
    *image_end = 0;
    for (unsigned i = 0; i < elf->nsegments; i++) {
        const struct elf_segment *s = &elf->segments[i];
        uint64_t start = s->vaddr & PAGE_MASK;
        uint64_t end = (s->vaddr + s->memsz + PAGE_SIZE - 1) & PAGE_MASK;
        int err = vm_map(vm, start, end - start, s->prot, VMA_IMAGE);
        if (!err)
            err = vm_write(vm, s->vaddr, file + s->offset, s->filesz);
        if (err)
            return err;
        if (end > *image_end)
            *image_end = end;
    }
    return VIPER_OK;
}

/* Lay out argc/argv/envp/auxv and the strings below VIPER_USER_STACK_TOP. */
static int build_stack(struct vm_space *vm, const struct arg_block *a, uint64_t entry,
                       struct image *img)
{
    uint64_t top = VIPER_USER_STACK_TOP;
    uint64_t strings = (top - a->used) & ~15ul;
    size_t nwords = 1 + (a->argc + 1) + (a->envc + 1) + 2 * (3 + (size_t)a->nhandles);
    uint64_t sp = (strings - nwords * 8) & ~15ul;
    uint64_t *w = kmalloc(nwords * 8);
    if (!w)
        return VIPER_ERR_NO_MEMORY;
    size_t n = 0;
    w[n++] = (uint64_t)a->argc;
    for (int i = 0; i < a->argc; i++)
        w[n++] = strings + (uint64_t)(a->argv[i] - a->buf);
    w[n++] = 0;
    for (int i = 0; i < a->envc; i++)
        w[n++] = strings + (uint64_t)(a->envp[i] - a->buf);
    w[n++] = 0;
    w[n++] = VIPER_AT_PAGESZ;
    w[n++] = PAGE_SIZE;
    w[n++] = VIPER_AT_ENTRY;
    w[n++] = entry;
    for (int i = 0; i < a->nhandles; i++) {   /* the child's table starts empty: values 1, 2, ... */
        w[n++] = VIPER_AT_HANDLE;
        w[n++] = (uint64_t)i + 1;
    }
    w[n++] = VIPER_AT_NULL;
    w[n++] = 0;
    int err = vm_write(vm, strings, a->buf, a->used);
    if (!err)
        err = vm_write(vm, sp, w, nwords * 8);
    kfree(w);
    img->sp = sp;
    img->argc = (uint64_t)a->argc;
    img->argv_va = sp + 8;
    img->envp_va = sp + 8 * (2 + (uint64_t)a->argc);
    return err;
}

int image_load(const char *path, const struct arg_block *args, struct image *img)
{
    const void *file;
    uint64_t size;
    struct elf_image elf;
    if (initrd_lookup(path, &file, &size) != VIPER_OK)
        return VIPER_ERR_NOT_FOUND;
    int err = elf_parse(file, size, &elf);
    if (err) {
        pr_warn("exec: %s: bad ELF: %s", path, elf.why ? elf.why : "?");
        return err;
    }
    struct process *self = proc_current();
    struct vm_space *vm = vm_create(self && self->vm ? self->vm->mem_limit : PROC_DEFAULT_MEM);
    if (!vm)
        return VIPER_ERR_NO_MEMORY;
    uint64_t image_end;
    err = load_segments(vm, file, &elf, &image_end);
    if (!err)
        err = vm_map(vm, VIPER_USER_STACK_TOP - VIPER_USER_STACK_SIZE, VIPER_USER_STACK_SIZE,
                     VIPER_PROT_READ | VIPER_PROT_WRITE, VMA_STACK);
    if (!err)
        err = build_stack(vm, args, elf.entry, img);
    if (err) {
        vm_destroy(vm);
        return err;
    }
    vm->heap_start = vm->heap_end = image_end;
    img->vm = vm;
    img->entry = elf.entry;
    img->exe = file;
    img->exe_size = size;
    return VIPER_OK;
}

void image_enter(struct trap_frame *tf, const struct image *img)
{
    memset(tf, 0, sizeof *tf);   /* esr = 0: el0_sync_full (vectors.S) then loads every register */
    tf->elr = img->entry;
    tf->sp = img->sp;
    tf->spsr = 0;   /* EL0t */
    tf->x[0] = img->argc;
    tf->x[1] = img->argv_va;
    tf->x[2] = img->envp_va;
}

/* The last path component, for process names. */
static const char *basename(const char *path)
{
    const char *slash = path;
    for (const char *p = path; *p; p++)
        if (*p == '/' || *p == ':')
            slash = p + 1;
    return slash;
}

/*
 * Move the startup caps into p's (empty) table, where they get the values
 * 1..n.  A cap may come from the caller's table (spawn) or from no table
 * (init's registry cap).  Undo puts each back where it came from, under
 * its old value.
 */
struct cap_origin {
    struct handle_table *table;   /* NULL: it was in no table */
    uint32_t value;
};

static void return_startup_caps(const struct arg_block *args, const struct cap_origin *from, int n)
{
    for (int i = 0; i < n; i++) {
        uint32_t h;
        handle_detach(args->caps[i]);
        if (from[i].table)
            handle_reattach(from[i].table, args->caps[i], from[i].value, &h);
    }
}

static int move_startup_caps(struct process *p, const struct arg_block *args, struct cap_origin *from)
{
    for (int i = 0; i < args->nhandles; i++) {
        struct cap *c = args->caps[i];
        uint32_t h;
        from[i].table = c->table;
        if (c->table) {
            from[i].value = (c->index + 1) | ((uint32_t)c->table->slots[c->index].gen << 16);
            handle_detach(c);
        }
        if (handle_install(&p->handles, c, &h) != VIPER_OK) {
            if (from[i].table)
                handle_reattach(from[i].table, c, from[i].value, &h);
            return_startup_caps(args, from, i);
            return VIPER_ERR_NO_MEMORY;
        }
    }
    return VIPER_OK;
}

static int spawn_image(struct process *parent, const char *path, const struct arg_block *args,
                       struct process **child)
{
    struct process *p = proc_alloc(parent, basename(path));
    struct cap_origin from[SPAWN_HANDLES_MAX];
    if (!p)
        return VIPER_ERR_LIMIT;
    int err = move_startup_caps(p, args, from);
    if (err) {
        proc_free_unstarted(p);
        return err;
    }
    struct image img;
    err = image_load(path, args, &img);
    struct thread *t = NULL;
    if (!err) {
        p->vm = img.vm;
        p->exe = img.exe;
        p->exe_size = img.exe_size;
        err = thread_create_user(p, 0, 0, 0, &t);
    }
    if (err) {
        return_startup_caps(args, from, args->nhandles);
        proc_free_unstarted(p);
        return err;
    }
    image_enter(t->tf, &img);
    *child = p;
    uint64_t flags = arch_irq_save();
    sched_make_runnable(t);
    arch_irq_restore(flags);
    return VIPER_OK;
}

int proc_spawn_args(struct process *parent, const char *path, const struct arg_block *args,
                    struct process **child)
{
    return spawn_image(parent, path, args, child);
}

int proc_exec_args(const char *path, const struct arg_block *args)
{
    struct thread *self = sched_current();
    struct process *p = self->proc;
    if (p->live_threads > 1)
        return VIPER_ERR_BUSY;
    struct image img;
    int err = image_load(path, args, &img);
    if (err)
        return err;
    vm_destroy(p->vm);
    proc_set_vm(p, img.vm);
    p->exe = img.exe;
    p->exe_size = img.exe_size;
    strlcpy(p->name, basename(path), sizeof p->name);
    vm_activate(p->vm, &self->ttbr0);
    fpu_forget(self);
    image_enter(self->tf, &img);
    return VIPER_OK;
}

/* A chosen address property of one or two cells. */
static uint64_t chosen_u64(const struct fdt *fdt, int node, const char *name)
{
    uint32_t len;
    const void *v = fdt_getprop(fdt, node, name, &len);
    return !v ? 0 : len == 8 ? fdt_be64(v) : len == 4 ? fdt_be32(v) : 0;
}

/* A read-only shared-memory copy of the initrd (the kernel's, uncharged), or NULL. */
static struct object *bootfs_object(void)
{
    struct shm *s;
    if (shm_alloc(NULL, initrd_size, &s) != VIPER_OK)
        return NULL;
    for (uint64_t off = 0; off < initrd_size; off += PAGE_SIZE) {
        uint64_t n = initrd_size - off < PAGE_SIZE ? initrd_size - off : PAGE_SIZE;
        memcpy(phys_to_virt(s->pages[off / PAGE_SIZE]), (const uint8_t *)initrd + off, n);
    }
    return &s->obj;
}

int proc_start_init(const struct fdt *fdt, const char *path)
{
    int chosen = fdt_path(fdt, "/chosen");
    uint64_t start = chosen_u64(fdt, chosen, "linux,initrd-start");
    uint64_t end = chosen_u64(fdt, chosen, "linux,initrd-end");
    if (chosen < 0 || end <= start)
        return VIPER_ERR_NOT_FOUND;
    initrd = phys_to_virt(start);
    initrd_size = end - start;
    static struct arg_block args;   /* once, at boot: keep it off the stack */
    args.argc = 1;
    args.argv[0] = args.buf;
    args.used = strlcpy(args.buf, path, sizeof args.buf) + 1;
    const char *nonce = bootarg("nonce");   /* tests echo it in their result lines */
    if (nonce) {
        args.envc = 1;
        args.envp[0] = args.buf + args.used;
        args.used += (size_t)snprintf(args.envp[0], 64, "NONCE=%.40s", nonce) + 1;
    }
    /* init's capabilities (VIPER_INIT_HANDLE_*), which it hands on narrowed:
     * the registry and the device root with every right, and the boot
     * filesystem read-only. */
    struct object *objs[3] = { registry_root(), devices_root(), bootfs_object() };
    static const uint32_t rights[3] = {
        VIPER_RIGHTS_ALL, VIPER_RIGHTS_ALL,
        VIPER_RIGHT_READ | VIPER_RIGHT_TRANSFER | VIPER_RIGHT_DERIVE,
    };
    int err = VIPER_OK;
    args.nhandles = 0;
    for (unsigned i = 0; i < 3; i++) {
        if (!objs[i]) {
            err = VIPER_ERR_NO_MEMORY;
            break;
        }
        if (i < 2)
            obj_get(objs[i]);   /* the registry and device root are shared singletons */
        args.caps[i] = cap_create(objs[i], rights[i]);
        if (!args.caps[i]) {
            obj_put(objs[i]);
            err = VIPER_ERR_NO_MEMORY;
            break;
        }
        args.nhandles++;
    }
    if (err && args.nhandles < 2 && objs[2])
        obj_put(objs[2]);   /* the loop stopped before the boot filesystem got its handle */
    struct process *p;
    if (!err)
        err = spawn_image(NULL, path, &args, &p);
    if (err)
        for (int i = 0; i < args.nhandles; i++)
            cap_destroy(args.caps[i]);
    return err;
}
