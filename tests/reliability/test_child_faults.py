"""Faults in the child player: each yields the right verdict and a readable message.

Segfault, abort, hang, exit without a recording, megabytes of stderr, and a
play that never reaches the end of stream (moved here from
tests/plugin/test_plugin_verdicts.py, plus the play in progress).
"""
from __future__ import annotations

import re
import uuid

import pytest

from pytest_pyglet_media.play.runner import STDERR_TAIL_BYTES
from pytest_pyglet_media.store import recording as rec


@pytest.mark.parametrize("player, signame", [("segfault", "SIGSEGV"), ("abort", "SIGABRT")])
def test_crash_is_retried_then_fails_as_always_crashed(mp, player, signame):
    mp.add("a.mp4")
    run = mp.run("--mp-retries=2", player=player)
    assert run.outcomes() == {"failed": 1, "rerun": 2}
    # the progress line: two reruns, then the failure
    assert re.search(r"^samples/a\.mp4 RRF\s", run.out, re.M), run.out
    text = run.section("a.mp4")
    assert text.startswith(f"a.mp4: the player crashed: the player was killed by {signame}")
    assert f"recording: {run.recording('a.mp4')}" in text
    summary = run.summary()
    assert "Samples that always crashed: 1" in summary
    assert "Samples that always crashed (in every attempt to play)\na.mp4\n" in summary
    assert "Crash retries in this run: 2" in summary
    # the placeholder is what remains of a crashed play
    assert rec.load(run.recording("a.mp4")) == rec.crash_placeholder("a.mp4")


def test_hang_times_out_and_leaves_no_process(mp, monkeypatch):
    marker = f"mp-hang-{uuid.uuid4().hex}"
    monkeypatch.setenv("MP_DOUBLE_MARKER", marker)
    mp.add("a.mp4")
    run = mp.run("--mp-timeout=1", "--mp-retries=0", player="hang")
    assert run.outcomes() == {"failed": 1}
    text = run.section("a.mp4")
    assert text.startswith("a.mp4: the player timed out: still playing at the timeout")
    # the double did start its grandchild, and nothing of it survives
    pid_file = run.recording("a.mp4").with_name("a.mp4.dbg.grandchild")
    assert int(pid_file.read_text())
    assert mp.live_processes_with(marker) == []
    summary = run.summary()
    assert "Samples that always timed out (in every attempt to play)\na.mp4\n" in summary


def test_hang_without_mp_timeout_is_killed_after_the_stall_timeout(mp, monkeypatch):
    """A hung player is caught by its missing progress (no
    heartbeat), long before the play's limit (here 120 s: no ffprobe
    reference for a double's fake sample, or 60 s and more with one)."""
    marker = f"mp-stall-{uuid.uuid4().hex}"
    monkeypatch.setenv("MP_DOUBLE_MARKER", marker)
    mp.add("a.mp4")
    run = mp.run("--mp-stall-timeout=1", "--mp-retries=0", "--durations=0", player="hang")
    assert run.outcomes() == {"failed": 1}
    text = run.section("a.mp4")
    assert text.startswith("a.mp4: the player timed out: no progress for 1 s (since it "
                           "started); killed as hung with its process group"), text
    duration = float(re.search(r"^([\d.]+)s call\s+samples/a\.mp4::play$", run.out, re.M)[1])
    assert duration < 10, run.out
    assert mp.live_processes_with(marker) == []


def test_no_recording_is_a_crash_saying_so(mp):
    mp.add("a.mp4")
    run = mp.run("--mp-retries=1", player="no_recording")
    assert run.outcomes() == {"failed": 1, "rerun": 1}
    text = run.section("a.mp4")
    assert "the player wrote no recording" in text
    assert "exited with status 0" in text


def test_megabytes_of_stderr_show_only_the_tail(mp):
    mp.add("a.mp4")
    run = mp.run("--mp-retries=0", player="noisy_crash")
    assert run.outcomes() == {"failed": 1}
    text = run.section("a.mp4")
    assert "player stderr (last lines):" in text
    assert "NOISY-LAST-LINE" in text
    assert "NOISY-FIRST-LINE" not in run.out
    # the message's last lines, plus the player's output as a captured
    # section, itself cut to the runner's tail
    assert len(text) < 4096 + STDERR_TAIL_BYTES
    assert len(run.out) < 64 * 1024


def test_play_that_never_ends_times_out_keeping_its_partial_recording(mp, no_internal_error):
    """A player stuck mid-play: events recorded, no end of stream, never exits."""
    mp.add("inprogress_a.mp4", "perfect_b.mp4")
    run = mp.run("-v", "--mp-timeout=1", "--mp-retries=1", player="reliability")
    no_internal_error(run.out + run.err)
    assert run.statuses() == {mp.nodeid("inprogress_a.mp4"): "FAILED",
                              mp.nodeid("perfect_b.mp4"): "PASSED"}
    assert run.outcomes() == {"failed": 1, "passed": 1, "rerun": 1}
    text = run.section("inprogress_a.mp4")
    assert text.startswith("inprogress_a.mp4: the player timed out: still playing at the "
                           "timeout (--mp-timeout 1 s); killed with its process group"), text
    assert f"recording: {run.recording('inprogress_a.mp4')}" in text
    events = rec.load(run.recording("inprogress_a.mp4"))
    assert len(events) > 3 and ("p.P.oe",) not in events  # the play in progress
    summary = run.summary()
    assert "Samples that always timed out (in every attempt to play)\ninprogress_a.mp4\n" in summary
    assert "Relevant samples with perfect play: 1 / 1" in summary
    # no player of it is left
    assert mp.live_processes_with(str(mp.samples / "inprogress_a.mp4")) == []


def test_a_replay_that_writes_nothing_is_never_judged_on_the_old_recording(mp):
    """A player exiting before writing anything fails: the sample's previous
    recording is never judged in its place."""
    mp.add("a.mp4")
    first = mp.run("--mp-session=s", player="perfect")
    assert first.outcomes() == {"passed": 1}
    again = mp.run("--mp-session=s", "--mp-retries=0", player="no_recording")
    assert again.outcomes() == {"failed": 1}
    assert "the player wrote no recording" in again.section("a.mp4")
    # what remains says what this attempt did: a crash, not the old play
    assert rec.load(again.recording("a.mp4", "s")) == rec.crash_placeholder("a.mp4")


def test_a_recording_that_cannot_be_written_is_a_crash_naming_why(mp):
    mp.add("a.mp4")
    mp.run("--mp-session=s", player="perfect")
    target = mp.samples / "s" / "dbg" / "a.mp4.dbg"
    target.unlink()
    target.mkdir()  # stands where the recording must go: writing it fails
    run = mp.run("--mp-session=s", "--mp-retries=0", player="perfect")
    assert run.outcomes() == {"failed": 1}
    assert "cannot write the recording" in run.section("a.mp4")
    assert "Is a directory" in run.section("a.mp4")
