#!/usr/bin/env python3
"""linux_bench.py - take the ViperOS benchmark figures on Debian's arm64 Linux.

On first use (everything lands in build/bench/linux/, which is not committed):
  1. arm64 packages must be known to apt: `dpkg --add-architecture arm64 &&
     apt-get update` (done here when root, else the commands are printed);
  2. `apt-get download` the kernel package linux-image-arm64 depends on
     (Debian bookworm: linux-image-6.1.0-<abi>-arm64) and busybox-static:arm64,
     and take boot/vmlinuz-* (a gzip'd arm64 Image, which QEMU's -kernel
     unpacks) and bin/busybox out of them;
  3. build bench_linux.c and ../true.c with aarch64-linux-gnu-gcc -static -O2
     (packages gcc-aarch64-linux-gnu and libc6-dev-arm64-cross);
  4. pack an initramfs (cpio newc): busybox, /init (a busybox sh script that
     runs /bench/bench_linux and then `poweroff -f`), /bench/true.
Then boot it through grade/qemu.py in the ViperOS bench configuration
(virt, cortex-a72, one CPU, 256M, GICv2, TCG) and collect `bench:` lines.

Used by tools/bench --linux (import: prepare(), run()); run alone it prints
the Linux figures.  Not part of `make test`: it downloads.
"""

import argparse
import glob
import io
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "grade"))
import qemu  # noqa: E402  (grade/qemu.py: the one place QEMU command lines are built)

CROSS_CC = "aarch64-linux-gnu-gcc"
CROSS_LIBC = "/usr/aarch64-linux-gnu/lib/libc.a"
KERNEL_META = "linux-image-arm64:arm64"
BUSYBOX_PKG = "busybox-static:arm64"
# nokaslr: Debian's kernel forces KPTI on when KASLR is on (QEMU's DTB gives a
# kaslr-seed), and KPTI changes the ASID on every kernel entry and exit,
# which QEMU TCG answers with a full TLB flush: 15 us per getppid instead of
# ~1.3.  The comparison is with Linux at its best here; --kpti measures the
# default.  (On a Cortex-A72, KPTI only hardens KASLR; the CPU is not
# affected by Meltdown.)
APPEND = "console=ttyAMA0 quiet rdinit=/init nokaslr"
APPEND_KPTI = "console=ttyAMA0 quiet rdinit=/init"
FIGURE_RX = re.compile(r"^bench: (\w+) ([0-9]+(?:\.[0-9]+)?) (ns|us|ms)\s*$", re.M)

INIT_SCRIPT = """#!/bin/sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t tmpfs tmpfs /tmp
echo "bench-linux: kernel $(/bin/busybox uname -r), $(/bin/busybox cat /proc/cmdline)"
/bench/bench_linux
/bin/busybox poweroff -f
"""


class SetupError(Exception):
    """Something is missing that this script may not or could not install."""


def log(msg):
    print("bench-linux: " + msg, flush=True)


def is_root():
    return hasattr(os, "geteuid") and os.geteuid() == 0


def sh(argv, cwd=None, capture=False):
    """Run argv; raise SetupError with its output on failure."""
    r = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.STDOUT if capture else None, text=True)
    if r.returncode != 0:
        raise SetupError("`%s` failed (status %d)%s" % (
            " ".join(argv), r.returncode, (":\n" + r.stdout) if capture and r.stdout else ""))
    return r.stdout if capture else ""


def need_root(commands, why):
    if is_root():
        for c in commands:
            log("running: " + c)
            sh(["sh", "-c", c])
        return
    raise SetupError("%s; run as root:\n    %s" % (why, "\n    ".join("sudo " + c for c in commands)))


