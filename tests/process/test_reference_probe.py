"""reference.probe: ffprobe's answers read into a Reference, its failures and silences.

ffprobe itself is replaced by a script on PATH that prints a canned answer
(tests/doubles/ffprobe_stand_in.py); the real one runs in
tests/e2e/test_file_reference_e2e.py.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from doubles import ffprobe_stand_in

from pytest_pyglet_media.core.errors import MediaTestError, ProbeFailed, ProbeUnavailable
from pytest_pyglet_media.store import reference as r


def fake_ffprobe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: dict | list | None,
                 status: int = 0, stderr: str = "") -> None:
    """A stand-in ffprobe alone on PATH, printing `answer` as JSON (None: not JSON at all)."""
    bin_dir = tmp_path / "bin"
    ffprobe_stand_in.write(bin_dir, stdout=json.dumps(answer) if answer is not None else "garbage",
                           stderr=stderr, status=status)
    ffprobe_stand_in.alone_on_path(monkeypatch, bin_dir)


def test_probe_without_ffprobe(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ProbeUnavailable, match="apt-get install ffmpeg") as info:
        r.probe(tmp_path / "clip.mp4")
    assert isinstance(info.value, MediaTestError)


def test_probe_reads_ffprobes_answer(tmp_path, monkeypatch):
    fake_ffprobe(tmp_path, monkeypatch, {
        "packets": [
            {"stream_index": 1, "pts_time": "0.023000", "flags": "K_"},
            {"stream_index": 0, "pts_time": "0.000000", "flags": "K_"},
            {"stream_index": 1, "pts_time": "0.183000", "flags": "__"},
            {"stream_index": 1, "pts_time": "0.103000", "flags": "__"},
            {"stream_index": 1, "pts_time": "-0.017000", "flags": "_D"},  # discarded pre-roll
            {"stream_index": 1, "dts_time": "0.063000", "flags": "__"},  # no pts: dts
            {"stream_index": 1, "flags": "__"},  # no time at all
            {"stream_index": 2, "flags": "K_"},
        ],
        "streams": [
            {"index": 0, "codec_name": "aac", "codec_type": "audio", "start_time": "0.000000",
             "disposition": {"attached_pic": 0}, "tags": {"DURATION": "00:00:01.023000000"}},
            {"index": 1, "codec_name": "h264", "codec_type": "video", "start_time": "0.023000",
             "duration": "N/A", "disposition": {"attached_pic": 0},
             "tags": {"DURATION": "00:00:01.023000000"}},
            {"index": 2, "codec_name": "mjpeg", "codec_type": "video", "start_time": "0.000000",
             "duration": "1.023000", "disposition": {"attached_pic": 1}},
        ],
        "format": {"start_time": "0.000000", "duration": "1.023000"},
    })
    ref = r.probe(tmp_path / "clip.mkv")
    assert ref.frame_times == (0.023, 0.063, 0.103, 0.183)
    assert ref.video_index == 1 and ref.cover_art
    assert ref.duration == 1.023 and ref.start == 0.0
    # Matroska's DURATION tag is the stream's end
    assert ref.video.duration == pytest.approx(1.0) and ref.audio.duration == 1.023


def test_probe_of_audio_with_cover_art_lists_no_video(tmp_path, monkeypatch):
    fake_ffprobe(tmp_path, monkeypatch, {
        "packets": [{"stream_index": 1, "flags": "K_"}],
        "streams": [{"index": 0, "codec_name": "mp3", "codec_type": "audio",
                     "start_time": "0.025057", "duration": "1.044898"},
                    {"index": 1, "codec_name": "png", "codec_type": "video",
                     "start_time": "0.025056", "disposition": {"attached_pic": 1}}],
        "format": {"start_time": "0.025056", "duration": "1.044898"}})
    ref = r.probe(tmp_path / "clip.mp3")
    assert not ref.has_video and ref.cover_art and ref.frame_times == ()
    assert ref.pyglet_start == 0.025057  # pyglet takes the cover as its video stream


def test_probe_failures_carry_ffprobes_message(tmp_path, monkeypatch):
    fake_ffprobe(tmp_path, monkeypatch, {}, status=1,
                 stderr="clip.mp4: Invalid data found when processing input")
    with pytest.raises(ProbeFailed) as info:
        r.probe(tmp_path / "clip.mp4")
    assert str(info.value) == (f"{tmp_path / 'clip.mp4'}: ffprobe: clip.mp4: Invalid data "
                               "found when processing input")


@pytest.mark.parametrize("answer, problem", [
    (None, "wrote no JSON"), ([], "not an object"), ({"streams": []}, "no stream"),
    ({"streams": [{"codec_type": "video"}]}, "without an index")])
def test_probe_refuses_odd_answers(tmp_path, monkeypatch, answer, problem):
    fake_ffprobe(tmp_path, monkeypatch, answer)
    with pytest.raises(ProbeFailed, match=problem):
        r.probe(tmp_path / "clip.mp4")


def test_probe_times_out(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    ffprobe_stand_in.write_hanging(bin_dir, seconds=10)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")  # the stand-in runs `sleep`
    with pytest.raises(ProbeFailed, match="did not finish in 0.2 s"):
        r.probe(tmp_path / "clip.mp4", timeout=0.2)
