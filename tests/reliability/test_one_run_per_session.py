"""Two runs into one session: the second is refused at once, naming the first;
a run killed outright leaves the session to the next one; prune keeps a
session a run plays into, between its plays too."""
from __future__ import annotations

import os
import signal
import uuid

from mp_support.inner_runs import reap, start_inner_run, wait_until

from pytest_pyglet_media.cli import prune


def test_a_second_run_is_refused_and_a_killed_run_is_taken_over(mp, monkeypatch):
    monkeypatch.setenv("MP_DOUBLE_MARKER", f"mp-own-{uuid.uuid4().hex}")
    mp.add("a1.mp4", "hang_b.mp4")
    log = mp.pytester.path / "first.log"
    first = start_inner_run(mp.pytester, log, "-p", "no:xdist", "--mp-samples-dir=samples",
                            "--mp-player=doubles.by_name", "--mp-timeout=600",
                            "--mp-stall-timeout=600", "--mp-players=1", "--mp-session=testrun_05")
    grandchild = mp.samples / "testrun_05" / "dbg" / "hang_b.mp4.dbg.grandchild"
    try:
        wait_until(first, log, lambda: grandchild.exists() and grandchild.read_text().strip(),
                   "the first run never reached its hanging play")
        second = mp.run("--mp-session=testrun_05", "--mp-retries=0")
        assert second.result.ret == 4, second.out
        err = second.result.stderr.str()
        assert "session 'testrun_05' is being played into by another run " \
            f"(pid {first.pid} on host " \
            in err, err
        # prune keeps it, whatever its verdicts say
        decision = {d.name: d for d in prune.plan(mp.samples, mp.samples, keep=0)}
        kept = decision["testrun_05"]
        assert not kept.remove and "being played into by a run (pid" in str(kept), kept
        os.killpg(first.pid, signal.SIGKILL)
    finally:
        reap(first)
    third = mp.run("--mp-session=testrun_05", "--mp-retries=0", "-k", "a1")
    assert third.result.ret == 0, third.out
    assert not (mp.samples / "testrun_05" / "dbg" / "_owner.json").exists()
