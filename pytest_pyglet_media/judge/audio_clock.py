"""The audio clock judged as a listener hears it: late start, jumps, drift.

pyglet's audio clock (`audio_time` of `p.P.ut.1.0`) is where the sound is,
as its audio driver reports it: with a real driver (PulseAudio, OpenAL,
XAudio2, DirectSound) the device's own position, with the silent driver
pyglet's own timer. Three ways it can go wrong that a listener hears:

- audio_late_start: the clock stands still while frames are shown, from
  the moment the file's audio should have started: picture without sound;
- audio_clock_jump: the clock leaps forward (sound skipped) or back (sound
  repeated) between two looks at it;
- audio_drift: over a long play, audio and picture slowly part (the slope
  of the audio-minus-picture offset against the play's time).

The silent driver plays nothing a listener hears and its clock is pyglet's
timer: these rules are not applied to its plays (their lip sync still is,
by file_checks' av_offset). Late audio in the file itself is not judged
here: pyglet shifts the play by it (file_checks' frames_not_shown and
short_play count it), and the clock is looked at only from the file's
audio start.

Thresholds were measured on this project's machine (2 vCPUs, pyglet 2.1.19,
PulseAudio 16.1 with a null sink, OpenAL Soft 1.19.1 null backend): 160x120
25 fps H.264/AAC, VP8/Vorbis, VP9/Opus clips of 1, 4, 20 and 60 s, and clips
with video longer or shorter than audio, late audio, a 2 s gap, 2 fps,
played under each driver, 1-3 runs each (the numbers beside each threshold).

Pure: data in, data out; times are the recording's wall clock (s since the
play started) and pyglet's media times (file time minus `shift`).
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Sequence

#: the driver whose clock is pyglet's own timer: nothing a listener hears
SILENT_DRIVER = "silent"
#: what the address of the run's private PulseAudio daemon (whose only sink
#: is a null one) holds in the recording's mp.drv detail ("server
#: unix:/tmp/mp-pulse-<pid>-XXXX/pulse/native"): play/sound_servers'
#: FOLDER_PREFIX, which tests/unit/test_audio_clock.py holds this to
PRIVATE_PULSE_MARK = "/mp-pulse-"
#: PulseAudio's null sink takes a stream in blocks of its latency, up to 2 s
#: (module-null-sink's maximum, PA 16.1) when no client asks it for less,
#: and pyglet's stream does not (no PA_STREAM_ADJUST_LATENCY): pyglet's
#: clock stands still until the sink takes the first block, runs behind the
#: picture, then leaps back beside it. Measured on 160x120 25 fps clips: the
#: standstill lasted 0.44-1.65 s on the run's private daemon (44.1 kHz AAC,
#: 4-60 s clips: 14 plays of 14; 48 kHz Opus/Vorbis: 0.40 s in 1 of 9
#: plays; a 1 s clip's clock never moved in 2 of 3), 1.8-1.96 s on a sink
#: resumed from suspend (5 plays of 6), and never (0.04 s, 6 plays of 6)
#: while another client held the same sink at 20 ms of latency. So a
#: standstill this long at most ...
NULL_SINK_START_MAX_SECONDS = 2.0
#: ... followed by the clock back within LATE_START_MAX_SECONDS of the
#: picture this soon (measured 0.24-0.40 s after the standstill, 22 plays
#: of 22) is the null sink's start-up, not pyglet's: not counted there
NULL_SINK_CATCH_UP_SECONDS = 0.6
#: two readings of the clock this close are the clock standing still
STILL_EPSILON = 1e-6
#: ITU-R BT.1359: audio behind the picture is detectable from 125 ms. A clock
#: standing still while frames are shown leaves the picture that far ahead of
#: the sound by the time it moves. Measured on correct plays (silent, OpenAL,
#: PulseAudio with 48 kHz Vorbis/Opus): the clock stood for at most 2 frames
#: shown 0.04 s apart (0.00-0.04 s, 57 plays); the private null sink with
#: 44.1 kHz AAC stood 0.44-1.65 s (NULL_SINK_START_MAX_SECONDS)
LATE_START_MAX_SECONDS = 0.125
#: a step of the clock beyond the wall clock's step, between two looks, this
#: large, forward or back, is a jump. Correct plays step at most +52/-21 ms
#: (OpenAL's clock moves in ~30 ms steps, the silent and PulseAudio ones
#: hesitate a frame now and then): 0.1 s is twice the largest, and more than
#: BT.1359's 45 ms of audio ahead of the picture
JUMP_MIN_SECONDS = 0.1
#: drift is judged from this long after the clock started moving (the end
#: of a late start is followed by a few frames of catching up) ...
DRIFT_SETTLE_SECONDS = 1.0
#: ... over at least this long a stretch: on 4 s clips the fitted slope of a
#: correct play is noise of the clock's steps (-3.3 to +3.5 ms/s measured)
DRIFT_MIN_SPAN_SECONDS = 8.0
#: the offset's slope (s of offset per s of play) beyond which audio drifts.
#: Correct 20 s plays: silent -0.12 to -0.09 ms/s, OpenAL -0.06 to +0.08,
#: PulseAudio's null sink +1.71 to +1.77 ms/s (settling after its start-up:
#: a 60 s play measured +0.29 there, OpenAL -0.00): 5 ms/s is about three
#: times the largest, and takes audio out of the BT.1359 window (45 ms
#: ahead) within 9 s
DRIFT_MAX_SLOPE = 0.005


@dataclass(frozen=True)
class LateStart:
    """The clock stood at `clock` (pyglet time) from `start` to `end` (wall)
    while `frames` frames were shown, file times `first_frame` to `last_frame`."""

    start: float
    end: float
    clock: float
    frames: int
    first_frame: float
    last_frame: float
    #: whether it moved at all while frames with audio were shown
    moved: bool


@dataclass(frozen=True)
class Jump:
    """The clock gained `step` s on the wall clock (> 0: forward) or, going
    back, lost `-step` s on it, between two looks at `before` and `at`
    (wall), going from `from_clock` to `to_clock` (file times), while frame
    `frame` (file time) was on screen."""

    before: float
    at: float
    step: float
    from_clock: float
    to_clock: float
    frame: float | None


@dataclass(frozen=True)
class Drift:
    """The offset's least-squares slope over shown frames from `start` to
    `end` (wall), `frames` of them, file times `first_frame` to `last_frame`."""

    slope: float
    start: float
    end: float
    offset_start: float
    offset_end: float
    frames: int
    first_frame: float
    last_frame: float


@dataclass(frozen=True)
class ClockFindings:
    late_start: LateStart | None = None
    jumps: tuple[Jump, ...] = ()
    drift: Drift | None = None
    #: the slope measured (None: not enough of a play to measure it)
    slope: float | None = None


def judged(driver: str | None) -> bool:
    """Whether the clock of a play under `driver` is judged (None: a
    recording that does not say, e.g. pyglet's own logger)."""
    return driver != SILENT_DRIVER


def on_private_null_sink(driver: str | None, detail: str) -> bool:
    """Whether a play went to the run's private PulseAudio daemon, whose only
    sink is a null one (mp.drv's driver and detail)."""
    return driver == "pulse" and PRIVATE_PULSE_MARK in detail


def null_sink_start_up(late: LateStart, frames: Sequence[tuple[float, float | None, float]]
                       ) -> tuple[float, bool] | None:
    """Whether a late start looks like a null sink taking its first block
    (NULL_SINK_START_MAX_SECONDS, NULL_SINK_CATCH_UP_SECONDS): (the wall
    until which it lasted, whether the clock was back beside the picture
    then), or None when it does not look like one. A play that ended (its
    frames with audio) before the clock could be back tells nothing against
    the sink either: its start-up lasted to its last frame. `frames` as
    late_start's."""
    if late.end - late.start > NULL_SINK_START_MAX_SECONDS:
        return None
    last = late.end
    for wall, audio, video in frames:
        if wall <= late.end or audio is None:
            continue
        if wall - late.end > NULL_SINK_CATCH_UP_SECONDS:
            return None
        if abs(audio - video) <= LATE_START_MAX_SECONDS:
            return wall, True
        last = wall
    return last, False


def late_start(frames: Sequence[tuple[float, float | None, float]], shift: float
               ) -> LateStart | None:
    """The clock standing still from the first frame shown with audio.

    `frames`: (wall, audio_time, video_time) of the frames shown from the
    moment the file's audio starts, in play order. The stretch runs from the
    first of them to the last shown before the clock moved; it is a late
    start when the picture went on more than LATE_START_MAX_SECONDS meanwhile.
    """
    readable = [f for f in frames if f[1] is not None]
    if len(readable) < 2:
        return None
    first_wall, clock, _ = readable[0]
    still = 0
    for _wall, audio, _video in readable:
        if abs(audio - clock) > STILL_EPSILON:
            break
        still += 1
    last_wall = readable[still - 1][0]
    if last_wall - first_wall <= LATE_START_MAX_SECONDS:
        return None
    return LateStart(first_wall, last_wall, clock, still, readable[0][2] + shift,
                     readable[still - 1][2] + shift, still < len(readable))


def jumps(readings: Sequence[tuple[float, float, float | None]], shift: float,
          excused: tuple[float, float] | None = None) -> list[Jump]:
    """Where the clock leapt between two consecutive looks (wall, audio_time,
    video_time on screen or None): forward, when it gained more than
    JUMP_MIN_SECONDS on the wall clock (sound skipped); back, when it went
    back and lost more than that on the wall clock (sound repeated).

    A clock that gained less than the wall clock did not leap: it stood
    still or crawled (a late start, the audio's end, or the whole player
    held up, which file_checks' stall and av_offset see). Its first move
    after `after` (wall: the end of a late start already counted) ends
    that late start and is not counted again.
    """
    found = []
    for (w0, a0, _), (w1, a1, frame) in zip(readings, readings[1:]):
        step = (a1 - a0) - (w1 - w0)
        if not (step > JUMP_MIN_SECONDS or (a1 < a0 and step < -JUMP_MIN_SECONDS)):
            continue
        if excused is not None and excused[0] < w1 <= excused[1]:
            continue
        found.append(Jump(w0, w1, step, a0 + shift, a1 + shift,
                          None if frame is None else frame + shift))
    return found


def drift(samples: Sequence[tuple[float, float, float]], started: float
          ) -> tuple[Drift | None, float | None]:
    """The offset's slope over (wall, audio minus picture, frame file time)
    samples of a running clock, from DRIFT_SETTLE_SECONDS after `started`
    (wall); (the drift when beyond DRIFT_MAX_SLOPE, the slope measured)."""
    kept = [s for s in samples if s[0] >= started + DRIFT_SETTLE_SECONDS]
    if len(kept) < 3 or kept[-1][0] - kept[0][0] < DRIFT_MIN_SPAN_SECONDS:
        return None, None
    walls = [s[0] for s in kept]
    offsets = [s[1] for s in kept]
    mean_wall, mean_offset = statistics.fmean(walls), statistics.fmean(offsets)
    spread = sum((w - mean_wall) ** 2 for w in walls)
    if spread <= 0:
        return None, None
    slope = sum((w - mean_wall) * (o - mean_offset) for w, o in zip(walls, offsets)) / spread
    if abs(slope) <= DRIFT_MAX_SLOPE:
        return None, slope

    def fitted(wall: float) -> float:
        return mean_offset + slope * (wall - mean_wall)

    return Drift(slope, walls[0], walls[-1], fitted(walls[0]), fitted(walls[-1]), len(kept),
                 kept[0][2], kept[-1][2]), slope
