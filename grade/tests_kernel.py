"""grade/tests_kernel.py - the kernel tests the grader runs (this stage).

Each test is a function decorated with @test(name, points, **qemu_options).
The grader calls it with a context `ctx` that offers:

  ctx.boot(bootargs=None, **opts) -> QemuRun  boot the kernel (test's options,
                                    overridden by opts; `nonce=<hex>` is added)
  ctx.nonce, ctx.image, ctx.elf, ctx.scale, ctx.opts
  ctx.path(suffix)                  a file in the log directory for this test
  ctx.note(text)                    extra information shown on the PASS line

A check fails by raising Fail (or QemuError from an expect/wait) with a
one-line reason.  Result lines the kernel prints are believed only when they
carry this run's nonce, so a kernel cannot pass a test by printing a canned
transcript.  Timeouts are in nominal seconds of lack of progress; QemuRun
multiplies them by the calibrated scale.
"""

import os
import re
import shutil
import socket
import struct
import subprocess
import time

import fdtedit
import qemu
from qemu import QemuError

TESTS = []

LOG_PREFIX = r"(?:\[[\s\d.]+\]\s*)?"      # klog's optional `[ seconds.micro]`
RAM_RX = r"mem: ram 0x([0-9a-fA-F]+)-0x([0-9a-fA-F]+) \((\d+) MiB\)"
READY_RX = r"boot: ready in ([\d.]+) ms"
VIRTIO_RX = r"virtio: slot (\d+) at 0x([0-9a-fA-F]+) irq (\d+): device-id (\d+) \(([^)]*)\)"
# A run of slots with the same (absent) device may be listed as one line.
VIRTIO_RANGE_RX = r"virtio: slots (\d+)-(\d+): device-id (\d+) \(([^)]*)\)"
BOOT_BUDGET_MS = 1000        # hard limit for `boot: ready` (scaled); the goal is 20


class Fail(Exception):
    """A check failed; str() is the reason shown on the FAIL line."""


def test(name, points, **opts):
    """Register a test.  opts: gic, smp, mem, el, bootargs (QEMU/kernel options)."""
    def register(fn):
        TESTS.append({"name": name, "points": points, "fn": fn, "opts": opts,
                      "doc": (fn.__doc__ or "").strip().splitlines()[0:1]})
        return fn
    return register


def load_all():
    """Import every other grade/tests_*.py (each registers its tests on import),
    in file-name order so --list and the run order are stable; return TESTS."""
    import glob
    import importlib
    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "tests_*.py"))):
        mod = os.path.splitext(os.path.basename(path))[0]
        if mod != "tests_kernel":
            importlib.import_module(mod)
    return TESTS


# ---- shared checks ---------------------------------------------------------

def expect_ready(ctx, q, timeout=10):
    """Wait for `boot: ready in X ms`, check X against the budget, note it."""
    m = q.expect(READY_RX, timeout=timeout)
    ms = float(m.group(1))
    budget = BOOT_BUDGET_MS * ctx.scale
    if ms >= budget:
        raise Fail("boot took %.3f ms, limit %.0f ms (goal 20 ms)" % (ms, budget))
    ctx.note("ready in %.3f ms" % ms)
    return ms


def expect_poweroff(q, timeout=10):
    """Require `psci: system off` and QEMU exiting by itself."""
    q.expect(r"psci: system off", timeout=timeout)
    q.wait_exit(timeout)


def check_ram(q, mib):
    """The `mem: ram` lines must add up to `mib` MiB, with consistent ranges."""
    lines = q.search_all(RAM_RX)
    if not lines:
        raise Fail("no `mem: ram 0x...-0x... (N MiB)` line")
    total = 0
    for m in lines:
        start, end, size = int(m.group(1), 16), int(m.group(2), 16), int(m.group(3))
        if (end - start) >> 20 != size and (end + 1 - start) >> 20 != size:
            raise Fail("`%s`: range is not %d MiB" % (m.group(0), size))
        total += size
    if total != mib:
        raise Fail("mem: ram lines add up to %d MiB, QEMU has %d MiB" % (total, mib))


