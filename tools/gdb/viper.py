"""tools/gdb/viper.py - GDB commands for debugging ViperOS (kernel and user space).

Loaded by the .gdbinit that `make qemu-gdb` writes (`source .../viper.py`);
by hand: `source tools/gdb/viper.py`.  `viper-help` lists the commands:

  viper-ps              processes and their threads (state, priority, level)
  viper-runq            the scheduler's run queues and the sleep list
  viper-pt ADDR [ROOT]  walk a page table for ADDR and decode every level
  viper-user [PATH]     load a user program's symbols (breakpoints in user code)
  $viper_pid(), $viper_tid()   the current process / thread id, for
                        conditions: `hbreak main if $viper_pid() == 3`

Everything is read through the kernel's own types (struct process, struct
thread, ...), so the commands follow the structures when they change; the
only constants are architectural (descriptor bits) and the linear-map base
from arch/mmu.h.

Reading kernel memory at a user breakpoint: QEMU's gdbstub reads memory
through the CPU's current translation *with the current exception level's
permissions*, so at EL0 every kernel address is "Cannot access memory"
(a plain `print current` fails there).  These commands then switch QEMU's
gdbstub to physical addresses (the `Qqemu.PhyMemMode` packet) and translate
kernel virtual addresses by walking TTBR1_EL1 / TTBR0_EL1 themselves.
"""

import os
import struct

import gdb

UPPER_HALF = 0xffffff8000000000       # TTBR1 range: VA[63:39] all ones (KERNEL_VA_BITS 39)
USER_END = 1 << 39                   # TTBR0 range ends here (USER_VA_BITS, VIPER_USER_MAX)
MASK64 = (1 << 64) - 1

# Stage-1 descriptor bits, 4 KiB granule (Arm ARM D8.3; arch/aarch64/pagetable.c).
DESC_VALID = 1 << 0
DESC_TYPE = 1 << 1             # level 1-2: 1 table, 0 block; level 3: must be 1 (page)
DESC_ADDR = 0x0000fffffffff000
DESC_USER = 1 << 6             # AP[1]
DESC_RO = 1 << 7               # AP[2]
DESC_AF = 1 << 10
DESC_NG = 1 << 11
DESC_PXN = 1 << 53
DESC_UXN = 1 << 54
DESC_COW = 1 << 55             # software bit: copy-on-write (ViperOS)
LEVEL_SHIFT = (39, 30, 21, 12)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    globals().get("__file__", os.path.join(os.getcwd(), "tools", "gdb", "viper.py"))))))
USER_BIN_DIRS = ("build/user/bin", "build/user/bin/tests", "build/user/bin/bench")


class ViperError(Exception):
    pass


# ---- memory ----------------------------------------------------------------

def _inferior():
    return gdb.selected_inferior()


def _reg(name):
    """A register's value as an int, or None if the target does not have it."""
    try:
        return int(gdb.parse_and_eval("$" + name)) & MASK64
    except gdb.error:
        return None


def current_el():
    cpsr = _reg("cpsr")
    return None if cpsr is None else (cpsr >> 2) & 3


def _phys_mode(on):
    out = gdb.execute("maint packet Qqemu.PhyMemMode:%d" % (1 if on else 0), to_string=True)
    if '"OK"' not in out:
        raise ViperError("the gdbstub cannot read physical memory (not QEMU?): %s"
                         % out.strip().splitlines()[-1])


def _read_phys_raw(pa, n):
    _phys_mode(True)
    try:
        return bytes(_inferior().read_memory(pa, n))
    except gdb.MemoryError:
        raise ViperError("cannot read %d bytes at physical address 0x%x" % (n, pa))
    finally:
        _phys_mode(False)
        try:
            gdb.execute("maint flush dcache", to_string=True)
        except gdb.error:
            pass


def linear_offset():
    """The kernel's linear_offset (arch/mmu.h): linear-map VA = PA + linear_offset."""
    va = int(gdb.parse_and_eval("&linear_offset")) & MASK64
    return struct.unpack("<Q", read_virt(va, 8))[0]


def read_phys(pa, n):
    """n bytes of physical memory: through the linear map at EL1, else raw."""
    if current_el() != 0:
        try:
            return bytes(_inferior().read_memory((pa + linear_offset()) & MASK64, n))
        except gdb.MemoryError:
            pass
    return _read_phys_raw(pa, n)


