"""pyglet-mp commands that play or summarize: playmany, retry-crashed, summarize,
run-test-suite; and protection.

Samples are played by the doubles tests/doubles/cli_*.py (never pyglet): selected
with `-- --mp-player=MODULE` for playmany/run-test-suite, and with
PYTEST_ADDOPTS for retry-crashed, which takes no pytest arguments.
"""
from __future__ import annotations

import json

import pytest

from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.store import recording

PERFECT_ARGS = ("--", "-q", "--mp-player=doubles.cli_perfect")
CRASH_ARGS = ("--", "-q", "--mp-player=doubles.cli_crash", "--mp-retries=0")


def outcome(path):
    return an.analyse(recording.load(path)).outcome


@pytest.fixture
def session(mp, samples_dir, tmp_path):
    """Active session 's' playing only a.mp4 and b.ogv (c.mkv stays out)."""
    playlist = tmp_path / "two.txt"
    playlist.write_text("a.mp4\nb.ogv\n")
    r = mp("new", "s", playlist)
    assert r.code == 0, r.output
    return "s"


# -- playmany ------------------------------------------------------------------------


def test_playmany_records_every_sample_of_the_playlist(mp, samples_dir, session, doubles, h):
    r = mp("playmany", *PERFECT_ARGS)
    assert r.code == 0, r.output
    assert sorted(h.plays(doubles)) == ["perfect a.mp4", "perfect b.ogv"]
    p = h.paths(samples_dir, session)
    assert outcome(p.recording("a.mp4")) == an.PERFECT
    assert outcome(p.recording("b.ogv")) == an.PERFECT
    assert not p.recording("c.mkv").exists()
    assert p.special_report("summary").is_file()
    assert "Traceback" not in r.output


def test_playmany_exit_1_when_a_sample_crashes(mp, samples_dir, session, doubles, h):
    r = mp("playmany", *CRASH_ARGS)
    assert r.code == 1, r.output
    assert "Traceback" not in r.err
    assert sorted(h.plays(doubles)) == ["crash a.mp4", "crash b.ogv"]
    assert outcome(h.paths(samples_dir, session).recording("a.mp4")) == an.CRASHED


def test_playmany_without_dashdash_passes_nothing_odd(mp, session):
    """A stray positional after playmany is not silently taken as anything else."""
    r = mp("playmany", "-q")
    assert r.code == 2
    r.assert_one_line_error("-q")


def test_playmany_refused_on_protected_raw_data(mp, samples_dir, session, doubles, h):
    before = h.write_recording(samples_dir, session, "a.mp4", crashed=True).read_bytes()
    assert mp("protect", "raw").code == 0
    r = mp("playmany", *PERFECT_ARGS)
    assert r.code == 2
    r.assert_one_line_error("protect_raw_data", "dev_debug")
    assert h.plays(doubles) == []
    assert h.paths(samples_dir, session).recording("a.mp4").read_bytes() == before


def test_playmany_not_refused_when_only_reports_are_protected(mp, samples_dir, session,
                                                               doubles, h):
    assert mp("protect", "reports").code == 0
    r = mp("playmany", *PERFECT_ARGS)
    assert r.code == 0, r.output
    assert len(h.plays(doubles)) == 2
    # but the reports stay unwritten
    assert not h.paths(samples_dir, session).special_report("summary").exists()


def test_dev_debug_allows_rewriting_a_protected_session(mp, samples_dir, session, doubles, h):
    h.write_recording(samples_dir, session, "a.mp4", crashed=True)
    assert mp("protect", "all").code == 0
    h.set_config(samples_dir, session, dev_debug=True)
    r = mp("playmany", *PERFECT_ARGS)
    assert r.code == 0, r.output
    assert outcome(h.paths(samples_dir, session).recording("a.mp4")) == an.PERFECT
    assert h.paths(samples_dir, session).special_report("summary").is_file()


# -- retry-crashed ---------------------------------------------------------------------


@pytest.fixture
def crashed_b(samples_dir, session, h):
    """a.mp4 played perfectly, b.ogv's latest recording is a crash."""
    a = h.write_recording(samples_dir, session, "a.mp4", crashed=False)
    h.write_recording(samples_dir, session, "b.ogv", crashed=True)
    return a


def test_retry_crashed_replays_only_the_crashed_samples(mp, samples_dir, session, crashed_b,
                                                        doubles, h, monkeypatch):
    monkeypatch.setenv("PYTEST_ADDOPTS", "-q --mp-player=doubles.cli_perfect")
    a_before = crashed_b.read_bytes()
    r = mp("retry-crashed")
    assert r.code == 0, r.output
    assert h.plays(doubles) == ["perfect b.ogv"]
    p = h.paths(samples_dir, session)
    assert outcome(p.recording("b.ogv")) == an.PERFECT
    assert p.recording("a.mp4").read_bytes() == a_before


