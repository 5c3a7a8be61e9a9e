"""Reference.length: how long a file plays, from its streams' start and end.

The streams below are what FFmpeg 5.1's ffprobe says of 1.2 s clips
(160x120, 25 fps, 48 kHz) whose timestamps start late (`-output_ts_offset`):
the container's duration is their end time in Matroska, WebM and mp4, their
length in MPEG-TS. No process is started: references are built in code, and
ffprobe's answers are fed to the parser as the JSON it would give.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_pyglet_media import progress
from pytest_pyglet_media.judge import file_checks as fc
from pytest_pyglet_media.play import order, playback, timeouts
from pytest_pyglet_media.store import reference as r
from pytest_pyglet_media.store.reference import Reference, Stream

STEP = 0.04


def _late(duration: float, *streams: Stream, start: float | None = None) -> Reference:
    first = min((s.start for s in streams if s.start is not None), default=None)
    return Reference(duration=duration, start=first if start is None else start,
                     streams=streams)


def _probed(sample: str, streams: list[dict]) -> tuple[Stream, ...]:
    """The streams as probe() reads ffprobe's JSON answer (no ffprobe run)."""
    return tuple(r._stream(Path(sample), data) for data in streams)


# measured: `ffprobe -show_entries stream=start_time,duration:stream_tags=DURATION`
MKV_STREAMS = [
    {"index": 0, "codec_type": "video", "codec_name": "h264", "start_time": "10.000000",
     "tags": {"DURATION": "00:00:11.200000000"}},
    {"index": 1, "codec_type": "audio", "codec_name": "aac", "start_time": "9.979000",
     "tags": {"DURATION": "00:00:11.200000000"}},
]
MKA_STREAMS = [
    {"index": 0, "codec_type": "audio", "codec_name": "vorbis", "start_time": "9.997000",
     "tags": {"DURATION": "00:00:11.200000000"}},
]


def test_matroska_starting_late_is_as_long_as_its_streams_not_its_end_time():
    ref = _late(11.2, *_probed("late.mkv", MKV_STREAMS))
    assert ref.length == pytest.approx(1.221)


def test_audio_only_matroska_starting_late():
    ref = _late(11.2, *_probed("late.mka", MKA_STREAMS))
    assert ref.length == pytest.approx(1.203)


def test_mp4_starting_late():
    ref = _late(11.2, Stream(0, "video", "h264", 10.0, 1.2),
                Stream(1, "audio", "aac", 9.978, 1.221333))
    assert ref.length == pytest.approx(1.222)


def test_mp4_fifty_thousand_seconds_late():
    ref = _late(50001.2, Stream(0, "video", "h264", 50000.0, 1.2),
                Stream(1, "audio", "aac", 49999.978, 1.221333))
    assert ref.length == pytest.approx(1.222)


def test_mpeg_ts_whose_container_says_its_length_gives_the_same():
    # MPEG-TS adds its 1.4 s muxing delay to the 10 s offset; its audio
    # stream's duration is ffprobe's estimate, shorter than the video
    ref = _late(1.221333, Stream(0, "video", "h264", 11.4, 1.2),
                Stream(1, "audio", "aac", 11.378667, 0.96))
    assert ref.length == pytest.approx(1.221333)


def test_a_file_starting_at_zero_keeps_its_duration():
    ref = _late(1.023, Stream(0, "video", "h264", 0.023, 1.0),
                Stream(1, "audio", "aac", 0.0, 1.023))
    assert ref.length == pytest.approx(1.023)


def test_audio_starting_after_video_counts_from_the_video():
    # the file plays from its first frame: pyglet cutting the start is a defect
    ref = _late(2.0, Stream(0, "video", "h264", 0.0, 2.0), Stream(1, "audio", "aac", 0.476, 1.524))
    assert ref.length == pytest.approx(2.0)


def test_video_shorter_than_audio_ends_with_the_audio():
    ref = _late(3.0, Stream(0, "video", "h264", 0.0, 1.0), Stream(1, "audio", "aac", 0.0, 3.0))
    assert ref.length == pytest.approx(3.0)


def test_cover_art_subtitles_and_data_are_not_played():
    ref = _late(1.05, Stream(0, "audio", "mp3", 0.025, 1.02),
                Stream(1, "video", "png", 0.0, 99.0, attached_pic=True),
                Stream(2, "subtitle", "subrip", 0.0, 50.0),
                Stream(3, "data", "bin_data", 0.0, 70.0),
                start=0.0)
    assert [s.index for s in ref.playing_streams] == [0]
    assert ref.length == pytest.approx(1.02)


