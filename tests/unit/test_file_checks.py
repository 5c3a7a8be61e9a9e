"""file_checks.py: synthetic recordings judged against synthetic references.

The recordings have the shape pyglet 2.1.19 logs (see tests/unit/conftest.py);
the reference shapes are those ffprobe gave for the clips of
tests/e2e/test_file_reference_e2e.py. No pyglet, no process.
"""
from __future__ import annotations

import json
import pickle

import pytest

from pytest_pyglet_media.judge import analysis
from pytest_pyglet_media.judge import file_checks as fc
from pytest_pyglet_media.judge.file_checks import check
from pytest_pyglet_media.judge.rules import FILE_KINDS
from pytest_pyglet_media.store.reference import Reference, Stream

FPS = 25
STEP = 1 / FPS
AUDIO_LAG = 0.02  # pyglet's silent driver reports audio about 20 ms behind the clock


def frames(n: int, start: float = 0.0, step: float = STEP) -> list[float]:
    return [round(start + i * step, 6) for i in range(n)]


def ref(frame_times=(), *, duration: float | None = None, video_start: float | None = 0.0,
        audio_start: float | None = 0.0, audio_duration: float | None = None,
        audio: bool = True, cover: bool = False) -> Reference:
    streams = []
    frame_times = tuple(sorted(frame_times))
    if duration is None:
        duration = (frame_times[-1] + STEP) if frame_times else 1.0
    if frame_times:
        streams.append(Stream(0, "video", "h264", video_start, duration))
    if audio:
        streams.append(Stream(len(streams), "audio", "aac", audio_start,
                              audio_duration if audio_duration is not None else duration))
    if cover:
        streams.append(Stream(len(streams), "video", "png", audio_start, duration, True))
    return Reference(duration=duration, start=0.0, streams=tuple(streams),
                     video_index=0 if frame_times else None, frame_times=frame_times)


def play(shown, *, walls=None, audio=None, end=None, discarded=(), has_audio=True,
         header=True, duration=1.0, finished=True, driver: str | None = None) -> list[tuple]:
    """A recording that presents `shown` (pyglet video_times) at `walls`
    (default: on time), the audio clock at `audio` (default: AUDIO_LAG behind);
    `driver`: the audio driver its mp.drv names (None: no mp.drv)."""
    walls = list(walls) if walls is not None else [t + 0.03 for t in shown]
    audio = list(audio) if audio is not None else [max(0.0, w - 0.03 - AUDIO_LAG) for w in walls]
    events: list[tuple] = [("version", 1.1)] if header else []
    events += [("mp.im", "clip"),
               ("mp.src", duration, (160, 120, 1.0, 25.0), (1, 32, 44100) if has_audio else None)]
    if driver is not None:
        events.append(("mp.drv", driver, "", ""))
    events.append(("p.P._sp", 0.0))
    for v in discarded:
        events += [("p.P.ut.1.0", STEP, 0.0, 0.0, 0.0), ("p.P.ut.1.5", v)]
    for i, (v, w, a) in enumerate(zip(shown, walls, audio)):
        nxt = shown[i + 1] if i + 1 < len(shown) else None
        events += [("p.P.ut.1.0", STEP, w - 0.03, a if has_audio else 0, w),
                   ("p.P.ut.1.6", v), ("p.P.ut.1.9", STEP, nxt)]
    last = walls[-1] if walls else 0.0
    if shown:
        events += [("p.P.ut.1.0", STEP, last, last, last + STEP), ("p.P.ut.1.6", None),
                   ("p.P.ut.1.7", STEP)]
    if finished:
        end = end if end is not None else max(duration, last) + 0.05
        events += [("mp.end", end), ("p.P.oe",)]
    analysis.validate(events)  # the checks assume a valid recording
    return events


# -- a correct player ----------------------------------------------------------


def test_a_perfect_play_says_nothing():
    times = frames(25)
    result = check(play(times), ref(times))
    assert result.judged and result.counts == {} and result.messages == {}
    assert (result.frames_in_file, result.frames_shown) == (25, 25)


def test_pyglets_own_logger_without_header_or_our_events():
    times = frames(25)
    events = [e for e in play(times, header=False) if not e[0].startswith("mp.")]
    result = check(events, ref(times))
    assert result.counts == {}
    assert "length is not checked" in result.note


def test_variable_frame_rate_gap_of_two_seconds_is_not_a_stall():
    times = frames(13) + frames(12, start=2.52)
    result = check(play(times, duration=3.0), ref(times, duration=3.0))
    assert result.counts == {}


def test_video_shorter_than_audio_holds_its_last_frame_quietly():
    times = frames(13)  # 0.52 s of video, 1.5 s of audio
    walls = [t + 0.03 for t in times]
    result = check(play(times, walls=walls, duration=1.5),
                   ref(times, duration=1.5, audio_duration=1.5))
    assert result.counts == {}


