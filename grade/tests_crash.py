"""grade/tests_crash.py - crash consistency of ViperFS and fsd (docs/crash.md).

One iteration: a fresh image (mkfs.viperfs); boot /tests/crash_work, whose
metadata-heavy workload is seeded by its nonce; kill QEMU at a random moment
after the workload starts; `fsck.viperfs -n` (which replays the journal in
memory first) must find no problem; every path crash_work's log speaks of
must hold what the log allows, read on the host (`viperfs extract`); then
boot /tests/crash_check, where fsd itself replays the journal and lists
every file with its CRC (the same rule), and writes a file; fsck -n must be
clean again.

What a path may hold: crash_work prints an intent line before each change
to a tracked path and a completion line after the fsync that makes it
durable.  Completed operations fix the state; the single operation in
flight at the kill (an intent without its completion) allows its before or
its after state, nothing else.

Iterations: VIPER_CRASH_ITERS (default 3; `make test-crash` runs 50).  The
whole run follows from one seed, printed in the notes and in a failure;
VIPER_CRASH_SEED=<seed> replays it (same workloads, same kill delays; where
exactly the kill lands still depends on the host's speed).

crash_orphan: a crash while an unlinked file is still open.  crash_powercut:
the disk behind QEMU's blklogwrites filter, and disks rebuilt from its log
as a power cut could leave them (writes after the last flush lost in any
combination), each fsck-clean.  crash_ordered: at every flush, the journal's
later writes kept and the file data's lost; a file must never show data it
was not given.
"""

import os
import random
import re
import secrets
import subprocess
import tempfile
import time

from tests_files import cat, disk_args, fsck_clean, mkfs, temp_image, tools
from tests_kernel import Fail, test
from tests_user import run_user

ABSENT = None
KILL_MIN, KILL_MAX = 0.2, 2.5         # seconds after the workload starts
DISK = "16M"


def parse_log(text, nonce):
    """(cur, pending) from crash_work's lines: cur = {path: (size, crc) or ABSENT} as the
    completed operations left it, pending = {path: set of extra allowed states}."""
    cur, intent = {}, None
    rx = re.compile(r"^CRASH %s (\w+)(.*)$" % re.escape(nonce))
    for line in text.split("\n")[:-1]:            # the last piece may be cut off
        m = rx.match(line)
        if not m:
            continue
        op, args = m.group(1), m.group(2).split()
        if op in ("replacing", "appending"):
            intent = {args[0]: {(int(args[1]), int(args[2], 16))}}
        elif op == "removing":
            intent = {args[0]: {ABSENT}}
        elif op == "moving":
            intent = {args[0]: {ABSENT}, args[1]: {cur.get(args[0], ABSENT)}}
        elif op == "fsynced":
            cur[args[0]] = (int(args[1]), int(args[2], 16))
            intent = None
        elif op == "removed":
            cur[args[0]] = ABSENT
            intent = None
        elif op == "moved":
            cur[args[1]] = cur.get(args[0], ABSENT)
            cur[args[0]] = ABSENT
            intent = None
    return cur, intent or {}


def allowed(cur, pending):
    """{path: set of allowed states} for every path the log names."""
    out = {p: {s} for p, s in cur.items()}
    for p, extra in pending.items():
        out.setdefault(p, {cur.get(p, ABSENT)})
        out[p] |= extra
    return out


def describe(state):
    return "missing" if state is ABSENT else "%d bytes crc %08x" % state


def check_states(expect, found, where):
    """found(path) -> state; every path must be in one of its allowed states."""
    for path in sorted(expect):
        got = found(path)
        if got not in expect[path]:
            raise Fail("%s: %s is %s; allowed: %s" % (where, path, describe(got),
                                                     " or ".join(describe(s) for s in
                                                                 expect[path])))