def read_u64_phys(pa):
    return struct.unpack("<Q", read_phys(pa, 8))[0]


def read_virt(va, n):
    """n bytes at a virtual address: directly, or by walking the tables (EL0 stop)."""
    va &= MASK64
    try:
        return bytes(_inferior().read_memory(va, n))
    except gdb.MemoryError:
        pass
    sctlr = _reg("SCTLR_EL1")
    if sctlr is None:
        sctlr = _reg("SCTLR")           # QEMU 7.2 names SCTLR_EL1 so
    if sctlr is not None and not sctlr & 1:
        raise ViperError("cannot read 0x%x: the MMU is off (early boot; continue to kmain)" % va)
    out = b""
    while n > 0:
        root = ttbr_root(va)
        walk = pt_walk(root, va)
        pa = walk["pa"]
        if pa is None:
            raise ViperError("cannot read 0x%x: not mapped (%s)" % (va, walk["why"]))
        chunk = min(n, 4096 - (va & 4095))
        out += _read_phys_raw(pa, chunk)
        va += chunk
        n -= chunk
    return out


def load(va, type_name):
    """The object of type `type_name` at va, as a gdb.Value (copied out of memory)."""
    t = gdb.lookup_type(type_name) if isinstance(type_name, str) else type_name
    return gdb.Value(read_virt(va, t.sizeof), t)


def addr_of(name, fallbacks=()):
    """The address of a kernel global (file-qualified names tried first)."""
    for expr in (name,) + tuple(fallbacks):
        try:
            return int(gdb.parse_and_eval("&" + expr)) & MASK64
        except gdb.error:
            continue
    raise ViperError("no symbol %s (are the kernel symbols loaded?)" % name)


def offset_of(type_name, field):
    t = gdb.lookup_type(type_name)
    for f in t.fields():
        if f.name == field:
            return f.bitpos // 8
    raise ViperError("%s has no field %s" % (type_name, field))


def read_ptr(va):
    return struct.unpack("<Q", read_virt(va, 8))[0]


def list_entries(head, type_name, member, limit=100000):
    """Addresses of the `type_name` objects on the intrusive list at `head` (container_of)."""
    off = offset_of(type_name, member)
    node = read_ptr(head)
    seen = 0
    while node != head:
        if node == 0:
            raise ViperError("list at 0x%x is broken (NULL next)" % head)
        seen += 1
        if seen > limit:
            raise ViperError("list at 0x%x does not come back to its head" % head)
        yield (node - off) & MASK64
        node = read_ptr(node)


# ---- kernel state ----------------------------------------------------------

def sym_current():
    return addr_of("'sched.c'::current", ("current",))


def current_thread():
    return read_ptr(sym_current())


def thread_proc(t):
    return int(load(t, "struct thread")["proc"]) & MASK64


def state_name(v):
    s = str(v)
    return s[len("THREAD_"):] if s.startswith("THREAD_") else s


def c_string(arr):
    raw = bytes(int(arr[i]) & 0xff for i in range(arr.type.sizeof))
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def ttbr_root(va):
    """The physical address of the table root the MMU uses for va."""
    reg = "TTBR1_EL1" if va >= UPPER_HALF else "TTBR0_EL1"
    v = _reg(reg)
    if v is None:
        raise ViperError("the gdbstub does not show %s" % reg)
    return v & DESC_ADDR


def timer_deadline_ns():
    """The armed EL1 physical timer deadline in ns (CNTP_CVAL_EL0), or None if off."""
    ctl, cval, freq = _reg("CNTP_CTL_EL0"), _reg("CNTP_CVAL_EL0"), _reg("CNTFRQ_EL0")
    if ctl is None or cval is None or not freq or not ctl & 1:
        return None
    return cval // freq * 1000000000 + cval % freq * 1000000000 // freq


# ---- page tables -----------------------------------------------------------

