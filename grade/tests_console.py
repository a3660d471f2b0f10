"""grade/tests_console.py - consoled and inputd (docs/console.md).

Each test boots a program of tests/user/con_*.c as init; it starts
/consoled (and /inputd) itself and talks to CON: like any client.

  console_serial    the grader types on the serial line; a 30 KB burst must
                    arrive whole and in order; a child's stdio goes over CON:;
                    a killed consoled gives the UART back and a new one serves.
  console_ramfb     -device ramfb: a QEMU monitor `screendump` must show the
  console_gpu       text the program wrote (scrolled, coloured, cursor moves)
                    pixel for pixel: every glyph cell of the PPM is compared
                    with the font parsed from src/user/consoled/font.c.
  console_keyboard  -device virtio-keyboard-device (and a mouse): keys pressed
                    with the monitor's `sendkey` come back out of CON_READ.

QEMU runs with -display none; screendump still renders the guest's screen.
The monitor is a unix socket next to the serial console (-monitor unix:...).
"""

import os
import re
import socket
import time

from tests_kernel import Fail, expect_poweroff, test

HERE = os.path.dirname(os.path.abspath(__file__))
FONT_SRC = os.path.join(HERE, "..", "src", "user", "consoled", "font.c")
FONT_W, FONT_H = 8, 16
TIMEOUT = 20

# render.c's palette: 0-7 normal, 8-15 bright.
PALETTE = [0x000000, 0xaa0000, 0x00aa00, 0xaa5500, 0x0000aa, 0xaa00aa, 0x00aaaa, 0xaaaaaa,
           0x555555, 0xff5555, 0x55ff55, 0xffff55, 0x5555ff, 0xff55ff, 0x55ffff, 0xffffff]
DEFAULT = (7, 0)           # light grey on black
BURST_TEXT = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghij"


# ---- running a console test program -------------------------------------------

def boot_prog(ctx, prog, devices=(), monitor=False):
    """Boot /tests/<prog> as init with extra QEMU devices; returns (run, monitor socket path)."""
    if not ctx.initrd:
        raise Fail("no initrd: run `make initrd` and pass --initrd build/initrd.cpio")
    extra = []
    for d in devices:
        extra += ["-device", d]
    mon = None
    if monitor:
        mon = "/tmp/viper-con-%d-%s.sock" % (os.getpid(), ctx.nonce)
        if os.path.exists(mon):
            os.unlink(mon)
        extra += ["-monitor", "unix:%s,server,nowait" % mon]
    q = ctx.boot(bootargs="init=/tests/%s quiet" % prog, extra=extra)
    q.expect(r"UTEST %s START %s\b" % (re.escape(ctx.nonce), prog), timeout=TIMEOUT)
    return q, mon


def finish(ctx, q, prog):
    """The program's DONE line, every case passed, init exited 0 and the machine powered off."""
    nonce = re.escape(ctx.nonce)
    done = q.expect(r"UTEST %s DONE passed=(\d+) failed=(\d+)(?=\s)" % nonce, timeout=TIMEOUT)
    results = re.findall(r"^UTEST %s (PASS|FAIL) ([\w.-]+)(?::\s*(.*))?$" % nonce,
                         q.output[:done.end()], re.MULTILINE)
    fails = [r for r in results if r[0] == "FAIL"]
    if fails:
        raise Fail("%s failed: %s" % (fails[0][1], fails[0][2] or "?"))
    passed = int(done.group(1))
    names = {r[1] for r in results if r[1].startswith(prog + ".")}
    if int(done.group(2)) or passed <= 0 or len(names) != passed:
        raise Fail("%s: DONE says passed=%s failed=%s, %d distinct PASS lines"
                   % (prog, done.group(1), done.group(2), len(names)))
    m = q.expect(r"init: exited \(reason (-?\d+), code (-?\d+)\)", timeout=TIMEOUT)
    if (m.group(1), m.group(2)) != ("0", "0"):
        raise Fail("init ended with reason %s, code %s" % (m.group(1), m.group(2)))
    expect_poweroff(q)
    ctx.note("%d cases" % passed)