def host_state(ctx, img, work):
    """found(path) for the files under /w, extracted once with `viperfs extract`."""
    import zlib
    dest = os.path.join(work, "w")
    r = subprocess.run([tools(ctx)["viperfs"], "extract", img, "/w", dest],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if r.returncode != 0 and "not found" not in r.stderr:
        raise Fail("viperfs extract /w: %s" % r.stderr.strip())

    def found(path):
        local = os.path.join(dest, os.path.relpath(path, "/w"))
        if not path.startswith("/w/") or not os.path.isfile(local):
            return ABSENT
        with open(local, "rb") as f:
            data = f.read()
        return len(data), zlib.crc32(data)
    return found


def listed_files(out, nonce):
    """{path: (size, crc)} from crash_check's lines."""
    return {m.group(1): (int(m.group(2)), int(m.group(3), 16)) for m in re.finditer(
        r"^UTEST %s INFO crash_check\.list: file (\S+) size (\d+) crc ([0-9a-f]{8})$"
        % re.escape(nonce), out, re.MULTILINE)}


def run_workload(ctx, delay):
    """Boot crash_work, kill QEMU `delay` s after it starts; its output and ops done."""
    q = ctx.boot(bootargs="init=/tests/crash_work quiet")
    nonce = re.escape(ctx.nonce)
    q.expect(r"^CRASH %s begin$" % nonce, timeout=30)
    time.sleep(delay)
    q.kill()
    text = q.output
    m = re.search(r"^UTEST %s FAIL (.*)$" % nonce, text, re.MULTILINE)
    if m:
        raise Fail("the workload failed before the kill: %s" % m.group(1))
    return text


def one_iteration(ctx, seed, i):
    rng = random.Random("%s-%d" % (seed, i))
    ctx.nonce = "%016x" % rng.getrandbits(64)
    delay = rng.uniform(KILL_MIN, KILL_MAX)
    where = "iteration %d (VIPER_CRASH_SEED=%s, nonce %s, kill after %.2f s)" % (
        i, seed, ctx.nonce, delay)
    img = temp_image()
    work = tempfile.TemporaryDirectory(prefix="viper-crash-")
    try:
        mkfs(ctx, img, DISK)
        ctx.opts["extra"] = disk_args(img)
        text = run_workload(ctx, delay)
        cur, pending = parse_log(text, ctx.nonce)
        expect = allowed(cur, pending)
        try:
            log = fsck_clean(ctx, img, "after the crash")
        except Fail as e:
            raise Fail("%s: %s" % (where, e))
        replayed = "journal: replayed" in log
        check_states(expect, host_state(ctx, img, work.name), where + ", on the host")
        notes = len(ctx.notes)
        out, _ = run_user(ctx, "crash_check", timeout=30)
        del ctx.notes[notes:]
        files = listed_files(out, ctx.nonce)
        check_states(expect, lambda p: files.get(p, ABSENT), where + ", in ViperOS after replay")
        try:
            fsck_clean(ctx, img, "after the boot that replayed")
        except Fail as e:
            raise Fail("%s: %s" % (where, e))
        ops = sum(1 for _ in re.finditer(r"^CRASH \S+ (fsynced|removed|moved) ", text,
                                         re.MULTILINE))
        return ops, len([s for s in cur.values() if s is not ABSENT]), replayed, bool(pending)
    finally:
        os.unlink(img)
        work.cleanup()


def iterations():
    try:
        return max(1, int(os.environ.get("VIPER_CRASH_ITERS", "3")))
    except ValueError:
        return 3


@test("crash", 5)
def t_crash(ctx):
    """Crash consistency: QEMU killed in a seeded workload; fsck clean, fsynced files intact."""
    seed = os.environ.get("VIPER_CRASH_SEED") or secrets.token_hex(4)
    n = iterations()
    ops = files = replays = inflight = 0
    for i in range(n):
        o, f, r, p = one_iteration(ctx, seed, i)
        ops, files, replays, inflight = ops + o, files + f, replays + r, inflight + p
    if ops == 0:
        raise Fail("no operation completed before any kill (seed %s)" % seed)
    ctx.note("seed %s: %d kills, %d durable ops, %d files checked, %d journal replays by fsck, "
             "%d kills mid-operation" % (seed, n, ops, files, replays, inflight))


@test("crash_orphan", 2)
def t_crash_orphan(ctx):
    """A crash while an unlinked file is still open: fsck clean, its space back after a boot."""
    img = temp_image()
    try:
        mkfs(ctx, img, DISK)
        ctx.opts["extra"] = disk_args(img)
        q = ctx.boot(bootargs="init=/tests/crash_orphan quiet")
        m = q.expect(r"^CRASH %s orphan-ready free (\d+)$" % re.escape(ctx.nonce), timeout=30)
        free_open = int(m.group(1))
        q.kill()
        fsck_clean(ctx, img, "after a crash with an unlinked file open")
        notes = len(ctx.notes)
        out, _ = run_user(ctx, "crash_check", timeout=30)
        del ctx.notes[notes:]
        fsck_clean(ctx, img, "after the next boot")
        m = re.search(r"^UTEST %s INFO crash_check\.writable: free blocks (\d+)$"
                      % re.escape(ctx.nonce), out, re.MULTILINE)
        free_after = int(m.group(1)) if m else -1
        if free_after < free_open + 300000 // 4096:
            raise Fail("%s blocks free after the next boot, %d while the unlinked file was "
                       "open: its blocks did not come back" % (m.group(1) if m else "no count of",
                                                              free_open))
    finally:
        os.unlink(img)
    ctx.note("%d blocks free while the file was open, %d after the next boot"
             % (free_open, free_after))


# ---- power cut: writes after the last flush may be lost, in any combination ------------------

LOG_MAGIC = 0x6a736677736872      # dm-log-writes, as QEMU's blklogwrites driver writes it
LOG_FLUSH, LOG_DISCARD = 1, 4
LOG_SECTOR = 512
CUTS = 8                          # power cuts simulated per workload run


def powercut_args(img, log):
    """The disk through QEMU's blklogwrites filter: every write and flush is also logged."""
    return ("-blockdev", "driver=file,filename=%s,node-name=img" % img,
            "-blockdev", "driver=file,filename=%s,node-name=wlog" % log,
            "-blockdev", "driver=blklogwrites,file=img,log=wlog,log-sector-size=%d,node-name=lw"
            % LOG_SECTOR,
            "-device", "virtio-blk-device,drive=lw")


def read_write_log(path):
    """[(offset, data)] writes and None for each flush, in the order QEMU logged them: a
    header sector (sector, nr_sectors, flags, data_len) and then the data, after the log's
    superblock; the end is where the file ends or a header is all zero."""
    import struct
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < LOG_SECTOR or struct.unpack_from("<Q", raw, 0)[0] != LOG_MAGIC:
        raise Fail("the write log has no superblock")
    out, pos = [], LOG_SECTOR
    while pos + 32 <= len(raw):
        sector, nr, flags, _ = struct.unpack_from("<QQQQ", raw, pos)
        pos += LOG_SECTOR
        if flags & LOG_FLUSH:
            out.append(None)
        elif flags & LOG_DISCARD:
            continue
        elif nr == 0:
            break
        else:
            size = nr * LOG_SECTOR
            if pos + size > len(raw):
                break                                # QEMU died while logging it
            out.append((sector * LOG_SECTOR, raw[pos:pos + size]))
            pos += size
    return out


def cut_images(base, entries, rng, n, at=None):
    """n disk images as a power cut could leave them: all writes before a chosen flush (or the
    flush at index `at`), and any subset of the writes between it and the next flush, one in
    four of those torn (only some of its 512-byte sectors written; a disk promises no more).
    Yields (description, bytes)."""
    flushes = [i for i, e in enumerate(entries) if e is None]
    cuts = sorted(rng.choice(flushes + [len(entries)]) for _ in range(n)) if flushes else []
    if at is not None:
        cuts = [at]
    disk, done = bytearray(base), 0
    for k in cuts:
        for e in entries[done:k]:
            if e is not None:
                disk[e[0]:e[0] + len(e[1])] = e[1]
        done = max(done, k)
        after = []
        for e in entries[k + 1:]:
            if e is None:
                break
            after.append(e)
        kept = [e for e in after if rng.random() < 0.5]
        img, torn = bytearray(disk), 0
        for off, data in kept:
            if len(data) > LOG_SECTOR and rng.random() < 0.25:   # torn: some sectors only
                torn += 1
                for s in range(0, len(data), LOG_SECTOR):
                    if rng.random() < 0.5:
                        img[off + s:off + s + LOG_SECTOR] = data[s:s + LOG_SECTOR]
            else:
                img[off:off + len(data)] = data
        yield ("flush %d of %d, then %d of the %d writes after it (%d torn)"
               % (flushes.index(k) + 1 if k in flushes else len(flushes), len(flushes),
                  len(kept), len(after), torn), bytes(img))


def powercut_runs():
    try:
        return max(1, int(os.environ.get("VIPER_POWERCUT_RUNS", "1")))
    except ValueError:
        return 1


@test("crash_powercut", 3)
def t_crash_powercut(ctx):
    """Power cuts: unflushed writes lost in any combination; fsck clean, fsd replays."""
    seed = os.environ.get("VIPER_CRASH_SEED") or secrets.token_hex(4)
    cuts = flushes = 0
    for run in range(powercut_runs()):
        rng = random.Random("powercut-%s-%d" % (seed, run))
        ctx.nonce = "%016x" % rng.getrandbits(64)
        where = "run %d (VIPER_CRASH_SEED=%s, nonce %s)" % (run, seed, ctx.nonce)
        work = tempfile.TemporaryDirectory(prefix="viper-powercut-")
        try:
            img, log = os.path.join(work.name, "disk.img"), os.path.join(work.name, "writes.log")
            mkfs(ctx, img, DISK)
            with open(img, "rb") as f:
                base = f.read()
            open(log, "wb").close()
            ctx.opts["extra"] = powercut_args(img, log)
            text = run_workload(ctx, rng.uniform(KILL_MIN, KILL_MAX))
            entries = read_write_log(log)
            flushes += entries.count(None)
            for what, data in cut_images(base, entries, rng, CUTS):
                with open(img, "wb") as f:
                    f.write(data)
                try:
                    fsck_clean(ctx, img, "after a power cut")
                except Fail as e:
                    raise Fail("%s, %s: %s" % (where, what, e))
                cuts += 1
            if None not in entries:
                continue
            # The cut after the last flush: every completion line the guest printed came
            # after a flush it waited for, so the log's rule holds here as after a kill.
            last = len(entries) - 1 - entries[::-1].index(None)
            what, data = next(cut_images(base, entries, rng, 0, at=last))
            with open(img, "wb") as f:
                f.write(data)
            where += ", the last flush, then " + what.split(", then ")[1]
            fsck_clean(ctx, img, "%s: after a power cut" % where)
            cur, pending = parse_log(text, ctx.nonce)
            expect = allowed(cur, pending)
            check_states(expect, host_state(ctx, img, work.name), where + ", on the host")
            ctx.opts["extra"] = disk_args(img)
            notes = len(ctx.notes)
            out, _ = run_user(ctx, "crash_check", timeout=30)
            del ctx.notes[notes:]
            files = listed_files(out, ctx.nonce)
            check_states(expect, lambda p: files.get(p, ABSENT), where + ", after fsd's replay")
            fsck_clean(ctx, img, "%s: after the boot that replayed" % where)
        finally:
            work.cleanup()
    if cuts == 0:
        raise Fail("the workload made no flush before the kill (seed %s)" % seed)
    ctx.note("seed %s: %d power cuts over %d flushes" % (seed, cuts, flushes))


def adversarial_cuts(base, entries):
    """At each flush: every write before it, then of the unflushed writes after it only those
    to the journal (a disk may persist them first).  Yields (flush number, bytes)."""
    import struct
    jstart, jblocks = struct.unpack_from("<II", base, 40)
    lo, hi = jstart * 4096, (jstart + jblocks) * 4096
    disk, n = bytearray(base), 0
    for i, e in enumerate(entries):
        if e is not None:
            disk[e[0]:e[0] + len(e[1])] = e[1]
            continue
        n += 1
        img = bytearray(disk)
        for later in entries[i + 1:]:
            if later is None:
                break
            if lo <= later[0] < hi:
                img[later[0]:later[0] + len(later[1])] = later[1]
        yield n, bytes(img)


@test("crash_ordered", 2)
def t_crash_ordered(ctx):
    """Ordered data: a power cut never leaves a committed file pointing at data not written."""
    import zlib
    work = tempfile.TemporaryDirectory(prefix="viper-ordered-")
    try:
        img, log = os.path.join(work.name, "disk.img"), os.path.join(work.name, "writes.log")
        mkfs(ctx, img, DISK)
        with open(img, "rb") as f:
            base = f.read()
        open(log, "wb").close()
        ctx.opts["extra"] = powercut_args(img, log)
        q = ctx.boot(bootargs="init=/tests/crash_ordered quiet")
        q.expect(r"^CRASH %s written$" % re.escape(ctx.nonce), timeout=30)
        q.kill()
        good = {ABSENT, (0, 0)} | {(int(m.group(1)), int(m.group(2), 16)) for m in re.finditer(
            r"^CRASH %s version (\d+) ([0-9a-f]{8})$" % re.escape(ctx.nonce), q.output,
            re.MULTILINE)}
        cuts = 0
        for n, data in adversarial_cuts(base, read_write_log(log)):
            with open(img, "wb") as f:
                f.write(data)
            fsck_clean(ctx, img, "at flush %d with only the journal's later writes" % n)
            got = cat(ctx, img, "/f")
            state = ABSENT if got is None else (len(got), zlib.crc32(got))
            if state not in good:
                raise Fail("at flush %d with only the journal's later writes kept, /f is %s: "
                           "neither absent, empty, nor a version that was written"
                           % (n, describe(state)))
            cuts += 1
    finally:
        work.cleanup()
    ctx.note("%d power cuts" % cuts)