def run_ktest(ctx, q, suite, timeout=20):
    """Check one ktest suite's results (lines carrying our nonce), then power-off."""
    nonce = re.escape(ctx.nonce)
    done = q.expect(r"KTEST %s DONE passed=(\d+) failed=(\d+)(?=\s)" % nonce,
                    timeout=timeout, cap=180)
    passed, failed = int(done.group(1)), int(done.group(2))
    results = q.search_all(r"KTEST %s (PASS|FAIL) ([\w.-]+)(?::\s*(.*))?$" % nonce)
    fails = [m for m in results if m.group(1) == "FAIL"]
    if fails:
        raise Fail("%s failed: %s" % (fails[0].group(2), fails[0].group(3) or "?")
                   + (" (and %d more)" % (len(fails) - 1) if len(fails) > 1 else ""))
    if failed:
        raise Fail("kernel reports failed=%d" % failed)
    if passed <= 0:
        raise Fail("suite %s ran no tests" % suite)
    names = [m.group(2) for m in results]
    if len(names) != passed or len(set(names)) != len(names):
        raise Fail("DONE says passed=%d but %d distinct PASS lines carry the nonce"
                   % (passed, len(set(names))))
    if suite != "all":
        stray = [n for n in names if not n.startswith(suite + ".")]
        if stray:
            raise Fail("test %s is not in suite %s" % (stray[0], suite))
    ctx.note("%d tests" % passed)
    expect_poweroff(q)


# ---- boot ------------------------------------------------------------------

@test("boot", 3)
def t_boot(ctx):
    """Default boot: banner, memory map, devices, 32 virtio slots, ready."""
    q = ctx.boot()
    q.expect(r"ViperOS 0\.1\.0 \(aarch64\) booting", timeout=10)
    expect_ready(ctx, q)
    out = q.output
    for rx, what in ((r"cpu: entered at EL1\b", "`cpu: entered at EL1`"),
                     (r"uart: pl011 at 0x0*9000000\b", "`uart: pl011 at 0x9000000`"),
                     (r"gic: v2 dist 0x0*8000000\b", "`gic: v2 dist 0x8000000`")):
        if not re.search(rx, out):
            raise Fail("missing %s" % what)
    check_ram(q, 256)
    slots = virtio_slots(q)
    if sorted(slots) != list(range(32)):
        raise Fail("virtio listing has slots %s, want 0..31"
                   % (",".join(map(str, sorted(slots))) or "none"))


def virtio_slots(q):
    """Slot numbers listed: one line per slot, or ranges of empty slots."""
    slots = set()
    for m in q.search_all(VIRTIO_RX):
        slots.add(int(m.group(1)))
    for m in q.search_all(VIRTIO_RANGE_RX):
        slots.update(range(int(m.group(1)), int(m.group(2)) + 1))
    return slots


@test("boot_gicv3", 2, gic=3, bootargs="test=timer")
def t_boot_gicv3(ctx):
    """GICv3: `gic: v3` and the timer suite passes."""
    q = ctx.boot()
    q.expect(r"gic: v3 dist 0x[0-9a-fA-F]+", timeout=10)
    run_ktest(ctx, q, "timer")


@test("boot_el2", 2, el=2, bootargs="test=timer")
def t_boot_el2(ctx):
    """Entered at EL2 (virtualization=on): drops to EL1, timer suite passes."""
    q = ctx.boot()
    q.expect(r"cpu: entered at EL2\b", timeout=10)
    run_ktest(ctx, q, "timer")


@test("mem_small", 1, mem="128M")
def t_mem_small(ctx):
    """-m 128M: the memory map reports 128 MiB."""
    q = ctx.boot()
    expect_ready(ctx, q)
    check_ram(q, 128)


@test("mem_large", 1, mem="4G")
def t_mem_large(ctx):
    """-m 4G: the memory map reports 4096 MiB."""
    q = ctx.boot()
    expect_ready(ctx, q, timeout=20)
    check_ram(q, 4096)