class Monitor:
    """The QEMU human monitor on a unix socket: one command at a time, up to the prompt."""

    def __init__(self, path, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise Fail("cannot connect to the QEMU monitor at %s" % path)
                time.sleep(0.1)
        self.sock.settimeout(timeout)
        self.read_prompt()

    def read_prompt(self):
        buf = b""
        while not buf.endswith(b"(qemu) "):
            chunk = self.sock.recv(4096)
            if not chunk:
                raise Fail("the QEMU monitor closed its socket")
            buf += chunk
        return buf.decode("utf-8", "replace")

    def command(self, cmd):
        self.sock.sendall(cmd.encode() + b"\n")
        return self.read_prompt()

    def close(self):
        self.sock.close()


# ---- the font and the screen ------------------------------------------------------

def load_font():
    """{char code: 16 row bytes} for 32..127, from consoled's font sheet (font.c)."""
    with open(FONT_SRC, encoding="utf-8") as f:
        rows = re.findall(r'"((?:[.#]{8} ){7}[.#]{8})"', f.read())
    if len(rows) != 12 * FONT_H:
        raise Fail("font.c: %d sheet rows, want %d" % (len(rows), 12 * FONT_H))
    font = {}
    for band in range(12):
        for g in range(8):
            glyph = []
            for r in range(FONT_H):
                cell = rows[band * FONT_H + r].split(" ")[g]
                glyph.append(sum(1 << (7 - i) for i, c in enumerate(cell) if c == "#"))
            font[32 + band * 8 + g] = glyph
    return font


def read_ppm(path):
    """(width, height, RGB bytes) of a binary PPM (P6, maxval 255)."""
    with open(path, "rb") as f:
        data = f.read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)
    if not m:
        raise Fail("screendump: not a P6 PPM")
    w, h = int(m.group(1)), int(m.group(2))
    px = data[m.end():]
    if len(px) < w * h * 3:
        raise Fail("screendump: %d bytes of pixels, want %d" % (len(px), w * h * 3))
    return w, h, px


def expected_screen(cols, rows, nonce):
    """What con_screen.c's output must leave on a cols x rows screen: a grid of
    (char, fg, bg) and the cursor's (row, col)."""
    grid = [[(" ",) + DEFAULT for _ in range(cols)] for _ in range(rows)]

    def put(r, c, text, fg=7, bg=0, clear=False):
        if clear:
            grid[r] = [(" ",) + DEFAULT for _ in range(cols)]
        for i, ch in enumerate(text):
            grid[r][c + i] = (ch, fg, bg)

    for r in range(rows - 1):          # rows + 12 lines: the first 13 scrolled away
        put(r, 0, "scroll %02d" % (r + 13))
    put(0, 0, "ViperOS screen test " + nonce, clear=True)
    grid[2][9:] = [(" ",) + DEFAULT] * (cols - 9)   # ESC [ K after "scro" + RED + GREEN
    put(2, 4, "RED", fg=1)
    put(2, 7, "GREEN", fg=10)                       # bold: the bright colour
    put(4, 0, "BLUE", fg=3, bg=4, clear=True)
    put(6, 0, "abcXef", clear=True)                 # 3 left, then X over the d
    put(7, 4, "Y")                                  # one down from after the X
    put(8, 0, "a", clear=True)
    put(8, 8, "b")                                  # the tab stop
    put(9, 0, "xZ", clear=True)                     # backspace, then Z over the y
    return grid, (11, 2)


def cell_rows(font, ch, fg, bg):
    """The 16 pixel rows (RGB bytes) of one cell."""
    code = ord(ch)
    glyph = font[code if 32 <= code <= 127 else 127]
    fgb, bgb = PALETTE[fg].to_bytes(3, "big"), PALETTE[bg].to_bytes(3, "big")
    return [b"".join(fgb if bits & (0x80 >> i) else bgb for i in range(FONT_W))
            for bits in glyph]


def compare_screen(ppm, font, grid, cursor):
    """Cells of the screendump that differ from grid: [(row, col, expected char)]."""
    w, _h, px = ppm
    bad = []
    for r, line in enumerate(grid):
        for c, (ch, fg, bg) in enumerate(line):
            if (r, c) == cursor:
                fg, bg = bg, fg                  # the cursor: the cell in inverse
            want = cell_rows(font, ch, fg, bg)
            for y in range(FONT_H):
                off = ((r * FONT_H + y) * w + c * FONT_W) * 3
                if px[off:off + FONT_W * 3] != want[y]:
                    bad.append((r, c, ch))
                    break
    return bad


def check_screen(ctx, devices):
    q, mon_path = boot_prog(ctx, "con_screen", devices, monitor=True)
    nonce = re.escape(ctx.nonce)
    m = q.expect(r"CONSCREEN %s grid (\d+) (\d+)\n" % nonce, timeout=TIMEOUT)   # whole numbers
    cols, rows = int(m.group(1)), int(m.group(2))
    if cols < 1 or rows < 1:
        raise Fail("con_screen printed a %dx%d grid: no console to draw on" % (cols, rows))
    q.expect(r"CONSCREEN %s drawn" % nonce, timeout=TIMEOUT)
    font = load_font()
    grid, cursor = expected_screen(cols, rows, ctx.nonce)
    mon = Monitor(mon_path)
    try:
        shot = ctx.path("ppm")
        for attempt in range(4):        # consoled draws its frame just after the reply
            if os.path.exists(shot):
                os.unlink(shot)
            mon.command("screendump %s" % os.path.abspath(shot))
            ppm = read_ppm(shot)
            if ppm[0] < cols * FONT_W or ppm[1] < rows * FONT_H:
                raise Fail("screendump is %dx%d, too small for %dx%d cells"
                           % (ppm[0], ppm[1], cols, rows))
            bad = compare_screen(ppm, font, grid, cursor)
            if not bad:
                break
            time.sleep(0.3 * (attempt + 1))
    finally:
        mon.close()
        os.unlink(mon_path)
    if bad:
        r, c, ch = bad[0]
        raise Fail("%d of %d cells differ from the font in %s; first at row %d col %d "
                   "(want %r)" % (len(bad), cols * rows, shot, r, c, ch))
    q.send("\r")
    finish(ctx, q, "con_screen")
    ctx.note("%dx%d cells, %dx%d pixels" % (cols, rows, ppm[0], ppm[1]))


