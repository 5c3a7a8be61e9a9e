"""Interruptions: Ctrl-C during a run, and an xdist worker killed outright.

Ctrl-C stops the players, keeps every recording finished so far and marks the
summary as interrupted; a worker killed with SIGKILL loses only the sample it
was playing.
"""
from __future__ import annotations

import os
import signal
import subprocess
import uuid
from pathlib import Path

import pytest
from mp_support.inner_runs import ctrl_c, reap, start_inner_run, wait_until

from pytest_pyglet_media.store import recording as rec

FINISHED = ("a1.mp4", "a2.mp4", "a3.mp4")  # played (perfectly) before the hang


def _start_inner_run(mp, log: Path, *options: str) -> subprocess.Popen:
    """An inner pytest run of the by_name doubles, no timeout in sight, as a
    terminal's foreground job (mp_support.inner_runs)."""
    return start_inner_run(mp.pytester, log, "-p", "no:xdist", "--mp-samples-dir=samples",
                           "--mp-player=doubles.by_name", "--mp-timeout=600",
                           "--mp-stall-timeout=600", *options)


def _grandchild_started(dbg: Path, *samples: str):
    """A hanging double's grandchild wrote its pid beside the recording."""
    files = [dbg / f"{s}.dbg.grandchild" for s in samples]
    return lambda: all(f.exists() and f.read_text().strip() for f in files)


def test_ctrl_c_stops_players_keeps_recordings_and_marks_the_summary(mp, monkeypatch):
    marker = f"mp-int-{uuid.uuid4().hex}"
    monkeypatch.setenv("MP_DOUBLE_MARKER", marker)
    mp.add(*FINISHED, "hang_b.mp4", "z_never.mp4")  # played in this (sorted) order
    log = mp.pytester.path / "inner.log"
    # one at a time: z_never is not started ahead
    proc = _start_inner_run(mp, log, "--mp-players=1")
    dbg = mp.samples / "testrun_00" / "dbg"
    try:
        wait_until(proc, log, _grandchild_started(dbg, "hang_b.mp4"),
                   "the player never started")
        assert mp.live_processes_with(marker)  # the hanging player's grandchild runs now
        finished = {s: (dbg / f"{s}.dbg").read_bytes() for s in FINISHED}
        ctrl_c(proc)
    finally:
        reap(proc)
    out = log.read_text()
    assert proc.returncode == int(pytest.ExitCode.INTERRUPTED), out
    assert "KeyboardInterrupt" in out and "INTERNALERROR" not in out
    # no player (nor its grandchild) is left
    assert mp.live_processes_with(marker) == []
    assert mp.live_processes_with(str(mp.samples / "hang_b.mp4")) == []
    # the recordings finished before Ctrl-C are kept, byte for byte
    for sample, data in finished.items():
        assert (dbg / f"{sample}.dbg").read_bytes() == data
        assert rec.load(dbg / f"{sample}.dbg")[-1] == ("p.P.oe",)
    assert not (dbg / "z_never.mp4.dbg").exists()
    summary = (mp.samples / "testrun_00" / "reports" / "00_summary.txt").read_text()
    assert "*** The run was interrupted" in summary
    assert "Relevant samples with perfect play: 3 / 3" in summary
    assert "Appendix, list of samples without dbg\n\tz_never.mp4\n" in summary
    # the sample in flight counts as interrupted, not crashed
    assert "Samples interrupted or being played, without a verdict: 1" in summary
    assert "Appendix, samples interrupted or being played (no verdict)\n\thang_b.mp4\n" \
        in summary
    assert "Samples that always crashed" not in summary


def test_a_run_killed_outright_leaves_its_sample_in_flight_interrupted_not_crashed(mp, mpcli,
                                                                                  monkeypatch):
    """SIGKILL of pytest itself: nothing ends the play in order, the marker stays
    with a dead pid; summarize lists the sample as interrupted, never crashed."""
    marker = f"mp-kill-{uuid.uuid4().hex}"
    monkeypatch.setenv("MP_DOUBLE_MARKER", marker)
    mp.add("a1.mp4", "hang_b.mp4")
    log = mp.pytester.path / "inner.log"
    proc = _start_inner_run(mp, log, "--mp-players=1", "--mp-session=s")
    dbg = mp.samples / "s" / "dbg"
    try:
        wait_until(proc, log, _grandchild_started(dbg, "hang_b.mp4"),
                   "the player never started")
        os.killpg(proc.pid, signal.SIGKILL)  # the run and its players, all at once
    finally:
        reap(proc)
    assert mpcli("summarize", "--session", "s", f"--samples-dir={mp.samples}").code == 0
    summary = (mp.samples / "s" / "reports" / "00_summary.txt").read_text()
    assert "Appendix, samples interrupted or being played (no verdict)\n\thang_b.mp4\n" \
        in summary
    assert "Samples that always crashed" not in summary


#: around the killer in the (sorted) playlist: some are played after the worker died
OTHERS = ("aa1.mp4", "aa2.mp4", "zz1.mp4", "zz2.mp4", "zz3.mp4")


