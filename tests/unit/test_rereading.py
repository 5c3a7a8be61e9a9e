"""The run's verdict and the recording it judged: playback.judge names the
version it judged, rereading.read_judged takes that version's events as
judged, and judges any other version once."""
from __future__ import annotations

import os

import pytest

from pytest_pyglet_media.core.errors import UnreadableRecordingError
from pytest_pyglet_media.core.file_stamp import FileStamp
from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.judge import results as res
from pytest_pyglet_media.judge.rereading import read_judged
from pytest_pyglet_media.play import playback, runner
from pytest_pyglet_media.store import recording

CLEAN_EXIT = runner.RunResult(returncode=0, timed_out=False, wall_time=1.0, stderr_tail="")
CRASH_EXIT = runner.RunResult(returncode=-11, timed_out=False, wall_time=1.0, stderr_tail="")


@pytest.fixture
def judgements(monkeypatch):
    """Every judgement made (analysis.judge and analysis.analyse), in order."""
    made: list[str] = []
    for name in ("judge", "analyse"):
        original = getattr(an, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            made.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(an, name, counted)
    return made


@pytest.fixture
def loads(monkeypatch):
    """Every recording.load, by file name."""
    made: list[str] = []
    original = recording.load
    monkeypatch.setattr(recording, "load",
                        lambda path: made.append(os.path.basename(path)) or original(path))
    return made


def _no_reference():
    raise AssertionError("the reference is asked for only to judge a file")


def test_the_version_the_run_judged_keeps_its_verdict(tmp_path, rec, judgements, loads):
    path = tmp_path / "a.dbg"
    events = rec.play(5, sample="a.mp4", late={2})
    recording.save(path, events)
    stamp = FileStamp.of(path)
    verdict = an.analyse(events)
    judgements.clear()
    again = read_judged(path, verdict, stamp, _no_reference)
    assert again == an.ValidRecording(events, verdict)
    assert judgements == [] and loads == ["a.dbg"]


@pytest.mark.parametrize("replaced", [True, False], ids=["replaced since", "no stamp"])
def test_another_version_is_judged_once_from_the_one_read(tmp_path, rec, judgements, loads,
                                                          replaced):
    path = tmp_path / "a.dbg"
    recording.save(path, rec.play(5, sample="a.mp4", late={2}))
    stamp = FileStamp.of(path) if replaced else None
    verdict = an.analyse(rec.play(5, sample="a.mp4", late={2}))
    now = rec.play(5, sample="a.mp4")
    if replaced:
        recording.save(path, now)  # another run played the sample meanwhile
    expected = an.judge(now if replaced else rec.play(5, sample="a.mp4", late={2}),
                        no_reference="no reference here")
    asked = []
    judgements.clear()
    again = read_judged(path, verdict, stamp, lambda: asked.append(1),
                        no_reference="no reference here")
    assert again == expected
    assert (judgements, loads, asked) == (["judge"], ["a.dbg"], [1])


def test_a_version_the_run_found_unreadable_is_not_read_again(tmp_path, loads):
    path = tmp_path / "a.dbg"
    path.write_bytes(b"not a pickle")
    verdict, stamp = playback.attempt_verdict("a.mp4", path, CLEAN_EXIT)
    assert verdict.outcome == an.UNREADABLE and stamp == FileStamp.of(path)
    loads.clear()
    with pytest.raises(UnreadableRecordingError) as caught:
        read_judged(path, verdict, stamp, _no_reference)
    assert (caught.value.path, caught.value.problem) == (path, verdict.reason)
    assert loads == []


def test_playback_names_the_version_it_judged(tmp_path, rec):
    path = tmp_path / "a.dbg"
    recording.save(path, rec.play(5, sample="a.mp4"))
    before = FileStamp.of(path)
    verdict, stamp = playback.attempt_verdict("a.mp4", path, CLEAN_EXIT)
    assert verdict.outcome == an.PERFECT and stamp == before
    # the exit status overrules the recording, not which file was judged
    verdict, stamp = playback.attempt_verdict("a.mp4", path, CRASH_EXIT)
    assert verdict.outcome == an.CRASHED and stamp == before


def test_playback_names_the_placeholder_left_in_place(tmp_path, rec):
    path = tmp_path / "a.dbg"
    recording.save(path, recording.crash_placeholder("a.mp4"))
    placeholder = path.stat()
    verdict, stamp = playback.attempt_verdict("a.mp4", path, CRASH_EXIT, placeholder)
    assert verdict.reason.startswith("the player wrote no recording")
    assert stamp == FileStamp.of_stat(placeholder)
    # its events are the placeholder's, the verdict the run's
    assert read_judged(path, verdict, stamp, _no_reference) == \
        an.ValidRecording(recording.crash_placeholder("a.mp4"), verdict)


def test_no_recording_no_stamp(tmp_path):
    verdict, stamp = playback.attempt_verdict("a.mp4", tmp_path / "a.dbg", CRASH_EXIT)
    assert verdict.outcome == an.CRASHED and stamp is None


def test_the_stamp_travels_with_the_result(tmp_path, rec, is_builtins):
    path = tmp_path / "a.dbg"
    recording.save(path, rec.play(3))
    result = res.SampleResult("a.mp4", an.analyse(rec.play(3)), recording=str(path),
                              recording_stamp=FileStamp.of(path))
    data = result.to_builtins()
    assert is_builtins(data)
    assert res.SampleResult.from_builtins(data) == result
    # a result from a worker that sent no stamp: the end of the run judges the file
    del data["recording_stamp"]
    assert res.SampleResult.from_builtins(data).recording_stamp is None
