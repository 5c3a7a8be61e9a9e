"""reference.py: JSON round trip, refusal of bad files, staleness, ffprobe's answers.

ffprobe itself is replaced by a script on PATH that prints a canned answer
(the real one runs in tests/e2e/test_file_reference_e2e.py).
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from doubles import ffprobe_stand_in

from pytest_pyglet_media.core.errors import (
    BadFileError,
    BadReferenceError,
    MediaTestError,
    ProbeFailed,
    ProbeUnavailable,
)
from pytest_pyglet_media.store import reference as r

REF = r.Reference(
    duration=1.023, start=0.0,
    streams=(r.Stream(0, "video", "h264", 0.023, 1.0),
             r.Stream(1, "audio", "aac", 0.0, 1.023),
             r.Stream(2, "video", "png", 0.0, 1.023, attached_pic=True)),
    video_index=0, frame_times=(0.023, 0.063, 0.103))
KEY = {"size": 41823, "mtime_ns": 1_700_000_000_123_456_789, "blake2b": "0" * 32}


def document() -> dict:
    return json.loads(r.dumps(REF, KEY))


def test_round_trip(tmp_path):
    path = tmp_path / "clip.mkv.json"
    r.save(path, REF, KEY)
    assert r.load(path) == (KEY, REF)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mkv.json"]  # no temporary left


def test_properties():
    assert REF.has_video and REF.has_audio and REF.cover_art
    assert REF.video.codec == "h264" and REF.audio.codec == "aac"
    assert REF.video_start == 0.023
    # pyglet takes the first video-type stream and the first audio stream
    assert REF.pyglet_start == 0.023
    audio_only = r.Reference(1.0, None, (r.Stream(0, "audio", "pcm_s16le", None, 1.0),))
    assert not audio_only.has_video and audio_only.pyglet_start == 0.0
    assert audio_only.video_start is None


def _set(path: str, value):
    def change(doc: dict) -> None:
        *parents, last = path.split(".")
        node = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is KeyError:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value
    return change


BAD = {
    "duration as text": (_set("reference.duration", "1.0"), "duration is a str"),
    "duration as bool": (_set("reference.duration", True), "duration is a bool"),
    "negative duration": (_set("reference.duration", -1.0), "duration is negative"),
    "huge duration": (_set("reference.duration", 1e300), "not a finite time"),
    "huge integer": (_set("reference.start", 10 ** 30), "not a finite time"),
    "frame time as list": (_set("reference.frame_times.1", [0.1]), "frame time 1 is a list"),
    "unsorted frames": (_set("reference.frame_times", [0.1, 0.05]), "not sorted"),
    "frames without video": (_set("reference.video_index", None), "no video stream is named"),
    "video index on audio": (_set("reference.video_index", 1), "not a video stream"),
    "video index on cover art": (_set("reference.video_index", 2), "not a video stream"),
    "missing key": (_set("reference.streams.0.kind", KeyError), "stream 0 lacks kind"),
    "unknown key": (_set("reference.colour", "blue"), "unknown keys: colour"),
    "streams not a list": (_set("reference.streams", {}), "streams is not a list"),
    "stream not an object": (_set("reference.streams.0", 3), "stream 0 is a int"),
    "negative index": (_set("reference.streams.0.index", -1), "stream 0 index is -1"),
    "duplicate index": (_set("reference.streams.1.index", 0), "same index"),
    "long codec name": (_set("reference.streams.0.codec", "x" * 500), "stream 0 codec"),
    "attached_pic as int": (_set("reference.streams.0.attached_pic", 1), "attached_pic"),
    "no key": (_set("key", KeyError), "lacks key"),
    "bad hash": (_set("key.blake2b", "xyz"), "blake2b"),
    "size as float": (_set("key.size", 1.5), "size is a float"),
    "other format": (_set("format", "something else"), "format is 'something else'"),
    "other version": (_set("version", 2), "version 2"),
    "not an object": (lambda doc: doc.clear() or doc.setdefault("x", 1), "lacks format"),
}


@pytest.mark.parametrize("change, problem", BAD.values(), ids=BAD.keys())
def test_refuses_bad_fields(tmp_path, change, problem):
    doc = document()
    change(doc)
    path = tmp_path / "clip.mkv.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(BadReferenceError) as info:
        r.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and problem in message
    assert "\n" not in message
    assert isinstance(info.value, BadFileError) and info.value.path == path


RAW = {
    "NaN": ('"duration":1.023', '"duration":NaN', "holds NaN"),
    "Infinity": ('"duration":1.023', '"duration":Infinity', "holds Infinity"),
    "overflowing float": ('"duration":1.023', '"duration":1e999', "not a finite time"),
    "5000 digits": ('"duration":1.023', '"duration":' + "9" * 5000, "not JSON"),
    "truncated": ('"frame_times"', '"frame_tim', "not JSON"),
}


@pytest.mark.parametrize("old, new, problem", RAW.values(), ids=RAW.keys())
def test_refuses_bad_json(tmp_path, old, new, problem):
    text = r.dumps(REF, KEY)
    assert old in text
    path = tmp_path / "clip.json"
    path.write_text(text.replace(old, new))
    with pytest.raises(BadReferenceError, match=problem) as info:
        r.load(path)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)


def test_refuses_unreadable_files(tmp_path, monkeypatch):
    with pytest.raises(BadReferenceError, match="cannot read it"):
        r.load(tmp_path / "absent.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(BadReferenceError, match="not UTF-8"):
        r.load(binary)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(BadReferenceError, match="not JSON|not an object"):
        r.load(deep)
    big = tmp_path / "big.json"
    r.save(big, REF, KEY)
    monkeypatch.setattr(r, "MAX_REFERENCE_BYTES", 100)
    with pytest.raises(BadReferenceError, match="too large"):
        r.load(big)


def test_save_refuses_to_write_nan():
    bad = r.Reference(float("nan"), None, ())
    with pytest.raises(ValueError):
        r.dumps(bad, KEY)


# -- staleness -------------------------------------------------------------------


def test_file_key_and_staleness(tmp_path):
    sample = tmp_path / "clip.mp4"
    sample.write_bytes(b"media" * 1000)
    key = r.file_key(sample)
    assert key["size"] == 5000 and len(key["blake2b"]) == 32
    assert r.is_current(key, sample)
    os.utime(sample, ns=(0, 10 ** 18))  # touched (or copied): the hash decides
    assert r.is_current(key, sample)
    sample.write_bytes(b"MEDIA" * 1000)  # same size, new content
    assert not r.is_current(key, sample)
    sample.write_bytes(b"media" * 999)
    assert not r.is_current(key, sample)
    sample.unlink()
    assert not r.is_current(key, sample)


# -- probing, with a stand-in ffprobe ------------------------------------------------


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


def test_picture_size_round_trips_and_older_references_without_it_load():
    """width/height (issue 13: a play's cost) are kept for video streams; a
    reference stored before they existed still loads, its size unknown."""
    from pytest_pyglet_media.store.reference import Reference, Stream, dumps, loads
    key = {"size": 1, "mtime_ns": 2, "blake2b": "0" * 32}
    ref = Reference(duration=1.0, start=0.0, video_index=0, frame_times=(0.0, 0.5),
                    streams=(Stream(0, "video", "h264", 0.0, 1.0, width=640, height=360),
                             Stream(1, "audio", "aac", 0.0, 1.0)))
    text = dumps(ref, key)
    assert loads(text)[1] == ref
    older = text.replace(',"width":640,"height":360', "")
    assert '"width"' not in older
    video = loads(older)[1].video
    assert video is not None and (video.width, video.height) == (None, None)
    with pytest.raises(ValueError, match="stream 0 width"):
        loads(text.replace('"width":640', '"width":0'))
