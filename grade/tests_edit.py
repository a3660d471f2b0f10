"""grade/tests_edit.py - /edit, the full-screen editor, driven over the serial line.

The full image boots (the default first program, /vinit: consoled, blkd, fsd, the
shell) with a fresh ViperFS disk this test makes with the build's mkfs.viperfs,
seeded with one file.  At the shell prompt it runs `edit` and types as a person
would, escape sequences for the arrows, Home/End and Delete included:

edit_file: a directory refused (return code 10); a new file typed with every editing key (a long line that scrolls
  sideways, joins by Delete and Backspace), ^S, ^Q; an existing file loaded (a tab
  shown as spaces) and changed, at a place found with ^F; a 60-line file paged
  down twice (the view and the cursor move 46 lines); a modified buffer's ^Q asks before quitting and a second ^Q loses the
  change; a save into a missing directory reports the error and keeps the buffer
  (a full redraw still shows the text, ^Q still asks).  Every file is then read
  back through the shell (`Type DH0:name`: the shell calls the disk DH0:, while
  programs, through libc and fsd, call its root /), and, after Shutdown, from the
  disk image on the host (viperfs cat) with fsck.viperfs finding it clean and no
  *.tmp left.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time

from tests_kernel import Fail, test

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROMPT = "SYS:> "
BOOT_TIMEOUT = 20
KEY_TIMEOUT = 10

UP, DOWN, RIGHT, LEFT = "\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D"
HOME, END, HOME1, END4, DELETE = "\x1b[H", "\x1b[F", "\x1b[1~", "\x1b[4~", "\x1b[3~"
PGDN = "\x1b[6~"
BS, ENTER, CTRL_S, CTRL_Q, CTRL_L, CTRL_F = "\x7f", "\r", "\x13", "\x11", "\x0c", "\x06"


def viperfs_tool(ctx, name):
    """build/tools/<name> of the build that made ctx.image (built if missing)."""
    build = os.path.dirname(os.path.dirname(os.path.abspath(ctx.image)))
    path = os.path.join(build, "tools", name)
    if not os.path.exists(path):
        r = subprocess.run(["make", "--no-print-directory", "BUILD=" + build, "tools"],
                           cwd=ROOT, capture_output=True, text=True)
        if r.returncode != 0 or not os.path.exists(path):
            raise Fail("no %s (make BUILD=%s tools: %s)" % (path, build, r.stdout[-200:]))
    return path


class Console:
    """The booted image at the shell prompt; waits search the output from a mark."""

    def __init__(self, ctx, disk):
        self.ctx = ctx
        self.q = ctx.boot(bootargs="quiet", extra=(
            "-drive", "file=%s,if=none,format=raw,id=d0" % disk,
            "-device", "virtio-blk-device,drive=d0"))
        self.mark = 0
        self.wait(r"fsd: mounted ", BOOT_TIMEOUT)
        self.mark = self.wait(r"vinit: shell ready in \d+ ms", BOOT_TIMEOUT).end()
        self.mark = self.wait(re.escape(PROMPT), BOOT_TIMEOUT).end()

    def wait(self, rx, timeout=KEY_TIMEOUT):
        crx = re.compile(rx, re.MULTILINE)
        deadline = time.monotonic() + timeout * self.ctx.scale
        while True:
            m = crx.search(self.q.output, self.mark)
            if m:
                return m
            if self.q.exited():
                m = crx.search(self.q.output, self.mark)   # what it printed as it went
                if m:
                    return m
                raise Fail("QEMU exited before printing /%s/" % rx)
            if time.monotonic() > deadline:
                raise Fail("timed out waiting for /%s/ (last output: %r)"
                           % (rx, self.q.output[-160:]))
            time.sleep(0.02)

    def send(self, keys, then=None):
        """Type keys; with then, wait for it (after the keys) and return the match."""
        self.mark = len(self.q.output)
        self.q.send(keys)
        return self.wait(then) if then else None

    def shell(self, line):
        """Run a shell command line; what it printed, with the serial line's \\r\\n as \\n."""
        start = len(self.q.output)
        m = self.send(line + "\r", r"\n" + re.escape(PROMPT))
        self.mark = m.end()
        text = self.q.output[start:m.start() + 1]
        return text[text.find("\n") + 1:].replace("\r\n", "\n")

    def edit(self, path, first):
        """Start edit on path; first: a regex its first screen must show."""
        self.send("edit %s\r" % path, r"\x1b\[30;47m %s" % re.escape(path))
        self.wait(first)

    def quiet_for(self, rx, seconds):
        """Fail if rx shows up within seconds."""
        time.sleep(seconds * self.ctx.scale)
        if re.search(rx, self.q.output[self.mark:], re.MULTILINE):
            raise Fail("unexpected /%s/ after %r" % (rx, self.q.output[self.mark:][:120]))


