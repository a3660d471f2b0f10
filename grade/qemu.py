"""grade/qemu.py - the one place that builds QEMU command lines and runs QEMU.

Used by the grader (grade/grade.py, grade/tests_kernel.py) and by
tools/run-qemu, so `make qemu` and the grader boot the kernel the same way.

qemu_command() returns an argv list.  QemuRun starts QEMU with the serial
console on pipes, collects its output on a reader thread and offers
expect()/send()/wait_exit().  Timeouts measure lack of progress: an expect
fails when no new output arrived for `timeout * scale` seconds, or when an
overall cap (also scaled) is reached.  QEMU runs in its own process group and
is killed on every path: context-manager exit, atexit, and SIGINT/SIGTERM/
SIGHUP handlers installed by install_cleanup_handlers().

Also here, because they belong to setting up a QEMU run: free_port() (the one
way of picking a gdbstub port) and elf_symbols() (reads an ELF symbol table,
for gdb offsets and for checking symbolized backtraces).
"""

import atexit
import codecs
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time

QEMU_DEFAULT = "qemu-system-aarch64"


def qemu_binary():
    """The QEMU executable: $QEMU if set (the Makefile's variable), else the default."""
    return os.environ.get("QEMU") or QEMU_DEFAULT


def _mem_arg(mem):
    if isinstance(mem, int):
        return "%dM" % mem
    mem = str(mem).strip()
    if not re.fullmatch(r"\d+[MGmg]?", mem):
        raise ValueError("bad memory size %r (want e.g. 256M or 4G)" % mem)
    return mem.upper()


def qemu_command(image, *, gic=2, smp=1, mem="256M", el=1, cpu="cortex-a72",
                 append="", initrd=None, dtb=None, display=False, gdb_port=None,
                 halted=False, monitor=None, machine_opts=(), extra=(), reboot=False):
    """Build the QEMU argv for booting `image` on the virt machine.

    gic: 2 or 3.  el: 1, or 2 (adds virtualization=on so the kernel enters at
    EL2).  monitor: None multiplexes the monitor with the serial console on
    stdio (Ctrl-A X quits, Ctrl-A C switches); "none" disables it; any other
    string is passed to -monitor.  machine_opts: extra `-M virt,...` options
    (e.g. "dumpdtb=FILE").  extra: further argv words appended at the end.
    reboot: let a reset restart the machine (interactive use); by default a
    reset ends QEMU, so a test sees it.
    """
    if int(gic) not in (2, 3):
        raise ValueError("gic must be 2 or 3, not %r" % (gic,))
    if int(el) not in (1, 2):
        raise ValueError("el must be 1 or 2, not %r" % (el,))
    machine = ["virt", "gic-version=%d" % int(gic)]
    if int(el) == 2:
        machine.append("virtualization=on")
    machine.extend(machine_opts)
    argv = [qemu_binary(), "-M", ",".join(machine), "-cpu", cpu,
            "-smp", str(int(smp)), "-m", _mem_arg(mem)]
    if image is not None:
        argv += ["-kernel", str(image)]
        argv += ["-append", append or ""]
    if initrd:
        argv += ["-initrd", str(initrd)]
    if dtb:
        argv += ["-dtb", str(dtb)]
    if not display:
        argv += ["-display", "none"]
    if monitor is None:
        argv += ["-serial", "mon:stdio"]
    else:
        argv += ["-serial", "stdio", "-monitor", monitor]
    # Modern (v1+) virtio-mmio transports; -no-reboot turns a reset into an
    # exit; -nic none drops virt's default PCI NIC, whose option ROM
    # (efi-virtio.rom, package ipxe-qemu) is not installed with
    # --no-install-recommends and whose absence stops QEMU from starting.
    argv += ["-global", "virtio-mmio.force-legacy=false", "-nic", "none"]
    if not reboot:
        argv.append("-no-reboot")
    if gdb_port is not None:
        argv += ["-gdb", "tcp:127.0.0.1:%d" % int(gdb_port)]
    if halted:
        argv.append("-S")
    argv.extend(str(x) for x in extra)
    return argv


def free_port(start=None, host="127.0.0.1", tries=1000):
    """Find a free TCP port: start at 20000 + uid % 10000 (per user) and probe up."""
    if start is None:
        start = 20000 + (os.getuid() % 10000 if hasattr(os, "getuid") else 0)
    for port in range(start, start + tries):
        port = 1024 + (port - 1024) % (65536 - 1024)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free TCP port in %d..%d" % (start, start + tries))


