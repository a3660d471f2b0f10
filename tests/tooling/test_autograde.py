#!/usr/bin/env python3
"""tests/tooling/test_autograde.py - the instructor tools, end to end (one item of `make test`).

  python3 tests/tooling/test_autograde.py [--lab capabilities] [--repo .] [--keep]

1. grade/autograde over a folder of four submissions of one lab, made from
   `tools/mklab export LAB` (the release):
     stubbed/         a clone of the release                         -> 0, ok
     solved.tar.gz    the release + solutions/LAB/solution.patch      -> full marks, ok
     tampered.zip     solved, plus grade/grade.py changed so that it
                      fails if it runs, and a test program changed    -> full marks, flagged,
                                                                         both files named
     faker/           the release whose stub prints fake UTEST PASS
                      lines, DONE and `Score:` lines                  -> 0 (nonces), flagged
   and the CSV, the per-student logs and the Gradescope results.json files.
2. The Gradescope zip (tools/mkgradescope): unpacked into a folder laid out as
   Gradescope lays it out (AUTOGRADER_ROOT=<tmp>: source/, submission/, results/),
   setup.sh run with a stand-in apt-get, run_autograder on a plain copy of the
   stubbed tree (0) and on an upload of just the solved lab files (full marks).
3. The GitHub Classroom workflow template parses (with PyYAML when it is there,
   else a structural check).

No QEMU is left behind: after each step no process may run inside the temp folder.
Prints PASS/FAIL lines; exits 1 on any failure.
"""

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON = sys.executable or "python3"
FAILS = []


def check(ok, what, detail=""):
    print("%s %s%s" % ("PASS" if ok else "FAIL", what, (": " + detail) if detail and not ok else ""),
          flush=True)
    if not ok:
        FAILS.append(what)
    return ok


def run(argv, cwd=None, env=None, log=None, timeout=900):
    start = time.monotonic()
    r = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True, errors="replace",
                       timeout=timeout)
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write("$ %s\n%s\n" % (" ".join(argv), r.stdout))
    print("  (%s: status %d, %.0f s)" % (" ".join(os.path.basename(a) for a in argv[:3]),
                                          r.returncode, time.monotonic() - start), flush=True)
    return r


