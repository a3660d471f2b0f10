"""grade/tests_fs.py - ViperFS and fsd on a disk image the grader makes.

Each test uses the host tools (tools/viperfs: mkfs.viperfs, fsck.viperfs,
viperfs; built once per run by tests_files.tools), makes a 32 MiB image holding nonce-derived files,
boots a test program as init with the image as a virtio-blk disk, and then
checks the image on the host: fsck.viperfs -n must find it clean, and the
files the guest wrote must hold exactly what the guest was asked to write.

fs_basic: fsd's operations (tests/user/fs_basic.c); the guest's hashes of
the grader's files must match, and /out/* must read back on the host.
fs_persist: two boots on one image (tests/user/fs_persist.c): the first
writes and fsyncs, the second reads the files back.
"""

import os
import random
import re
import shutil
import subprocess
import tempfile

from tests_files import fsck_clean, tools
from tests_kernel import Fail, test
from tests_user import run_user

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MASK = (1 << 64) - 1
FNV_INIT = 0xcbf29ce484222325


def fnv1a(data, h=FNV_INIT):
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & MASK
    return h


def key_of(nonce):
    """tests/user/fs_util.h, fs_key_init()."""
    h = fnv1a(nonce.encode())
    key = []
    for _ in range(16):
        h = (h * 6364136223846793005 + 1442695040888963407) & MASK
        key.append(h >> 56)
    return key