def test_retry_crashed_with_nothing_crashed_plays_nothing(mp, samples_dir, session, doubles,
                                                          h, monkeypatch):
    monkeypatch.setenv("PYTEST_ADDOPTS", "--mp-player=doubles.cli_crash")
    h.write_recording(samples_dir, session, "a.mp4", crashed=False)
    r = mp("retry-crashed")  # b.ogv was never played: not a crash, not retried
    assert r.code == 0, r.output
    assert "no sample crashed" in r.out
    assert h.plays(doubles) == []


@pytest.mark.parametrize("max_retries,plays", [("1", 1), ("2", 2)])
def test_retry_crashed_plays_a_still_crashing_sample_max_retries_times(
        mp, samples_dir, session, crashed_b, doubles, h, monkeypatch, max_retries, plays):
    monkeypatch.setenv("PYTEST_ADDOPTS", "-q --mp-player=doubles.cli_crash")
    r = mp("retry-crashed", max_retries)
    assert r.code == 1, r.output
    assert h.plays(doubles) == ["crash b.ogv"] * plays
    state = json.loads(h.paths(samples_dir, session).retry_state.read_text())
    reasons = state["b.ogv"].pop("retry_reasons", [])
    assert state["b.ogv"] == {"attempts": plays, "crashed_attempts": plays}
    assert [kind for kind, _ in reasons] == ["crashed"] * (plays - 1)


@pytest.mark.parametrize("clean", [False, True])
def test_retry_crashed_clean_discards_earlier_crash_data(mp, samples_dir, session, crashed_b,
                                                         doubles, h, monkeypatch, clean):
    monkeypatch.setenv("PYTEST_ADDOPTS", "-q --mp-player=doubles.cli_perfect")
    state_file = h.paths(samples_dir, session).retry_state
    state_file.write_text(json.dumps({"a.mp4": {"attempts": 4, "crashed_attempts": 3}}))
    r = mp("retry-crashed", *(["--clean"] if clean else []))
    assert r.code == 0, r.output
    state = json.loads(state_file.read_text())
    assert state["b.ogv"] == {"attempts": 1, "crashed_attempts": 0}
    assert ("a.mp4" in state) is (not clean)


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_retry_crashed_bad_max_retries(mp, session, crashed_b, doubles, h, value):
    r = mp("retry-crashed", value)
    assert r.code == 2
    r.assert_one_line_error(value)
    assert h.plays(doubles) == []


def test_retry_crashed_refused_on_protected_raw_data(mp, samples_dir, session, crashed_b,
                                                     doubles, h, monkeypatch):
    monkeypatch.setenv("PYTEST_ADDOPTS", "--mp-player=doubles.cli_perfect")
    assert mp("protect", "raw").code == 0
    r = mp("retry-crashed")
    assert r.code == 2
    r.assert_one_line_error("protect_raw_data")
    assert h.plays(doubles) == []
    h.set_config(samples_dir, session, dev_debug=True)
    assert mp("retry-crashed").code == 0
    assert h.plays(doubles) == ["perfect b.ogv"]


# -- summarize ---------------------------------------------------------------------------


def test_summarize_writes_the_summary(mp, samples_dir, session, crashed_b, h):
    r = mp("summarize")
    assert r.code == 0, r.output
    p = h.paths(samples_dir, session)
    summary = p.special_report("summary")
    assert str(summary) in r.out
    text = summary.read_text()
    assert f"session: {session}" in text
    assert "Samples that always crashed: 1" in text
    assert p.special_report("pyglet_info").is_file()
    # the non-perfect sample gets its detail reports, the perfect one none
    assert p.report("b.ogv", "all").is_file()
    assert not p.report("a.mp4", "all").exists()


def test_summarize_names_the_crashed_samples_of_a_playmany(mp, samples_dir, session,
                                                           doubles, h):
    assert mp("playmany", *CRASH_ARGS).code == 1
    summary = h.paths(samples_dir, session).special_report("summary")
    summary.unlink()
    r = mp("summarize")
    assert r.code == 0, r.output
    text = summary.read_text()
    assert "Samples that always crashed (in every attempt to play)\na.mp4\nb.ogv" in text


def test_summarize_names_a_crash_known_only_from_its_recording(mp, samples_dir, session,
                                                              crashed_b, h):
    assert mp("summarize").code == 0
    text = h.paths(samples_dir, session).special_report("summary").read_text()
    assert "b.ogv" in text
    assert "No sample crashed the player" not in text


def test_summarize_refused_on_protected_reports(mp, samples_dir, session, crashed_b, h):
    assert mp("protect", "reports").code == 0
    r = mp("summarize")
    assert r.code == 2
    r.assert_one_line_error("protect_reports", "dev_debug")
    assert not h.paths(samples_dir, session).special_report("summary").exists()
    h.set_config(samples_dir, session, dev_debug=True)
    assert mp("summarize").code == 0
    assert h.paths(samples_dir, session).special_report("summary").is_file()


