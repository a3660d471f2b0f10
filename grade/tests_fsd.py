"""grade/tests_fsd.py - how fsd shares itself between clients, and what it remembers.

fsd_fair: fsd answers a client in bursts, waiting on that client's channel
alone for its next request (src/user/fsd/fsd.c, serve).  tests/user/fsd_fair.c
runs a helper that reads in a loop, one that goes idle holding its
connection, and one that never reads its replies, each while timing its own
calls: every call must be answered within 500 ms, and the helper that does
not read its replies must be dropped (its sends fail with PEER_CLOSED).

fsd_cache: a descriptor's remembered block mapping and the skipped inode checks
(tests/user/fsd_cache.c): writes, truncations, a hole filled and a rename made
through another descriptor, or another connection, show in the next read.
"""

import re
import shutil
import tempfile

from tests_files import fsck_clean
from tests_fs import blk_args, make_image
from tests_kernel import Fail, test
from tests_user import run_user


@test("fsd_fair", 3)
def t_fsd_fair(ctx):
    """fsd: a client reading in a loop, one idle and one that never reads its replies do
    not hold up another client's calls."""
    work = tempfile.mkdtemp(prefix="viper-fsd-")
    try:
        img, _ = make_image(ctx, ctx.nonce, work)
        ctx.opts["extra"] = blk_args(img)
        text, _ = run_user(ctx, "fsd_fair", timeout=60)
        slow = re.findall(r"^UTEST %s INFO fsd_fair\.\w+: (\w+): slowest of \d+ calls (\d+) us"
                          % re.escape(ctx.nonce), text, re.MULTILINE)
        if len(slow) != 2:
            raise Fail("fsd_fair did not report both timed cases: %s" % slow)
        ctx.note(", ".join("%s: slowest call %s us" % s for s in slow))
    finally:
        shutil.rmtree(work, ignore_errors=True)


@test("fsd_cache", 2)
def t_fsd_cache(ctx):
    """fsd: what a descriptor remembers of its file never hides a change made through
    another descriptor or connection."""
    work = tempfile.mkdtemp(prefix="viper-fsd-")
    try:
        img, _ = make_image(ctx, ctx.nonce, work)
        ctx.opts["extra"] = blk_args(img)
        run_user(ctx, "fsd_cache", timeout=60)
        fsck_clean(ctx, img, "after the run")
    finally:
        shutil.rmtree(work, ignore_errors=True)
