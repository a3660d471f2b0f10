"""grade/tests_crash.py - crash consistency of ViperFS and fsd (docs/crash.md).

One iteration: a fresh image (mkfs.viperfs); boot /tests/crash_work, whose
metadata-heavy workload is seeded by its nonce; kill QEMU at a random moment
after the workload starts; `fsck.viperfs -n` (which replays the journal in
memory first) must find no problem; every path crash_work's log speaks of
must hold what the log allows, read on the host with `viperfs cat`; then
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
"""

import os
import random
import re
import secrets
import subprocess
import tempfile
import time

from tests_files import disk_args, fsck_clean, mkfs, temp_image, tools
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
        files = {m.group(1): (int(m.group(2)), int(m.group(3), 16)) for m in re.finditer(
            r"^UTEST %s INFO crash_check\.list: file (\S+) size (\d+) crc ([0-9a-f]{8})$"
            % re.escape(ctx.nonce), out, re.MULTILINE)}
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
        run_user(ctx, "crash_check", timeout=30)
        del ctx.notes[notes:]
        fsck_clean(ctx, img, "after the next boot")
    finally:
        os.unlink(img)
    ctx.note("%d blocks free while the file was open" % free_open)