@test("smp4", 2, smp=4)
def t_smp4(ctx):
    """-smp 4: all secondaries come online."""
    q = ctx.boot()
    q.expect(r"smp: 4 cpus online", timeout=10)


# ---- in-kernel unit tests --------------------------------------------------

@test("ktest_pmm", 3, bootargs="test=pmm")
def t_ktest_pmm(ctx):
    """In-kernel tests of the physical page allocator."""
    run_ktest(ctx, ctx.boot(), "pmm")


@test("ktest_slab", 3, bootargs="test=slab")
def t_ktest_slab(ctx):
    """In-kernel tests of the slab allocator."""
    run_ktest(ctx, ctx.boot(), "slab")


@test("ktest_timer", 2, bootargs="test=timer")
def t_ktest_timer(ctx):
    """In-kernel tests of the generic timer and its interrupt."""
    run_ktest(ctx, ctx.boot(), "timer")


# ---- failure reporting -----------------------------------------------------

PANIC_START_RX = r"^" + LOG_PREFIX + r"panic: .*$"


def panic_report(text):
    """The text from the first `panic:` line to `psci: system off`, or None."""
    m = re.search(PANIC_START_RX, text, re.MULTILINE)
    if not m:
        return None
    end = text.find("psci: system off", m.start())
    return text[m.start():] if end < 0 else text[m.start():end + len("psci: system off")]


@test("panic_report", 3, bootargs="test=fault")
def t_panic_report(ctx):
    """A NULL write gives a full, symbolized panic report and a power-off."""
    q = ctx.boot()
    q.expect(PANIC_START_RX, timeout=10)
    q.expect(r"psci: system off", timeout=10)
    q.wait_exit(10)
    rep = panic_report(q.output)
    checks = [
        (r"data abort", "the exception class (Data Abort)"),
        (r"translation fault[^\n]*level\s*[:=]?\s*[0-3]|level\s*[0-3][^\n]*translation fault",
         "`translation fault` with its level"),
        (r"\bwrite\b", "the access type (write)"),
        (r"\bFAR(?:_EL1)?\s*[:=]?\s*(?:0x)?0+\b", "`FAR 0x0000000000000000`"),
        (r"\bELR(?:_EL1)?\s*[:=]?\s*(?:0x)?[0-9a-f]+", "the ELR value"),
        (r"^\s*backtrace:", "a `backtrace:` line"),
        (r"#\d+\s+0x[0-9a-f]+\s+ktest_fault_\w+\+0x[0-9a-f]+",
         "a backtrace frame `#N 0x... ktest_fault_<name>+0x<off>`"),
        (r"addr2line: \S*addr2line\b[^\n]* -e \S*kernel\.elf( 0x[0-9a-f]+)+",
         "the `addr2line: ... -e ...kernel.elf 0x...` command"),
    ]
    for rx, what in checks:
        if not re.search(rx, rep, re.IGNORECASE | re.MULTILINE):
            raise Fail("panic report lacks %s" % what)
    check_frame_symbols(ctx, rep)


def check_frame_symbols(ctx, report):
    """Each `#N 0xADDR sym+0xOFF` frame must agree with the ELF's symbol table."""
    if not os.path.exists(ctx.elf):
        raise Fail("%s not found: cannot check the backtrace's symbols" % ctx.elf)
    syms = {}
    for name, value, _info in qemu.elf_symbol_list(ctx.elf):
        if not name.startswith("$"):
            syms.setdefault(name, set()).add(value)
    for m in re.finditer(r"#\d+\s+0x([0-9a-f]+)\s+([\w.$]+)\+0x([0-9a-f]+)", report, re.I):
        addr, name, off = int(m.group(1), 16), m.group(2), int(m.group(3), 16)
        if name not in syms:
            raise Fail("backtrace names %s, which is not a symbol of %s" % (name, ctx.elf))
        if not any(v + off == addr for v in syms[name]):
            raise Fail("frame `%s`: %s+0x%x is 0x%x in %s" % (
                m.group(0).strip(), name, off, min(syms[name]) + off, ctx.elf))


# ---- console and boot arguments --------------------------------------------

