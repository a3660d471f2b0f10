"""grade/tests_shell.py - vinit and the shell, driven over the serial line.

Each test boots the full image (the default first program, /vinit), waits for
`vinit: shell ready in N ms` and the `SYS:> ` prompt, then types at the shell
as a person would (q.send), including the escape sequences a terminal sends
for arrow keys.  Every word the shell is asked to print carries a token made
from the run's nonce, so nothing can pass by printing fixed text; listings
and file contents are checked against the initrd the grader reads itself;
the time `Date` prints against the host's clock.

shell_commands: Echo, $RC and Why after failures, Dir C:, Type HEX, CD/Assign
  and the prompt, read-only refusals, a program with arguments and its return
  code, Run, Status, Avail, Version, Date, then Shutdown powers the machine off.
shell_editing: left/right, home/end, backspace, ^U, ^W, history, tab completion
  of a command and of a path.
shell_supervision: Break (kill) blkd, consoled and the shell itself; vinit logs
  each exit, restarts it, and the shell goes on (reconnecting to a new consoled);
  an orphan is reaped; Reboot resets the machine.
shell_disk: with fsd serving a ViperFS image, the disk is SYS: (and DH0:), the
  boot filesystem BOOT: and C:; Type, Dir, List, CD, MakeDir, Copy (from the
  boot filesystem and on the disk), Rename, Delete, a program run in a disk
  directory works there; after Reboot the next boot's shell reads what was
  written, and after Shutdown the host reads the image back and fsck finds
  it clean.

Lines printed while the shell waits at its prompt (vinit's log, a background
program) may follow the prompt on the same line: those are matched unanchored.
"""

import datetime
import os
import re
import shutil
import tempfile
import time

import tests_files
import tests_fs
from tests_kernel import Fail, test

PROMPT = r"SYS:> "
BOOT_TIMEOUT = 20
CMD_TIMEOUT = 10


def cpio_list(path):
    """{name: bytes} of a newc cpio archive."""
    with open(path, "rb") as f:
        data = f.read()
    out, pos = {}, 0
    while pos + 110 <= len(data) and data[pos:pos + 6] == b"070701":
        mode = int(data[pos + 14:pos + 22], 16)
        size = int(data[pos + 54:pos + 62], 16)
        nlen = int(data[pos + 94:pos + 102], 16)
        name = data[pos + 110:pos + 110 + nlen - 1].decode("utf-8", "replace")
        body = (pos + 110 + nlen + 3) & ~3
        if name == "TRAILER!!!":
            break
        if mode & 0o170000 == 0o100000:
            out[name.lstrip("./")] = data[body:body + size]
        pos = (body + size + 3) & ~3
    return out


class Shell:
    """A booted full image with the shell at its prompt.

    The shell's output and vinit's log reach the serial line in an order
    that is not fixed (vinit may log while the shell prints its prompt), so
    every wait here searches the output from a remembered position instead
    of consuming it: several expected lines may arrive in any order.
    """

    def __init__(self, ctx, **overrides):
        if not ctx.initrd:
            raise Fail("no initrd: run `make initrd` and pass --initrd build/initrd.cpio")
        self.ctx = ctx
        self.pos = 0
        self.q = ctx.boot(bootargs="quiet", **overrides)
        self.wait(r"init: ViperOS user space up \(pid 1, run %s\)" % re.escape(ctx.nonce),
                  timeout=BOOT_TIMEOUT)
        m = self.wait(r"^vinit: shell ready in (\d+) ms$", timeout=BOOT_TIMEOUT)
        self.ready_ms = int(m.group(1))
        self.pos = self.wait(PROMPT, start=m.end(), timeout=BOOT_TIMEOUT).end()

    def wait(self, rx, start=None, timeout=CMD_TIMEOUT):
        """The first match of rx after start (default: the last prompt); fails on timeout."""
        crx = re.compile(rx, re.MULTILINE)
        start = self.pos if start is None else start
        deadline = time.monotonic() + timeout * self.ctx.scale
        seen, quiet_since = -1, time.monotonic()
        while True:
            text = self.q.output
            m = crx.search(text, start)
            if m:
                return m
            if self.q.exited():
                m = crx.search(self.q.output, start)   # what it printed as it went
                if m:
                    return m
                raise Fail("QEMU exited before printing /%s/" % rx)
            if len(text) != seen:
                seen, quiet_since = len(text), time.monotonic()
            # A lab's stub ran (grade.py --lab) and the system went quiet: say so now.
            if self.q.stub_hit is not None and \
                    time.monotonic() - quiet_since >= self.q.stub_grace * self.ctx.scale:
                raise Fail("not implemented: %s" % self.q.stub_hit)
            if time.monotonic() > deadline:
                raise Fail("timed out waiting for /%s/ (last output: %s)"
                           % (rx, " | ".join(self.q.tail(3))[:160]))
            time.sleep(0.02)

    def run(self, line, prompt=PROMPT, also=()):
        """Type line and Enter; return what the command printed (between the echoed line
        and the next prompt).  also: further lines expected anywhere after the Enter."""
        start = self.pos
        self.q.send(line + "\r")
        m = self.wait(r"\n" + prompt, start)
        ends = [m.end()] + [self.wait(rx, start).end() for rx in also]
        self.pos = max(ends)
        text = self.q.output[start:m.start() + 1]
        return text[text.find("\n") + 1:]

    def rc(self):
        out = self.run("Echo RC=$RC")
        m = re.search(r"^RC=(-?\d+)$", out, re.MULTILINE)
        if not m:
            raise Fail("Echo RC=$RC printed %r" % out[:80])
        return int(m.group(1))

    def expect_rc(self, what, want):
        got = self.rc()
        if got != want:
            raise Fail("%s: return code %d, want %d" % (what, got, want))


