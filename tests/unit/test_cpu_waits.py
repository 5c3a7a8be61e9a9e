"""The player's waits for a CPU (play/cpu_waits.py), read from /proc here and now.

No pyglet: a stand-in clock and logger; no process is started.
"""
from __future__ import annotations

import os
import sys

import pytest

from pytest_pyglet_media.play import cpu_waits

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")


@linux
def test_every_thread_of_the_process_is_counted():
    sampler = cpu_waits.WaitSampler()
    assert sampler.available
    assert any(tid.startswith("self/") for tid in sampler._last)
    assert sampler.waited() >= 0.0


def test_a_thread_that_ended_costs_no_negative_wait():
    sampler = cpu_waits.WaitSampler()
    sampler._last = {"self/1": 10**9, "self/2": 5}  # 1 is gone; 2 is back at 3
    sampler._read = lambda: {"self/2": 3, "self/3": 2_000_000}  # type: ignore[method-assign]
    assert sampler.waited() == pytest.approx(0.002)


def test_the_sound_servers_pid_file_beside_its_socket(tmp_path):
    (tmp_path / "pulse").mkdir()
    (tmp_path / "pulse" / "pid").write_text(f"{os.getpid()}\n")
    socket = tmp_path / "pulse" / "native"
    found = cpu_waits.sound_server_pid({"PULSE_SERVER": f"tcp:x unix:{socket}"})
    assert found == (os.getpid() if os.path.isdir(f"/proc/{os.getpid()}/task") else None)
    assert cpu_waits.sound_server_pid({"XDG_RUNTIME_DIR": str(tmp_path)}) == found
    assert cpu_waits.sound_server_pid({}) is None
    (tmp_path / "pulse" / "pid").write_text("not a pid")
    assert cpu_waits.sound_server_pid({"XDG_RUNTIME_DIR": str(tmp_path)}) is None


class Clock:
    def __init__(self) -> None:
        self.scheduled = []

    def schedule_interval(self, fn, interval):
        self.scheduled.append((fn, interval))


class Logger:
    def __init__(self) -> None:
        self.log_entries: list[tuple] = []
        self.start_wall_time = None
        self.now = 0.0

    def rebased_wall_time(self) -> float:
        return self.now


@linux
def test_stretches_are_logged_with_their_wall_times_and_the_last_always():
    pyglet = type("pyglet", (), {"clock": Clock()})
    logger = Logger()
    end = cpu_waits.start(pyglet, logger)
    (tick, interval), = pyglet.clock.scheduled
    assert interval == cpu_waits.SAMPLE_INTERVAL
    tick(0.05)  # not playing yet: nothing logged
    assert logger.log_entries == []
    logger.start_wall_time, logger.now = 1.0, 0.3
    end()
    (name, began, until, waited), = logger.log_entries
    assert (name, began, until) == ("mp.wait", 0.0, 0.3) and waited >= 0.0