def test_summarize_allowed_when_only_raw_data_is_protected(mp, samples_dir, session,
                                                           crashed_b, h):
    assert mp("protect", "raw").code == 0
    assert mp("summarize").code == 0
    assert h.paths(samples_dir, session).special_report("summary").is_file()


# -- run-test-suite ------------------------------------------------------------------------


def test_run_test_suite_plays_summarizes_and_protects(mp, samples_dir, session, doubles, h):
    # '-q' first: it is a pytest argument, never SAMPLES_DIR
    r = mp("run-test-suite", *PERFECT_ARGS)
    assert r.code == 0, r.output
    assert sorted(h.plays(doubles)) == ["perfect a.mp4", "perfect b.ogv"]
    p = h.paths(samples_dir, session)
    assert p.special_report("summary").is_file()
    conf = h.config(samples_dir, session)
    assert conf["protect_raw_data"] is True and conf["protect_reports"] is True
    # a finished test run is never re-recorded
    r = mp("run-test-suite", *PERFECT_ARGS)
    assert r.code == 2
    r.assert_one_line_error("protect_raw_data")
    assert len(h.plays(doubles)) == 2


def test_run_test_suite_protects_even_when_samples_fail(mp, samples_dir, session, doubles, h):
    r = mp("run-test-suite", *CRASH_ARGS)
    assert r.code == 1, r.output
    conf = h.config(samples_dir, session)
    assert conf["protect_raw_data"] is True and conf["protect_reports"] is True


def test_run_test_suite_refuses_a_session_with_recordings(mp, samples_dir, session, doubles, h):
    h.write_recording(samples_dir, session, "a.mp4", crashed=True)
    r = mp("run-test-suite", *PERFECT_ARGS)
    assert r.code == 2
    r.assert_one_line_error("already has recordings")
    assert h.plays(doubles) == []
    assert h.config(samples_dir, session)["protect_raw_data"] is False


def test_run_test_suite_on_a_samples_dir_creates_testrun_sessions(mp, tmp_path, doubles, h,
                                                                  fake_versions):
    target = tmp_path / "fresh"
    target.mkdir()
    (target / "x.mp4").write_bytes(b"x")
    (target / "readme.txt").write_text("not a sample")
    r = mp("run-test-suite", target, *PERFECT_ARGS)
    assert r.code == 0, r.output
    assert h.plays(doubles) == ["perfect x.mp4"]
    assert h.config(target, "testrun_00")["protect_raw_data"] is True
    assert h.config(target, "testrun_00")["protect_reports"] is True
    assert h.paths(target, "testrun_00").special_report("summary").is_file()
    assert json.loads(h.paths(target, "testrun_00").versions.read_text()) == h.FAKE_VERSIONS
    # the name is taken now: the next run gets testrun_01, testrun_00 untouched
    r = mp("run-test-suite", target, *PERFECT_ARGS)
    assert r.code == 0, r.output
    assert h.paths(target, "testrun_01").exists()
    assert len(h.plays(doubles)) == 2


@pytest.mark.parametrize("where", ["after", "before"])
def test_run_test_suite_plays_a_samples_dir_option_with_no_active_session(
        mp, tmp_path, doubles, h, fake_versions, where):
    target = tmp_path / "fresh"
    target.mkdir()
    (target / "x.mp4").write_bytes(b"x")
    option = ("--samples-dir", str(target))
    argv = ("run-test-suite", *option) if where == "after" else (*option, "run-test-suite")
    r = mp(*argv, *PERFECT_ARGS)
    assert r.code == 0, r.output
    assert h.plays(doubles) == ["perfect x.mp4"]
    assert h.config(target, "testrun_00")["protect_raw_data"] is True
    assert h.paths(target, "testrun_00").special_report("summary").is_file()


def test_run_test_suite_plays_the_active_session_of_a_samples_dir_option(
        mp, samples_dir, session, doubles, h, monkeypatch):
    monkeypatch.delenv("PYTEST_MP_SAMPLES_DIR")
    r = mp("run-test-suite", "--samples-dir", str(samples_dir), *PERFECT_ARGS)
    assert r.code == 0, r.output
    assert sorted(h.plays(doubles)) == ["perfect a.mp4", "perfect b.ogv"]
    assert h.config(samples_dir, session)["protect_raw_data"] is True
    assert not h.paths(samples_dir, "testrun_00").session_dir.exists()


def test_run_test_suite_without_a_session_says_to_name_the_folder(mp, samples_dir):
    r = mp("run-test-suite", *PERFECT_ARGS)
    assert r.code == 2
    r.assert_one_line_error("no session is active", "pyglet-mp new",
                            "'pyglet-mp run-test-suite SAMPLES_DIR'")


def test_run_test_suite_missing_samples_dir(mp, tmp_path):
    r = mp("run-test-suite", tmp_path / "absent", *PERFECT_ARGS)
    assert r.code == 2
    r.assert_one_line_error("absent", "SAMPLES_DIR")