# ---- the tests --------------------------------------------------------------------

@test("console_serial", 3)
def t_console_serial(ctx):
    """consoled on serial: a 30 KB burst whole, bad requests, typed input, child stdio, restart."""
    q, _ = boot_prog(ctx, "con_serial")
    nonce = re.escape(ctx.nonce)
    q.expect(r"^CONSERIAL %s written through CON:\s*$" % nonce, timeout=TIMEOUT)
    typed = "hello " + ctx.nonce[:6]
    q.expect(r"CONSERIAL %s type a line" % nonce, timeout=TIMEOUT)
    q.send(typed + "\r")
    q.expect(r"CONSERIAL %s read '%s\\x0d'" % (nonce, re.escape(typed)), timeout=TIMEOUT)
    q.expect(r"^CONCHILD %s says 42\s*$" % nonce, timeout=TIMEOUT)
    q.expect(r"^CONCHILD %s on stderr\s*$" % nonce, timeout=TIMEOUT)
    child = "child " + ctx.nonce[6:12]
    q.send(child + "\r")
    q.expect(r"^CONCHILD %s got '%s'\s*$" % (nonce, re.escape(child)), timeout=TIMEOUT)
    q.expect(r"CONSERIAL %s type again" % nonce, timeout=TIMEOUT)
    again = "again " + ctx.nonce[12:]
    q.send(again + "\r")
    q.expect(r"CONSERIAL %s read again '%s\\x0d'" % (nonce, re.escape(again)), timeout=TIMEOUT)
    finish(ctx, q, "con_serial")
    if not q.search_all(r"^CONSERIAL %s after restart\s*$" % nonce):   # the new consoled's
        raise Fail("nothing written through the restarted consoled came out")
    burst = [int(n) for n in re.findall(r"^CONBURST %s (\d{3}) %s\s*$" % (nonce, BURST_TEXT),
                                        q.output, re.MULTILINE)]
    if burst != list(range(300)):
        missing = sorted(set(range(300)) - set(burst))
        raise Fail("burst through CON: came out wrong: %d of 300 lines%s" % (
            len(burst), ", first missing %d" % missing[0] if missing else ", out of order"))
    if not re.search(r"^CONBURST %s end\s*$" % nonce, q.output, re.MULTILINE):
        raise Fail("the burst's last line is missing")


@test("console_ramfb", 3)
def t_console_ramfb(ctx):
    """-device ramfb: the screendump shows the text, colours and cursor, pixel for pixel."""
    check_screen(ctx, ["ramfb"])


@test("console_gpu", 2)
def t_console_gpu(ctx):
    """-device virtio-gpu-device: the same screen through virtio-gpu 2D."""
    check_screen(ctx, ["virtio-gpu-device"])


# sendkey names, the bytes a terminal sends for them
KEYS_FIXED = [("shift-a", "A"), ("shift-1", "!"), ("minus", "-"), ("shift-minus", "_"),
              ("spc", " "), ("ctrl-c", "\x03"), ("up", "\x1b[A"), ("left", "\x1b[D"),
              ("home", "\x1b[H"), ("end", "\x1b[F"), ("delete", "\x1b[3~"),
              ("backspace", "\x7f"), ("ret", "\r")]


@test("console_keyboard", 2)
def t_console_keyboard(ctx):
    """virtio keyboard via inputd: sendkey presses come out of CON_READ; a mouse types nothing."""
    q, mon_path = boot_prog(ctx, "con_keys", ["virtio-keyboard-device", "virtio-mouse-device"],
                            monitor=True)
    nonce = re.escape(ctx.nonce)
    q.expect(r"CONKEYS %s 2 input devices" % nonce, timeout=TIMEOUT)
    for rx in (r"inputd: keyboard '[^']*' ready", r"inputd: '[^']*' ready \(no keys\)"):
        if not q.search_all(rx):        # the two inputds start in either order
            q.expect(rx, timeout=TIMEOUT)
    keys = [(c, c) for c in ctx.nonce[:4]] + KEYS_FIXED   # hex digits name their own keys
    mon = Monitor(mon_path)
    try:
        mon.command("mouse_move 20 10")
        mon.command("mouse_button 1")
        mon.command("mouse_button 0")
        for name, _ in keys:
            mon.command("sendkey %s" % name)
    finally:
        mon.close()
        os.unlink(mon_path)
    want = "".join(b for _, b in keys)
    esc = "".join(c if 0x20 <= ord(c) < 0x7f and c != "\\" else "\\x%02x" % ord(c) for c in want)
    m = q.expect(r"CONKEYS %s read '([^']*)'" % nonce, timeout=TIMEOUT)
    if m.group(1) != esc:
        raise Fail("typed %s, CON_READ gave '%s'" % (esc, m.group(1)))
    finish(ctx, q, "con_keys")
