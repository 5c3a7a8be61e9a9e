"""reference.py: JSON round trip, refusal of bad files, staleness.

Probing (ffprobe's answers, through a stand-in) is in
tests/process/test_reference_probe.py; the real ffprobe runs in
tests/e2e/test_file_reference_e2e.py.
"""
from __future__ import annotations

import json
import os
import stat

import pytest

from pytest_pyglet_media.core.errors import BadFileError, BadReferenceError
from pytest_pyglet_media.store import reference as r

REF = r.Reference(
    duration=1.023, start=0.0,
    streams=(r.Stream(0, "video", "h264", 0.023, 1.0),
             r.Stream(1, "audio", "aac", 0.0, 1.023),
             r.Stream(2, "video", "png", 0.0, 1.023, attached_pic=True)),
    video_index=0, frame_times=(0.023, 0.063, 0.103))
KEY = {"device": 2049, "inode": 1234, "size": 41823, "mtime_ns": 1_700_000_000_123_456_789,
       "head_tail": "0" * 32, "ffmpeg": "ffprobe version 5.1.9"}


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
    "bad hash": (_set("key.head_tail", "xyz"), "head_tail"),
    "size as float": (_set("key.size", 1.5), "size is a float"),
    "other format": (_set("format", "something else"), "format is 'something else'"),
    "other version": (_set("version", 3), "version 3"),
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
    key = r.file_key(sample, "ffprobe version 5.1.9")
    stat = sample.stat()
    assert key == {"device": stat.st_dev, "inode": stat.st_ino, "size": 5000,
                   "mtime_ns": stat.st_mtime_ns, "head_tail": key["head_tail"],
                   "ffmpeg": "ffprobe version 5.1.9"}
    assert len(key["head_tail"]) == 32 and r.is_current(key, sample)
    os.utime(sample, ns=(0, 10 ** 18))  # touched: another version of the file
    assert not r.is_current(key, sample)
    key = r.file_key(sample)
    with open(sample, "r+b") as f:  # same size and mtime, new content
        f.write(b"MEDIA")
    os.utime(sample, ns=(0, 10 ** 18))
    assert not r.is_current(key, sample)
    sample.unlink()
    assert not r.is_current(key, sample)


def test_the_identity_hashes_the_first_and_last_mib_only(tmp_path):
    mib = r.HEAD_TAIL_BYTES
    sample = tmp_path / "big.mkv"
    sample.write_bytes(b"a" * mib + b"middle" + b"z" * mib)
    before = r.file_identity(sample)["head_tail"]
    with open(sample, "r+b") as f:
        f.seek(mib)
        f.write(b"MIDDLE")  # unseen: the size and mtime are the identity's guard there
    os.utime(sample, ns=(1, 1))
    assert r.file_identity(sample)["head_tail"] == before
    with open(sample, "r+b") as f:
        f.seek(-1, os.SEEK_END)
        f.write(b"!")
    assert r.file_identity(sample)["head_tail"] != before


def test_a_reference_of_format_1_is_still_shown():
    document = json.loads(r.dumps(REF, KEY))
    document["version"] = 1
    document["key"] = {"size": 1, "mtime_ns": 2, "blake2b": "0" * 32}
    assert r.loads(json.dumps(document)) == (document["key"], REF)


def test_picture_size_round_trips_and_older_references_without_it_load():
    """width/height (a play's expected cost reads them) are kept for video streams; a
    reference stored before they existed still loads, its size unknown."""
    from pytest_pyglet_media.store.reference import Reference, Stream, dumps, loads
    key = KEY
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


@pytest.mark.parametrize("tag", ["9" * 400 + ":00:00", "99999999999999999999:00:00.5",
                                 "00:00:01." + "1" * 5000, "1e400:00:00"])
def test_a_duration_tag_beyond_any_file_is_no_duration_not_a_traceback(tag):
    from pytest_pyglet_media.store import reference as refs

    assert refs._tag_duration({"DURATION": tag}) is None
    assert refs._tag_duration({"DURATION": "00:00:02.000000000"}) == 2.0


def test_ffprobe_output_nested_beyond_any_answer_is_that_file_s_probe_failure(monkeypatch,
                                                                            tmp_path):
    """No process: the answer of a run stands in for ffprobe's."""
    from pytest_pyglet_media.core.errors import ProbeFailed
    from pytest_pyglet_media.store import reference as refs

    nested = b"[" * 100_000 + b"]" * 100_000
    monkeypatch.setattr(refs, "ffprobe_path", lambda: "ffprobe")
    monkeypatch.setattr(refs.ffprobe_run, "run", lambda command, sample, **kwargs: nested)
    with pytest.raises(ProbeFailed, match="ffprobe wrote no JSON"):
        refs._describe(tmp_path / "clip.mkv", timeout=5)


def test_what_a_video_stream_says_of_its_pictures_is_probed_kept_and_checked():
    """pix_fmt, colour matrix and range, rotation: the picture comparison names
    causes with them; a reference stored before them still loads."""
    stream = r._stream(r.Path("clip.mp4"), {
        "index": 0, "codec_type": "video", "codec_name": "h264", "width": 96, "height": 64,
        "pix_fmt": "yuv420p", "color_space": "bt709", "color_range": "tv",
        "side_data_list": [{"rotation": -90}]})
    assert (stream.pix_fmt, stream.color_space, stream.color_range, stream.rotation) == \
        ("yuv420p", "bt709", "tv", 270)
    audio = r._stream(r.Path("clip.mp4"), {"index": 1, "codec_type": "audio", "pix_fmt": "x"})
    assert (audio.pix_fmt, audio.rotation) == (None, None)
    ref = r.Reference(duration=1.0, start=0.0, video_index=0, frame_times=(0.0,),
                      streams=(stream, audio))
    text = r.dumps(ref, KEY)
    assert r.loads(text)[1] == ref
    older = text.replace(',"pix_fmt":"yuv420p","color_space":"bt709","color_range":"tv",'
                         '"rotation":270', "")
    assert r.loads(older)[1].video.rotation is None
    with pytest.raises(ValueError, match="stream 0 rotation is 400"):
        r.loads(text.replace('"rotation":270', '"rotation":400'))
    with pytest.raises(ValueError, match="but not all of"):
        r.loads(text.replace(',"color_range":"tv"', ""))


def test_a_tools_version_is_asked_once_and_so_is_its_failure(tmp_path):
    from pytest_pyglet_media.core.errors import ProbeFailed
    tool = tmp_path / "ffmpeg"
    tool.write_bytes(b"a binary")
    from pytest_pyglet_media.store.reference import ProgramVersions
    versions = ProgramVersions()
    asked = []

    def ask():
        asked.append(1)
        return "ffmpeg 5.1 #1"

    assert versions.of(str(tool), ask) == versions.of(str(tool), ask) == "ffmpeg 5.1 #1"
    assert len(asked) == 1
    hung = tmp_path / "ffprobe"
    hung.write_bytes(b"another binary")

    def fails():
        asked.append(2)
        raise ProbeFailed(hung, "did not answer")

    for _ in range(2):
        with pytest.raises(ProbeFailed, match="did not answer"):
            versions.of(str(hung), fails)
    assert asked == [1, 2]
