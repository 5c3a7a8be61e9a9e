"""idle_cpus.IdleCpus: the machine's idle CPUs lately, from /proc/stat
readings given by the test (no timing, no real machine)."""
from __future__ import annotations

from pathlib import Path

import pytest

from pytest_pyglet_media.play import idle_cpus
from pytest_pyglet_media.play.idle_cpus import IdleCpus, read_proc_stat


class Machine:
    """Fake /proc/stat totals and a fake clock, moved by the test."""

    def __init__(self) -> None:
        self.idle = self.total = 0
        self.at = 0.0

    def run(self, seconds: float, cpus: int, idle_cpus: float) -> None:
        ticks = round(seconds * 100)
        self.total += ticks * cpus
        self.idle += round(ticks * idle_cpus)
        self.at += seconds

    def read(self) -> tuple[int, int]:
        return self.idle, self.total


def test_the_idle_cpus_over_the_last_window():
    machine = Machine()
    idle = IdleCpus(2, read=machine.read, clock=lambda: machine.at)
    assert idle.now() is None  # one reading tells nothing
    machine.run(0.05, 2, 2.0)
    assert idle.now() is None  # too short a span yet
    machine.run(0.2, 2, 1.0)  # a CPU hog takes one of the two CPUs
    assert idle.now() == pytest.approx((0.05 * 2 + 0.2 * 1) / 0.25, abs=0.05)
    for _ in range(10):  # the hog goes: the old readings leave the window
        machine.run(0.1, 2, 2.0)
        seen = idle.now()
    assert seen == pytest.approx(2.0)


def test_unreadable_or_odd_proc_stat_means_not_known(tmp_path: Path):
    assert read_proc_stat(str(tmp_path / "missing")) is None
    odd = tmp_path / "stat"
    odd.write_text("intr 1 2 3\n")
    assert read_proc_stat(str(odd)) is None
    odd.write_text("cpu  10 0 5 80 5 0 0 0 0 0\ncpu0 5 0 2 40 3 0 0 0 0 0\n")
    assert read_proc_stat(str(odd)) == (85, 100)  # idle and iowait; guest not counted twice
    assert IdleCpus(2, read=lambda: None).now() is None


@pytest.mark.skipif(not Path(idle_cpus.STAT).exists(), reason="Linux only")
def test_this_machine_reads():
    reading = read_proc_stat()
    assert reading is not None and 0 <= reading[0] <= reading[1]
