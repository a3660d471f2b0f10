"""grade/tests_files.py - the libc file API over fsd, on images the grader makes.

Each test makes a fresh ViperFS image with the host tool mkfs.viperfs,
attaches it as a virtio-blk disk and boots a test program as init (it starts
blkd and fsd itself, tests/user/files_util.h).  After QEMU exits the grader
checks the image with the host tools: `fsck.viperfs -n` must find it clean,
and files the guest wrote are read back with `viperfs cat` and compared with
the bytes the grader computes from the nonce (words() is fu_fill() of
tests/user/files_util.h).

files_api: big files across the indirect-block boundaries, a sparse file,
500 files in a directory, rename over a file a reader keeps opening, two
writer processes, bad input; then a second boot (files_reboot) reads it all
back and changes some of it, and fsck runs again.
files_enospc: a small disk filled up: ENOSPC, nothing written before is
lost, the space comes back, fsck clean.

The host tools come from `make BUILD=<build> tools` (run once per grader
process; <build> is the directory above --image's kernel/).  The disk runs
with cache=unsafe: flushes cost nothing, while every write the guest makes
still reaches the image file before QEMU exits or is killed.
"""

import os
import re
import struct
import subprocess
import tempfile
import threading
import zlib

from tests_kernel import Fail, test
from tests_user import run_user

MASK = (1 << 64) - 1
BIG_SIZE = (1032 + 40) * 4096 + 1234          # tests/user/files_api.c
PERSIST_SIZE = 200000
TWO_SIZE = 1536 * 1024

_tools_lock = threading.Lock()
_tools_built = {}


