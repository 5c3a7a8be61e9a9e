"""FFmpeg's tools run for the judge yield every CPU to the players."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from pytest_pyglet_media.store import ffprobe_run

SCHEDULING = "import os; print(os.sched_getscheduler(0), os.nice(0))"


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux's idle scheduling class")
def test_a_probe_runs_as_an_idle_task(tmp_path: Path):
    # a player that wakes must take the CPU from a probe at once: a probe at
    # nice 10 still made 1080p plays beside it wait up to 2 s in a first run
    answer = ffprobe_run.run([sys.executable, "-c", SCHEDULING], tmp_path / "clip.mp4",
                             timeout=30, max_bytes=1000)
    policy, niceness = answer.split()
    assert int(policy) == os.SCHED_IDLE
    assert int(niceness) == 19


def test_the_caller_keeps_its_own_priority(tmp_path: Path):
    before = os.nice(0)
    ffprobe_run.run([sys.executable, "-c", "pass"], tmp_path / "clip.mp4", timeout=30,
                    max_bytes=1000)
    assert os.nice(0) == before
    if hasattr(os, "SCHED_IDLE"):
        assert os.sched_getscheduler(0) != os.SCHED_IDLE
