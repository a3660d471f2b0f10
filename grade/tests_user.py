"""grade/tests_user.py - the user-space tests: programs in the initrd, run as init.

Each test boots the kernel with `init=/tests/<prog>` (tests/user/<prog>.c,
built into build/initrd.cpio by mk/user.mk) and reads the harness's lines
(tests/user/utest.h), believed only with this run's nonce:

  UTEST <nonce> START <prog>
  UTEST <nonce> PASS <prog>.<case>            (or FAIL <prog>.<case>: <reason>)
  UTEST <nonce> EXPECT-FAULT <prog>.<case> pid N: <what>
  UTEST <nonce> DONE passed=N failed=M

It requires DONE with failed=0 and N > 0, exactly N distinct PASS lines of
this program and no FAIL, that every `user fault:` report of the kernel was
announced by an EXPECT-FAULT line for that pid (the kernel killed nobody
else) and every announced fault got its report, then
`init: exited (reason 0, code 0)` and a power-off.  user_faults also checks
each report's content.  Registered in the same table as tests_kernel.py.
"""

import os
import re
import subprocess
import time

import fdtedit
import qemu

from tests_kernel import Fail, expect_poweroff, test

DONE_TIMEOUT = 20          # nominal seconds without output
FAULT_HEAD_RX = (r"^user fault: pid (\d+) \(([^)]*)\) thread (\d+): (.+?) at (\S+)\s*$")
FAULT_OOM_RX = r"^user fault: pid (\d+) \(([^)]*)\): out of memory at 0x[0-9a-f]+; killed\s*$"
FAULT_KILLED_RX = r"^user fault: pid (\d+) killed\s*$"


def fault_reports(text):
    """{pid: report text} for every `user fault:` report (kill or OOM) in text."""
    reports = {}
    for m in re.finditer(FAULT_OOM_RX, text, re.MULTILINE):
        reports[int(m.group(1))] = m.group(0)
    for m in re.finditer(FAULT_HEAD_RX, text, re.MULTILINE):
        pid = int(m.group(1))
        end = re.compile(r"^user fault: pid %d killed\s*$" % pid, re.MULTILINE).search(
            text, m.end())
        reports[pid] = text[m.start():end.end()] if end else text[m.start():]
    return reports


def run_user(ctx, prog, timeout=DONE_TIMEOUT, **overrides):
    """Boot /tests/<prog> as init; check its results; return (output up to DONE, expected)."""
    if not ctx.initrd:
        raise Fail("no initrd: run `make initrd` and pass --initrd build/initrd.cpio")
    q = ctx.boot(bootargs="init=/tests/%s quiet" % prog, **overrides)
    nonce = re.escape(ctx.nonce)
    q.expect(r"UTEST %s START %s\b" % (nonce, re.escape(prog)), timeout=timeout)
    done = q.expect(r"UTEST %s DONE passed=(\d+) failed=(\d+)(?=\s)" % nonce,
                    timeout=timeout, cap=max(60, 6 * timeout))
    text = q.output[:done.end()]
    passed, failed = int(done.group(1)), int(done.group(2))
    results = list(re.finditer(r"^UTEST %s (PASS|FAIL) ([\w.-]+)(?::\s*(.*))?$" % nonce,
                               text, re.MULTILINE))
    fails = [m for m in results if m.group(1) == "FAIL"]
    if fails:
        raise Fail("%s failed: %s" % (fails[0].group(2), fails[0].group(3) or "?")
                   + (" (and %d more)" % (len(fails) - 1) if len(fails) > 1 else ""))
    if failed:
        raise Fail("%s reports failed=%d" % (prog, failed))
    if passed <= 0:
        raise Fail("%s ran no test cases" % prog)
    names = [m.group(2) for m in results]
    if len(names) != passed or len(set(names)) != len(names):
        raise Fail("DONE says passed=%d but %d distinct PASS lines carry the nonce"
                   % (passed, len(set(names))))
    stray = [n for n in names if not n.startswith(prog + ".")]
    if stray:
        raise Fail("case %s does not belong to %s" % (stray[0], prog))
    expected = check_fault_pairs(text, nonce)
    m = q.expect(r"init: exited \(reason (-?\d+), code (-?\d+)\)", timeout=timeout)
    if (int(m.group(1)), int(m.group(2))) != (0, 0):
        raise Fail("init (the test program) ended with reason %s, code %s; want 0, 0"
                   % (m.group(1), m.group(2)))
    expect_poweroff(q)
    ctx.note("%d cases" % passed)
    return text, expected


