"""grade/calibrate.py - derive a timeout scale factor from the host's speed.

QEMU runs the kernel under TCG, so a slow or busy host stretches every boot.
At start the grader times a fixed pure-Python CPU loop (median of three runs,
so it also sees load from other processes) and divides by the time the loop
takes on the reference machine (the project's 2-core CI machine).  The result
is never below 1: a fast host keeps the nominal timeouts.

GRADE_TIMEOUT_SCALE=<float> overrides the measurement.
"""

import math
import os
import time

REFERENCE_SECONDS = 0.06   # the loop below on the reference machine
MAX_SCALE = 20.0


def _loop():
    start = time.perf_counter()
    x = 0
    for i in range(1_000_000):
        x = (x + i * i) & 0xFFFFFFFF
    return time.perf_counter() - start


def measure():
    """Seconds the fixed loop takes here (median of 3)."""
    runs = sorted(_loop() for _ in range(3))
    return runs[1]


def timeout_scale():
    """The scale factor (>= 1, one decimal, rounded up) and where it came from."""
    env = os.environ.get("GRADE_TIMEOUT_SCALE")
    if env:
        try:
            value = float(env)
        except ValueError:
            raise SystemExit("grader: GRADE_TIMEOUT_SCALE=%r is not a number" % env)
        return max(1.0, value), "GRADE_TIMEOUT_SCALE"
    ratio = measure() / REFERENCE_SECONDS
    scale = min(MAX_SCALE, max(1.0, math.ceil(ratio * 10) / 10))
    return scale, "measured"


if __name__ == "__main__":
    s, how = timeout_scale()
    print("grader: timeout scale %.1f (%s)" % (s, how))
