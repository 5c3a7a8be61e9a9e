"""session_writer.py: the session's report files, from run results and recordings."""
from __future__ import annotations

import json
import os

import pytest

from pytest_pyglet_media.core.errors import BadFileError
from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.judge import results as res
from pytest_pyglet_media.report import session_writer
from pytest_pyglet_media.store import recording
from pytest_pyglet_media.store import sessions

PLAYLIST = ["a.mp4", "b.mp4", "c.mp4", "d.mp4", "e.mp4", "f.mp4"]


@pytest.fixture
def paths(tmp_path):
    samples_dir = tmp_path / "samples"
    samples_dir.mkdir()
    for sample in PLAYLIST:
        (samples_dir / sample).write_bytes(b"media")
    return sessions.create_session(
        samples_dir, "s1", PLAYLIST, has_playlist=True,
        versions={"pyglet": "2.1.19", "pyglet_revision": "git revision abc"},
        samples_version="corpus v2")


def _played(paths, sample, events, attempts=1, crashed=0):
    """What this run learned: the recording on disk plus its SampleResult."""
    path = paths.recording(sample)
    recording.save(path, events)
    return res.SampleResult(sample, an.analyse(events), attempts=attempts,
                           crashed_attempts=crashed, recording=str(path))


@pytest.fixture
def scenario(paths, rec):
    """a: perfect this run; b: defects this run; c: perfect, recorded earlier;
    d: defects, recorded earlier; e: crashed every time this run; f: never played."""
    run = {
        "a.mp4": _played(paths, "a.mp4", rec.play(10, sample="a.mp4")),
        "b.mp4": _played(paths, "b.mp4",
                         rec.play(10, sample="b.mp4", inject={2: [("p.P.ut.1.8",)]}),
                         attempts=2, crashed=1),
        "e.mp4": _played(paths, "e.mp4", rec.placeholder("e.mp4"), attempts=3, crashed=3),
    }
    recording.save(paths.recording("c.mp4"), rec.pyglet_play(10))
    recording.save(paths.recording("d.mp4"),
                   rec.play(10, sample="d.mp4", inject={4: [("p.P.ut.1.5", 0.1)]}))
    return run


def _reports(paths):
    # index.html belongs to the html index (tested with it); the rest is ours
    return sorted(n for n in os.listdir(paths.reports_dir) if n != "index.html")


def test_writes_summary_versions_and_non_perfect_reports(paths, scenario):
    written = session_writer.write_session_reports(paths, scenario)
    assert written.reports_written
    assert written.summary_path == paths.reports_dir / "00_summary.txt"
    assert _reports(paths) == [
        "00_summary.txt", "03_pyglet_info.txt", "04_pyglet_revision.txt",
        "b.mp4.all.txt", "b.mp4.anomalies.txt",
        "d.mp4.all.txt", "d.mp4.anomalies.txt",
        "e.mp4.all.txt", "e.mp4.anomalies.txt",
    ]
    totals = written.totals
    assert totals.perfect == ("a.mp4", "c.mp4")  # c judged from its recording on disk
    assert set(totals.non_perfect) == {"b.mp4", "d.mp4"}
    assert totals.non_perfect["d.mp4"] == {"discarded_late": 1}
    assert totals.crashed == ("e.mp4",)
    assert totals.missing == ("f.mp4",)
    assert totals.total_retries == 1 + 2

    summary = (paths.reports_dir / "00_summary.txt").read_text()
    assert summary.startswith("Summary of media_player debug info for session: s1\n"
                              "Samples version: corpus v2\n")
    assert "Samples in the playlist: 6" in summary
    assert "Relevant samples with perfect play: 2 / 4" in summary
    assert "Sample: b.mp4" in summary and "Sample: d.mp4" in summary
    assert "\tf.mp4" in summary
    assert "interrupted" not in summary

    info = (paths.reports_dir / "03_pyglet_info.txt").read_text()
    assert "pyglet: 2.1.19" in info
    assert (paths.reports_dir / "04_pyglet_revision.txt").read_text() == "git revision abc\n"

    all_b = paths.report("b.mp4", "all").read_text()
    assert "Image frame is None (?)" in all_b and all_b.endswith(">>> play ends\n")
    anomalies_d = paths.report("d.mp4", "anomalies").read_text()
    assert "   5 Discard video frame too old, video_time: 0.1" in anomalies_d
    assert "media_player crashed. sample: e.mp4" in paths.report("e.mp4", "all").read_text()
    # no temporary files left anywhere
    for folder in (paths.reports_dir, paths.dbg_dir):
        assert not [n for n in os.listdir(folder) if n.endswith(".tmp")]


def test_interrupted_marker(paths, scenario):
    session_writer.write_session_reports(paths, scenario, interrupted=True)
    assert "*** The run was interrupted" in (paths.reports_dir / "00_summary.txt").read_text()


