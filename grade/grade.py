#!/usr/bin/env python3
"""grade/grade.py - boot the kernel under QEMU and grade its behaviour.

  python3 grade/grade.py [-j 2] [--image build/kernel/Image] [--elf build/kernel/kernel.elf]
                         [--initrd build/initrd.cpio]
                         [--only NAME[,NAME]] [--list] [--log-dir build/grade]

Tests come from grade/tests_kernel.py and grade/tests_user.py.  Each test
gets a fresh random nonce, passed to the kernel as `nonce=<16 hex>`; result
lines are believed only when they carry it.  Timeouts measure lack of progress and are multiplied by
a scale factor calibrated at start (grade/calibrate.py; GRADE_TIMEOUT_SCALE
overrides).  Up to -j tests (at most 2: one QEMU per core) run in parallel.
Every test's serial log is saved as <log-dir>/<name>.log.  See docs/grader.md.
"""

import argparse
import concurrent.futures
import os
import secrets
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import calibrate      # noqa: E402
import qemu           # noqa: E402
import tests_kernel   # noqa: E402
import tests_user     # noqa: E402,F401  (registers the user-space tests in tests_kernel.TESTS)

MAX_JOBS = 2
TAIL_LINES = 15


class Context:
    """What a test function gets: boots QEMU, names files, collects notes."""

    def __init__(self, test, args, scale):
        self.name = test["name"]
        self.opts = dict(test["opts"])
        self.nonce = secrets.token_hex(8)
        self.image = args.image
        self.elf = args.elf
        self.initrd = args.initrd
        self.scale = scale
        self.log_dir = args.log_dir
        self.runs = []
        self.notes = []

    def boot(self, bootargs=None, **overrides):
        """Start QEMU with the test's options (overridden by keyword arguments)."""
        opts = dict(self.opts)
        opts.update(overrides)
        test_args = opts.pop("bootargs", "")
        if bootargs is not None:
            test_args = bootargs
        append = " ".join(a for a in ("nonce=" + self.nonce, test_args) if a)
        opts.setdefault("initrd", self.initrd)
        argv = qemu.qemu_command(self.image, monitor="none", append=append, **opts)
        n = len(self.runs)
        log = os.path.join(self.log_dir, self.name + (".%d.log" % n if n else ".log"))
        run = qemu.QemuRun(argv, log_path=log, scale=self.scale)
        self.runs.append(run)
        run.start()
        return run

    def path(self, suffix):
        return os.path.join(self.log_dir, "%s.%s" % (self.name, suffix))

    def save_text(self, suffix, text):
        with open(self.path(suffix), "w", encoding="utf-8") as f:
            f.write(text)

    def note(self, text):
        self.notes.append(text)

    def close(self):
        for run in self.runs:
            run.kill()


def run_test(test, args, scale):
    """Run one test; return a result dict (never raises)."""
    ctx = Context(test, args, scale)
    start = time.monotonic()
    reason = None
    detail = None
    try:
        if not os.path.exists(args.image):
            raise tests_kernel.Fail("no kernel image at %s (run 'make kernel')" % args.image)
        test["fn"](ctx)
    except (tests_kernel.Fail, qemu.QemuError) as e:
        reason = str(e)
    except Exception as e:     # a bug in the test or the grader: show it all
        reason = "grader error: %s: %s" % (type(e).__name__, e)
        detail = traceback.format_exc()
    finally:
        ctx.close()
    output = ctx.runs[-1].output if ctx.runs else ""
    panic = tests_kernel.panic_report(output) if reason else None
    if panic and test["name"] != "panic_report":
        reason += " (kernel panic: %s)" % panic.splitlines()[0].split("panic:", 1)[1].strip()
    return {"name": test["name"], "points": test["points"], "ok": reason is None,
            "reason": reason, "detail": detail, "notes": ctx.notes, "panic": panic,
            "tail": output.splitlines()[-TAIL_LINES:], "seconds": time.monotonic() - start,
            "log": ctx.runs[0].log_path if ctx.runs else None}


def print_result(r):
    pts = r["points"]
    extra = ", ".join(r["notes"] + ["%.1f s" % r["seconds"]])
    if r["ok"]:
        print("PASS %s (%d/%d)  [%s]" % (r["name"], pts, pts, extra))
    else:
        print("FAIL %s (0/%d): %s" % (r["name"], pts, r["reason"]))
        if r["detail"]:
            print(r["detail"].rstrip())
        if r["tail"]:
            print("  --- last %d lines of serial output (%s) ---" % (len(r["tail"]), r["log"]))
            for line in r["tail"]:
                print("  | " + line)
        if r["panic"] and r["panic"].strip() not in "\n".join(r["tail"]):
            print("  --- panic report ---")
            for line in r["panic"].splitlines():
                print("  | " + line)
    sys.stdout.flush()


def select_tests(only):
    tests = list(tests_kernel.TESTS)
    if not only:
        return tests
    names = [n.strip() for n in only.split(",") if n.strip()]
    known = {t["name"] for t in tests}
    unknown = [n for n in names if n not in known]
    if unknown:
        sys.exit("grader: unknown test(s) %s; --list shows them" % ", ".join(unknown))
    return [t for t in tests if t["name"] in names]


def main(argv=None):
    ap = argparse.ArgumentParser(description="Grade the ViperOS kernel under QEMU.")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="parallel tests (max 2)")
    ap.add_argument("--image", default="build/kernel/Image")
    ap.add_argument("--elf", default="build/kernel/kernel.elf")
    ap.add_argument("--initrd", help="boot filesystem (cpio) passed to every boot")
    ap.add_argument("--only", help="comma-separated test names")
    ap.add_argument("--list", action="store_true", help="list the tests and exit")
    ap.add_argument("--log-dir", default="build/grade")
    args = ap.parse_args(argv)

    tests = select_tests(args.only)
    if args.list:
        for t in tests:
            print("%-18s %d  %s" % (t["name"], t["points"], " ".join(t["doc"])))
        print("total: %d tests, %d points" % (len(tests), sum(t["points"] for t in tests)))
        return 0

    qemu.install_cleanup_handlers()
    os.makedirs(args.log_dir, exist_ok=True)
    scale, how = calibrate.timeout_scale()
    print("grader: timeout scale %.1f (%s)" % (scale, how))
    jobs = max(1, min(MAX_JOBS, args.jobs))
    print("grader: %d tests, -j %d, image %s, logs in %s/"
          % (len(tests), jobs, args.image, args.log_dir))
    sys.stdout.flush()

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_test, t, args, scale) for t in tests]
        results = []
        for f in futures:           # print in registry order
            results.append(f.result())
            print_result(results[-1])

    passed = sum(r["ok"] for r in results)
    score = sum(r["points"] for r in results if r["ok"])
    total = sum(r["points"] for r in results)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    print("Score: %d/%d" % (score, total))
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
