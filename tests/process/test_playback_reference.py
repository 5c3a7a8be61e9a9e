"""playback.file_reference: the sample's reference, stored once and reused.

ffprobe is a stand-in script on PATH that counts its runs, no real probe
(tests/doubles/ffprobe_stand_in.py).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

import pytest
from doubles import ffprobe_stand_in

from pytest_pyglet_media.options import Settings
from pytest_pyglet_media.play import playback
from pytest_pyglet_media.store import reference as r
from pytest_pyglet_media.store.sessions import SessionPaths
from pytest_pyglet_media.store.stored_references import StoredReferences

ANSWER = {
    "packets": [{"stream_index": 0, "pts_time": f"{i * 0.04:.6f}", "flags": "__"}
                for i in range(5)],
    "streams": [{"index": 0, "codec_name": "h264", "codec_type": "video",
                 "start_time": "0.000000", "duration": "0.200000"}],
    "format": {"start_time": "0.000000", "duration": "0.200000"},
}


@pytest.fixture
def ffprobe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """Install a stand-in ffprobe; returns a function giving its number of runs."""
    bin_dir = tmp_path / "bin"
    runs = tmp_path / "runs"
    ffprobe_stand_in.write(bin_dir, stdout=json.dumps(ANSWER), calls=runs)
    ffprobe_stand_in.alone_on_path(monkeypatch, bin_dir)
    return lambda: ffprobe_stand_in.calls_made(runs)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"media")
    return path


def test_session_paths_name_the_reference():
    paths = SessionPaths(Path("/s"), "run")
    assert paths.reference_dir == Path("/s/run/reference")
    assert paths.reference("clip.mp4") == Path("/s/run/reference/clip.mp4.json")
    assert len(paths.reference("x" * 255).name.encode()) <= 255


def test_probed_once_stored_then_reused(tmp_path, ffprobe, sample):
    stored = tmp_path / "session" / "reference" / "clip.mp4.json"  # folder made lazily
    ref, why = playback.file_reference(sample, stored)
    assert why == "" and ref.frame_times == (0.0, 0.04, 0.08, 0.12, 0.16)
    assert ffprobe() == 1 and r.load(stored)[1] == ref
    mtime = stored.stat().st_mtime_ns
    again, why = playback.file_reference(sample, stored)
    assert (again, why, ffprobe(), stored.stat().st_mtime_ns) == (ref, "", 1, mtime)


def test_a_changed_sample_is_probed_again(tmp_path, ffprobe, sample):
    stored = tmp_path / "clip.mp4.json"
    playback.file_reference(sample, stored)
    sample.write_bytes(b"other media, longer")
    playback.file_reference(sample, stored)
    assert ffprobe() == 2
    assert r.is_current(r.load(stored)[0], sample)


def test_a_touched_but_identical_sample_is_not_probed_again(tmp_path, ffprobe, sample):
    stored = tmp_path / "clip.mp4.json"
    playback.file_reference(sample, stored)
    os.utime(sample, ns=(1, 1))
    playback.file_reference(sample, stored)
    assert ffprobe() == 1


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"format": "x"}', b"\xff\xfe"])
def test_a_corrupt_reference_is_probed_again_and_replaced(tmp_path, ffprobe, sample, content):
    stored = tmp_path / "clip.mp4.json"
    stored.write_bytes(content)
    ref, why = playback.file_reference(sample, stored)
    assert why == "" and ref is not None and ffprobe() == 1
    assert r.load(stored)[1] == ref


def test_without_ffprobe_the_reason_says_how_to_install_it(tmp_path, monkeypatch, sample):
    monkeypatch.setenv("PATH", str(tmp_path))
    stored = tmp_path / "clip.mp4.json"
    ref, why = playback.file_reference(sample, stored)
    assert ref is None and not stored.exists()
    assert why == ("ffprobe is not available (not on PATH); install it: "
                   "apt-get install ffmpeg (or put ffprobe on PATH)")
    assert why.startswith(playback.PROBE_UNAVAILABLE)


def test_a_file_ffprobe_cannot_read_is_noted_without_its_path(tmp_path, monkeypatch, sample):
    bin_dir = tmp_path / "bin"
    ffprobe_stand_in.write(bin_dir, stderr=f"{sample}: Invalid data found when processing input\n",
                           status=1)
    ffprobe_stand_in.alone_on_path(monkeypatch, bin_dir)
    ref, why = playback.file_reference(sample, tmp_path / "clip.mp4.json")
    assert ref is None
    assert why == "ffprobe cannot read the file: ffprobe: Invalid data found when processing input"


def test_the_runs_references_are_read_once_and_the_probed_one_not_at_all(
        tmp_path, ffprobe, sample, monkeypatch):
    reads: list[Path] = []
    original = r.load
    monkeypatch.setattr(r, "load", lambda path: reads.append(path) or original(path))
    stored = tmp_path / "clip.mp4.json"
    references = StoredReferences()
    first, _ = playback.file_reference(sample, stored, references)  # probed and stored
    assert playback.play_limit(Settings(), tmp_path, sample.name, stored, references) > 0
    assert playback.expected_cost(tmp_path, sample.name, tmp_path / "none.dbg", stored,
                                  references) > 0
    again, _ = playback.file_reference(sample, stored, references)
    assert again == first and ffprobe() == 1
    assert reads == [stored]  # asked before probing, when there was no file yet
    # another run (another StoredReferences) reads the stored one once
    later = StoredReferences()
    for _ in range(3):
        assert playback.file_reference(sample, stored, later) == (first, "")
    assert reads == [stored, stored]
