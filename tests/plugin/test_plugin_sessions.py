"""Which session a run records into, protection, playlists and option errors."""
from __future__ import annotations

import pytest

from pytest_pyglet_media.store import sessions

USAGE_ERROR = int(pytest.ExitCode.USAGE_ERROR)


def test_default_sessions_are_numbered_testruns(mp):
    mp.add("perfect_a.mp4")
    assert mp.run().ret == 0
    assert mp.run().ret == 0
    # hidden folders are the store's own (its reference cache), not sessions
    assert sorted(p.name for p in mp.samples.iterdir()
                  if p.is_dir() and not p.name.startswith(".")) == ["testrun_00", "testrun_01"]
    for name in ("testrun_00", "testrun_01"):
        assert (mp.samples / name / "dbg" / "perfect_a.mp4.dbg").is_file()
        assert (mp.samples / name / "reports" / "00_summary.txt").is_file()


def test_named_session_is_created_then_reused(mp):
    mp.add("perfect_a.mp4")
    first = mp.run("--mp-session=mine")
    assert first.ret == 0
    recording = first.recording("perfect_a.mp4", session="mine")
    _mark(recording)
    second = mp.run("--mp-session=mine")
    assert second.ret == 0
    assert second.sessions() == ["mine"]
    assert _played(recording)
    assert "session mine" in second.out


def test_active_session_is_used_without_option(mp):
    mp.add("perfect_a.mp4")
    assert mp.run("--mp-session=active_one").ret == 0
    sessions.set_active_session(mp.samples, "active_one")
    run = mp.run()
    assert run.ret == 0
    assert run.sessions() == ["active_one"]
    assert "session active_one" in run.out


def test_active_session_not_yet_created_is_created(mp):
    mp.add("perfect_a.mp4")
    sessions.set_active_session(mp.samples, "planned")
    run = mp.run()
    assert run.ret == 0
    assert run.sessions() == ["planned"]


SENTINEL = b"sentinel, not a recording"


def _mark(recording):
    """Replace a recording with a sentinel, to tell later whether a run played it."""
    recording.unlink()
    recording.write_bytes(SENTINEL)


def _played(recording):
    return recording.read_bytes() != SENTINEL


def _protect(mp, name, **flags):
    paths = sessions.SessionPaths(mp.samples, name)
    sessions.update_configuration(paths, **flags)


def test_protected_session_is_refused_before_playing(mp):
    mp.add("perfect_a.mp4", "perfect_b.mp4")
    first = mp.run("--mp-session=keep")
    assert first.ret == 0
    recording = first.recording("perfect_a.mp4", session="keep")
    _mark(recording)
    _protect(mp, "keep", protect_raw_data=True)
    run = mp.run("--mp-session=keep")
    assert run.ret == USAGE_ERROR
    assert "protect_raw_data" in run.err
    assert "--mp-session=" in run.err and "dev_debug" in run.err
    assert "Traceback" not in run.err + run.out
    # no sample ran: its recording is untouched
    assert not _played(recording)
    assert "passed" not in run.out


def test_protected_active_session_is_refused_too(mp):
    mp.add("perfect_a.mp4")
    assert mp.run("--mp-session=keep").ret == 0
    _protect(mp, "keep", protect_raw_data=True)
    sessions.set_active_session(mp.samples, "keep")
    run = mp.run()
    assert run.ret == USAGE_ERROR
    assert "keep" in run.err and "protect_raw_data" in run.err


def test_protected_session_can_still_be_listed(mp):
    mp.add("perfect_a.mp4")
    assert mp.run("--mp-session=keep").ret == 0
    _protect(mp, "keep", protect_raw_data=True)
    run = mp.run("--mp-session=keep", "--collect-only", "-q")
    assert run.ret == 0
    assert mp.nodeid("perfect_a.mp4") in run.out


def test_dev_debug_allows_rewriting_a_protected_session(mp):
    mp.add("perfect_a.mp4")
    first = mp.run("--mp-session=keep")
    _mark(first.recording("perfect_a.mp4", session="keep"))
    _protect(mp, "keep", protect_raw_data=True, dev_debug=True)
    run = mp.run("--mp-session=keep")
    assert run.ret == 0
    assert run.outcomes() == {"passed": 1}
    assert _played(first.recording("perfect_a.mp4", session="keep"))