def test_killed_xdist_worker_loses_only_its_sample(mp, monkeypatch, no_internal_error):
    play_log = mp.pytester.path / "plays.log"
    monkeypatch.setenv("MP_DOUBLE_LOG", str(play_log))
    mp.add(*OTHERS, "killer_k.mp4")
    run = mp.run("-v", "-n", "2", "--mp-retries=2", player="reliability")
    assert "INTERNALERROR" not in run.out + run.err
    assert "crashed while running" in run.out  # xdist says so
    statuses = run.statuses()
    assert statuses == {**{mp.nodeid(s): "PASSED" for s in OTHERS},
                        mp.nodeid("killer_k.mp4"): "FAILED"}, run.out
    # the killed one played once (a dead worker retries nothing); the worker
    # may have started its next item's play ahead (concurrency.py): that one
    # died with it and was played again by the other worker, no other
    plays = [line.split("\t")[0] for line in play_log.read_text().splitlines()]
    assert plays.count("killer_k.mp4") == 1
    assert set(plays) == {*OTHERS, "killer_k.mp4"}
    assert len(plays) - len(set(plays)) <= 1, plays
    # its placeholder is gone; the summary lists it among samples with no recording
    assert not run.recording("killer_k.mp4").exists()
    summary = run.summary()
    assert "Samples with no .dbg recording: 1" in summary
    assert "Appendix, list of samples without dbg\n\tkiller_k.mp4\n" in summary
    assert "Relevant samples with perfect play: 5 / 5" in summary
    assert "killer_k.mp4: its xdist worker died while playing it" in run.out
    for sample in OTHERS:
        assert rec.load(run.recording(sample))[-1] == ("p.P.oe",)
    # its player died with the worker (it would have slept on)
    assert mp.live_processes_with(str(mp.samples / "killer_k.mp4")) == []


def test_summarize_during_a_run_says_the_sample_is_being_played(mp, pyglet_mp, monkeypatch):
    """summarize while a sample plays lists it as being played, never as 'always crashed'."""
    marker = f"mp-int-{uuid.uuid4().hex}"
    monkeypatch.setenv("MP_DOUBLE_MARKER", marker)
    mp.add("a1.mp4", "hang_b.mp4")
    log = mp.pytester.path / "inner.log"
    proc = _start_inner_run(mp, log, "--mp-session=s")
    dbg = mp.samples / "s" / "dbg"
    try:
        wait_until(proc, log, _grandchild_started(dbg, "hang_b.mp4"), "the player never started")
        result = pyglet_mp("summarize", "--samples-dir", "samples", "--session", "s")
        assert result.code == 0, result.out + result.err
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for pid, _ in mp.live_processes_with(marker):
            os.kill(pid, signal.SIGKILL)
    summary = (mp.samples / "s" / "reports" / "00_summary.txt").read_text()
    assert "Samples interrupted or being played, without a verdict: 1" in summary
    assert "Samples that always crashed" not in summary
    index = (mp.samples / "s" / "reports" / "index.html").read_text()
    assert "being played now (process" in index


def test_ctrl_c_stops_every_play_started_ahead(mp, monkeypatch):
    """Several samples play at once (the default): Ctrl-C while two hang
    stops both players (and their children), keeps the finished recordings
    and lists both hanging samples as interrupted, not crashed."""
    marker = f"mp-int-{uuid.uuid4().hex}"
    monkeypatch.setenv("MP_DOUBLE_MARKER", marker)
    mp.add("a1.mp4", "hang_b.mp4", "hang_c.mp4")
    log = mp.pytester.path / "inner.log"
    # --mp-players given: the machine's idle CPUs are not looked at (on a busy
    # runner they could hold hang_c back until the wait below gives up)
    proc = _start_inner_run(mp, log, "--mp-order=playlist", "--mp-players=16")
    dbg = mp.samples / "testrun_00" / "dbg"
    both_hang = _grandchild_started(dbg, "hang_b.mp4", "hang_c.mp4")
    a1 = dbg / "a1.mp4.dbg"
    try:
        wait_until(proc, log,
                   lambda: both_hang() and a1.exists() and rec.load(a1)[-1] == ("p.P.oe",),
                   "the players never started together")
        assert len(mp.live_processes_with(marker)) == 2  # both hang at once
        finished = a1.read_bytes()
        ctrl_c(proc)
    finally:
        reap(proc)
    out = log.read_text()
    assert proc.returncode == int(pytest.ExitCode.INTERRUPTED), out
    assert "INTERNALERROR" not in out
    assert mp.live_processes_with(marker) == []
    assert mp.live_processes_with(str(mp.samples / "hang_b.mp4")) == []
    assert mp.live_processes_with(str(mp.samples / "hang_c.mp4")) == []
    assert (dbg / "a1.mp4.dbg").read_bytes() == finished
    summary = (mp.samples / "testrun_00" / "reports" / "00_summary.txt").read_text()
    assert "*** The run was interrupted" in summary
    assert "Samples interrupted or being played, without a verdict: 2" in summary, summary
    assert "Samples that always crashed" not in summary