def elf_symbol_list(path):
    """Return [(name, value, st_info)] of a 64-bit little-endian ELF's .symtab."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("%s: not a 64-bit little-endian ELF" % path)
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                for i in range(shnum)]
    out = []
    for (_name, stype, _fl, _addr, off, size, link, _info, _al, entsize) in sections:
        if stype != 2:  # SHT_SYMTAB
            continue
        entsize = entsize or 24
        stroff = sections[link][4]
        for j in range(size // entsize):
            st_name, info, _other, _shndx, value, _size = struct.unpack_from(
                "<IBBHQQ", data, off + j * entsize)
            if not st_name:
                continue
            end = data.index(b"\0", stroff + st_name)
            out.append((data[stroff + st_name:end].decode("utf-8", "replace"), value, info))
    return out


def elf_symbols(path, funcs_only=False):
    """Return {name: value} of an ELF's symbols (the first of duplicate names).

    funcs_only keeps only STT_FUNC symbols (no mapping symbols like $x/$d).
    """
    syms = {}
    for name, value, info in elf_symbol_list(path):
        if not funcs_only or info & 0xF == 2:
            syms.setdefault(name, value)
    return syms


# ---- running QEMU ----------------------------------------------------------

class QemuError(Exception):
    """An expect/wait failed; str() is a one-line reason for the grader."""


_live_lock = threading.Lock()
_live_runs = set()
_handlers_installed = False


def _kill_all_live():
    with _live_lock:
        runs = list(_live_runs)
    for run in runs:
        run.kill()


def _on_signal(signum, _frame):
    _kill_all_live()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def install_cleanup_handlers():
    """Kill every live QEMU on exit and on SIGINT/SIGTERM/SIGHUP (main thread only)."""
    global _handlers_installed
    if _handlers_installed or threading.current_thread() is not threading.main_thread():
        return
    _handlers_installed = True
    atexit.register(_kill_all_live)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)


class QemuRun:
    """One QEMU process with its serial console on pipes.

    with QemuRun(argv, log_path="build/grade/boot.log", scale=1.2) as q:
        q.expect(r"boot: ready in ([\\d.]+) ms", timeout=10)

    Output is decoded as UTF-8 with errors replaced and carriage returns
    dropped.  expect() searches from the end of the previous match, so a
    sequence of expects checks order.  QEMU's stderr is merged into the same
    stream, so its own error messages show up in the log.
    """

    def __init__(self, argv, *, log_path=None, scale=1.0, stub_rx=None, stub_grace=2.0):
        self.argv = list(argv)
        self.log_path = log_path
        self.scale = max(1.0, float(scale))
        # Lab stubs: a line matching stub_rx (group 1 names the function) marks the run as
        # running unimplemented code; from then on an expect or wait_exit fails with
        # `not implemented: <fn>` after stub_grace (scaled) seconds without output instead of
        # the full timeout (grace 0: at once, killing QEMU).  stub_hit is the first match.
        self.stub_rx = re.compile(stub_rx) if isinstance(stub_rx, str) else stub_rx
        self.stub_grace = float(stub_grace)
        self.stub_hit = None
        self.stub_hits = []
        self._linebuf = ""
        self.proc = None
        self.returncode = None
        self._text = []          # decoded chunks
        self._len = 0
        self._joined = ""
        self._pos = 0            # where the next expect starts searching
        self._last_output = time.monotonic()
        self._eof = False
        self._cond = threading.Condition()
        self._log = None
        self._reader = None

    # -- lifecycle --
    def start(self):
        install_cleanup_handlers()
        if shutil.which(self.argv[0]) is None:
            raise QemuError("%s not found (run tools/install-deps)" % self.argv[0])
        if self.log_path:
            os.makedirs(os.path.dirname(os.path.abspath(self.log_path)), exist_ok=True)
            self._log = open(self.log_path, "w", encoding="utf-8", errors="replace")
            self._log.write("# " + " ".join(_shell_quote(a) for a in self.argv) + "\n")
            self._log.flush()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        with _live_lock:
            _live_runs.add(self)
        self._last_output = time.monotonic()
        self._reader = threading.Thread(target=self._read_loop, daemon=True,
                                        name="qemu-reader-%d" % self.proc.pid)
        self._reader.start()
        return self

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.kill()
        return False

    def kill(self):
        """Kill QEMU's process group (idempotent) and close the log."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if proc is not None:
            self.returncode = proc.poll()
            if self._reader is not None and self._reader is not threading.current_thread():
                self._reader.join(timeout=2)
            for f in (proc.stdin, proc.stdout):
                try:
                    if f:
                        f.close()
                except OSError:
                    pass
        with _live_lock:
            _live_runs.discard(self)
        with self._cond:
            if self._log is not None:
                self._log.close()
                self._log = None

    def _read_loop(self):
        dec = codecs.getincrementaldecoder("utf-8")(errors="replace")
        fd = self.proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            text = dec.decode(chunk, final=not chunk).replace("\r", "")
            with self._cond:
                if text and self.stub_rx is not None:
                    self._scan_stubs(text, final=not chunk)
                if text:
                    self._text.append(text)
                    self._len += len(text)
                    self._last_output = time.monotonic()
                    if self._log is not None:
                        self._log.write(text)
                        self._log.flush()
                if not chunk:
                    self._eof = True
                self._cond.notify_all()
            if not chunk:
                break

    def _scan_stubs(self, text, final):
        """Look for stub lines in complete lines of new output (reader thread, lock held)."""
        lines = (self._linebuf + text).split("\n")
        self._linebuf = "" if final else lines.pop()
        for line in lines:
            m = self.stub_rx.search(line)
            if m and m.group(1) not in self.stub_hits:
                self.stub_hits.append(m.group(1))
                if self.stub_hit is None:
                    self.stub_hit = m.group(1)
                    threading.Thread(target=self._stub_watchdog, daemon=True,
                                     name="qemu-stub-%d" % self.proc.pid).start()

    def _stub_watchdog(self):
        """After a stub line: kill QEMU once it stays quiet for the grace period, so that a
        test that does not wait through expect() (gdb) does not sit out its own timeout."""
        while True:
            with self._cond:
                if self._eof:
                    return
                quiet = time.monotonic() - self._last_output
                if quiet >= self.stub_grace * self.scale:
                    break
                self._cond.wait(max(0.05, self.stub_grace * self.scale - quiet))
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _stub_error(self, now):
        """QemuError once a stub was hit and the run stayed quiet for the grace period."""
        if self.stub_hit is not None and (self._eof or now - self._last_output
                                          >= self.stub_grace * self.scale):
            return QemuError("not implemented: %s" % self.stub_hit)
        return None

    # -- output --
    @property
    def output(self):
        """All output so far (a str)."""
        with self._cond:
            return self._output_locked()

    def _output_locked(self):
        if len(self._joined) != self._len:
            self._joined = "".join(self._text)
            self._text = [self._joined]
        return self._joined

    def tail(self, lines=15):
        return self.output.splitlines()[-lines:]

    def exited(self):
        """True once QEMU has ended; by then everything it printed is in output
        (a caller that saw no match before asking must look once more)."""
        if self.proc is None or self.proc.poll() is None:
            return False
        if self._reader is not None:
            self._reader.join(timeout=5)
        return True

    def expect(self, pattern, timeout=10.0, cap=None, flags=re.MULTILINE):
        """Wait for `pattern` (regex) to appear after the previous match.

        Fails (QemuError) when no new output arrived for timeout*scale seconds,
        when the overall cap (default max(6*timeout, 60) s, scaled) is reached,
        or when QEMU exited without printing it.  Returns the re.Match.
        """
        rx = re.compile(pattern, flags)
        idle = timeout * self.scale
        cap = (cap if cap is not None else max(6 * timeout, 60.0)) * self.scale
        deadline = time.monotonic() + cap
        with self._cond:
            while True:
                m = rx.search(self._output_locked(), self._pos)
                if m:
                    self._pos = m.end()
                    return m
                now = time.monotonic()
                stub = self._stub_error(now)
                if stub is not None:
                    raise stub
                if self._eof:
                    try:
                        rc = self.proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        rc = "unknown: closed its output"
                    raise QemuError("QEMU exited (status %s) before printing /%s/"
                                    % (rc, pattern))
                if now - self._last_output >= idle:
                    raise QemuError("timed out waiting for /%s/ (no output for %.1f s)"
                                    % (pattern, idle))
                if now >= deadline:
                    raise QemuError("timed out waiting for /%s/ (overall cap %.0f s)"
                                    % (pattern, cap))
                self._cond.wait(min(0.5, deadline - now,
                                    max(0.01, self._last_output + idle - now)))

    def search_all(self, pattern, flags=re.MULTILINE):
        """All matches of `pattern` in the whole output so far."""
        return list(re.finditer(pattern, self.output, flags))

    def send(self, text):
        """Write text to the serial console (QEMU's stdin)."""
        data = text.encode("utf-8") if isinstance(text, str) else text
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise QemuError("could not send to QEMU: %s" % e)

    def wait_exit(self, timeout=10.0):
        """Wait (timeout*scale seconds) for QEMU to exit by itself; returns its status."""
        deadline = time.monotonic() + timeout * self.scale
        while True:
            try:
                rc = self.proc.wait(timeout=0.2 if self.stub_rx is not None else
                                    max(0.0, deadline - time.monotonic()))
                break
            except subprocess.TimeoutExpired:
                with self._cond:
                    stub = self._stub_error(time.monotonic())
                if stub is not None:
                    raise stub
                if time.monotonic() >= deadline:
                    raise QemuError("QEMU did not exit by itself within %.1f s"
                                    % (timeout * self.scale))
        if self.stub_hit is not None and self.stub_grace <= 0:
            raise QemuError("not implemented: %s" % self.stub_hit)
        if self._reader is not None:
            self._reader.join(timeout=5)
        self.returncode = rc
        return rc


def _shell_quote(s):
    if re.fullmatch(r"[\w@%+=:,./-]+", s):
        return s
    return "'" + s.replace("'", "'\\''") + "'"


def shell_join(argv):
    """argv as a string a user can paste into a shell."""
    return " ".join(_shell_quote(str(a)) for a in argv)