@test("uart_rx", 2, bootargs="test=uart")
def t_uart_rx(ctx):
    """Interrupt-driven UART receive: a typed line comes back."""
    q = ctx.boot()
    q.expect(r"uart: type a line", timeout=10)
    q.send("hello viper\r")
    q.expect(r"uart: got 'hello viper'", timeout=10)


@test("bootarg_unknown", 1, bootargs="frobnicate=1")
def t_bootarg_unknown(ctx):
    """An unknown boot argument is warned about, and boot goes on."""
    q = ctx.boot()
    q.expect(r"warning: unknown boot argument 'frobnicate=1'", timeout=10)
    expect_ready(ctx, q)
    bad = q.search_all(r"warning: unknown boot argument '((?:nonce|test|loglevel)=[^']*|quiet)'")
    if bad:
        raise Fail("known argument reported as unknown: %s" % bad[0].group(1))


# ---- broken device trees ---------------------------------------------------

def boot_with_broken_dtb(ctx, pred, what, what_rx):
    """Dump QEMU's DTB, delete the nodes pred selects, boot with it, expect `fatal:`."""
    o = ctx.opts
    dumped, broken = ctx.path("virt.dtb"), ctx.path("broken.dtb")
    argv = qemu.qemu_command(None, gic=o.get("gic", 2), smp=o.get("smp", 1),
                             mem=o.get("mem", "256M"), el=o.get("el", 1),
                             monitor="none", machine_opts=["dumpdtb=" + dumped])
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=30 * ctx.scale)
    except subprocess.TimeoutExpired:
        raise Fail("QEMU dumpdtb did not finish")
    if r.returncode != 0 or not os.path.exists(dumped):
        raise Fail("QEMU dumpdtb failed: %s" % (r.stderr.strip().splitlines() or ["?"])[-1])
    fdt = fdtedit.load(dumped)
    deleted = fdt.delete(pred)
    if not deleted:
        raise Fail("grader: no %s node in QEMU's device tree" % what)
    fdtedit.save(fdt, broken)
    ctx.note("deleted %s" % ",".join(deleted))
    q = ctx.boot(dtb=broken)
    m = q.expect(r"^" + LOG_PREFIX + r"fatal: ([^\n]*)\n", timeout=10)
    if not re.search(what_rx, m.group(1), re.IGNORECASE):
        raise Fail("`fatal: %s` does not name the missing %s" % (m.group(1), what))
    expect_poweroff(q)


@test("dtb_missing_gic", 1)
def t_dtb_missing_gic(ctx):
    """No interrupt controller in the DTB: a clear fatal error, no hang."""
    boot_with_broken_dtb(ctx, lambda n: n.depth == 1 and n.has_prop("interrupt-controller"),
                         "GIC", r"\bgic|interrupt[ -]?controller|\bintc\b")


@test("dtb_missing_timer", 1)
def t_dtb_missing_timer(ctx):
    """No arm,armv8-timer node in the DTB: a clear fatal error, no hang."""
    boot_with_broken_dtb(ctx, lambda n: "arm,armv8-timer" in n.compatible(),
                         "timer", r"timer")


# ---- debugging -------------------------------------------------------------

GDB_CANDIDATES = ("gdb-multiarch", "aarch64-linux-gnu-gdb", "aarch64-none-elf-gdb",
                  "aarch64-elf-gdb")
KIMAGE_PA = 0x40200000


def find_gdb():
    env = os.environ.get("GDB")
    for g in ((env,) if env else ()) + GDB_CANDIDATES:
        if g and shutil.which(g):
            return g
    return None