def ensure_apt_arm64():
    archs = sh(["dpkg", "--print-foreign-architectures"], capture=True).split()
    if "arm64" not in archs:
        need_root(["dpkg --add-architecture arm64", "apt-get update"],
                  "apt does not know arm64 packages yet")
        return
    probe = subprocess.run(["apt-cache", "show", BUSYBOX_PKG], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    if probe.returncode != 0:
        need_root(["apt-get update"], "apt's arm64 package lists are missing")


def ensure_cross_compiler():
    if shutil.which(CROSS_CC) and os.path.exists(CROSS_LIBC):
        return
    need_root(["DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "
               "gcc-aarch64-linux-gnu libc6-dev-arm64-cross"],
              "the arm64 cross compiler or its static C library is missing")


def kernel_package():
    """The versioned kernel package the linux-image-arm64 metapackage points at."""
    out = sh(["apt-cache", "depends", KERNEL_META], capture=True)
    m = re.search(r"Depends:\s*(linux-image-[\w.+-]+-arm64)(?::arm64)?\s*$", out, re.M)
    if not m:
        raise SetupError("cannot find the kernel package behind %s:\n%s" % (KERNEL_META, out))
    return m.group(1) + ":arm64"


def download(pkg, debs):
    """apt-get download pkg into debs/ (once); returns the .deb path."""
    name = pkg.split(":")[0]
    have = sorted(glob.glob(os.path.join(debs, name + "_*_arm64.deb")))
    if have:
        return have[-1]
    os.makedirs(debs, exist_ok=True)
    log("downloading %s" % pkg)
    sh(["apt-get", "download", "-q", pkg], cwd=debs, capture=True)
    have = sorted(glob.glob(os.path.join(debs, name + "_*_arm64.deb")))
    if not have:
        raise SetupError("apt-get download %s left no .deb in %s" % (pkg, debs))
    return have[-1]


def extract_member(deb, pattern, dest):
    """Copy the first file of deb's data whose path matches pattern (regex) to dest."""
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)   # quiet about the pipe closed early
    found = None
    with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
        for member in tar:
            if member.isfile() and re.fullmatch(pattern, member.name.lstrip("./")):
                src = tar.extractfile(member)
                with open(dest + ".tmp", "wb") as f:
                    shutil.copyfileobj(src, f)
                os.replace(dest + ".tmp", dest)
                found = member.name
                break
    proc.stdout.close()
    proc.wait()
    if not found:
        raise SetupError("%s has no file matching %s" % (deb, pattern))
    return found


def build_static(src, out, extra=()):
    if os.path.exists(out) and os.path.getmtime(out) >= max(
            os.path.getmtime(p) for p in [src, os.path.join(HERE, "..", "bench_util.h")]):
        return
    log("building %s" % os.path.relpath(out, ROOT))
    sh([CROSS_CC, "-static", "-O2", "-Wall", "-Wextra", "-o", out, src] + list(extra))


# ---- cpio (newc) -----------------------------------------------------------

def _cpio_entry(name, mode, data=b"", rdev=(0, 0), ino=1):
    hdr = "070701" + "".join("%08X" % v for v in (
        ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0))
    blob = hdr.encode() + name.encode() + b"\0"
    blob += b"\0" * (-len(blob) % 4)
    blob += data + b"\0" * (-len(data) % 4)
    return blob


def write_cpio(path, entries):
    """entries: (name, kind, payload) with kind dir|file|exec|link|chardev."""
    out = io.BytesIO()
    for ino, (name, kind, payload) in enumerate(entries, start=1):
        if kind == "dir":
            out.write(_cpio_entry(name, stat.S_IFDIR | 0o755, ino=ino))
        elif kind in ("file", "exec"):
            mode = 0o755 if kind == "exec" else 0o644
            out.write(_cpio_entry(name, stat.S_IFREG | mode, payload, ino=ino))
        elif kind == "link":
            out.write(_cpio_entry(name, stat.S_IFLNK | 0o777, payload.encode(), ino=ino))
        elif kind == "chardev":
            out.write(_cpio_entry(name, stat.S_IFCHR | 0o600, rdev=payload, ino=ino))
    out.write(_cpio_entry("TRAILER!!!", 0, ino=0))
    with open(path + ".tmp", "wb") as f:
        f.write(out.getvalue())
    os.replace(path + ".tmp", path)