@pytest.mark.parametrize("streams", [
    (),
    (Stream(0, "video", "h264", None, 1.0),),
    (Stream(0, "audio", "pcm_s16le", 0.0, None),),
    (Stream(0, "video", "png", 0.0, 5.0, attached_pic=True),),
    (Stream(0, "audio", "aac", 3.0, 0.0),),
], ids=["no stream", "no start", "no duration", "cover art alone", "zero length"])
def test_without_stream_times_the_container_duration_stands(streams):
    assert Reference(duration=4.5, start=0.0, streams=streams).length == 4.5
    assert Reference(duration=None, start=None, streams=streams).length is None


def test_streams_that_know_their_times_decide_without_those_that_do_not():
    ref = _late(11.2, Stream(0, "video", "h264", 10.0, 1.2), Stream(1, "audio", "aac", None, None))
    assert ref.length == pytest.approx(1.2)


def test_a_stored_reference_read_back_has_the_same_length():
    ref = _late(11.2, *_probed("late.mkv", MKV_STREAMS))
    assert r.from_builtins(r.to_builtins(ref)).length == pytest.approx(ref.length)


# -- who uses it -----------------------------------------------------------------


def _recording(end: float, shown: list[float]) -> list[tuple]:
    """A correct 1.2 s play: every frame shown on time, ended at `end`."""
    events: list[tuple] = [("version", 1.1), ("mp.im", "late.mkv"),
                           ("mp.src", 1.2, (160, 120, 1.0, 25.0), (1, 16, 48000)),
                           ("p.P._sp", 0.0)]
    for i, v in enumerate(shown):
        nxt = shown[i + 1] if i + 1 < len(shown) else None
        events += [("p.P.ut.1.0", STEP, v, v, v + 0.03), ("p.P.ut.1.6", v),
                   ("p.P.ut.1.9", STEP, nxt)]
    return events + [("mp.end", end), ("p.P.oe",)]


def _late_mkv_with_frames() -> Reference:
    streams = _probed("late.mkv", MKV_STREAMS)
    return Reference(duration=11.2, start=9.979, streams=streams, video_index=0,
                     frame_times=tuple(round(10.0 + i * STEP, 3) for i in range(30)))


def test_a_late_start_played_whole_is_not_a_short_play():
    ref = _late_mkv_with_frames()
    shift = ref.pyglet_start  # 10.0: pyglet's times count from there
    shown = [round(t - shift, 6) for t in ref.frame_times]
    result = fc.check(_recording(1.25, shown), ref)
    assert result.counts == {}, result.messages
    assert result.file_duration == pytest.approx(1.221)


def test_a_late_start_cut_short_is_still_a_short_play_measured_from_its_start():
    ref = _late_mkv_with_frames()
    shown = [round(t - ref.pyglet_start, 6) for t in ref.frame_times[:15]]
    result = fc.check(_recording(0.62, shown), ref)
    assert result.counts == {"frames_not_shown": 15, "short_play": 1}
    assert result.messages["short_play"] == (
        "the play lasted 0.62 s of the file's 1.22 s (ffprobe; pyglet reported 1.20 s): "
        "0.60 s not played")


def test_the_play_limit_follows_the_length():
    ref = _late(50001.2, Stream(0, "video", "h264", 50000.0, 1.2),
                Stream(1, "audio", "aac", 49999.978, 1.221333))
    assert timeouts.play_limit(None, ref.length) == timeouts.MINIMUM


def test_order_and_progress_read_the_length_of_a_stored_reference(tmp_path):
    ref = _late(11.2, *_probed("late.mkv", MKV_STREAMS))
    key = {"device": 1, "inode": 2, "size": 1234, "mtime_ns": 1, "head_tail": "0" * 32,
           "ffmpeg": "ffprobe version 5.1.9"}
    stored = tmp_path / "late.mkv.json"
    r.save(stored, ref, key)
    assert order.stored_duration(stored, 1234) == pytest.approx(1.221)
    assert progress.duration_from(stored) == pytest.approx(1.221)


def test_a_plays_limit_is_computed_from_the_length(tmp_path, monkeypatch):
    # the reference the play would be judged against (the store's cache, here
    # one probe that stands in for ffprobe's): no process
    sample = tmp_path / "late.mp4"
    sample.write_bytes(b"stands in for a 1.2 s clip that starts at 50,000 s")
    ref = _late(50001.2, Stream(0, "video", "h264", 50000.0, 1.2),
                Stream(1, "audio", "aac", 49999.978, 1.221333))
    monkeypatch.setattr(r, "ffprobe_path", lambda: "/bin/ffprobe-stand-in")
    monkeypatch.setattr(r, "ffprobe_version", lambda timeout: "ffprobe version 5.1.9")
    monkeypatch.setattr(r, "probe", lambda path, **kwargs: ref)
    settings: Any = SimpleNamespace(timeout=None)  # the one option play_limit reads here
    assert playback.play_limit(settings, tmp_path, "late.mp4", None) == timeouts.MINIMUM
