#!/usr/bin/env python3
"""grade/grade.py - boot the kernel under QEMU and grade its behaviour.

  python3 grade/grade.py [-j 2] [--image build/kernel/Image] [--elf build/kernel/kernel.elf]
                         [--initrd build/initrd.cpio] [--lab LAB] [--json PATH]
                         [--only NAME[,NAME]] [--list] [--log-dir build/grade]

Tests come from grade/tests_kernel.py and every other grade/tests_*.py
(each registers its tests in tests_kernel.TESTS when imported).  Each test
gets a fresh random nonce, passed to the kernel as `nonce=<16 hex>`; result
lines are believed only when they carry it.  Timeouts measure lack of progress and are multiplied by
a scale factor calibrated at start (grade/calibrate.py; GRADE_TIMEOUT_SCALE
overrides).  Up to -j tests (at most 2: one QEMU per core) run in parallel.
Every test's serial log is saved as <log-dir>/<name>.log.  See docs/grader.md.

--lab LAB grades one lab (grade/labs/LAB.toml): only the tests its exercises
need run, a table gives each exercise's points (all its tests pass and all
its UTEST cases print PASS), and the score is over the exercises' points.  A
line `LAB <lab>: <fn> not implemented` from a stub of that lab fails a test
that then goes quiet (or fails) with `not implemented: <fn>`.  --json PATH
writes per-test and per-exercise results.  See docs/labs.md.
"""

import argparse
import concurrent.futures
import json
import os
import re
import secrets
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import calibrate      # noqa: E402
import qemu           # noqa: E402
import tests_kernel   # noqa: E402

tests_kernel.load_all()

MAX_JOBS = 2
TAIL_LINES = 15
LAB_DIR = os.path.join(HERE, "labs")
STUB_GRACE = 3.0       # nominal seconds of quiet after a stub line before a test fails


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
        self.lab = getattr(args, "lab", None) or getattr(args, "watch_lab", None)
        self.stub_grace = getattr(args, "stub_grace", STUB_GRACE)

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
        stub_rx = None
        if self.lab:
            stub_rx = r"LAB %s: (\S+) not implemented\s*$" % re.escape(self.lab)
        run = qemu.QemuRun(argv, log_path=log, scale=self.scale, stub_rx=stub_rx,
                           stub_grace=self.stub_grace)
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
    stubs = [fn for run in ctx.runs for fn in run.stub_hits]
    if reason and stubs and not reason.startswith("not implemented"):
        # the lab's stubs ran: that is the headline, the test's own complaint follows
        reason = "not implemented: %s (then: %s)" % (", ".join(dict.fromkeys(stubs)), reason)
    return {"name": test["name"], "points": test["points"], "ok": reason is None,
            "reason": reason, "detail": detail, "notes": ctx.notes, "panic": panic,
            "tail": output.splitlines()[-TAIL_LINES:], "seconds": time.monotonic() - start,
            "log": ctx.runs[0].log_path if ctx.runs else None,
            "cases": utest_cases(ctx), "stubs": stubs}


def utest_cases(ctx):
    """{program.case: (ok, reason)} from the UTEST lines carrying this test's nonce."""
    cases = {}
    rx = re.compile(r"^UTEST %s (PASS|FAIL) ([\w.-]+)(?::\s*(.*))?$" % re.escape(ctx.nonce),
                    re.MULTILINE)
    for run in ctx.runs:
        for m in rx.finditer(run.output):
            ok = m.group(1) == "PASS"
            if cases.get(m.group(2), (True,))[0]:     # a FAIL sticks
                cases[m.group(2)] = (ok, None if ok else (m.group(3) or "FAIL"))
    return cases


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


# ---- labs ------------------------------------------------------------------

def load_lab(lab):
    """The metadata of one lab (grade/labs/<lab>.toml)."""
    import tomllib         # Python 3.11+; only needed for --lab
    path = os.path.join(LAB_DIR, lab + ".toml")
    if not os.path.isfile(path):
        have = sorted(f[:-5] for f in os.listdir(LAB_DIR) if f.endswith(".toml")) \
            if os.path.isdir(LAB_DIR) else []
        sys.exit("grader: no lab %s (labs: %s)" % (lab, ", ".join(have) or "none"))
    with open(path, "rb") as f:
        meta = tomllib.load(f)
    for ex in meta.get("exercise", []):
        ex.setdefault("tests", [])
        ex.setdefault("cases", [])
        ex.setdefault("challenge", False)
    return meta


def case_test(case, known):
    """The grader test that runs the program of the UTEST case `prog.case`."""
    prog = case.split(".", 1)[0]
    for name in ("user_" + prog, prog):
        if name in known:
            return name
    return None


def lab_test_names(meta):
    """The tests a lab's exercises need: their tests and the tests running their cases."""
    known = {t["name"] for t in tests_kernel.TESTS}
    need = set()
    for ex in meta.get("exercise", []):
        for t in ex["tests"]:
            if t not in known:
                sys.exit("grader: lab %s, exercise %s: unknown test %s" % (meta["name"],
                                                                          ex["name"], t))
            need.add(t)
        for c in ex["cases"]:
            t = case_test(c, known)
            if t is None:
                sys.exit("grader: lab %s, exercise %s: no test runs case %s"
                         % (meta["name"], ex["name"], c))
            need.add(t)
    return need