def need(rx, text, what):
    m = re.search(rx, text, re.MULTILINE)
    if not m:
        raise Fail("%s (got: %s)" % (what, " | ".join(text.strip().splitlines())[:200]))
    return m


def status_pids(sh, name):
    out = sh.run("Status %s" % name)
    return [int(m.group(1)) for m in re.finditer(r"^\s*(\d+)\s+\d+\s+\w+\s+\d+\s+\d+\s+\d+\s+%s$"
                                                  % re.escape(name), out, re.MULTILINE)]


@test("shell_commands", 4)
def t_shell_commands(ctx):
    """vinit to the shell; Echo, $RC, Why, Dir, Type HEX, CD, Assign, programs, Run, Status, Date, Shutdown."""
    sh = Shell(ctx)
    tok = "tok%s" % ctx.nonce
    files = cpio_list(ctx.initrd)
    out = sh.run('Echo "%s  two" three' % tok)
    need(r"^%s  two three$" % tok, out, "Echo did not print its quoted arguments")
    sh.expect_rc("Echo", 0)

    out = sh.run("Type nosuch-%s" % tok)
    need(r"^Type: nosuch-%s: object not found$" % tok, out, "Type of a missing file")
    sh.expect_rc("Type of a missing file", 10)
    sh.run("Type nosuch-%s" % tok)
    out = sh.run("Why")
    need(r"^Last command failed because nosuch-%s: object not found \(return code 10\)$"
         % tok, out, "Why does not explain the failure")
    out = sh.run("nosuchcmd-%s" % tok)
    need(r"^nosuchcmd-%s: unknown command$" % tok, out, "an unknown command")
    sh.expect_rc("an unknown command", 20)
    out = sh.run("Delete vinit")
    need(r"^Delete: read-only filesystem$", out, "Delete on the boot filesystem")
    sh.expect_rc("Delete", 10)
    out = sh.run("mkdir %s" % tok)
    need(r"^MakeDir: read-only filesystem$", out, "mkdir on the boot filesystem")

    out = sh.run("Dir C:")
    listed = set(re.findall(r"^  (\S+)$", out, re.MULTILINE))
    progs = {n for n in files if "/" not in n}
    if listed != progs:
        raise Fail("Dir C: listed %s; the initrd's programs are %s"
                   % (sorted(listed)[:12], sorted(progs)[:12]))
    need(r"^  tests \(dir\)$", out, "Dir C: does not show the tests directory")

    data = files.get("tests/sh_echo")
    if data is None:
        raise Fail("the initrd has no tests/sh_echo")
    out = sh.run("Type HEX SYS:tests/sh_echo")
    rows = re.findall(r"^[0-9a-f]{4,}:((?: [0-9a-f ]{8}){4})  ", out, re.MULTILINE)
    got = bytes.fromhex("".join(r.replace(" ", "") for r in rows))
    if got != data:
        raise Fail("Type HEX printed %d bytes that are not the file's %d" % (len(got), len(data)))

    sh.run("cd tests", prompt=r"SYS:tests> ")
    out = sh.run("sh_echo 7 %s \"a b\"" % tok, prompt=r"SYS:tests> ")
    need(r"^sh_echo: 3 args: \[7\] \[%s\] \[a b\]$" % tok, out, "a program's arguments")
    out = sh.run("Echo RC=$RC", prompt=r"SYS:tests> ")
    need(r"^RC=7$", out, "the program's exit code is not the return code")
    name = "T" + ctx.nonce[:4].upper()
    sh.run("Assign %s: SYS:tests" % name, prompt=r"SYS:tests> ")
    sh.run("CD %s:" % name, prompt=r"%s:> " % name)
    out = sh.run("Dir", prompt=r"%s:> " % name)
    need(r"^  sh_echo$", out, "Dir in an assign's directory")
    sh.run("CD SYS:")
    bg = r"sh_echo: 2 args: \[0\] \[bg-%s\]$" % tok
    out = sh.run("Run SYS:tests/sh_echo 0 bg-%s" % tok, also=[bg])
    need(r"^\[pid \d+\] SYS:tests/sh_echo$", out, "Run did not start a background program")

    out = sh.run("Status")
    for prog in ("vinit", "consoled", "shell"):
        need(r"^\s*\d+\s+\d+\s+\w+\s+\d+\s+\d+\s+\d+\s+%s$" % prog, out,
             "Status does not list %s" % prog)
    need(r"^\s*1\s+0\s+\w+\s+\d+\s+\d+\s+\d+\s+vinit$", out, "Status: vinit is not pid 1")
    sh.run("Status nosuch%s" % tok)
    sh.expect_rc("Status of nothing", 5)
    out = sh.run("Avail")
    m = need(r"^memory\s+(\d+) K\s+(\d+) K\s+(\d+) K$", out, "Avail shows no memory line")
    free, used, total = (int(x) for x in m.groups())
    if not (128 * 1024 < total <= 256 * 1024 and free + used == total and free > used):
        raise Fail("Avail: %d K free + %d K used of %d K (256 MiB machine)" % (free, used, total))
    out = sh.run("Version")
    need(r"^ViperOS \d+\.\d+\.\d+ \(aarch64\), shell \S+$", out, "Version")
    before = datetime.datetime.now(datetime.timezone.utc)
    out = sh.run("Date")
    m = need(r"^(\w+day) (\d\d)-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) UTC$", out, "Date")
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    if m.group(3) not in months:
        raise Fail("Date: no month %r" % m.group(3))
    shown = datetime.datetime(int(m.group(4)), months.index(m.group(3)) + 1, int(m.group(2)),
                              int(m.group(5)), int(m.group(6)), int(m.group(7)),
                              tzinfo=datetime.timezone.utc)
    if abs((shown - before).total_seconds()) > 120:
        raise Fail("Date says %s, the host says %s" % (shown, before))
    if shown.strftime("%A") != m.group(1):
        raise Fail("Date: %s is not a %s" % (shown.date(), m.group(1)))

    start = sh.pos
    sh.q.send("Shutdown\r")
    sh.wait(r"vinit: powering off$", start)
    sh.q.wait_exit(timeout=CMD_TIMEOUT)
    ctx.note("shell ready in %d ms" % sh.ready_ms)