def wait_listening(port, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


@test("gdb", 2)
def t_gdb(ctx):
    """gdb-multiarch attaches to QEMU's gdbstub, breaks in kmain, reads globals, steps."""
    gdb = find_gdb()
    if gdb is None:
        raise Fail("gdb-multiarch not installed (run tools/install-deps)")
    if not os.path.exists(ctx.elf):
        raise Fail("%s not found (make kernel)" % ctx.elf)
    port = qemu.free_port()
    q = ctx.boot(gdb_port=port, halted=True)
    # QEMU opens the gdbstub before it starts; a probe connection is harmless
    # because the stub accepts one client at a time and forgets a closed one.
    if not wait_listening(port, 10 * ctx.scale):
        raise Fail("QEMU's gdbstub is not listening on port %d" % port)
    steps = [
        ("setup", ["set pagination off", "set confirm off", "set architecture aarch64",
                   "file " + ctx.elf]),
        ("target", ["target remote 127.0.0.1:%d" % port]),
        ("hbreak", ["hbreak kmain"]),
        ("continue", ["continue"]),
        ("bt", ["bt"]),
        ("pc0", ["info registers pc"]),
        ("kimage_pa", ["print/x kimage_pa"]),
        ("log_level", ["print log_level"]),
        ("stepi", ["stepi"]),
        ("pc1", ["info registers pc"]),
        ("next", ["next"]),
        ("pc2", ["info registers pc"]),
        ("kill", ["kill"]),
    ]
    argv = [gdb, "-batch", "-nx"]
    for tag, cmds in steps:
        argv += ["-ex", "echo \\n@@STEP %s\\n" % tag]
        for c in cmds:
            argv += ["-ex", c]
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, errors="replace",
                           timeout=60 * ctx.scale)
        out = r.stdout
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace") if isinstance(e.stdout, bytes) \
            else (e.stdout or "")
        ctx.save_text("gdb.log", out)
        raise Fail("gdb did not finish within %.0f s" % (60 * ctx.scale))
    ctx.save_text("gdb.log", out)
    sec = {}
    for part in re.split(r"^@@STEP ", out, flags=re.MULTILINE)[1:]:
        tag, _, body = part.partition("\n")
        sec[tag.strip()] = body
    check_gdb_sections(sec)
    ctx.note("pc %s" % re.search(r"pc\s+(0x[0-9a-f]+)", sec["pc0"]).group(1))


def check_gdb_sections(sec):
    def need(tag, rx, what):
        body = sec.get(tag)
        if body is None:
            raise Fail("gdb never reached step `%s`" % tag)
        m = re.search(rx, body, re.MULTILINE)
        if not m:
            first = next((l for l in body.splitlines() if l.strip()), "no output")
            raise Fail("gdb %s: %s (got: %s)" % (tag, what, first.strip()[:120]))
        return m
    need("target", r"", "target remote failed")
    bad = re.search(r"^.*(?:Connection refused|Remote communication error|"
                    r"Remote connection closed|Connection timed out|Ignoring packet).*$",
                    sec["target"], re.MULTILINE)
    if bad:
        raise Fail("gdb target remote: %s" % bad.group(0).strip())
    need("hbreak", r"Hardware assisted breakpoint \d+ at", "could not set hbreak kmain")
    need("continue", r"\bkmain\b", "did not stop in kmain")
    need("bt", r"^#0\s+.*\bkmain\b", "bt does not show kmain as frame #0")
    pcs = [int(need(t, r"^pc\s+0x([0-9a-f]+)", "no pc").group(1), 16)
           for t in ("pc0", "pc1", "pc2")]
    m = need("kimage_pa", r"^\$\d+ = (0x[0-9a-f]+)", "cannot print kimage_pa")
    if int(m.group(1), 16) != KIMAGE_PA:
        raise Fail("kimage_pa = %s, want 0x%x" % (m.group(1), KIMAGE_PA))
    need("log_level", r"^\$\d+ = -?\d+", "cannot print log_level")
    if pcs[1] == pcs[0]:
        raise Fail("stepi did not move pc (0x%x)" % pcs[0])
    if pcs[2] == pcs[1]:
        raise Fail("next did not move pc (0x%x)" % pcs[1])


# ---- debugging user space (tools/gdb/viper.py) ------------------------------

VIPER_GDB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "tools", "gdb", "viper.py")