def test_audio_only_and_cover_art_have_no_frames_to_miss():
    assert check(play([]), ref([])).counts == {}
    result = check(play([]), ref([], cover=True))
    assert result.counts == {} and result.frames_in_file == 0


def test_one_frame_video():
    events = play([0.0], walls=[0.03], end=0.064, has_audio=False, duration=0.04)
    result = check(events, ref([0.0], duration=0.04, audio=False))
    assert result.counts == {} and result.frames_shown == 1


def test_pyglet_times_are_file_times_minus_its_start_time():
    # mkv: video starts at 0.023, audio at 0: pyglet logs 0.0, 0.04, ...
    file_times = frames(25, start=0.023)
    result = check(play(frames(25)), ref(file_times, video_start=0.023))
    assert result.counts == {} and result.time_shift == 0.023


def test_discarded_frames_are_reported_by_pyglet_not_missing():
    times = frames(25)
    result = check(play(times[3:], discarded=times[:3]), ref(times))
    assert "frames_not_shown" not in result.counts
    assert result.frames_discarded == 3


# -- frames_not_shown --------------------------------------------------------------


def test_h264_b_frames_in_mp4_message():
    times = frames(75)
    shown = [t for t in times if t not in (0.04, 0.16, 2.92, 2.96)]
    result = check(play(shown, duration=3.0), ref(times))
    assert result.counts == {"frames_not_shown": 4}
    assert result.messages["frames_not_shown"] == (
        "4 of 75 frames never shown: 2 at the start (0.04 s, 0.16 s), "
        "2 at the end (2.92 s, 2.96 s) (video stream 0, file times)")
    assert result.missing_frames == (0.04, 0.16, 2.92, 2.96)


def test_missing_in_the_middle_and_runs_listed_as_ranges():
    times = frames(75)
    lost = set(frames(6, start=1.0))
    result = check(play([t for t in times if t not in lost], duration=3.0), ref(times))
    assert result.messages["frames_not_shown"] == (
        "6 of 75 frames never shown: 6 in the middle (1.00 s to 1.20 s) "
        "(video stream 0, file times)")


def test_nothing_shown_at_all():
    times = frames(5)
    result = check(play([]), ref(times))
    assert result.counts == {"frames_not_shown": 5}
    assert "none was (0.00 s to 0.16 s)" in result.messages["frames_not_shown"]


def test_times_in_millisecond_containers_keep_their_precision():
    file_times = frames(25, start=0.023)
    result = check(play(frames(23)), ref(file_times, video_start=0.023))
    assert "2 at the end (0.943 s, 0.983 s)" in result.messages["frames_not_shown"]


# -- short_play ----------------------------------------------------------------------


def test_late_audio_start_cuts_the_start_and_the_play():
    # itsoffset 0.5 on the audio input: audio starts at 0.476 (AAC priming);
    # pyglet shifts by it, skips the 11 frames before it and ends early
    file_times = frames(50)
    shown = [round(t - 0.476009, 6) for t in file_times[11:]]
    events = play(shown, end=1.542, duration=1.523991)
    result = check(events, ref(file_times, duration=2.0, audio_start=0.476009,
                               audio_duration=1.52322))
    assert result.counts == {"frames_not_shown": 11, "short_play": 1}
    assert result.messages["frames_not_shown"].startswith(
        "11 of 50 frames never shown: 11 at the start (0.00 s to 0.40 s)")
    assert result.messages["short_play"] == (
        "the play lasted 1.54 s of the file's 2.00 s (ffprobe; pyglet reported 1.52 s): "
        "0.46 s not played")


@pytest.mark.parametrize("shortfall, fires", [(0.0, False), (fc.SHORT_PLAY_MIN_SECONDS - 0.01, False),
                                              (fc.SHORT_PLAY_MIN_SECONDS + 0.01, True)])
def test_short_play_threshold(shortfall, fires):
    times = frames(50)
    result = check(play(times, end=2.0 - shortfall, duration=2.0), ref(times, duration=2.0))
    assert ("short_play" in result.counts) is fires


# -- av_offset -------------------------------------------------------------------


def _av(offsets: list[float]) -> fc.FileChecks:
    # an offset that comes and goes from one frame to the next is the audio
    # clock leaping too (audio_clock_jump, tests/unit/test_audio_clock.py);
    # under the silent driver only the lip sync is judged
    times = frames(len(offsets))
    walls = [t + 0.03 for t in times]
    return check(play(times, walls=walls, audio=[t + o for t, o in zip(times, offsets)],
                      duration=len(times) * STEP, driver="silent"), ref(times))


