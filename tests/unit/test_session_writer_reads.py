"""The end of a run reads what it must once, and judges nothing the run judged.

The run's verdicts (SampleResult, with the version of the recording each
judged) travel to the reports and pages: write_session_reports reads a
played sample's recording only for its events, each stored reference once,
and checks a play against the file once, for its page. Samples the run did
not play are judged from their recordings, once. The reports are those the
recordings alone give (the content is tested in test_session_writer.py).
"""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from pytest_pyglet_media.core.errors import UnreadableRecordingError
from pytest_pyglet_media.core.file_stamp import FileStamp
from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.judge import file_checks
from pytest_pyglet_media.judge import results as res
from pytest_pyglet_media.report import session_writer
from pytest_pyglet_media.store import recording, reference
from pytest_pyglet_media.store import sessions
from pytest_pyglet_media.store.stored_references import StoredReferences

PLAYLIST = ["a.mp4", "b.mp4", "c.mp4", "d.mp4", "e.mp4", "f.mp4", "g.mp4"]
FRAMES = 10
DT = 1 / 30
REFERENCE = reference.Reference(
    duration=FRAMES * DT, start=0.0,
    streams=(reference.Stream(0, "video", "h264", 0.0, FRAMES * DT),
             reference.Stream(1, "audio", "aac", 0.0, FRAMES * DT)),
    video_index=0, frame_times=tuple(round(i * DT, 6) for i in range(FRAMES)))
KEY = {"device": 2049, "inode": 1234, "size": 5, "mtime_ns": 1,
       "head_tail": "0" * 32, "ffmpeg": "ffprobe version 5.1.9"}


@pytest.fixture
def paths(tmp_path):
    samples_dir = tmp_path / "samples"
    samples_dir.mkdir()
    for sample in PLAYLIST:
        (samples_dir / sample).write_bytes(b"media")
    paths = sessions.create_session(samples_dir, "s1", PLAYLIST, has_playlist=True,
                                 versions={"pyglet": "2.1.19"}, samples_version="v1")
    paths.reference_dir.mkdir()
    for sample in PLAYLIST:
        reference.save(paths.reference(sample), REFERENCE, KEY)
    return paths


def _judged_by_the_run(paths, sample, events=None, *, data=None, verdict=None):
    """A play of this run: its recording, and its verdict naming the version
    it judged (stamped before the read, as playback.judge stamps it)."""
    path = paths.recording(sample)
    if data is None:
        recording.save(path, events)
    else:
        path.write_bytes(data)
    stamp = FileStamp.of(path)
    if verdict is None:
        try:
            verdict = an.read(path, REFERENCE).verdict
        except UnreadableRecordingError as exc:
            verdict = an.Verdict(an.UNREADABLE, reason=exc.problem)
    return res.SampleResult(sample, verdict, recording=str(path), recording_stamp=stamp)


@pytest.fixture
def run(paths, rec):
    """a perfect, b defects, e a crash that left the placeholder, g an
    unreadable recording: played this run; c perfect and d defects: recorded
    by an earlier run; f: never played."""
    run = {
        "a.mp4": _judged_by_the_run(paths, "a.mp4", rec.play(FRAMES, sample="a.mp4")),
        "b.mp4": _judged_by_the_run(paths, "b.mp4", rec.play(FRAMES, sample="b.mp4",
                                                             late={3}, past={6})),
        "e.mp4": _judged_by_the_run(paths, "e.mp4", rec.placeholder("e.mp4"),
                                    verdict=an.Verdict(an.CRASHED, reason=(
                                        "the player wrote no recording; killed by SIGSEGV"))),
        "g.mp4": _judged_by_the_run(paths, "g.mp4", data=b"not a pickle"),
    }
    recording.save(paths.recording("c.mp4"), rec.play(FRAMES, sample="c.mp4"))
    recording.save(paths.recording("d.mp4"), rec.play(FRAMES, sample="d.mp4", late={2}))
    return run


def _sample_of_events(events) -> str:
    return next((str(e[1]) for e in events[:4] if e[0] in ("mp.im", "crash")), "?")


def _sample_of_path(path) -> str:
    return Path(path).name.rsplit(".", 1)[0]