def test_playlist_limits_the_samples(mp):
    mp.add("perfect_a.mp4", "perfect_b.mp4", "perfect_c.mp4")
    playlist = mp.pytester.path / "only.txt"
    playlist.write_text("# two of three\nperfect_c.mp4\n\nperfect_a.mp4\n")
    run = mp.run("-v", f"--mp-playlist={playlist}")
    assert run.statuses() == {mp.nodeid("perfect_a.mp4"): "PASSED",
                              mp.nodeid("perfect_c.mp4"): "PASSED"}
    assert "Samples in the playlist: 2" in run.summary()
    # the session keeps its playlist: a later run of it plays the same two
    run = mp.run("-v", "--mp-session=testrun_00")
    assert set(run.statuses()) == {mp.nodeid("perfect_a.mp4"), mp.nodeid("perfect_c.mp4")}


def test_playlist_naming_a_missing_sample_is_a_usage_error(mp):
    mp.add("perfect_a.mp4")
    playlist = mp.pytester.path / "bad.txt"
    playlist.write_text("perfect_a.mp4\nghost.mp4\n")
    run = mp.run(f"--mp-playlist={playlist}")
    assert run.ret == USAGE_ERROR
    assert "ghost.mp4" in run.err and str(playlist) in run.err
    assert not any(p.is_dir() for p in mp.samples.iterdir())


@pytest.mark.parametrize("option, value, words", [
    ("--mp-timeout", "abc", "not a number"),
    ("--mp-timeout", "0", "positive"),
    ("--mp-retries", "-1", "negative"),
    ("--mp-retries", "two", "whole number"),
    ("--mp-audio", "bogus", "unknown audio driver"),
])
def test_bad_option_on_command_line(mp, option, value, words):
    mp.add("perfect_a.mp4")
    run = mp.run(f"{option}={value}")
    assert run.ret == USAGE_ERROR
    assert option in run.err and repr(value) in run.err
    assert "command line" in run.err and words in run.err
    assert not any(p.is_dir() for p in mp.samples.iterdir())


def test_bad_ini_value_names_the_ini_file(mp):
    mp.add("perfect_a.mp4")
    ini = mp.pytester.makeini("[pytest]\nmp_retries = -1\n")
    run = mp.run()
    assert run.ret == USAGE_ERROR
    assert "--mp-retries" in run.err and f"mp_retries in {ini}" in run.err


def test_bad_environment_value_names_the_variable(mp, monkeypatch):
    mp.add("perfect_a.mp4")
    monkeypatch.setenv("PYTEST_MP_TIMEOUT", "soon")
    run = mp.run()
    assert run.ret == USAGE_ERROR
    assert "environment variable PYTEST_MP_TIMEOUT" in run.err


def test_command_line_beats_ini(mp):
    mp.add("segfault_a.mp4")
    mp.pytester.makeini("[pytest]\nmp_retries = 3\n")
    run = mp.run("--mp-retries=1")
    assert run.outcomes() == {"failed": 1, "rerun": 1}


def test_missing_samples_dir_is_a_usage_error(mp):
    run = mp.run(samples_dir="nowhere")
    assert run.ret == USAGE_ERROR
    assert "nowhere" in run.err and "does not exist" in run.err


def test_bad_session_name_is_a_usage_error(mp):
    mp.add("perfect_a.mp4")
    run = mp.run("--mp-session=a:b")
    assert run.ret == USAGE_ERROR
    assert "'a:b'" in run.err
    assert not any(p.is_dir() for p in mp.samples.iterdir())


def test_activation_file_that_is_not_json_is_a_usage_error(mp):
    mp.add("perfect_a.mp4")
    (mp.samples / "activation.json").write_text("{not json")
    run = mp.run()
    assert run.ret == USAGE_ERROR
    assert "activation.json" in run.err


def test_protected_reports_are_not_rewritten(mp):
    mp.add("perfect_a.mp4")
    first = mp.run("--mp-session=keep")
    summary = mp.samples / "keep" / "reports" / "00_summary.txt"
    summary.write_text("hand-edited summary\n")
    _protect(mp, "keep", protect_reports=True)
    run = mp.run("--mp-session=keep")
    assert run.outcomes() == {"passed": 1}
    assert summary.read_text() == "hand-edited summary\n"
    assert "protect_reports" in run.out
    assert first.ret == 0