def score_exercises(meta, results):
    """Per exercise: points when every test passed and every case printed PASS."""
    by_name = {r["name"]: r for r in results}
    known = {t["name"] for t in tests_kernel.TESTS}
    out = []
    for ex in meta.get("exercise", []):
        lost, not_run = [], []
        for t in ex["tests"]:
            r = by_name.get(t)
            if r is None:
                not_run.append(t)
            elif not r["ok"]:
                lost.append("%s: %s" % (t, r["reason"]))
        for c in ex["cases"]:
            t = case_test(c, known)
            r = by_name.get(t)
            if r is None:
                not_run.append(t)
                continue
            ok, why = r["cases"].get(c, (False, None))
            if ok:
                continue
            if why is None:     # the case never reported: say why its program stopped
                why = "did not run (%s: %s)" % (t, r["reason"]) if not r["ok"] \
                    else "not reported by %s" % t
            lost.append("%s: %s" % (c, why))
        if not_run:
            lost.append("not graded: test(s) %s not run" % ", ".join(dict.fromkeys(not_run)))
        pts = ex.get("points", 0)
        out.append({"name": ex["name"], "title": ex.get("title", ""), "max_score": pts,
                    "score": 0 if lost else pts, "challenge": bool(ex["challenge"]),
                    "lost": lost, "tests": ex["tests"], "cases": ex["cases"]})
    return out


def short(text, n=160):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[:n - 3] + "..."


def print_exercises(lab, exercises):
    print("lab %s:" % lab)
    for e in exercises:
        line = "exercise %s: %d/%d%s" % (e["name"], e["score"], e["max_score"],
                                         " (challenge)" if e["challenge"] else "")
        if e["lost"]:
            line += "  lost: " + short(e["lost"][0])
            if len(e["lost"]) > 1:
                line += " (and %d more)" % (len(e["lost"]) - 1)
        print(line)


def result_output(r):
    if r["ok"]:
        return "PASS (%s)" % ", ".join(r["notes"] + ["%.1f s" % r["seconds"]])
    lines = ["FAIL: %s" % r["reason"]]
    if r["tail"]:
        lines.append("--- last %d lines of serial output (%s) ---" % (len(r["tail"]), r["log"]))
        lines += ["| " + x for x in r["tail"]]
    return "\n".join(lines)


def write_json(path, lab, results, exercises, score, total):
    data = {"lab": lab, "score": score, "max_score": total,
            "passed": sum(r["ok"] for r in results),
            "failed": sum(not r["ok"] for r in results),
            "tests": [{"name": r["name"], "score": r["points"] if r["ok"] else 0,
                       "max_score": r["points"], "status": "passed" if r["ok"] else "failed",
                       "output": result_output(r), "reason": r["reason"],
                       "seconds": round(r["seconds"], 2), "log": r["log"],
                       "cases": {c: ok for c, (ok, _why) in sorted(r["cases"].items())}}
                      for r in results],
            "exercises": [{"name": e["name"], "title": e["title"], "score": e["score"],
                           "max_score": e["max_score"], "challenge": e["challenge"],
                           "status": "passed" if e["score"] == e["max_score"] else "failed",
                           "output": "\n".join(e["lost"]) or "all tests and cases passed",
                           "tests": e["tests"], "cases": e["cases"]}
                          for e in exercises]}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description="Grade the ViperOS kernel under QEMU.")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="parallel tests (max 2)")
    ap.add_argument("--image", default="build/kernel/Image")
    ap.add_argument("--elf", default="build/kernel/kernel.elf")
    ap.add_argument("--initrd", help="boot filesystem (cpio) passed to every boot")
    ap.add_argument("--only", help="comma-separated test names")
    ap.add_argument("--list", action="store_true", help="list the tests and exit")
    ap.add_argument("--log-dir", default="build/grade")
    ap.add_argument("--lab", help="grade one lab: its tests, a score per exercise")
    ap.add_argument("--json", help="write per-test and per-exercise results to this file")
    ap.add_argument("--watch-lab", metavar="LAB",
                    help="without choosing tests: fail a test that hits a stub of LAB and "
                         "then goes quiet as not implemented (the handout CI)")
    ap.add_argument("--stub-grace", type=float, default=STUB_GRACE,
                    help="with --lab: seconds of quiet after a stub line before a test fails "
                         "as not implemented (0: at once)")
    args = ap.parse_args(argv)

    tests = select_tests(args.only)
    meta = None
    if args.lab:
        meta = load_lab(args.lab)
        need = lab_test_names(meta)
        tests = [t for t in tests if t["name"] in need]
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
    exercises = []
    if meta is not None:
        exercises = score_exercises(meta, results)
        print_exercises(args.lab, exercises)
        score = sum(e["score"] for e in exercises)
        total = sum(e["max_score"] for e in exercises)
    if args.json:
        write_json(args.json, args.lab, results, exercises, score, total)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    print("Score: %d/%d" % (score, total))
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
