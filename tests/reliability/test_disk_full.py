"""A full disk: a play that cannot be recorded, reports that cannot be written.

The disk is made full where the project writes (core/atomic.py, the one
writer of every file) rather than by mounting a small file system: that
needs privileges CI may not have. Writing fails as on a full disk, with
ENOSPC, after the temporary file was made.
"""
from __future__ import annotations

import errno
from pathlib import Path
from types import SimpleNamespace

import pytest

from pytest_pyglet_media.core import atomic
from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.play import playback
from pytest_pyglet_media.report import session_writer
from pytest_pyglet_media.store import recording, sessions

SETTINGS = SimpleNamespace(timeout=None, stall_timeout=5.0, retries=0, audio=("silent",),
                           player="doubles.perfect", spawn="fresh")


@pytest.fixture
def disk_full(monkeypatch: pytest.MonkeyPatch):
    """Makes every atomic write of a file whose name ends with one of the
    given suffixes fail with ENOSPC, as a full disk does."""

    def fill(*suffixes: str) -> None:
        write = atomic.write_bytes

        def full(path: Path, data: bytes, *, mode: int = 0o644) -> None:
            if str(path).endswith(suffixes):
                raise OSError(errno.ENOSPC, "No space left on device", str(path))
            write(path, data, mode=mode)

        monkeypatch.setattr(atomic, "write_bytes", full)

    return fill


def _session(tmp_path: Path, rec) -> sessions.SessionPaths:
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "a.mp4").write_bytes(b"not really media\n")
    paths = sessions.create_session(samples, "s", ["a.mp4"], has_playlist=True,
                                    versions={}, samples_version="t")
    recording.save(paths.recording("a.mp4"), rec.pyglet_play(10))  # a perfect play
    return paths


def test_a_play_that_cannot_be_recorded_leaves_no_earlier_recording_as_its_result(
        tmp_path, rec, disk_full, monkeypatch):
    paths = _session(tmp_path, rec)
    assert session_writer.session_results(paths)["a.mp4"].outcome == an.PERFECT
    monkeypatch.setattr(playback, "file_reference", lambda *a, **k: (None, "no ffprobe here"))
    disk_full(".dbg")
    played = playback.attempt(SETTINGS, paths.samples_dir, "a.mp4", paths.recording("a.mp4"),
                              marker=paths.playing("a.mp4"),
                              superseded=paths.superseded("a.mp4"))
    assert played.verdict.outcome == an.CRASHED
    assert "No space left on device" in played.verdict.reason
    assert "moved aside" in played.verdict.reason
    retried = playback.attempt(SETTINGS, paths.samples_dir, "a.mp4", paths.recording("a.mp4"),
                               superseded=paths.superseded("a.mp4"))
    assert retried.verdict.outcome == an.CRASHED
    assert "kept aside as a.mp4.dbg.superseded" in retried.verdict.reason
    # what `pyglet-mp summarize` reads later: not the old perfect play
    monkeypatch.undo()
    assert not paths.recording("a.mp4").exists()
    later = session_writer.session_results(paths)["a.mp4"]
    assert later is not None and later.outcome == an.CRASHED
    assert "could not be recorded" in later.verdict.reason
    written = session_writer.write_session_reports(paths, {})
    assert "a.mp4" not in written.totals.perfect
    # kept, not deleted: the earlier play is there to look at
    assert recording.load(paths.superseded("a.mp4")) == rec.pyglet_play(10)


def test_a_later_recorded_play_clears_the_superseded_one(tmp_path, rec, disk_full,
                                                         monkeypatch):
    paths = _session(tmp_path, rec)
    monkeypatch.setattr(playback, "file_reference", lambda *a, **k: (None, "no ffprobe here"))
    disk_full(".dbg")
    playback.attempt(SETTINGS, paths.samples_dir, "a.mp4", paths.recording("a.mp4"),
                     superseded=paths.superseded("a.mp4"))
    assert paths.superseded("a.mp4").exists()
    monkeypatch.undo()  # room on the disk again
    placeholder = playback._placeholder(paths.recording("a.mp4"), "a.mp4",
                                        paths.superseded("a.mp4"))
    assert not isinstance(placeholder, str)
    assert not paths.superseded("a.mp4").exists()



#: an inner run's conftest: the disk is full for whatever the run writes in reports/
REPORTS_DISK_FULL = '''
import errno
from pytest_pyglet_media.core import atomic

_write = atomic.write_bytes


def _full(path, data, *, mode=0o644):
    if "/reports/" in str(path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    _write(path, data, mode=mode)


atomic.write_bytes = _full
'''


def test_a_run_whose_reports_cannot_be_written_says_so_fails_and_leaves_no_stale_summary(
        mp, no_internal_error):
    mp.add("perfect_a.mp4")
    first = mp.run("--mp-session=s", player="perfect")
    assert first.ret == 0
    reports = mp.samples / "s" / "reports"
    assert (reports / "00_summary.txt").is_file() and (reports / "index.html").is_file()
    mp.pytester.makeconftest(REPORTS_DISK_FULL)
    run = mp.run("--mp-session=s", player="perfect")
    no_internal_error(run.out + run.err)
    assert run.outcomes() == {"passed": 1}
    assert run.ret != 0
    assert "could not write the session reports" in run.out
    assert "No space left on device" in run.out
    # the previous run's summary and index are not left to pass for this run's
    assert not (reports / "index.html").exists()
    assert not (reports / "00_summary.txt").exists()
    assert "removed (00_summary.txt, index.html" in run.out


def test_summarize_on_a_full_disk_fails_in_one_line_and_withdraws_the_old_summary(
        tmp_path, rec, disk_full, mpcli):
    paths = _session(tmp_path, rec)
    session_writer.write_session_reports(paths, {})
    summary = paths.special_report("summary")
    assert "perfect play: 1 / 1" in summary.read_text()
    disk_full("index.html")  # the summary fits, the index no longer does
    cli = mpcli("summarize", f"--samples-dir={paths.samples_dir}", "--session=s")
    line = cli.one_line_error("No space left on device", "index.html")
    assert "were removed (00_summary.txt" in line
    # what stands in the old summary's place says the reports are not written
    assert "could not be written" in summary.read_text()
    assert "perfect play" not in summary.read_text()