@pytest.mark.parametrize("offset, fires", [(0.0, False), (-AUDIO_LAG, False),
                                           (0.040, False), (0.060, True),
                                           (-0.120, False), (-0.200, True)])
def test_bt1359_window(offset, fires):
    result = _av([0.0] * 5 + [offset] * 20 + [0.0] * 5)
    assert ("av_offset" in result.counts) is fires, result.messages


def test_av_offset_message_names_worst_offset_and_when():
    offsets = [0.0] * 10 + [-0.15, -0.2, -0.3, -0.25, -0.2, -0.16] + [0.0] * 10
    result = _av(offsets)
    assert result.counts == {"av_offset": 1}
    assert result.messages["av_offset"] == (
        "audio 300 ms behind the picture at worst (at 0.51 s of the play, frame 0.48 s); "
        "outside the ITU-R BT.1359 window (audio 45 ms ahead to 125 ms behind) "
        "for 6 frames in 1 stretch")
    assert result.worst_av_offset == pytest.approx((0.51, -0.3))
    assert len(result.av_offsets) == 26


def test_short_excursions_are_jitter():
    offsets = [0.0] * 10 + [0.2] * (fc.AV_OFFSET_MIN_FRAMES - 1) + [0.0] * 10
    assert "av_offset" not in _av(offsets).counts
    offsets = [0.0] * 10 + [0.2] * fc.AV_OFFSET_MIN_FRAMES + [0.0] * 10
    assert _av(offsets).counts == {"av_offset": 1}


def test_audio_clock_that_stopped_is_not_an_offset():
    # video longer than audio: the audio clock stands at the audio's end
    times = frames(50)
    audio = [min(t, 0.6) for t in times]
    result = check(play(times, audio=audio, duration=2.0),
                   ref(times, duration=2.0, audio_duration=0.6))
    assert "av_offset" not in result.counts


def test_no_audio_in_pyglet_no_lip_sync_check():
    times = frames(25)
    result = check(play(times, has_audio=False), ref(times))
    assert result.counts == {} and result.av_offsets == ()


# -- stall ------------------------------------------------------------------------


def test_a_frozen_frame_is_a_stall():
    times = frames(25)
    walls = [t + 0.03 + (0.3 if t >= 0.4 else 0.0) for t in times]
    # the whole player froze (audio too): the picture stalls, lip sync holds
    audio = [t - AUDIO_LAG for t in times]
    result = check(play(times, walls=walls, audio=audio), ref(times))
    assert result.counts == {"stall": 1}
    assert result.messages["stall"] == (
        "1 freeze: frame 0.36 s held 0.34 s where the file shows it 0.04 s "
        "(at 0.39 s of the play)")
    (start, end, frame, expected), = result.stalls
    assert frame == 0.36 and expected == pytest.approx(0.04)


def test_a_short_hiccup_is_not_a_stall():
    times = frames(25)
    delay = fc.STALL_MIN_SECONDS - 0.02
    walls = [t + 0.03 + (delay if t >= 0.4 else 0.0) for t in times]
    assert "stall" not in check(play(times, walls=walls), ref(times)).counts


def test_slow_frame_rates_need_two_frame_intervals():
    # 2 fps: a frame is held 0.5 s; 0.3 s late is below two intervals (1 s)
    times = frames(6, step=0.5)
    walls = [t + 0.03 + (0.3 if t >= 1.0 else 0.0) for t in times]
    assert "stall" not in check(play(times, walls=walls, duration=3.0),
                                ref(times, duration=3.0)).counts


def test_a_stall_over_discarded_frames_counts_from_the_next_file_frame():
    times = frames(25)
    shown = [t for t in times if not 0.4 <= t < 0.6]
    walls = [t + 0.03 for t in shown]
    result = check(play(shown, walls=walls), ref(times))
    # 0.36 held until 0.63: 0.27 s where the file holds it 0.04 s
    assert result.counts["stall"] == 1
    assert result.counts["frames_not_shown"] == 5


# -- shape --------------------------------------------------------------------------


def test_a_crashed_play_is_not_judged():
    times = frames(25)
    result = check(play(times, finished=False), ref(times))
    assert not result.judged and result.counts == {}
    assert "did not finish" in result.note


def test_result_crosses_xdist_as_builtins():
    times = frames(75)
    shown = [t for t in times if t not in (0.04, 2.96)]
    result = check(play(shown, audio=[t - 0.3 for t in shown], duration=3.0), ref(times))
    assert set(result.counts) == {"frames_not_shown", "av_offset"}
    data = result.to_builtins()
    json.dumps(data, allow_nan=False)
    pickle.loads(pickle.dumps(data))
    assert fc.FileChecks.from_builtins(json.loads(json.dumps(data))) == result
    assert all(isinstance(n, int) and n > 0 for n in data["counts"].values())
    assert set(data["counts"]) <= set(FILE_KINDS)