def check_fault_pairs(text, nonce):
    """Every report announced, every announcement reported; returns {pid: (case, report)}."""
    announced = {}
    for m in re.finditer(r"^UTEST %s EXPECT-FAULT ([\w.-]+) pid (\d+):" % nonce, text,
                         re.MULTILINE):
        announced[int(m.group(2))] = (m.group(1), m.end())
    reports = fault_reports(text)
    for pid in sorted(reports):
        if pid not in announced:
            raise Fail("unexpected `user fault:` for pid %d: %s"
                       % (pid, reports[pid].splitlines()[0]))
    for pid, (case, pos) in sorted(announced.items()):
        if pid not in reports:
            raise Fail("%s: pid %d announced a fault but the kernel printed no report"
                       % (case, pid))
        if text.find(reports[pid]) < pos:
            raise Fail("%s: the report for pid %d comes before its announcement" % (case, pid))
    return {pid: (case, reports[pid]) for pid, (case, _pos) in announced.items()}


# ---- the programs -----------------------------------------------------------

@test("user_init", 1)
def t_user_init(ctx):
    """The default /init runs: the first user process starts and prints its banner as pid 1."""
    q = ctx.boot(bootargs="quiet")
    q.expect(r"init: ViperOS user space up \(pid 1, run %s\)" % re.escape(ctx.nonce), timeout=20)


@test("user_fork_cow", 3)
def t_user_fork_cow(ctx):
    """fork + COW: own writes on stack/heap/.data, 512 pages, a chain of 8 forks, no leaks."""
    run_user(ctx, "fork_cow")


@test("user_exec_args", 3)
def t_user_exec_args(ctx):
    """spawn/exec: argv, envp, auxv intact; missing, directory and bad-ELF paths fail cleanly."""
    run_user(ctx, "exec_args")


@test("user_wait_status", 3)
def t_user_wait_status(ctx):
    """wait: int64 exit codes, KILLED with the killer's pid, FAULT, one pid, NOHANG, errors."""
    run_user(ctx, "wait_status")


@test("user_many_procs", 2)
def t_user_many_procs(ctx):
    """64 processes alive at once (fork, then spawn), each reports, all reaped, no leaks."""
    run_user(ctx, "many_procs")


@test("user_sched_timing", 3)
def t_user_sched_timing(ctx):
    """Sleeps never early, spinner preempted, priorities honoured, starvation bounded."""
    run_user(ctx, "sched_timing")


@test("user_threads", 3)
def t_user_threads(ctx):
    """Threads: join values, shared memory, v0-v31 and exact FP across switches, limits."""
    run_user(ctx, "threads")


@test("user_bad_args", 3)
def t_user_bad_args(ctx):
    """Every syscall with NULL/kernel/unmapped/misaligned pointers and huge sizes: errors only."""
    run_user(ctx, "bad_args")


@test("user_fork_bomb", 2)
def t_user_fork_bomb(ctx):
    """A fork bomb is held by the process limits; everything is reaped and freed."""
    run_user(ctx, "fork_bomb")


@test("user_memory", 3)
def t_user_memory(ctx):
    """mmap/munmap/mprotect semantics, brk and malloc growth, the memory limit (OOM kill)."""
    _text, expected = run_user(ctx, "memory")
    oom = [pid for pid, (_case, rep) in expected.items() if "out of memory" in rep]
    if not oom:
        raise Fail("no `user fault: pid N (...): out of memory at 0x...; killed` line")