def git(args, cwd):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    subprocess.run(["git", "-c", "commit.gpgsign=false"] + args, cwd=cwd, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def lab_meta(release, lab):
    sys.path.insert(0, os.path.join(ROOT, "grade"))
    path = os.path.join(release, "grade", "labs", lab + ".toml")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        import tomllib
        return tomllib.loads(text)
    except ImportError:                       # the autograder's own reader
        import importlib.machinery
        import importlib.util
        loader = importlib.machinery.SourceFileLoader("autograde",
                                                      os.path.join(ROOT, "grade", "autograde"))
        spec = importlib.util.spec_from_loader("autograde", loader)
        mod = importlib.util.module_from_spec(spec)
        loader.exec_module(mod)
        return mod.parse_toml(text)


def leftovers(folder):
    """Processes whose working folder or command line is inside `folder`."""
    found = []
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cwd = os.readlink("/proc/%s/cwd" % pid)
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if cwd.startswith(folder) or folder in cmd:
            found.append("%s %s" % (pid, cmd[:120]))
    return found


def fake_stub_lines(release, lab, meta):
    """A copy of the release's first lab file whose stub prints a fake passing transcript."""
    path = meta["files"][0]
    with open(os.path.join(release, path), encoding="utf-8") as f:
        text = f.read()
    cases = [c for ex in meta.get("exercise", []) for c in ex.get("cases", [])]
    progs = sorted({c.split(".", 1)[0] for c in cases}) or ["init"]
    lines = []
    for nonce in ("0000000000000000", "%s"):
        for prog in progs:
            lines.append("UTEST %s START %s" % (nonce, prog))
            mine = [c for c in cases if c.startswith(prog + ".")] or [prog + ".fake"]
            lines += ["UTEST %s PASS %s" % (nonce, c) for c in mine]
            lines.append("UTEST %s DONE passed=%d failed=0" % (nonce, len(mine)))
    lines += ["init: exited (reason 0, code 0)", "exercise %s: 3/3" % lab, "Score: 99/99"]
    fake = "\\n".join(lines).replace("%s", "nonce") + "\\n"
    inject = ('{ static int faked_; if (!faked_) { faked_ = 1; kprintf("%s"); } }\n    ' % fake)
    m = re.search(r"^[ \t]*(LAB_NOT_IMPLEMENTED\()", text, re.M)
    i = m.start(1) if m else -1
    if i < 0:
        raise SystemExit("test_autograde: %s has no LAB_NOT_IMPLEMENTED stub" % path)
    return path, text[:i] + inject + text[i:]


def make_submissions(tmp, release, lab, meta, repo):
    subs = os.path.join(tmp, "subs")
    os.makedirs(subs)
    patch = os.path.join(repo, "solutions", lab, "solution.patch")
    git(["clone", "-q", release, os.path.join(subs, "stubbed")], tmp)

    solved = os.path.join(tmp, "solved")
    git(["clone", "-q", release, solved], tmp)
    git(["apply", patch], solved)
    with tarfile.open(os.path.join(subs, "solved.tar.gz"), "w:gz") as t:
        t.add(solved, arcname="solved")                 # a folder inside the archive

    tampered = os.path.join(tmp, "tampered")
    shutil.copytree(solved, tampered, symlinks=True)
    gpy = os.path.join(tampered, "grade", "grade.py")
    with open(gpy, encoding="utf-8") as f:
        lines = f.read().split("\n")
    lines.insert(1, 'raise SystemExit("TAMPERED GRADER USED")')
    with open(gpy, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    progs = [c.split(".", 1)[0] for ex in meta.get("exercise", []) for c in ex.get("cases", [])]
    test_file = None
    for prog in progs + ["fork_cow"]:
        cand = "tests/user/%s.c" % prog
        if os.path.isfile(os.path.join(tampered, cand)):
            test_file = cand
            break
    with open(os.path.join(tampered, test_file), "a", encoding="utf-8") as f:
        f.write("\n/* tampered: this file is not the release's */\n")
    with zipfile.ZipFile(os.path.join(subs, "tampered.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        for dirpath, dirnames, filenames in os.walk(tampered):
            dirnames.sort()
            for fn in sorted(filenames):
                p = os.path.join(dirpath, fn)
                if not os.path.islink(p):
                    z.write(p, os.path.relpath(p, tampered))   # files at the archive's root

    faker = os.path.join(subs, "faker")
    git(["clone", "-q", release, faker], tmp)
    path, text = fake_stub_lines(release, lab, meta)
    with open(os.path.join(faker, path), "w", encoding="utf-8") as f:
        f.write(text)
    return subs, solved, test_file, path


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def check_gradescope_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        check(False, what, str(e))
        return None
    ok = isinstance(d.get("score"), (int, float)) and isinstance(d.get("tests"), list) and \
        d["tests"] and all(set(("name", "score", "max_score", "output", "status")) <= set(t)
                           for t in d["tests"]) and isinstance(d.get("output"), str)
    check(ok, what, "not Gradescope's format: %s" % json.dumps(d)[:300])
    return d


def test_autograde(tmp, release, lab, meta, repo):
    total = sum(ex.get("points", 0) for ex in meta["exercise"])
    subs, solved, test_file, lab_file = make_submissions(tmp, release, lab, meta, repo)
    out = os.path.join(tmp, "out")
    r = run([PYTHON, os.path.join(ROOT, "grade", "autograde"), subs, "--lab", lab,
             "--release", release, "--out", out, "--timeout", "400", "-j", "2"],
            log=os.path.join(tmp, "autograde.txt"))
    print("\n".join("  | " + x for x in r.stdout.splitlines()[-9:]))
    check(r.returncode == 0, "autograde runs", r.stdout[-2000:])
    try:
        rows = read_csv(os.path.join(out, "grades.csv"))
    except OSError as e:
        check(False, "grades.csv", str(e))
        return
    want = {"stubbed": (0, ("ok",)), "solved": (total, ("ok",)),
            "tampered": (total, ("flagged",)), "faker": (0, ("flagged",))}
    for s, (score, statuses) in want.items():
        row = rows.get(s)
        check(row is not None and int(row["score"]) == score and int(row["max"]) == total
              and row["status"] in statuses,
              "autograde: %s gets %d/%d, %s" % (s, score, total, statuses[0]), repr(row))
    t = rows.get("tampered") or {}
    check(set(["grade/grade.py", test_file]) <= set(t.get("flagged_files", "").split()),
          "autograde: tampered names grade/grade.py and %s" % test_file, repr(t))
    check(lab_file in (rows.get("faker") or {}).get("flagged_files", "").split(),
          "autograde: faker's lab file is flagged (mentions UTEST)", repr(rows.get("faker")))
    serial = ""
    fdir = os.path.join(out, "logs", "faker")
    for fn in sorted(os.listdir(fdir)) if os.path.isdir(fdir) else []:
        with open(os.path.join(fdir, fn), encoding="utf-8", errors="replace") as f:
            serial += f.read()
    check("UTEST 0000000000000000 PASS" in serial,
          "autograde: faker's fake PASS lines reached the serial console (and did not count)")
    with open(os.path.join(out, "logs", "tampered.log"), encoding="utf-8") as f:
        tlog = f.read()
    check("TAMPERED GRADER USED" not in tlog and "modified outside the lab" in tlog,
          "autograde: the release's grade.py graded the tampered submission")
    for s in want:
        check(os.path.isfile(os.path.join(out, "logs", s + ".log")), "autograde: logs/%s.log" % s)
        check_gradescope_json(os.path.join(out, "results", s + ".json"),
                              "autograde: results/%s.json in Gradescope's format" % s)
    try:
        with open(os.path.join(out, "results.json"), encoding="utf-8") as f:
            overall = json.load(f)
        check(sorted(x["student"] for x in overall["submissions"]) == sorted(want),
              "autograde: results.json lists every submission")
    except (OSError, ValueError, KeyError) as e:
        check(False, "autograde: results.json", str(e))
    left = leftovers(tmp)
    check(not left, "autograde: no process left behind", "; ".join(left))
    return solved


def unzip(zpath, dest):
    with zipfile.ZipFile(zpath) as z:
        for info in z.infolist():
            z.extract(info, dest)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(os.path.join(dest, info.filename), mode)


def test_gradescope(tmp, release, lab, meta, solved):
    total = sum(ex.get("points", 0) for ex in meta["exercise"])
    gs = os.path.join(tmp, "gs")
    r = run([PYTHON, os.path.join(ROOT, "tools", "mkgradescope"), lab, "--release", release,
             "--out", gs], log=os.path.join(tmp, "gradescope.txt"))
    zpath = os.path.join(gs, lab + ".zip")
    if not check(r.returncode == 0 and os.path.isfile(zpath), "gradescope: the zip is built",
                 r.stdout[-1500:]):
        return
    with zipfile.ZipFile(zpath) as z:
        names = set(z.namelist())
    check({"setup.sh", "run_autograder", "autograde", "release/LAB", "release/grade/grade.py",
           "release/Makefile"} <= names and not any("/.git/" in n or n.startswith("release/build/")
                                                   for n in names),
          "gradescope: setup.sh, run_autograder and the release at the zip's root")
    root = os.path.join(tmp, "autograder")
    for d in ("source", "submission", "results"):
        os.makedirs(os.path.join(root, d))
    unzip(zpath, os.path.join(root, "source"))
    fakebin = os.path.join(tmp, "fakebin")
    os.makedirs(fakebin)
    with open(os.path.join(fakebin, "apt-get"), "w") as f:
        f.write('#!/bin/sh\necho "apt-get $*" >> "%s/apt.log"\n' % fakebin)
    os.chmod(os.path.join(fakebin, "apt-get"), 0o755)
    env = dict(os.environ, AUTOGRADER_ROOT=root, PATH=fakebin + os.pathsep + os.environ["PATH"])
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        env.pop(k, None)
    r = run(["bash", os.path.join(root, "source", "setup.sh")], env=env,
            log=os.path.join(tmp, "gradescope.txt"))
    check(r.returncode == 0 and os.path.isfile(os.path.join(root, "source", "release", "build",
                                                            "kernel", "Image")),
          "gradescope: setup.sh installs (apt-get stand-in) and builds the release",
          r.stdout[-1500:])

    cases = [("stubbed", 0), ("solved lab files only", total)]
    for what, want in cases:
        sub = os.path.join(root, "submission")
        shutil.rmtree(sub)
        if what == "stubbed":            # a repository without .git, as from GitHub
            shutil.copytree(release, sub, ignore=shutil.ignore_patterns(".git", "build"))
        else:                            # an upload of just the lab's files
            os.makedirs(sub)
            for p in meta["files"]:
                shutil.copyfile(os.path.join(solved, p), os.path.join(sub, os.path.basename(p)))
        res = os.path.join(root, "results", "results.json")
        if os.path.exists(res):
            os.remove(res)
        r = run(["bash", os.path.join(root, "source", "run_autograder")], env=env,
                log=os.path.join(tmp, "gradescope.txt"))
        d = check_gradescope_json(res, "gradescope: run_autograder (%s) writes results.json"
                                  % what)
        if d is not None:
            check(d["score"] == want and sum(t["max_score"] for t in d["tests"]) == total,
                  "gradescope: %s scores %d/%d" % (what, want, total),
                  "got %s; %s" % (d["score"], r.stdout[-1500:]))
    left = leftovers(tmp)
    check(not left, "gradescope: no process left behind", "; ".join(left))


def test_workflow():
    path = os.path.join(ROOT, "tools", "lab-template", ".github", "workflows", "grade.yml")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        check(False, "classroom workflow exists", str(e))
        return
    try:
        import yaml
    except ImportError:
        yaml = None
    if yaml is not None:
        d = yaml.safe_load(text)
        on = d.get("on", d.get(True))
        steps = d["jobs"]["grade"]["steps"]
        runs = " ".join(s.get("run", "") for s in steps)
        ok = "push" in on and "make grade" in runs and "install-deps" in runs and \
            any("upload-artifact" in s.get("uses", "") for s in steps)
    else:
        ok = "\t" not in text and re.search(r"^on:\n  push:", text, re.M) and \
            "make grade" in text and "tools/install-deps" in text and "upload-artifact" in text
    check(bool(ok), "classroom workflow: on push, install-deps, make grade, logs uploaded")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lab", default="capabilities")
    ap.add_argument("--repo", default=ROOT, help="the reference tree to export the lab from")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    repo = os.path.abspath(args.repo)
    if os.path.exists(os.path.join(ROOT, "LAB")):
        print("SKIP test_autograde: a student tree (the instructor tools need the reference tree)")
        return 0
    start = time.monotonic()
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="test-autograde-", dir=os.path.join(ROOT, "build"))
    try:
        test_workflow()
        release = os.path.join(tmp, "release")
        r = run([PYTHON, os.path.join(repo, "tools", "mklab"), "export", args.lab, release],
                log=os.path.join(tmp, "export.txt"))
        if not check(r.returncode == 0, "tools/mklab export %s" % args.lab, r.stdout[-2000:]):
            return 1
        meta = lab_meta(release, args.lab)
        solved = test_autograde(tmp, release, args.lab, meta, repo)
        if solved:
            test_gradescope(tmp, release, args.lab, meta, solved)
    finally:
        if args.keep or FAILS:
            print("test_autograde: files kept in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("test_autograde: %s (%.0f s)" % ("FAILED: " + ", ".join(FAILS) if FAILS else "all passed",
                                          time.monotonic() - start))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