def pattern(nonce, size):
    """tests/user/fs_util.h, fs_pattern(): byte i = key[i % 16] + 7 * (i / 4096)."""
    key = key_of(nonce)
    blocks = {}
    out = bytearray()
    for b in range((size + 4095) // 4096):
        shift = (b * 7) & 0xff
        if shift not in blocks:
            blocks[shift] = bytes((key[j % 16] + shift) & 0xff for j in range(4096))
        out += blocks[shift]
    return bytes(out[:size])


def blk_args(path):
    return ("-drive", "file=%s,if=none,format=raw,id=d0" % path,
            "-device", "virtio-blk-device,drive=d0")


def make_image(ctx, nonce, workdir, size="32M"):
    """An image with /etc/motd and /data/random (nonce-derived); (path, files)."""
    tree = os.path.join(workdir, "tree")
    files = {"etc/motd": ("motd for %s\n" % nonce).encode(),
             "data/random": random.Random("fs-" + nonce).randbytes(100000)}
    for rel, data in files.items():
        os.makedirs(os.path.dirname(os.path.join(tree, rel)), exist_ok=True)
        with open(os.path.join(tree, rel), "wb") as f:
            f.write(data)
    os.makedirs(os.path.join(tree, "c"), exist_ok=True)
    img = os.path.join(workdir, "disk.img")
    r = subprocess.run([tools(ctx)["mkfs.viperfs"], "-q", "-t", "0", "-s", size, "-d", tree, img],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Fail("mkfs.viperfs failed: %s" % (r.stderr or r.stdout).strip())
    return img, files


def host_cat(ctx, img, path):
    r = subprocess.run([tools(ctx)["viperfs"], "cat", img, path], capture_output=True)
    if r.returncode != 0:
        raise Fail("viperfs cat %s: %s" % (path, r.stderr.decode(errors="replace").strip()))
    return r.stdout


def info(text, nonce, prog, case):
    return re.findall(r"^UTEST %s INFO %s\.%s: (.*)$" % (re.escape(nonce), prog, case),
                      text, re.MULTILINE)


@test("fs_basic", 5)
def t_fs_basic(ctx):
    """fsd: host files read, files written, large, many, rename, dirs, symlinks; fsck clean."""
    work = tempfile.mkdtemp(prefix="viper-fs-")
    try:
        img, files = make_image(ctx, ctx.nonce, work)
        ctx.opts["extra"] = blk_args(img)
        text, _ = run_user(ctx, "fs_basic", timeout=90)
        seen = {}
        for line in info(text, ctx.nonce, "fs_basic", "read_host"):
            m = re.match(r"file (\S+) size (\d+) fnv ([0-9a-f]{16})$", line)
            if m:
                seen[m.group(1)] = (int(m.group(2)), int(m.group(3), 16))
        for path, rel in (("/etc/motd", "etc/motd"), ("SYS:data/random", "data/random"),
                          ("/data/../data/./random", "data/random")):
            want = (len(files[rel]), fnv1a(files[rel]))
            if seen.get(path) != want:
                raise Fail("guest read %s as %s, the image has size %d fnv %016x"
                           % (path, seen.get(path), want[0], want[1]))
        fsck_clean(ctx, img, "after the run")
        hello = host_cat(ctx, img, "/out/hello.txt")
        if hello != ("hello from ViperOS, nonce %s\n" % ctx.nonce).encode():
            raise Fail("/out/hello.txt on the image holds %r" % hello[:80])
        large = host_cat(ctx, img, "/out/large")
        want = pattern(ctx.nonce, 4400 * 1024 + 777)
        if large != want:
            at = next((i for i in range(min(len(large), len(want))) if large[i] != want[i]),
                      min(len(large), len(want)))
            raise Fail("/out/large on the image differs at byte %d (size %d, want %d)"
                       % (at, len(large), len(want)))
        if host_cat(ctx, img, "/out/b") != b"contents of a":
            raise Fail("/out/b does not hold what was renamed over it")
        figures = re.findall(r"^bench: (fsd_\w+) ([0-9.]+) (.+)$", text, re.MULTILINE)
        if figures:
            ctx.note(", ".join("%s %s %s" % f for f in figures))
    finally:
        shutil.rmtree(work, ignore_errors=True)


@test("fs_persist", 3)
def t_fs_persist(ctx):
    """fsd: a file written and fsynced in one boot reads back in the next; fsck clean between."""
    work = tempfile.mkdtemp(prefix="viper-fs-")
    try:
        img, _ = make_image(ctx, ctx.nonce, work)
        ctx.opts["extra"] = blk_args(img)
        text, _ = run_user(ctx, "fs_persist", timeout=60)
        if "phase write" not in info(text, ctx.nonce, "fs_persist", "write"):
            raise Fail("the first boot did not write")
        fsck_clean(ctx, img, "after the run")
        if host_cat(ctx, img, "/persist/data") != pattern(ctx.nonce, 300 * 1024 + 5):
            raise Fail("/persist/data on the image is not what the guest wrote")
        text, _ = run_user(ctx, "fs_persist", timeout=60)
        if "phase verify" not in info(text, ctx.nonce, "fs_persist", "verify"):
            raise Fail("the second boot did not find the files")
        fsck_clean(ctx, img, "after the run")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def crash_contents(nonce, name, size):
    unit = ("%s:%s:" % (nonce, name)).encode()
    return (unit * (size // len(unit) + 1))[:size]


def crash_rounds():
    """VIPER_CRASH_ROUNDS (make test-crash sets 50); 3 in a plain run."""
    try:
        return max(1, int(os.environ.get("VIPER_CRASH_ROUNDS", "3")))
    except ValueError:
        return 3


@test("fs_crash", 5)
def t_fs_crash(ctx):
    """fsd: QEMU killed at random points of a metadata-heavy workload; after replay fsck is
    clean and every fsynced file is intact (VIPER_CRASH_ROUNDS rounds on one image)."""
    import time
    work = tempfile.mkdtemp(prefix="viper-fs-")
    rng = random.Random("crash-" + ctx.nonce)
    synced = {}
    replayed = 0
    try:
        img, _ = make_image(ctx, ctx.nonce, work)
        ctx.opts["extra"] = blk_args(img)
        nonce = re.escape(ctx.nonce)
        rounds = crash_rounds()
        for rnd in range(rounds):
            q = ctx.boot(bootargs="init=/tests/fs_crash quiet")
            q.expect(r"UTEST %s INFO fs_crash\.run: boot (\d+)" % nonce, timeout=30)
            time.sleep(rng.uniform(0.2, 4.0))
            q.kill()
            # Only whole lines: the kill can cut the last one short ("synced /w", or a
            # size missing digits), and a half line must not count as fsynced.
            text = q.output[:q.output.rfind("\n") + 1]
            for m in re.finditer(r"^UTEST %s INFO fs_crash\.run: (synced|deleting) (\S+)(?: size "
                                 r"(\d+))?$" % nonce, text, re.MULTILINE):
                if m.group(1) == "synced":
                    synced[m.group(2)] = int(m.group(3))
                else:
                    synced.pop(m.group(2), None)
            if re.search(r"^UTEST %s FAIL" % nonce, text, re.MULTILINE):
                raise Fail("round %d: %s" % (rnd, re.search(r"^UTEST %s FAIL (.*)$" % nonce,
                                                            text, re.MULTILINE).group(1)))
            r = subprocess.run([tools(ctx)["fsck.viperfs"], img], capture_output=True, text=True)
            if r.returncode not in (0, 1) or "0 problems found" not in r.stdout:
                raise Fail("round %d: fsck after the crash (exit %d): %s"
                           % (rnd, r.returncode, " / ".join(r.stdout.strip().splitlines()[:5])))
            replayed += "journal: replayed" in r.stdout
            fsck_clean(ctx, img, "after the run")
            out = os.path.join(work, "extract%d" % rnd)
            r = subprocess.run([tools(ctx)["viperfs"], "extract", img, "/w", out],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise Fail("round %d: viperfs extract /w: %s" % (rnd, r.stderr.strip()))
            for name, size in sorted(synced.items()):
                path = os.path.join(out, os.path.relpath(name, "/w"))
                data = open(path, "rb").read() if os.path.isfile(path) else None
                if data != crash_contents(ctx.nonce, name, size):
                    raise Fail("round %d: fsynced file %s is not intact" % (rnd, name))
        ctx.note("%d crash rounds (%d with a journal replay), %d fsynced files checked"
                 % (rounds, replayed, len(synced)))
        if not synced:
            raise Fail("no file was ever synced before a crash")
    finally:
        shutil.rmtree(work, ignore_errors=True)


@test("fs_stress", 3)
def t_fs_stress(ctx):
    """fsd: two processes writing their own files at once; a full disk gives ENOSPC, loses
    nothing and gets its space back; fsck clean."""
    work = tempfile.mkdtemp(prefix="viper-fs-")
    try:
        img, _ = make_image(ctx, ctx.nonce, work, size="8M")
        ctx.opts["extra"] = blk_args(img)
        run_user(ctx, "fs_stress", timeout=90)
        fsck_clean(ctx, img, "after the run")
        r = subprocess.run([tools(ctx)["viperfs"], "ls", img, "/two"], capture_output=True,
                           text=True)
        if r.returncode != 0 or "child-1" not in r.stdout or "child-2" not in r.stdout:
            raise Fail("the children's files are not on the image: %s" % (r.stdout or r.stderr))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def crc32c(data):
    """CRC32C (docs/viperfs.md): reflected 0x82F63B78, init and final xor 0xFFFFFFFF."""
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82f63b78 if crc & 1 else crc >> 1
    return crc ^ 0xffffffff


def host_stat(ctx, img, path):
    r = subprocess.run([tools(ctx)["viperfs"], "stat", img, path], capture_output=True,
                       text=True)
    m = re.match(r"ino (\d+) .* direct (\d+)", r.stdout)
    if r.returncode != 0 or not m:
        raise Fail("viperfs stat %s: %s" % (path, (r.stderr or r.stdout).strip()))
    return int(m.group(1)), int(m.group(2))


def poke(img, offset, data):
    with open(img, "r+b") as f:
        f.seek(offset)
        f.write(data)


def probes(ctx, img):
    text, _ = run_user(ctx, "fs_corrupt", timeout=60)
    out = {}
    for line in info(text, ctx.nonce, "fs_corrupt", "probe"):
        m = re.match(r"(.*) (-?\d+)$", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def expect_probes(got, want, what):
    for k, v in want.items():
        if got.get(k) != v:
            raise Fail("%s: '%s' answered %s, want %d" % (what, k, got.get(k), v))


BAD_FORMAT, IO = -11, -14


@test("fs_corrupt", 4)
def t_fs_corrupt(ctx):
    """fsd on damaged images: a bad directory block or block pointer is EIO for that file
    only; a bad superblock is refused at mount; fsck repairs, exit codes as e2fsck."""
    import struct
    work = tempfile.mkdtemp(prefix="viper-fs-")
    try:
        img, _ = make_image(ctx, ctx.nonce, work)
        ctx.opts["extra"] = blk_args(img)
        # /data's directory block: one byte flipped (bad checksum)
        _, data_block = host_stat(ctx, img, "/data")
        with open(img, "rb") as f:
            f.seek(data_block * 4096 + 100)
            byte = f.read(1)[0]
        poke(img, data_block * 4096 + 100, bytes([byte ^ 0x40]))
        # /etc/motd's inode: direct[0] far past the end, checksum made valid again
        ino, _ = host_stat(ctx, img, "/etc/motd")
        with open(img, "rb") as f:
            itable = struct.unpack_from("<I", f.read(256), 64)[0]
            f.seek((itable + ino // 16) * 4096 + (ino % 16) * 256)
            inode = bytearray(f.read(256))
        struct.pack_into("<I", inode, 64, 0xfffff000)
        struct.pack_into("<I", inode, 252, 0)
        struct.pack_into("<I", inode, 252, crc32c(bytes(inode)))
        poke(img, (itable + ino // 16) * 4096 + (ino % 16) * 256, bytes(inode))
        got = probes(ctx, img)
        expect_probes(got, {"statfs": 0, "stat /etc/motd": BAD_FORMAT, "stat /c": 0,
                            "stat /data": 0, "stat /data/random": BAD_FORMAT,
                            "open /data/random": BAD_FORMAT, "create /ok.txt": 0,
                            "write /ok.txt": 12}, "damaged directory and inode")
        r = subprocess.run([tools(ctx)["fsck.viperfs"], "-n", img], capture_output=True, text=True)
        if r.returncode != 4:
            raise Fail("fsck.viperfs -n on the damaged image: exit %d, want 4" % r.returncode)
        r = subprocess.run([tools(ctx)["fsck.viperfs"], img], capture_output=True, text=True)
        if r.returncode != 1:
            raise Fail("fsck.viperfs repair: exit %d, want 1: %s" % (r.returncode, r.stdout[-300:]))
        fsck_clean(ctx, img, "after the run")
        if host_cat(ctx, img, "/ok.txt") != b"still works\n":
            raise Fail("/ok.txt, written on the damaged filesystem, is not on the image")
        # the superblock and its backup: the mount is refused, every request gets IO
        poke(img, 0, b"XXXX")
        poke(img, os.path.getsize(img) - 4096, b"XXXX")
        got = probes(ctx, img)
        expect_probes(got, {"statfs": IO, "stat /etc/motd": IO, "create /ok.txt": IO},
                      "no superblock")
        r = subprocess.run([tools(ctx)["fsck.viperfs"], img], capture_output=True, text=True)
        if r.returncode != 8:
            raise Fail("fsck.viperfs with no superblock: exit %d, want 8" % r.returncode)
    finally:
        shutil.rmtree(work, ignore_errors=True)