def cpio_member(path, name):
    """The bytes of `name` in a newc cpio archive, or None."""
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos + 110 <= len(data) and data[pos:pos + 6] in (b"070701", b"070702"):
        size = int(data[pos + 54:pos + 62], 16)
        nlen = int(data[pos + 94:pos + 102], 16)
        nm = data[pos + 110:pos + 110 + nlen - 1].decode("utf-8", "replace")
        body = (pos + 110 + nlen + 3) & ~3
        if nm == "TRAILER!!!":
            break
        if nm.lstrip("./") == name.lstrip("/"):
            return data[body:body + size]
        pos = (body + size + 3) & ~3
    return None


def elf_load_image(data):
    """(entry, [(vaddr, memsz, flags, bytes)] of PT_LOAD) of an ELF64: what a loader sees,
    the same for a program and its --strip-debug copy."""
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return None
    entry, phoff = struct.unpack_from("<QQ", data, 24)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    segs = []
    for i in range(phnum):
        ptype, flags, off, vaddr, _pa, filesz, memsz = struct.unpack_from(
            "<IIQQQQQ", data, phoff + i * phentsize)
        if ptype == 1:
            segs.append((vaddr, memsz, flags, data[off:off + filesz]))
    return entry, segs


def run_gdb_steps(ctx, gdb, steps, seconds):
    """Run gdb -batch over [(tag, [commands])]; return {tag: output} (saved as gdb.log)."""
    argv = [gdb, "-batch", "-nx"]
    for tag, cmds in steps:
        argv += ["-ex", "echo \\n@@STEP %s\\n" % tag]
        for c in cmds:
            argv += ["-ex", c]
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, errors="replace",
                           timeout=seconds)
        out = r.stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode("utf-8", "replace") if isinstance(e.stdout, bytes) \
            else (e.stdout or "")
        ctx.save_text("gdb.log", out)
        last = re.findall(r"^@@STEP (\S+)", out, re.MULTILINE)
        raise Fail("gdb did not finish within %.0f s (stuck in step `%s`)"
                   % (seconds, last[-1] if last else "start"))
    ctx.save_text("gdb.log", out)
    sec = {}
    for part in re.split(r"^@@STEP ", out, flags=re.MULTILINE)[1:]:
        tag, _, body = part.partition("\n")
        sec[tag.strip()] = body
    return sec


@test("gdb_user", 2)
def t_gdb_user(ctx):
    """tools/gdb/viper.py: break in user main of /vinit; viper-ps, viper-runq, viper-pt, bt."""
    gdb = find_gdb()
    if gdb is None:
        raise Fail("gdb-multiarch not installed (run tools/install-deps)")
    if not ctx.initrd or not os.path.exists(ctx.initrd):
        raise Fail("needs the boot filesystem: --initrd build/initrd.cpio (make initrd)")
    if not os.path.exists(ctx.elf):
        raise Fail("%s not found (make kernel)" % ctx.elf)
    if not os.path.exists(VIPER_GDB):
        raise Fail("%s not found" % VIPER_GDB)
    init = os.path.join(os.path.dirname(os.path.abspath(ctx.initrd)), "user", "bin", "vinit")
    if not os.path.exists(init):
        raise Fail("%s not found (make user)" % init)
    member = cpio_member(ctx.initrd, "vinit")
    if member is None:
        raise Fail("%s has no /vinit" % ctx.initrd)
    with open(init, "rb") as f:
        if elf_load_image(f.read()) != elf_load_image(member):
            raise Fail("%s differs from /vinit in %s (make initrd)" % (init, ctx.initrd))
    # Not the port the `gdb` test (which may run beside this one, -j 2) picks.
    port = qemu.free_port(start=qemu.free_port() + 1)
    ctx.boot(gdb_port=port, halted=True)
    if not wait_listening(port, 10 * ctx.scale):
        raise Fail("QEMU's gdbstub is not listening on port %d" % port)
    steps = [
        ("setup", ["set pagination off", "set confirm off", "set architecture aarch64",
                   "set backtrace limit 32", "file " + ctx.elf]),
        ("source", ["source " + VIPER_GDB, "viper-help"]),
        ("target", ["target remote 127.0.0.1:%d" % port]),
        ("user", ["viper-user " + init]),
        ("hbreak", ["hbreak main"]),
        ("continue", ["continue"]),
        ("regs", ["info registers pc cpsr", "print/x &main"]),
        ("ps", ["viper-ps"]),
        ("runq", ["viper-runq"]),
        ("pt", ["viper-pt $pc"]),
        ("bt", ["bt"]),
        ("kill", ["kill"]),
    ]
    sec = run_gdb_steps(ctx, gdb, steps, 60 * ctx.scale)
    check_gdb_user_sections(sec)
    ctx.note("stopped in user main at %s" % re.search(r"^pc\s+(0x[0-9a-f]+)", sec["regs"],
                                                      re.MULTILINE).group(1))