def decode_leaf(e):
    """(attribute words, EL0 rwx, EL1 rwx) of a block or page descriptor."""
    user = bool(e & DESC_USER)
    ro = bool(e & DESC_RO)
    ap = {(False, False): "EL1 RW, EL0 none", (True, False): "EL1 RW, EL0 RW",
          (False, True): "EL1 RO, EL0 none", (True, True): "EL1 RO, EL0 RO"}[(user, ro)]
    words = ["AP[2:1]=%d%d (%s)" % (ro, user, ap),
             "UXN=%d" % bool(e & DESC_UXN), "PXN=%d" % bool(e & DESC_PXN),
             "nG=%d" % bool(e & DESC_NG), "AF=%d" % bool(e & DESC_AF),
             "AttrIndx=%d" % ((e >> 2) & 7), "SH=%d" % ((e >> 8) & 3),
             "COW=%d" % bool(e & DESC_COW)]
    el0 = ("r" if user else "-") + ("w" if user and not ro else "-") + \
        ("x" if not e & DESC_UXN else "-")
    # An EL0-writable page is never executable at EL1 (Arm ARM D8.4.1.2).
    el1 = "r" + ("w" if not ro else "-") + \
        ("x" if not e & DESC_PXN and not (user and not ro) else "-")
    return words, el0, el1


def pt_walk(root_pa, va):
    """Walk a 4 KiB-granule table from level 1 (both halves are 39 bits);
    returns {'steps', 'pa', 'entry', 'size', 'why'}."""
    steps = []
    if USER_END <= va < UPPER_HALF:
        return {"steps": steps, "pa": None, "entry": 0, "size": 0,
                "why": "0x%x is in neither half (user space ends at 0x%x)" % (va, USER_END)}
    table = root_pa
    for level in range(1, 4):
        idx = (va >> LEVEL_SHIFT[level]) & 511
        e = read_u64_phys(table + 8 * idx)
        step = {"level": level, "index": idx, "table": table, "entry": e}
        steps.append(step)
        if not e & DESC_VALID:
            step["kind"] = "invalid"
            return {"steps": steps, "pa": None, "entry": e, "size": 0,
                    "why": "level %d entry %d is invalid" % (level, idx)}
        if level < 3 and e & DESC_TYPE:
            step["kind"] = "table"
            table = e & DESC_ADDR
            continue
        if level == 3 and not e & DESC_TYPE:
            step["kind"] = "reserved"
            return {"steps": steps, "pa": None, "entry": e, "size": 0,
                    "why": "level %d entry %d is a reserved encoding" % (level, idx)}
        size = 1 << LEVEL_SHIFT[level]
        step["kind"] = "page" if level == 3 else "block"
        pa = (e & DESC_ADDR & ~(size - 1)) | (va & (size - 1))
        return {"steps": steps, "pa": pa, "entry": e, "size": size, "why": None}
    raise AssertionError("unreachable")


def describe_size(size):
    return "%d %s" % ((size >> 30, "GiB") if size >= 1 << 30 else
                      (size >> 20, "MiB") if size >= 1 << 20 else (size >> 10, "KiB"))


def split_exprs(arg):
    """Split at top-level blanks, keeping quotes and bracketed groups whole."""
    words, cur, depth, quote = [], "", 0, None
    for ch in arg.strip():
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch.isspace() and depth == 0:
            if cur:
                words.append(cur)
            cur = ""
            continue
        cur += ch
    if cur:
        words.append(cur)
    return words


# ---- commands --------------------------------------------------------------

class ViperCommand(gdb.Command):
    """Base: turns ViperError and gdb errors into one-line messages."""

    def invoke(self, arg, from_tty):
        try:
            self.run(arg, from_tty)
        except ViperError as e:
            raise gdb.GdbError("%s: error: %s" % (self.cmd_name, e))

    def run(self, arg, from_tty):
        raise NotImplementedError