def type_back(con, path, want):
    """The shell's Type of path on the disk (DH0:) must print exactly want."""
    disk = "DH0:" + path.lstrip("/")
    out = con.shell("Type %s" % disk)
    if out != want.decode():
        raise Fail("Type %s printed %r, want %r" % (disk, out[:200], want[:200]))


@test("edit_file", 4)
def t_edit_file(ctx):
    """edit: typing with every editing key, ^S, ^Q, confirm on unsaved quit, failed save keeps the buffer."""
    if not ctx.initrd:
        raise Fail("no initrd: run `make initrd` and pass --initrd build/initrd.cpio")
    tok = "t%s" % ctx.nonce[:8]
    mkfs, fsck, viperfs = (viperfs_tool(ctx, n) for n in ("mkfs.viperfs", "fsck.viperfs",
                                                          "viperfs"))
    work = tempfile.mkdtemp(prefix="viper-edit-")
    try:
        seed = os.path.join(work, "seed")
        os.mkdir(seed)
        notes = "/notes-%s.txt" % tok
        with open(seed + notes, "wb") as f:
            f.write(b"first line %s\n\tindented\nlast line\n" % tok.encode())
        rows = "/rows-%s.txt" % tok
        with open(seed + rows, "wb") as f:
            f.write(b"".join(b"row %d\n" % i for i in range(1, 61)))
        disk = os.path.join(work, "disk.img")
        subprocess.run([mkfs, "-q", "-t", "0", "-L", "edit", "-s", "8M", "-d", seed, disk],
                       check=True, capture_output=True)
        con = Console(ctx, disk)
        out = con.shell("edit /")
        if out != "edit: /: is a directory\n":
            raise Fail("edit of a directory printed %r" % out[:200])
        out = con.shell("Echo RC=$RC")
        if out != "RC=10\n":
            raise Fail("edit of a directory: %r, want return code 10" % out)

        # A new file, every editing key; the long line is wider than the screen.
        new = "/new-%s.txt" % tok
        long_line = ("long-%s-" % tok) * 10
        con.edit(new, r"new file")
        con.send("hello " + tok + ENTER + "second line" + LEFT * 4 + "X")
        con.send(HOME + ">" + END + "!" + ENTER + long_line)
        con.send(UP + UP + END + DELETE + HOME1 + "<" + ENTER + BS)
        con.send(DOWN + END4 + ENTER + "end" + BS + BS + "nd." + ENTER)
        want_new = ("<hello %s>second Xline!\n%s\nend.\n" % (tok, long_line)).encode()
        m = con.send(CTRL_S, r"saved (\d+) bytes to %s" % re.escape(new))
        if int(m.group(1)) != len(want_new):
            raise Fail("edit saved %s bytes, the text typed is %d" % (m.group(1), len(want_new)))
        con.send(CTRL_Q, r"\n?" + re.escape(PROMPT))
        type_back(con, new, want_new)

        # An existing file: loaded as it is (the tab shown as spaces), changed at the end of
        # a line and where ^F finds "last".
        con.edit(notes, r"\x1b\[2;1H {8}indented\x1b\[K")
        con.send(DOWN + END + " more" + CTRL_F + "last" + ENTER + "* ")
        con.send(CTRL_S, r"saved \d+ bytes to %s" % re.escape(notes))
        con.send(CTRL_Q, re.escape(PROMPT))
        want_notes = b"first line %s\n\tindented more\n* last line\n" % tok.encode()

        # A file longer than the screen (23 text rows of 25): two PgDn move the view and the
        # cursor 46 lines, so row 1 shows line 47, where the typed "@" lands.
        con.edit(rows, r"\x1b\[23;1Hrow 23\x1b\[K")
        con.send(PGDN + PGDN + "@", r"\x1b\[1;1H@row 47\x1b\[K(.|\n)*?47:2  61 lines")
        con.send(CTRL_S, r"saved \d+ bytes to %s" % re.escape(rows))
        con.send(CTRL_Q, re.escape(PROMPT))
        want_rows = b"".join(b"%srow %d\n" % (b"@" if i == 47 else b"", i) for i in range(1, 61))

        # Unsaved changes: ^Q asks, the editor stays; a second ^Q quits without saving.
        con.edit(notes, r"indented more")
        con.send("junk" + CTRL_Q, r"unsaved changes: \^Q again quits")
        con.quiet_for(re.escape(PROMPT), 1.0)
        con.send(CTRL_Q, re.escape(PROMPT))
        type_back(con, notes, want_notes)

        # A save into a missing directory: the error, and the buffer still there.
        lost = "/nodir-%s/keep.txt" % tok
        con.edit(lost, r"new file")
        con.send("keep me " + tok + ENTER + "and me")
        con.send(CTRL_S, r"save failed: %s\.tmp: No such file or directory"
                 % re.escape(lost))
        con.send(CTRL_L, r"\x1b\[30;47m %s \[modified\]" % re.escape(lost))   # drawn last
        screen = con.q.output[con.mark:]
        if not re.search(r"\x1b\[1;1Hkeep me %s\x1b\[K\x1b\[2;1Hand me\x1b\[K" % tok, screen):
            raise Fail("after the failed save the redraw lost the text: %r" % screen[:300])
        con.send(CTRL_Q, r"unsaved changes")
        con.send(CTRL_Q, re.escape(PROMPT))

        con.send("Shutdown\r", r"vinit: powering off")
        con.q.wait_exit(timeout=KEY_TIMEOUT)
        check_image(ctx, fsck, viperfs, disk,
                    {new: want_new, notes: want_notes, rows: want_rows}, tok)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_image(ctx, fsck, viperfs, disk, files, tok):
    """The files' bytes as the host reads the image; fsck clean; no leftovers."""
    r = subprocess.run([fsck, "-n", disk], capture_output=True, text=True)
    if r.returncode != 0:
        raise Fail("fsck.viperfs -n: status %d: %s" % (r.returncode, r.stdout[-300:]))
    for path, want in files.items():
        r = subprocess.run([viperfs, "cat", disk, path], capture_output=True)
        if r.returncode != 0:
            raise Fail("viperfs cat %s: %s" % (path, r.stderr.decode(errors="replace")[:200]))
        if r.stdout != want:
            raise Fail("%s on the disk is %r, want %r" % (path, r.stdout[:200], want[:200]))
    r = subprocess.run([viperfs, "ls", disk, "/"], capture_output=True, text=True)
    names = r.stdout.split()
    junk = [n for n in names if n.endswith(".tmp") or n.startswith("nodir-")]
    if r.returncode != 0 or junk:
        raise Fail("the disk's root after editing: %s" % r.stdout[-300:])
    ctx.note("%d files checked on the disk (%s)" % (len(files), tok))