@test("shell_editing", 3)
def t_shell_editing(ctx):
    """Line editing over serial: arrows, home/end, backspace, ^U, ^W, history, tab completion."""
    sh = Shell(ctx)
    tok = "e%s" % ctx.nonce
    left, right, up, down = "\x1b[D", "\x1b[C", "\x1b[A", "\x1b[B"
    home, end = "\x1b[H", "\x1b[F"
    cases = [
        ("Echo %sab%sX" % (tok, left), "%saXb" % tok),
        ("Echo %s-mid%s%s%s%sX" % (tok, left, left, left, right), "%s-mXid" % tok),
        ("cho %s-he%sE%s-end" % (tok, home, end), "%s-he-end" % tok),
        ("%s-home1\x1b[1~Echo \x1b[4~!" % tok, "%s-home1!" % tok),
        ("Echo %s-bsX\x7f" % tok, "%s-bs" % tok),
        ("garbage words\x15Echo %s-ctrlu" % tok, "%s-ctrlu" % tok),
        ("Echo %s-w dropped\x17" % tok, "%s-w" % tok),
    ]
    for typed, want in cases:
        out = sh.run(typed)
        need(r"^%s$" % re.escape(want), out, "typed %r" % typed)

    sh.run("Echo hist1-%s" % tok)
    sh.run("Echo hist2-%s" % tok)
    out = sh.run(up + up)
    need(r"^hist1-%s$" % tok, out, "Up Up does not recall the line before last")
    out = sh.run(up + up + up + down)   # hist1, hist2, hist1 (newest first): back to hist2
    need(r"^hist2-%s$" % tok, out, "Up x3 then Down")

    out = sh.run("Ech\t tab-%s" % tok)
    need(r"^tab-%s$" % tok, out, "Tab did not complete Ech to Echo")
    out = sh.run("Dir SYS:tes\t")
    need(r"^  sh_echo$", out, "Tab did not complete SYS:tes to SYS:tests/")
    start = sh.pos
    sh.q.send("D\t\t")
    m = sh.wait(r"Dir  Delete  Date\n", start)   # a second Tab lists the choices
    sh.pos = sh.wait(r"\n" + PROMPT + "D", m.start()).end()   # and the line comes back
    out = sh.run("\x15Echo after-%s" % tok)
    need(r"^after-%s$" % tok, out, "^U after the list of choices")