def pack_initramfs(out_dir, busybox, bench, true):
    def read(p):
        with open(p, "rb") as f:
            return f.read()
    entries = [(d, "dir", None) for d in ("bin", "dev", "proc", "sys", "tmp", "bench")]
    entries += [
        ("dev/console", "chardev", (5, 1)),
        ("bin/busybox", "exec", read(busybox)),
        ("bin/sh", "link", "busybox"),
        ("bin/true", "link", "busybox"),
        ("init", "exec", INIT_SCRIPT.encode()),
        ("bench/bench_linux", "exec", read(bench)),
        ("bench/true", "exec", read(true)),
    ]
    path = os.path.join(out_dir, "initramfs.cpio")
    write_cpio(path, entries)
    return path


# ---- the two entry points --------------------------------------------------

def prepare(build_dir):
    """Fetch, build and pack; returns (vmlinuz, initramfs).  Raises SetupError."""
    out = os.path.join(build_dir, "bench", "linux")
    os.makedirs(out, exist_ok=True)
    for tool in ("dpkg", "dpkg-deb", "apt-get", "apt-cache"):
        if not shutil.which(tool):
            raise SetupError("%s not found: bench-linux needs a Debian-style system" % tool)
    ensure_apt_arm64()
    ensure_cross_compiler()
    debs = os.path.join(out, "debs")
    vmlinuz = os.path.join(out, "vmlinuz")
    if not os.path.exists(vmlinuz):
        deb = download(kernel_package(), debs)
        log("extracted %s" % extract_member(deb, r"boot/vmlinuz-.*", vmlinuz))
    busybox = os.path.join(out, "busybox")
    if not os.path.exists(busybox):
        deb = download(BUSYBOX_PKG, debs)
        log("extracted %s" % extract_member(deb, r"bin/busybox", busybox))
    bench = os.path.join(out, "bench_linux")
    true = os.path.join(out, "true")
    build_static(os.path.join(HERE, "bench_linux.c"), bench, ["-lpthread"])
    build_static(os.path.join(HERE, "..", "true.c"), true)
    return vmlinuz, pack_initramfs(out, busybox, bench, true)


def run(build_dir, vmlinuz, initramfs, timeout=180, echo=False, kpti=False):
    """Boot Linux with the bench initramfs; returns {name: (value, unit)}."""
    argv = qemu.qemu_command(vmlinuz, gic=2, smp=1, mem="256M", el=1,
                             append=APPEND_KPTI if kpti else APPEND,
                             initrd=initramfs, monitor="none")
    log_path = os.path.join(build_dir, "bench", "linux.log")
    figures = {}
    with qemu.QemuRun(argv, log_path=log_path) as q:
        try:
            q.expect(r"^bench: done", timeout=timeout, cap=4 * timeout)
        finally:
            text = q.output
            for m in FIGURE_RX.finditer(text):
                figures[m.group(1)] = (float(m.group(2)), m.group(3))
            if echo:
                for line in text.splitlines():
                    if line.startswith("bench"):
                        print(line, flush=True)
        try:
            q.wait_exit(timeout=30)
        except qemu.QemuError:
            pass   # QemuRun's exit kills it anyway
    return figures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--prepare-only", action="store_true")
    ap.add_argument("--kpti", action="store_true",
                    help="boot Debian's default (KASLR, hence KPTI) instead of nokaslr")
    args = ap.parse_args()
    try:
        vmlinuz, initramfs = prepare(args.build)
    except SetupError as e:
        print("bench-linux: cannot prepare: %s" % e, file=sys.stderr)
        return 2
    if args.prepare_only:
        log("ready: %s %s" % (vmlinuz, initramfs))
        return 0
    try:
        run(args.build, vmlinuz, initramfs, echo=True, kpti=args.kpti)
    except qemu.QemuError as e:
        print("bench-linux: %s (log: build/bench/linux.log)" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