class ViperPs(ViperCommand):
    """List processes and their threads: viper-ps

For every process (the kernel's all_procs list): pid, parent, name, and
alive/zombie/killed; under it each thread (proc->threads): tid, state,
priority and scheduler level (priority / 32).  `*` marks the thread on the
CPU (sched.c's `current`); the idle thread (tid 0) is listed last."""

    cmd_name = "viper-ps"

    def __init__(self):
        super().__init__(self.cmd_name, gdb.COMMAND_STATUS)

    def run(self, arg, from_tty):
        cur = current_thread()
        head = addr_of("'process.c'::all_procs", ("all_procs",))
        level_shift = 5
        out = ["%-5s %-5s %-20s %s" % ("PID", "PPID", "NAME", "STATE"),
               "      %1s %-5s %-9s %4s %3s" % ("", "TID", "STATE", "PRIO", "LVL")]
        nprocs = nthreads = 0
        for p in list_entries(head, "struct process", "all_node"):
            pv = load(p, "struct process")
            nprocs += 1
            parent = int(pv["parent"]) & MASK64
            ppid = int(load(parent, "struct process")["pid"]) if parent else 0
            flags = ["zombie" if bool(pv["zombie"]) else "alive"]
            if bool(pv["killed"]):
                flags.append("killed")
            out.append("%-5d %-5d %-20s %s (%d live threads)"
                       % (int(pv["pid"]), ppid, c_string(pv["name"]), ", ".join(flags),
                          int(pv["live_threads"])))
            threads = p + offset_of("struct process", "threads")
            for t in list_entries(threads, "struct thread", "proc_node"):
                out.append(self.thread_line(t, cur, level_shift))
                nthreads += 1
        idle = addr_of("'sched.c'::idle_thread", ("idle_thread",))
        out.append("idle:")
        out.append(self.thread_line(idle, cur, level_shift))
        out.append("%d processes, %d threads; * = current thread (0x%x)" % (nprocs, nthreads, cur))
        gdb.write("\n".join(out) + "\n")

    @staticmethod
    def thread_line(t, cur, level_shift):
        tv = load(t, "struct thread")
        prio = int(tv["priority"])
        return "      %1s %-5d %-9s %4d %3d" % ("*" if t == cur else "", int(tv["tid"]),
                                               state_name(tv["state"]), prio, prio >> level_shift)


class ViperRunq(ViperCommand):
    """Show the scheduler's run queues and sleepers: viper-runq

One line per level (highest first) with the runnable thread ids in queue
order (the next to run first), the runq_mask bits, then the sleep list
(sorted by deadline, in ns of the kernel's clock) and when the timer is armed
to fire next (the earlier of the slice end and the first deadline)."""

    cmd_name = "viper-runq"

    def __init__(self):
        super().__init__(self.cmd_name, gdb.COMMAND_STATUS)

    def run(self, arg, from_tty):
        runq = gdb.parse_and_eval("&'sched.c'::runq") if self._has("'sched.c'::runq") \
            else gdb.parse_and_eval("&runq")
        arr_t = runq.type.target()
        lo, hi = arr_t.range()
        elem = arr_t.target().sizeof
        base = int(runq) & MASK64
        cur = current_thread()
        out = []
        try:
            mask = struct.unpack("<I", read_virt(addr_of("'sched.c'::runq_mask",
                                                         ("runq_mask",)), 4))[0]
            out.append("runq_mask 0x%x" % mask)
        except ViperError:
            pass
        ct = load(cur, "struct thread")
        out.append("current: tid %d (%s, priority %d)"
                   % (int(ct["tid"]), state_name(ct["state"]), int(ct["priority"])))
        for level in range(hi, lo - 1, -1):
            tids = []
            for t in list_entries(base + level * elem, "struct thread", "run_node"):
                tv = load(t, "struct thread")
                tids.append("%d(p%d)" % (int(tv["tid"]), int(tv["priority"])))
            out.append("level %d: %s" % (level, " ".join(tids) if tids else "-"))
        head = addr_of("'sched.c'::sleepers", ("sleepers",))
        sleepers = []
        for t in list_entries(head, "struct thread", "sleep_node"):
            tv = load(t, "struct thread")
            sleepers.append("  tid %d deadline %d ns (%s)" % (
                int(tv["tid"]), int(tv["deadline_ns"]), state_name(tv["state"])))
        out.append("sleepers: %s" % ("-" if not sleepers else "%d" % len(sleepers)))
        out.extend(sleepers)
        armed = timer_deadline_ns()
        out.append("timer: %s" % ("off" if armed is None else
                                  "fires at %d ns (CNTP_CVAL_EL0)" % armed))
        gdb.write("\n".join(out) + "\n")

    @staticmethod
    def _has(expr):
        try:
            gdb.parse_and_eval("&" + expr)
            return True
        except gdb.error:
            return False