def blk_image():
    fd, path = tempfile.mkstemp(prefix="viper-sh-", suffix=".img")
    with os.fdopen(fd, "wb") as f:
        f.truncate(4 << 20)
    return path


def kill_and_restart(sh, name, killer=None, ready=None):
    """Break the one process called name; vinit must log its exit and restart it (and the
    new one print `ready`: keys typed before a new consoled owns the UART are lost)."""
    pids = status_pids(sh, name)
    if len(pids) != 1:
        raise Fail("Status %s shows %d processes" % (name, len(pids)))
    old = pids[0]
    by = r"\d+" if killer is None else str(old if killer == "self" else killer)
    sh.run("Break %d" % old, also=[r"vinit: %s \(pid %d\) exited \(killed by pid %s\); "
                                   r"restarting$" % (re.escape(name), old, by)] +
           ([ready] if ready else []))
    deadline = time.monotonic() + CMD_TIMEOUT * sh.ctx.scale
    while time.monotonic() < deadline:
        pids = status_pids(sh, name)
        if len(pids) == 1 and pids[0] != old:
            return
        time.sleep(0.1)
    raise Fail("%s was not restarted (Status %s: %s)" % (name, name, pids))


@test("shell_supervision", 4)
def t_shell_supervision(ctx):
    """vinit restarts a killed blkd, consoled and shell; the shell goes on; orphans reaped; Reboot."""
    img = blk_image()
    try:
        sh = Shell(ctx, extra=("-drive", "file=%s,if=none,format=raw,id=d0" % img,
                               "-device", "virtio-blk-device,drive=d0"))
        tok = "s%s" % ctx.nonce
        kill_and_restart(sh, "blkd", killer=1)
        out = sh.run("Echo after-blkd-%s" % tok)
        need(r"^after-blkd-%s$" % tok, out, "the shell after blkd's restart")

        kill_and_restart(sh, "consoled", killer=1, ready=r"consoled: CON: ready")
        out = sh.run("Echo after-consoled-%s" % tok)
        need(r"^after-consoled-%s$" % tok, out, "the shell after consoled's restart")

        pids = status_pids(sh, "shell")
        if len(pids) != 1:
            raise Fail("Status shell shows %s" % pids)
        start = sh.pos
        sh.q.send("Break %d\r" % pids[0])
        sh.wait(r"vinit: shell \(pid %d\) exited \(killed by pid %d\); restarting$"
                % (pids[0], pids[0]), start)
        sh.pos = sh.wait(r"\n" + PROMPT, start).end()
        out = sh.run("Echo after-shell-%s" % tok)
        need(r"^after-shell-%s$" % tok, out, "the new shell")
        out = sh.run("Break 1")
        need(r"^Break: 1: access denied$", out, "Break 1 (vinit) must be refused")

        out = sh.run("C:tests/sh_orphan")
        orphan = int(need(r"^sh_orphan: child pid (\d+)$", out, "sh_orphan").group(1))
        time.sleep(2.5 * ctx.scale)   # it lives 0.2 s; vinit sweeps for orphans every second
        out = sh.run("Status")
        if re.search(r"^\s*%d\s" % orphan, out, re.MULTILINE):
            raise Fail("the orphan (pid %d) was not reaped: %s" % (orphan, out.strip()[:200]))

        start = sh.pos
        sh.q.send("Reboot\r")
        sh.wait(r"vinit: rebooting$", start)
        sh.q.wait_exit(timeout=CMD_TIMEOUT)   # -no-reboot: the reset ends QEMU
    finally:
        os.unlink(img)