# case -> (exception class, symbol the PC (or LR) must name, FAR regex or None, extra regex);
# the program is at 0x900000 (VIPER_USER_IMAGE), its main stack below it
FAULT_CASES = {
    "stack_overflow": (r"Data Abort from lower EL", r"fault_stack_overflow[\w.]*",
                       r"0*ff[0-9a-f]{3}",   # the guard page under the 8 MiB stack below 9 MiB (0xff000)
                       r"stack overflow: 0x[0-9a-f]+ is the guard page"),
    "undefined": (r"Unknown reason \(undefined instruction\)", r"fault_undefined", None, None),
    "null_read": (r"Data Abort from lower EL", r"fault_null_read[\w.]*", r"0{16}",
                  r"translation fault.*\bread\b"),
    "null_write": (r"Data Abort from lower EL", r"fault_null_write[\w.]*", r"0{16}",
                   r"translation fault.*\bwrite\b"),
    "null_call": (r"Instruction Abort from lower EL", None, r"0{16}",
                  r"^\s*LR\s+0x[0-9a-f]+ fault_null_call[\w.]*\+0x[0-9a-f]+"),
    "text_write": (r"Data Abort from lower EL", r"fault_text_write[\w.]*", r"0*9[0-9a-f]{5}",
                   r"permission fault.*\bwrite\b"),
    "rodata_write": (r"Data Abort from lower EL", r"fault_rodata_write[\w.]*",
                     r"0*9[0-9a-f]{5}", r"permission fault.*\bwrite\b"),
    "kernel_read": (r"Data Abort from lower EL", r"fault_kernel_read[\w.]*", r"ffff0{12}",
                    None),
    "pc_align": (r"PC alignment fault", r"fault_undefined", None, None),
    "brk": (r"BRK instruction", r"fault_brk", None, None),
}


@test("user_faults", 3)
def t_user_faults(ctx):
    """Faulting children are killed with symbolized reports; the parent carries on."""
    _text, expected = run_user(ctx, "user_faults")
    seen = set()
    for pid, (case, rep) in sorted(expected.items()):
        short = case.split(".", 1)[-1]
        if short not in FAULT_CASES:
            raise Fail("grader: no expectations for fault case %s" % case)
        seen.add(short)
        cls, sym, far, extra = FAULT_CASES[short]
        head = re.match(FAULT_HEAD_RX, rep.splitlines()[0])
        if not head:
            raise Fail("%s: report does not start `user fault: pid N (name) thread T: ... at`"
                       % case)
        if not re.fullmatch(cls, head.group(4)):
            raise Fail("%s: exception class `%s`, want /%s/" % (case, head.group(4), cls))
        if sym and not re.fullmatch(sym + r"\+0x[0-9a-f]+", head.group(5)):
            raise Fail("%s: PC symbolized as `%s`, want %s+0x..." % (case, head.group(5), sym))
        if far and not re.search(r"^\s*FAR\s+0x" + far + r"\b", rep, re.MULTILINE):
            raise Fail("%s: report lacks a FAR line matching 0x%s" % (case, far))
        if extra and not re.search(extra, rep, re.MULTILINE | re.IGNORECASE):
            raise Fail("%s: report lacks /%s/" % (case, extra))
        for rx, what in ((r"^\s*ESR\s+0x[0-9a-f]+: EC 0x[0-9a-f]{2}", "an ESR decode"),
                         (r"^\s*ELR\s+0x[0-9a-f]+", "the ELR"),
                         (r"^\s*x0\s+[0-9a-f]{16}", "the registers"),
                         (r"^user fault: pid %d killed" % pid, "`killed`")):
            if not re.search(rx, rep, re.MULTILINE):
                raise Fail("%s: report lacks %s" % (case, what))
    missing = sorted(set(FAULT_CASES) - seen)
    if missing:
        raise Fail("no fault reported for case(s) %s" % ", ".join(missing))
    ctx.note("%d reports" % len(expected))


# ---- capabilities and IPC ---------------------------------------------------------

@test("user_caps", 3)
def t_user_caps(ctx):
    """Rights never grow and are checked; stale/forged handles; revoke subtrees; 5000 deep."""
    run_user(ctx, "caps", timeout=40)


@test("user_channels", 3)
def t_user_channels(ctx):
    """Channels: limits, transfer, all-or-nothing, queue of 64, deadlines, peer closed, call."""
    run_user(ctx, "channels")