class ViperPt(ViperCommand):
    """Walk a page table for an address: viper-pt ADDR [ROOT]

ADDR is any expression ($pc, $sp, main, 0x900000).  The table is the current
process's (current->proc->vm->root), or the live TTBR0_EL1 when the CPU runs
no process; an upper-half ADDR uses TTBR1_EL1 (the kernel's tables).  ROOT
(optional) is another table: a linear-map pointer such as p->vm->root, or a
physical address.  Prints every level's index and entry, then the physical
address with the decoded attributes (AP, UXN/PXN, nG, AF, COW), and the
VMA that covers ADDR in the current process."""

    cmd_name = "viper-pt"

    def __init__(self):
        super().__init__(self.cmd_name, gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def run(self, arg, from_tty):
        argv = split_exprs(arg)
        if not argv or len(argv) > 2:
            raise ViperError("usage: viper-pt ADDR [ROOT] (parenthesize expressions "
                             "with spaces: viper-pt ($sp + 16))")
        va = int(gdb.parse_and_eval(argv[0])) & MASK64
        vm = None
        if len(argv) == 2:
            r = int(gdb.parse_and_eval(argv[1])) & MASK64
            root = (r - linear_offset()) & MASK64 if r >= UPPER_HALF else r
            src = "ROOT %s" % argv[1]
        elif va >= UPPER_HALF:
            root = ttbr_root(va)
            src = "TTBR1_EL1 (kernel)"
        else:
            cur = current_thread()
            proc = thread_proc(cur) if cur else 0
            if proc:
                pv = load(proc, "struct process")
                vm = int(pv["vm"]) & MASK64
                rootva = int(load(vm, "struct vm_space")["root"]) & MASK64
                root = (rootva - linear_offset()) & MASK64
                src = "pid %d (%s) vm->root 0x%x" % (int(pv["pid"]), c_string(pv["name"]),
                                                      rootva)
                hw = ttbr_root(va)
                if hw != root:
                    src += " [TTBR0_EL1 holds 0x%x]" % hw
            else:
                root = ttbr_root(va)
                src = "TTBR0_EL1 (no current process)"
        w = pt_walk(root, va)
        out = ["va 0x%x  root pa 0x%x  from %s" % (va, root, src)]
        for s in w["steps"]:
            line = "  L%d[%3d] @pa 0x%x = 0x%016x  %s" % (s["level"], s["index"],
                                                        s["table"] + 8 * s["index"],
                                                        s["entry"], s["kind"])
            if s["kind"] == "table":
                line += " -> 0x%x" % (s["entry"] & DESC_ADDR)
                hier = (s["entry"] >> 59) & 0x1f
                if hier:
                    line += " (table attrs PXNTable=%d UXNTable=%d APTable=%d NSTable=%d)" % (
                        hier & 1, (hier >> 1) & 1, (hier >> 2) & 3, (hier >> 4) & 1)
            out.append(line)
        if w["pa"] is None:
            out.append("not mapped: %s" % w["why"])
        else:
            e = w["entry"]
            out.append("pa 0x%x  (%s %s, valid)" % (w["pa"], describe_size(w["size"]),
                                                   w["steps"][-1]["kind"]))
            words, el0, el1 = decode_leaf(e)
            out.append("  EL0 %s  EL1 %s  %s" % (el0, el1, "user" if e & DESC_USER else "kernel"))
            out.append("  " + " ".join(words))
        if vm is not None:
            out.append(self.vma_line(vm, va))
        gdb.write("\n".join(out) + "\n")

    @staticmethod
    def vma_line(vm, va):
        head = vm + offset_of("struct vm_space", "vmas")
        for a in list_entries(head, "struct vma", "node"):
            v = load(a, "struct vma")
            start, end = int(v["start"]), int(v["end"])
            if start <= va < end:
                prot = int(v["prot"])
                p = "".join(c if prot & b else "-" for c, b in (("r", 1), ("w", 2), ("x", 4)))
                kind = str(v["kind"])
                return "  vma [0x%x, 0x%x) %s %s" % (start, end, p,
                                                     kind[4:] if kind.startswith("VMA_") else kind)
        return "  vma: none covers 0x%x (an access would be a fault)" % va


class ViperUser(ViperCommand):
    """Load a user program's symbols: viper-user [PATH]

PATH is the program's ELF on the host (build/user/bin/vinit), or its path in
the boot filesystem (/vinit, /tests/NAME) looked up under build/user/bin.
Without PATH: the current process's program.  User programs are static
ET_EXEC files linked at 0x900000 (VIPER_USER_IMAGE), so the symbols load at their link
addresses; a program loaded earlier with viper-user is unloaded first
(all programs share the same addresses).

Then e.g. `hbreak main` and `continue`.  QEMU's breakpoints match the
virtual pc at any exception level, so a user breakpoint also works before
the page is mapped; it stops *every* process that runs that address: add a
condition such as `hbreak main if $viper_pid() == 1`, or check viper-ps.
At a user stop, `bt`, `x`, `print` work on user memory; plain `print` of
kernel variables does not (QEMU applies EL0 permissions), the viper-*
commands do."""

    cmd_name = "viper-user"
    loaded = None

    def __init__(self):
        super().__init__(self.cmd_name, gdb.COMMAND_FILES, gdb.COMPLETE_FILENAME)

    def run(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if len(argv) > 1:
            raise ViperError("usage: viper-user [PATH]")
        path = self.resolve(argv[0] if argv else None)
        with open(path, "rb") as f:
            hdr = f.read(64)
        if hdr[:4] != b"\x7fELF" or hdr[4] != 2:
            raise ViperError("%s is not a 64-bit ELF file" % path)
        e_type = struct.unpack_from("<H", hdr, 16)[0]
        if e_type != 2:
            raise ViperError("%s is not ET_EXEC (type %d); use add-symbol-file -o OFFSET"
                             % (path, e_type))
        if ViperUser.loaded:
            try:
                gdb.execute("remove-symbol-file %s" % ViperUser.loaded, to_string=True)
            except gdb.error:
                pass
            ViperUser.loaded = None
        gdb.execute("add-symbol-file %s" % path, from_tty=False, to_string=True)
        ViperUser.loaded = path
        entry = struct.unpack_from("<Q", hdr, 24)[0]
        gdb.write("viper-user: loaded symbols of %s (entry 0x%x)\n" % (path, entry))
        gdb.write("viper-user: now e.g. `hbreak main` (or `break main`) and `continue`\n")

    @staticmethod
    def resolve(arg):
        if arg is None:
            cur = current_thread()
            proc = thread_proc(cur) if cur else 0
            if not proc:
                raise ViperError("no current process: give a PATH")
            name = c_string(load(proc, "struct process")["name"])
            cands = [os.path.join(REPO, d, name) for d in USER_BIN_DIRS]
        else:
            arg = os.path.expanduser(arg)
            cands = [arg]
            if arg.startswith("/"):
                cands.append(os.path.join(REPO, "build/user/bin", arg.lstrip("/")))
            else:
                cands.append(os.path.join(REPO, arg))
                cands += [os.path.join(REPO, d, arg) for d in USER_BIN_DIRS]
        for c in cands:
            if os.path.isfile(c):
                return os.path.abspath(c)
        raise ViperError("no such program (tried %s); run `make user`" % ", ".join(cands))


class ViperHelp(gdb.Command):
    """List the ViperOS GDB commands: viper-help"""

    def __init__(self):
        super().__init__("viper-help", gdb.COMMAND_SUPPORT)

    def invoke(self, arg, from_tty):
        gdb.write("""ViperOS GDB commands (tools/gdb/viper.py; `help CMD` for details):
  viper-ps              processes and threads: pid, name, tid, state, priority, level; * = current
  viper-runq            run queues per level (tids in order) and sleepers with deadlines
  viper-pt ADDR [ROOT]  walk the current page table (or ROOT) for ADDR; decode each level
  viper-user [PATH]     load a user program's symbols (build/user/bin/vinit, /tests/NAME)
  $viper_pid(), $viper_tid()   current pid / tid, e.g. `hbreak main if $viper_pid() == 2`
  boot-symbols, high-symbols   (.gdbinit) kernel symbols for pre-MMU boot code / back
Debugging user code: viper-user /vinit; hbreak main; continue; bt; viper-pt $pc
""")


class ViperPid(gdb.Function):
    """$viper_pid() - the current process's pid (0 on the idle thread)."""

    def __init__(self):
        super().__init__("viper_pid")

    def invoke(self):
        try:
            cur = current_thread()
            proc = thread_proc(cur) if cur else 0
            return int(load(proc, "struct process")["pid"]) if proc else 0
        except ViperError as e:
            raise gdb.GdbError("$viper_pid: error: %s" % e)


class ViperTid(gdb.Function):
    """$viper_tid() - the current thread's tid (0 on the idle thread)."""

    def __init__(self):
        super().__init__("viper_tid")

    def invoke(self):
        try:
            cur = current_thread()
            return int(load(cur, "struct thread")["tid"]) if cur else 0
        except ViperError as e:
            raise gdb.GdbError("$viper_tid: error: %s" % e)


ViperPs()
ViperRunq()
ViperPt()
ViperUser()
ViperHelp()
ViperPid()
ViperTid()