@test("shell_disk", 3)
def t_shell_disk(ctx):
    """SYS:/DH0: on fsd: Type, Dir, List, CD, MakeDir, Copy, Rename, Delete, a program's cwd; the host checks."""
    tok = "d%s" % ctx.nonce
    work = tempfile.mkdtemp(prefix="viper-shdisk-")
    try:
        img, files = tests_fs.make_image(ctx, ctx.nonce, work)
        sh = Shell(ctx, extra=tests_fs.blk_args(img))
        out = sh.run("Type DH0:etc/motd")
        need(r"^%s$" % re.escape(files["etc/motd"].decode().strip()), out, "Type DH0:etc/motd")
        out = sh.run("List DH0:data")
        need(r"^random\s+%d$" % len(files["data/random"]), out, "List DH0:data (size)")
        sh.run("CD DH0:etc", prompt=r"DH0:etc> ")
        out = sh.run("Dir", prompt=r"DH0:etc> ")
        need(r"^  motd$", out, "Dir in DH0:etc")
        sh.run("CD SYS:", prompt=r"SYS:> ")   # the disk is the system volume
        out = sh.run("MakeDir new-%s" % tok)
        sh.run("Copy etc/motd new-%s/m2" % tok)
        sh.run("Rename new-%s/m2 new-%s/m3" % (tok, tok))
        sh.run("Copy BOOT:tests/sh_echo c")
        sh.run("Delete data/random")
        out = sh.run("Echo RC=$RC")
        need(r"^RC=0$", out, "the disk commands failed: %s" % out)
        out = sh.run("Dir")
        for name in ("etc", "data", "c", "new-%s" % tok):
            need(r"^  %s \(dir\)$" % re.escape(name), out, "Dir SYS: lists %s" % name)
        out = sh.run("Delete data/random")
        need(r"^Delete: object not found$", out, "Delete of a deleted file")
        out = sh.run("Copy c/sh_echo BOOT:x")
        need(r"^Copy: read-only filesystem$", out, "Copy onto the boot filesystem")
        # A program started here works in the shell's directory: sh_cwd prints getcwd()
        # and the first line of a file it opens by a relative name.
        sh.run("CD new-%s" % tok, prompt=r"SYS:new-%s> " % tok)
        out = sh.run("C:tests/sh_cwd m3", prompt=r"SYS:new-%s> " % tok)
        need(r"^sh_cwd: /new-%s: %s$" % (tok, re.escape(files["etc/motd"].decode().splitlines()[0])),
             out, "a program run from a disk directory")
        sh.run("CD /", prompt=r"SYS:> ")
        start = sh.pos
        sh.q.send("Reboot\r")
        sh.wait(r"vinit: rebooting$", start)
        sh.q.wait_exit(timeout=CMD_TIMEOUT)   # -no-reboot: the reset ends QEMU
        tests_files.fsck_clean(ctx, img, "after the shell session")
        # What the shell wrote is there after the reboot, read by the next boot's shell.
        sh = Shell(ctx, extra=tests_fs.blk_args(img))
        out = sh.run("Type new-%s/m3" % tok)
        need(r"^%s$" % re.escape(files["etc/motd"].decode().strip()), out,
             "the file written before Reboot, in the next boot")
        start = sh.pos
        sh.q.send("Shutdown\r")
        sh.wait(r"vinit: powering off$", start)
        sh.q.wait_exit(timeout=CMD_TIMEOUT)
        tests_files.fsck_clean(ctx, img, "after the shell session")
        if tests_fs.host_cat(ctx, img, "/new-%s/m3" % tok) != files["etc/motd"]:
            raise Fail("the copied and renamed file differs from etc/motd on the image")
        if tests_fs.host_cat(ctx, img, "/c/sh_echo") != cpio_list(ctx.initrd)["tests/sh_echo"]:
            raise Fail("/c/sh_echo on the image differs from the initrd's tests/sh_echo")
        try:
            tests_fs.host_cat(ctx, img, "/data/random")
        except Fail:
            pass
        else:
            raise Fail("/data/random is still on the image after Delete")
    finally:
        shutil.rmtree(work, ignore_errors=True)