@pytest.fixture
def calls(monkeypatch) -> Counter:
    """{(what, sample): calls} of the reads and judgements made."""
    seen: Counter = Counter()

    def count(module, name, what, sample_of):
        original = getattr(module, name)

        def counted(first, *args, **kwargs):
            seen[(what, sample_of(first))] += 1
            return original(first, *args, **kwargs)

        monkeypatch.setattr(module, name, counted)

    count(an, "judge", "judged", _sample_of_events)
    count(an, "analyse", "judged", _sample_of_events)
    count(file_checks, "check", "checked", _sample_of_events)
    count(reference, "load", "reference read", _sample_of_path)
    count(recording, "load", "recording read", _sample_of_path)
    return seen


def _per_sample(calls: Counter, what: str) -> dict[str, int]:
    return {sample: n for (w, sample), n in sorted(calls.items()) if w == what}


def test_the_run_s_verdicts_are_not_judged_again(paths, run, calls):
    written = session_writer.write_session_reports(paths, run, plots="all")
    # only the samples the run did not play are judged, from their recordings
    assert _per_sample(calls, "judged") == {"c.mp4": 1, "d.mp4": 1}
    assert {s: r.verdict for s, r in written.results.items() if s in run} == \
        {s: r.verdict for s, r in run.items()}
    # each page's full detail checked once: c and d reuse their judgement's
    assert _per_sample(calls, "checked") == {s: 1 for s in ("a.mp4", "b.mp4", "c.mp4",
                                                            "d.mp4", "e.mp4")}
    # each stored reference read once (g's page is not drawn: unreadable)
    assert _per_sample(calls, "reference read") == {s: 1 for s in ("a.mp4", "b.mp4", "c.mp4",
                                                                   "d.mp4", "e.mp4")}
    # each recording read once for its events; g's the run found unreadable
    assert _per_sample(calls, "recording read") == {s: 1 for s in ("a.mp4", "b.mp4", "c.mp4",
                                                                   "d.mp4", "e.mp4")}
    assert paths.report("g.mp4", "all").read_text() == \
        f"g.mp4: no report: {paths.recording('g.mp4')}: {run['g.mp4'].verdict.reason}\n"
    assert "no timeline for g.mp4: " in " ".join(written.notes)


def test_a_perfect_play_without_a_page_is_not_read(paths, run, calls):
    session_writer.write_session_reports(paths, run, plots="none")
    assert _per_sample(calls, "judged") == {"c.mp4": 1, "d.mp4": 1}
    assert _per_sample(calls, "checked") == {"c.mp4": 1, "d.mp4": 1}  # judged against the file
    assert _per_sample(calls, "reference read") == {"c.mp4": 1, "d.mp4": 1}
    assert _per_sample(calls, "recording read") == {"b.mp4": 1, "c.mp4": 1, "d.mp4": 1,
                                                    "e.mp4": 1}


def test_the_run_s_references_are_not_read_again(paths, run, calls):
    references = StoredReferences()
    for sample in PLAYLIST:  # as the run's collection order and plays read them
        references.load(paths.reference(sample))
    calls.clear()
    session_writer.write_session_reports(paths, run, plots="all", references=references)
    assert _per_sample(calls, "reference read") == {}


def test_the_reports_are_those_the_recordings_alone_give(paths, run, tmp_path):
    session_writer.write_session_reports(paths, run, plots="none")
    verdicts_travelled = _texts(paths.reports_dir)
    # the same results without the version they judged: every recording is
    # read and judged from disk, as the end of a run did before
    unstamped = {s: res.SampleResult(r.sample, r.verdict, recording=r.recording)
                 for s, r in run.items()}
    session_writer.write_session_reports(paths, unstamped, plots="none")
    assert _texts(paths.reports_dir) == verdicts_travelled
    assert "b.mp4.all.txt" in verdicts_travelled and "e.mp4.anomalies.txt" in verdicts_travelled


def test_a_recording_replaced_since_the_run_judged_it_is_judged_once(paths, run, rec, calls):
    recording.save(paths.recording("b.mp4"), rec.play(FRAMES, sample="b.mp4", late={4}))
    calls.clear()
    written = session_writer.write_session_reports(paths, run, plots="none")
    assert _per_sample(calls, "judged") == {"b.mp4": 1, "c.mp4": 1, "d.mp4": 1}
    assert written.results["b.mp4"] == run["b.mp4"]  # the run's verdict stands
    anomalies = paths.report("b.mp4", "anomalies").read_text()
    assert "   5 Discard video frame too old" in anomalies  # the events now on disk


def _texts(folder: Path) -> dict[str, str]:
    return {name: (folder / name).read_text() for name in sorted(os.listdir(folder))
            if not name.endswith(".html")}