@test("user_chan_notify", 2)
def t_user_chan_notify(ctx):
    """chan_notify: news at another endpoint ends an interruptible chan_call, at once if it came first."""
    run_user(ctx, "chan_notify")


@test("user_wait_many", 2)
def t_user_wait_many(ctx):
    """wait_many: 64 channels without spinning, signals, PROCESS_EXITED, deadlines, bad args."""
    run_user(ctx, "wait_many")


@test("user_timers", 2)
def t_user_timers(ctx):
    """Timer objects: fire on time via wait_many, cancel and re-set, rights, no leaks."""
    run_user(ctx, "timers")


@test("user_ipc_hostile", 3)
def t_user_ipc_hostile(ctx):
    """Hostile IPC arguments: bad pointers, handles, sizes, names, cycles; errors only, no leaks."""
    run_user(ctx, "ipc_hostile")


@test("user_shm", 2)
def t_user_shm(ctx):
    """Shared memory: fork and spawn share it, read-only handles stay read-only, lifetime, sizes."""
    run_user(ctx, "shm")


@test("user_registry", 2)
def t_user_registry(ctx):
    """The registry: a server process, TRAVERSE-only clients, NOT_FOUND, BUSY, restart, backlog."""
    run_user(ctx, "registry")


@test("user_ipc_exit", 2)
def t_user_ipc_exit(ctx):
    """Exit, kill and fault close a process's handles: PEER_CLOSED, objects back to baseline."""
    run_user(ctx, "ipc_exit")


@test("user_devices", 3, extra=("-device", "virtio-rng-device"))
def t_user_devices(ctx):
    """Devices: list, map virtio-mmio registers, an IRQ-driven virtio-rng request in DMA memory."""
    run_user(ctx, "devices")


@test("user_services", 3, extra=("-device", "virtio-rng-device"))
def t_user_services(ctx):
    """System services: getrandom, entropy_add rights, proc_list, clock_wall, power checks, boot fs."""
    before = time.time()
    text, _ = run_user(ctx, "services")
    m = re.search(r"^UTEST %s INFO services\.clock_wall: wall (\d+)$" % re.escape(ctx.nonce),
                  text, re.MULTILINE)
    if not m:
        raise Fail("clock_wall printed no time")
    wall = int(m.group(1))
    if not before - 120 <= wall <= time.time() + 120:
        raise Fail("clock_wall says %d, the host clock %d (the RTC starts at host UTC)"
                   % (wall, int(before)))
    ctx.note("wall clock within %d s of the host" % abs(wall - int(before)))


@test("user_entropy", 2, extra=("-device", "virtio-rng-device"))
def t_user_entropy(ctx):
    """No rng-seed in the DTB: getrandom waits (WOULD_BLOCK when asked not to) until entropy_add."""
    o = ctx.opts
    dumped, unseeded = ctx.path("virt.dtb"), ctx.path("unseeded.dtb")
    argv = qemu.qemu_command(None, gic=o.get("gic", 2), smp=o.get("smp", 1),
                             mem=o.get("mem", "256M"), el=o.get("el", 1), monitor="none",
                             machine_opts=["dumpdtb=" + dumped], extra=o.get("extra", ()))
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=30 * ctx.scale)
    if r.returncode != 0 or not os.path.exists(dumped):
        raise Fail("QEMU dumpdtb failed: %s" % (r.stderr.strip().splitlines() or ["?"])[-1])
    fdt = fdtedit.load(dumped)
    chosen = [n for n in fdt.root.children if n.name == "chosen"]
    if not chosen or not chosen[0].has_prop("rng-seed"):
        raise Fail("grader: QEMU's DTB has no /chosen/rng-seed to remove")
    chosen[0].props = [(n, v) for n, v in chosen[0].props if n not in ("rng-seed", "kaslr-seed")]
    fdtedit.save(fdt, unseeded)
    text, _ = run_user(ctx, "entropy", dtb=unseeded)
    if not re.search(r"random: no rng-seed in the DTB", text):
        raise Fail("the kernel did not report an unseeded pool")