def check_gdb_user_sections(sec):
    def body(tag):
        b = sec.get(tag)
        if b is None:
            raise Fail("gdb never reached step `%s`" % tag)
        err = re.search(r"^.*(?:Python Exception|Error occurred in Python|"
                        r"Undefined command|viper[-_][a-z]+: error: ).*$", b, re.MULTILINE)
        if err:
            raise Fail("gdb %s: %s" % (tag, err.group(0).strip()[:160]))
        return b

    def need(tag, rx, what):
        b = body(tag)
        m = re.search(rx, b, re.MULTILINE)
        if not m:
            first = next((l for l in b.splitlines() if l.strip()), "no output")
            raise Fail("gdb %s: %s (got: %s)" % (tag, what, first.strip()[:120]))
        return m
    need("source", r"^\s+viper-ps\b", "viper.py did not load (no viper-help)")
    bad = re.search(r"^.*(?:Connection refused|Remote communication error|"
                    r"Remote connection closed|Connection timed out).*$",
                    body("target"), re.MULTILINE)
    if bad:
        raise Fail("gdb target remote: %s" % bad.group(0).strip())
    need("user", r"viper-user: loaded symbols of \S+init\b", "viper-user did not load /vinit")
    need("hbreak", r"Hardware assisted breakpoint \d+ at 0x[0-9a-f]+: file \S*init\.c",
         "hbreak main did not resolve to init's main")
    need("continue", r"^Breakpoint \d+, main \([^)]*\) at \S*init\.c", "did not stop in user main")
    pc = int(need("regs", r"^pc\s+0x([0-9a-f]+)", "no pc").group(1), 16)
    cpsr = int(need("regs", r"^cpsr\s+0x([0-9a-f]+)", "no cpsr").group(1), 16)
    main = int(need("regs", r"^\$\d+ = 0x([0-9a-f]+)", "no address of main").group(1), 16)
    if pc != main:
        raise Fail("stopped at pc 0x%x, not main (0x%x)" % (pc, main))
    if (cpsr >> 2) & 3 != 0:
        raise Fail("stopped at EL%d, not in user space (cpsr 0x%x)" % ((cpsr >> 2) & 3, cpsr))
    # viper-ps: pid 1 vinit, and its thread is RUNNING and current.
    ps = body("ps")
    block = re.search(r"^1\s+\d+\s+vinit\b.*\n((?:\s+.*\n)*)", ps, re.MULTILINE)
    if not block:
        raise Fail("viper-ps does not list pid 1 vinit (got: %s)"
                   % " | ".join(ps.strip().splitlines())[:160])
    if not re.search(r"^\s+\*\s+\d+\s+RUNNING\s+\d+\s+\d+\s*$", block.group(1), re.MULTILINE):
        raise Fail("viper-ps: init's thread is not shown RUNNING with `*`")
    need("runq", r"^level 0:", "viper-runq printed no run queue levels")
    need("runq", r"^sleepers:", "viper-runq printed no sleepers line")
    need("pt", r"^\s+L3\[\s*\d+\] @pa 0x[0-9a-f]+ = 0x[0-9a-f]+\s+page", "no level-3 page entry")
    need("pt", r"^pa 0x[0-9a-f]+\s+\(4 KiB page, valid\)", "no valid page mapping for $pc")
    need("pt", r"^\s+EL0 r.x\b", "the page of $pc is not user-readable and executable")
    need("bt", r"^#0\s+main \([^)]*\) at \S*init\.c", "bt does not show user main as frame #0")