def test_removes_stale_reports_of_now_perfect_samples(paths, scenario, rec):
    # a: perfect in this run; c: perfect recording on disk
    for sample in ("a.mp4", "c.mp4"):
        for name in ("all", "anomalies"):
            paths.report(sample, name).write_text("stale")
    paths.report("zz.mp4", "all").write_text("not in the playlist: left alone")
    session_writer.write_session_reports(paths, scenario)
    for sample in ("a.mp4", "c.mp4"):
        assert not paths.report(sample, "all").exists(), sample
        assert not paths.report(sample, "anomalies").exists(), sample
    assert paths.report("zz.mp4", "all").exists()


def test_sample_fixed_in_a_later_run(paths, scenario, rec):
    session_writer.write_session_reports(paths, scenario)
    assert paths.report("b.mp4", "all").exists()
    fixed = {"b.mp4": _played(paths, "b.mp4", rec.play(10, sample="b.mp4"))}
    written = session_writer.write_session_reports(paths, fixed)
    assert not paths.report("b.mp4", "all").exists()
    assert not paths.report("b.mp4", "anomalies").exists()
    # a and c now come from their recordings; e's retries come from the retry state
    assert written.totals.perfect == ("a.mp4", "b.mp4", "c.mp4")
    assert written.totals.always_crashed == ("e.mp4",)
    assert written.totals.total_retries == 2  # e: 3 attempts; b now played at once


def test_retry_state_saved(paths, scenario):
    session_writer.write_session_reports(paths, scenario)
    state = json.loads(paths.retry_state.read_text())
    assert state == {"a.mp4": {"attempts": 1, "crashed_attempts": 0},
                     "b.mp4": {"attempts": 2, "crashed_attempts": 1},
                     "e.mp4": {"attempts": 3, "crashed_attempts": 3}}
    assert sessions.load_retry_state(paths) == state
    paths.retry_state.write_text("{corrupt")
    with pytest.raises(BadFileError, match="_crash_retries.json: is not valid JSON"):
        sessions.load_retry_state(paths)


def test_protect_reports_writes_nothing(paths, scenario):
    sessions.update_configuration(paths, protect_reports=True)
    written = session_writer.write_session_reports(paths, scenario)
    assert not written.reports_written
    assert os.listdir(paths.reports_dir) == []
    assert written.totals.perfect == ("a.mp4", "c.mp4")  # still computed


def test_protect_raw_data_keeps_retry_state(paths, scenario):
    sessions.update_configuration(paths, protect_raw_data=True)
    session_writer.write_session_reports(paths, scenario)
    assert not paths.retry_state.exists()
    assert "00_summary.txt" in _reports(paths)


def test_dev_debug_overrides_protection(paths, scenario):
    sessions.update_configuration(paths, protect_reports=True, protect_raw_data=True,
                               dev_debug=True)
    written = session_writer.write_session_reports(paths, scenario)
    assert written.reports_written
    assert paths.retry_state.exists()


def test_summary_from_recordings_only(paths, scenario):
    # the CLI's summarize: no run results at all
    written = session_writer.write_session_reports(paths, {})
    totals = written.totals
    assert totals.perfect == ("a.mp4", "c.mp4")
    assert set(totals.non_perfect) == {"b.mp4", "d.mp4"}
    assert totals.crashed == ("e.mp4",)
    assert totals.missing == ("f.mp4",)
    assert "00_summary.txt" in _reports(paths)


def test_unreadable_recording_on_disk(paths, rec):
    paths.recording("a.mp4").write_bytes(b"garbage, not a pickle")
    recording.save(paths.recording("b.mp4"), [("version", 1.1), ("p.P.ut.1.9", "x", 0.1),
                                              ("p.P.oe",)])
    written = session_writer.write_session_reports(paths, {})
    assert written.totals.unreadable == ("a.mp4", "b.mp4")
    for sample in ("a.mp4", "b.mp4"):
        text = paths.report(sample, "all").read_text()
        assert text.startswith(f"{sample}: no report: ")
    assert "a.mp4.dbg" in paths.report("a.mp4", "all").read_text()
    summary = (paths.reports_dir / "00_summary.txt").read_text()
    assert "Appendix, samples with an unreadable recording\n\ta.mp4\n\tb.mp4" in summary


def test_result_from_disk(paths, rec):
    assert session_writer.session_results(paths)["a.mp4"] is None
    recording.save(paths.recording("a.mp4"), rec.play(3))
    paths.retry_state.write_text('{"a.mp4": {"attempts": 4, "crashed_attempts": 3}}')
    result = session_writer.session_results(paths)["a.mp4"]
    assert result.outcome == an.PERFECT
    assert (result.attempts, result.crashed_attempts) == (4, 3)
    assert result.recording == str(paths.recording("a.mp4"))
