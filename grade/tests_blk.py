"""grade/tests_blk.py - blkd and libvirtio against a disk image the grader owns.

blk_rw: the grader writes a raw image of random bytes (seeded by the nonce)
and attaches it as a virtio-blk device; /tests/blk_rw runs as init, spawns
/blkd and goes through "BLK0:".  The guest never knows the image: it prints
`read sector S count C fnv H` lines, and each H must be the FNV-1a 64 hash of
those sectors of the file.  It writes a pattern derived from the nonce (the
same xorshift64* here) and says where (`wrote sector S count C`); after QEMU
exits the image must hold exactly that pattern there and the original bytes
everywhere else.

blk_virtq: libvirtio without blkd. rngd: /rngd seeds the entropy pool of a
kernel booted without /chosen/rng-seed.
"""

import os
import random
import re
import subprocess
import tempfile

import fdtedit
import qemu
from tests_kernel import Fail, test
from tests_user import run_user

SECTOR = 512
DISK_SECTORS = 8192               # 4 MiB
MASK = (1 << 64) - 1


def fnv1a(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & MASK
    return h


def pattern(seed, sector):
    """The guest's write pattern for one sector (tests/user/blk_rw.c, pattern())."""
    x = seed ^ (((sector + 1) * 0x9e3779b97f4a7c15) & MASK)
    out = bytearray()
    for _ in range(SECTOR // 8):
        x ^= x >> 12
        x ^= (x << 25) & MASK
        x ^= x >> 27
        out += ((x * 0x2545f4914f6cdd1d) & MASK).to_bytes(8, "little")
    return bytes(out)


def blk_device_args(path):
    return ("-drive", "file=%s,if=none,format=raw,id=d0" % path,
            "-device", "virtio-blk-device,drive=d0")


@test("blk_rw", 5)
def t_blk_rw(ctx):
    """blkd: host image read back, nonce pattern written, pipelining, bad requests, kill."""
    original = random.Random("blk-" + ctx.nonce).randbytes(DISK_SECTORS * SECTOR)
    fd, img = tempfile.mkstemp(prefix="viper-blk-", suffix=".img")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(original)
        ctx.opts["extra"] = blk_device_args(img)
        text, _ = run_user(ctx, "blk_rw", timeout=30)
        with open(img, "rb") as f:
            after = f.read()
    finally:
        os.unlink(img)
    nonce = re.escape(ctx.nonce)

    m = re.search(r"^UTEST %s INFO blk_rw\.info: sectors (\d+)$" % nonce, text, re.MULTILINE)
    if not m or int(m.group(1)) != DISK_SECTORS:
        raise Fail("INFO said %s sectors, the image has %d"
                   % (m.group(1) if m else "nothing", DISK_SECTORS))

    reads = re.findall(r"^UTEST %s INFO blk_rw\.read_host: read sector (\d+) count (\d+) fnv "
                       r"([0-9a-f]{16})$" % nonce, text, re.MULTILINE)
    if len(reads) < 4:
        raise Fail("only %d read hashes printed" % len(reads))
    for s, n, h in reads:
        s, n = int(s), int(n)
        want = fnv1a(original[s * SECTOR:(s + n) * SECTOR])
        if int(h, 16) != want:
            raise Fail("sectors %d+%d hash %s, the image's is %016x" % (s, n, h, want))

    m = re.search(r"^UTEST %s INFO blk_rw\.write: wrote sector (\d+) count (\d+)$" % nonce,
                  text, re.MULTILINE)
    if not m:
        raise Fail("the guest did not say what it wrote")
    ws, wn = int(m.group(1)), int(m.group(2))
    if wn < 1 or ws + wn > DISK_SECTORS:
        raise Fail("write range %d+%d is not on the disk" % (ws, wn))
    seed = fnv1a(ctx.nonce.encode())
    expected = bytearray(original)
    for i in range(wn):
        expected[(ws + i) * SECTOR:(ws + i + 1) * SECTOR] = pattern(seed, ws + i)
    if len(after) != len(expected):
        raise Fail("the image changed size: %d bytes" % len(after))
    if after != expected:
        bad = next(i for i in range(len(after)) if after[i] != expected[i]) // SECTOR
        where = "inside" if ws <= bad < ws + wn else "outside"
        raise Fail("image sector %d (%s the written range) is not what was expected"
                   % (bad, where))
    ctx.note("%d hashes, %d sectors written and found in the image" % (len(reads), wn))
    m = re.search(r"^bench: blk_read_4k ([0-9.]+) us$", text, re.MULTILINE)
    if m:
        ctx.note("blk_read_4k %s us" % m.group(1))


@test("blk_virtq", 3)
def t_blk_virtq(ctx):
    """libvirtio alone: open, negotiate, a real read via the IRQ, forged used entries refused."""
    original = random.Random("virtq-" + ctx.nonce).randbytes(64 * SECTOR)
    fd, img = tempfile.mkstemp(prefix="viper-virtq-", suffix=".img")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(original)
        ctx.opts["extra"] = blk_device_args(img)
        text, _ = run_user(ctx, "blk_virtq")
    finally:
        os.unlink(img)
    nonce = re.escape(ctx.nonce)
    m = re.search(r"^UTEST %s INFO blk_virtq\.read: capacity (\d+)$" % nonce, text, re.MULTILINE)
    if not m or int(m.group(1)) != 64:
        raise Fail("config space capacity %s, the image has 64 sectors"
                   % (m.group(1) if m else "not printed"))
    for s in (0, 1):
        m = re.search(r"^UTEST %s INFO blk_virtq\.read: sector %d fnv ([0-9a-f]{16})$"
                      % (nonce, s), text, re.MULTILINE)
        want = fnv1a(original[s * SECTOR:(s + 1) * SECTOR])
        if not m or int(m.group(1), 16) != want:
            raise Fail("sector %d hash %s, the image's is %016x"
                       % (s, m.group(1) if m else "not printed", want))
    ctx.note("2 sectors read by hand")


def unseeded_dtb(ctx):
    """QEMU's DTB for this test's machine without /chosen/rng-seed and kaslr-seed."""
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
    if not chosen:
        raise Fail("grader: QEMU's DTB has no /chosen")
    chosen[0].props = [(n, v) for n, v in chosen[0].props if n not in ("rng-seed", "kaslr-seed")]
    fdtedit.save(fdt, unseeded)
    return unseeded


@test("rngd", 2, extra=("-device", "virtio-rng-device"))
def t_rngd(ctx):
    """rngd: an unseeded kernel's getrandom works once rngd feeds it from virtio-rng."""
    text, _ = run_user(ctx, "rngd_feed", dtb=unseeded_dtb(ctx))
    if not re.search(r"^rngd: feeding the pool from virtio-rng", text, re.MULTILINE):
        raise Fail("rngd did not say it fed the pool")
    if not re.search(r"random: no rng-seed in the DTB", text):
        raise Fail("the kernel did not report an unseeded pool")


@test("blk_ro", 1)
def t_blk_ro(ctx):
    """blkd on a read-only disk: INFO says so, writes refused, reads still right."""
    original = random.Random("ro-" + ctx.nonce).randbytes(64 * SECTOR)
    fd, img = tempfile.mkstemp(prefix="viper-ro-", suffix=".img")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(original)
        ctx.opts["extra"] = ("-drive", "file=%s,if=none,format=raw,id=d0,readonly=on" % img,
                             "-device", "virtio-blk-device,drive=d0")
        text, _ = run_user(ctx, "blk_ro")
        with open(img, "rb") as f:
            if f.read() != original:
                raise Fail("the read-only image changed")
    finally:
        os.unlink(img)
    m = re.search(r"^UTEST %s INFO blk_ro\.readonly: sector 0 count 8 fnv ([0-9a-f]{16})$"
                  % re.escape(ctx.nonce), text, re.MULTILINE)
    want = fnv1a(original[:8 * SECTOR])
    if not m or int(m.group(1), 16) != want:
        raise Fail("sectors 0+8 hash %s, the image's is %016x"
                   % (m.group(1) if m else "not printed", want))