def fnv(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & MASK
    return h


def words(key, size):
    """size bytes of the content with this key (fu_fill in files_util.h)."""
    out = bytearray()
    pack = struct.Struct("<Q").pack
    for j in range((size + 7) // 8):
        x = key ^ ((j * 0x9e3779b97f4a7c15) & MASK)
        x ^= x >> 33
        x = (x * 0xff51afd7ed558ccd) & MASK
        x ^= x >> 33
        x = (x * 0xc4ceb9fe1a85ec53) & MASK
        x ^= x >> 33
        out += pack(x)
    return bytes(out[:size])


def key_for(nonce, what):
    return fnv(nonce.encode()) ^ fnv(what.encode())


def tools(ctx):
    """{name: path} of the host tools, built (once per grader run) next to the kernel."""
    build = os.path.dirname(os.path.dirname(os.path.abspath(ctx.image)))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with _tools_lock:
        if build not in _tools_built:
            r = subprocess.run(["make", "-s", "--no-print-directory", "BUILD=" + build, "tools"],
                               cwd=root, stdin=subprocess.DEVNULL, capture_output=True,
                               text=True)
            if r.returncode != 0:
                raise Fail("make tools failed: %s" % (r.stderr.strip().splitlines() or ["?"])[-1])
            _tools_built[build] = {t: os.path.join(build, "tools", t)
                                   for t in ("mkfs.viperfs", "fsck.viperfs", "viperfs")}
    return _tools_built[build]


def disk_args(img):
    return ("-drive", "file=%s,if=none,format=raw,id=d0,cache=unsafe" % img,
            "-device", "virtio-blk-device,drive=d0")


def mkfs(ctx, img, size):
    r = subprocess.run([tools(ctx)["mkfs.viperfs"], "-q", "-s", size, "-L", "grader", img],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if r.returncode != 0:
        raise Fail("mkfs.viperfs failed: %s" % r.stderr.strip())


def fsck_clean(ctx, img, when):
    """fsck.viperfs -n (it replays the journal in memory first) must find nothing."""
    r = subprocess.run([tools(ctx)["fsck.viperfs"], "-n", img], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True)
    if r.returncode != 0:
        lines = [x for x in (r.stdout + r.stderr).splitlines() if x.strip()]
        raise Fail("fsck.viperfs -n %s: exit %d: %s" % (when, r.returncode,
                                                        "; ".join(lines[:4]) or "?"))
    return r.stdout


def cat(ctx, img, path):
    """A file's bytes read on the host (journal replayed in memory), or None if missing."""
    r = subprocess.run([tools(ctx)["viperfs"], "cat", img, path], stdin=subprocess.DEVNULL,
                       capture_output=True)
    return r.stdout if r.returncode == 0 else None


def ls(ctx, img, path):
    """The names in a directory on the host (without . and ..)."""
    r = subprocess.run([tools(ctx)["viperfs"], "ls", img, path], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Fail("viperfs ls %s: %s" % (path, r.stderr.strip()))
    names = [line.split(None, 3)[3] for line in r.stdout.splitlines() if len(line.split()) >= 4]
    return [n for n in names if n not in (".", "..")]


def check_host_file(ctx, img, path, key, size, text=None):
    """The image holds `size` bytes of the content `key` at path; checks the guest's crc line."""
    data = cat(ctx, img, path)
    if data is None:
        raise Fail("%s is not in the image" % path)
    if len(data) != size:
        raise Fail("%s is %d bytes in the image, want %d" % (path, len(data), size))
    want = words(key, size)
    if data != want:
        bad = next(i for i in range(size) if data[i] != want[i])
        raise Fail("%s differs from what was written at byte %d (block %d)"
                   % (path, bad, bad // 4096))
    if text is not None:
        m = re.search(r"^UTEST %s INFO \S+: file %s size (\d+) crc ([0-9a-f]{8})$"
                      % (re.escape(ctx.nonce), re.escape(path)), text, re.MULTILINE)
        if not m or int(m.group(1)) != size or int(m.group(2), 16) != zlib.crc32(data):
            raise Fail("the guest's crc line for %s is %s, the image's crc is %08x"
                       % (path, m.group(0) if m else "missing", zlib.crc32(data)))


def temp_image():
    fd, img = tempfile.mkstemp(prefix="viper-files-", suffix=".img")
    os.close(fd)
    return img


@test("files_api", 6)
def t_files_api(ctx):
    """libc files: indirect blocks, 500 entries, atomic rename, two writers, bad input, reboot."""
    img = temp_image()
    try:
        mkfs(ctx, img, "64M")
        ctx.opts["extra"] = disk_args(img)
        text, _ = run_user(ctx, "files_api", timeout=60)
        fsck_clean(ctx, img, "after files_api")
        check_host_file(ctx, img, "/big", key_for(ctx.nonce, "big"), BIG_SIZE, text)
        check_host_file(ctx, img, "/persist/sub/data", key_for(ctx.nonce, "persist"),
                        PERSIST_SIZE, text)
        for w in ("w0", "w1"):
            check_host_file(ctx, img, "/two/" + w, key_for(ctx.nonce, "two-" + w), TWO_SIZE)
        names = ls(ctx, img, "/many")
        if len(names) != 500 or len(set(names)) != 500:
            raise Fail("/many holds %d names (%d distinct) on the host, want 500"
                       % (len(names), len(set(names))))
        note = cat(ctx, img, "/persist/note.txt")
        want = ("written by files_api, nonce %s\nsecond line\n" % ctx.nonce).encode()
        if note != want:
            raise Fail("/persist/note.txt on the host is %r" % note)
        text2, _ = run_user(ctx, "files_reboot", timeout=60)
        fsck_clean(ctx, img, "after files_reboot")
        check_host_file(ctx, img, "/persist/w1", key_for(ctx.nonce, "two-w1"), TWO_SIZE)
        for path in ("/big", "/two"):
            if cat(ctx, img, path) is not None or path[1:] in ls(ctx, img, "/"):
                raise Fail("%s is still in the image after files_reboot removed it" % path)
        note = cat(ctx, img, "/persist/note.txt") or b""
        if not note.endswith(b"second line\nthird line, from the second boot\n"):
            raise Fail("the second boot's append is not in /persist/note.txt")
        m = re.search(r"file /big size %d crc ([0-9a-f]{8})$" % BIG_SIZE, text2, re.MULTILINE)
        if not m or int(m.group(1), 16) != zlib.crc32(words(key_for(ctx.nonce, "big"), BIG_SIZE)):
            raise Fail("files_reboot's crc of /big is %s" % (m.group(1) if m else "missing"))
    finally:
        os.unlink(img)
    ctx.note("2 boots, fsck clean after each")


@test("files_enospc", 3)
def t_files_enospc(ctx):
    """A full disk: ENOSPC, everything written before is intact, space comes back, fsck clean."""
    img = temp_image()
    try:
        mkfs(ctx, img, "4M")
        ctx.opts["extra"] = disk_args(img)
        text, _ = run_user(ctx, "files_enospc", timeout=60)
        fsck_clean(ctx, img, "after filling the disk")
        check_host_file(ctx, img, "/keep", key_for(ctx.nonce, "keep"), 100000, text)
        m = re.search(r"^UTEST %s INFO files_enospc\.fill: file /fill size (\d+) crc "
                      % re.escape(ctx.nonce), text, re.MULTILINE)
        if not m:
            raise Fail("files_enospc did not say how much of /fill it wrote")
        check_host_file(ctx, img, "/fill", key_for(ctx.nonce, "fill"), int(m.group(1)), text)
    finally:
        os.unlink(img)
