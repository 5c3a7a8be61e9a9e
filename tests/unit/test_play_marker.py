"""play_marker.py: the marker a play keeps in dbg/ while it plays, and every
reader of it agreeing on what it says (the summary, prune)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_pyglet_media.cli import prune
from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.report import session_writer
from pytest_pyglet_media.store import play_marker, recording
from pytest_pyglet_media.store import sessions

SAMPLE = "a.mp4"


@pytest.fixture
def samples_dir(tmp_path):
    folder = tmp_path / "samples"
    folder.mkdir()
    (folder / SAMPLE).write_bytes(b"media")
    return folder


def _session(samples_dir, name):
    """A session whose only sample's play started: its crash placeholder is in place."""
    paths = sessions.create_session(samples_dir, name, [SAMPLE], has_playlist=False, versions={},
                                 samples_version="v1")
    recording.save(paths.recording(SAMPLE), recording.crash_placeholder(SAMPLE))
    return paths


def _dead_pid():
    """A pid no process has: the kernel hands out pids below pid_max."""
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1


def _readers(samples_dir, paths):
    """What the summary and prune each make of the session's marker."""
    outcome = session_writer.session_results(paths)[SAMPLE].outcome
    decisions = {d.name: d for d in prune.plan(samples_dir, samples_dir, keep=0)}
    return outcome, decisions[paths.name].remove


@pytest.fixture
def older(samples_dir):
    """testrun_00, and testrun_01 with the same verdicts: prune removes the
    older unless something keeps it."""
    paths = _session(samples_dir, "testrun_00")
    _session(samples_dir, "testrun_01")
    return paths


def test_no_marker_a_crash_that_prune_may_remove(samples_dir, older):
    assert play_marker.read(older.playing(SAMPLE)) is None
    assert not play_marker.any_marked(older)
    assert _readers(samples_dir, older) == (an.CRASHED, True)


def test_a_play_going_on(samples_dir, older):
    marker = older.playing(SAMPLE)
    play_marker.mark_playing(marker)
    assert play_marker.read(marker) == play_marker.Marker(pid=os.getpid())
    assert play_marker.any_marked(older)
    assert _readers(samples_dir, older) == (an.PLAYING, False)


def test_an_interrupted_play(samples_dir, older):
    marker = older.playing(SAMPLE)
    play_marker.mark_interrupted(marker)
    assert play_marker.read(marker) == play_marker.Marker(interrupted=True)
    assert _readers(samples_dir, older) == (an.INTERRUPTED, False)


def test_a_play_whose_run_died_reads_as_interrupted_and_keeps_its_session(samples_dir, older):
    """The run was killed mid-play (SIGKILL): no verdict, never "always crashed"."""
    marker = older.playing(SAMPLE)
    marker.write_text(f'{{"pid": {_dead_pid()}}}\n')
    assert not play_marker.read(marker).player_alive()
    assert _readers(samples_dir, older) == (an.INTERRUPTED, False)


def test_removed_marker_reads_as_none(samples_dir, older):
    marker = older.playing(SAMPLE)
    play_marker.mark_playing(marker)
    play_marker.remove(marker)
    play_marker.remove(marker)  # twice: nothing to remove is fine
    assert play_marker.read(marker) is None
    assert _readers(samples_dir, older) == (an.CRASHED, True)


@pytest.mark.parametrize("text", ["", "not json", "[1]", '{"pid": 0}', '{"pid": "1"}',
                                  '{"interrupted": 1}', '{"pid": true}'])
def test_a_file_that_is_not_a_marker_says_nothing(samples_dir, older, text):
    marker = older.playing(SAMPLE)
    marker.write_text(text)
    assert play_marker.read(marker) is None


def test_the_marker_of_a_long_name_is_still_found(samples_dir):
    long_name = "x" * 250 + ".mp4"
    (samples_dir / long_name).write_bytes(b"media")
    paths = sessions.create_session(samples_dir, "long", [long_name], has_playlist=False,
                                 versions={}, samples_version="v1")
    marker = paths.playing(long_name)
    assert len(marker.name.encode()) <= 255
    play_marker.mark_playing(marker)
    assert play_marker.any_marked(paths)


def test_writing_into_a_missing_folder_does_not_fail_the_play(tmp_path):
    play_marker.mark_playing(tmp_path / "gone" / "a.mp4.playing")
    assert not (tmp_path / "gone").exists()
