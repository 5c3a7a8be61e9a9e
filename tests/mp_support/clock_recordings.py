"""Recordings of plays whose audio clock is written frame by frame, and
the references they are judged against: for the audio clock's rules
(judge/audio_clock.py, judged in judge/file_checks.py).

A play shows frames every STEP s of pyglet time; frame i goes on screen at
wall `i * STEP + SHOW_DELAY`, and the clock reads `clock(i, t)` there. The
shapes are those pyglet 2.1.19 logged under each driver here (see the
measurements beside audio_clock's thresholds): the silent driver's clock
runs ~20 ms behind, OpenAL's moves in ~30 ms steps, PulseAudio's null sink
stands still at the start, runs behind, then leaps back.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

from pytest_pyglet_media.judge import analysis
from pytest_pyglet_media.store.reference import Reference, Stream

FPS = 25
STEP = 1 / FPS
#: a frame goes on screen this long after its time (pyglet's schedule)
SHOW_DELAY = 0.001
#: what mp.drv says of each driver's place
DETAILS = {
    "pulse": "server unix:/tmp/mp-pulse-4242-k3j2/pulse/native",
    "pulse-desktop": "server unix:/run/user/1000/pulse/native",
    "openal": "device OpenAL Soft",
    "silent": "",
}
#: the drivers every quiet play is judged under (None: a recording without
#: mp.drv, as pyglet's own logger writes)
DRIVERS = ("pulse", "pulse-desktop", "openal", "silent", None)

Clock = Callable[[int, float], float]


def frames(n: int, start: float = 0.0, step: float = STEP) -> list[float]:
    return [round(start + i * step, 6) for i in range(n)]


def silent_clock(_i: int, t: float) -> float:
    """The silent driver's clock: ~20 ms behind the picture."""
    return max(0.0, t - 0.02)


def openal_clock(_i: int, t: float) -> float:
    """OpenAL Soft's null backend: the clock moves in 30 ms steps."""
    return math.floor(t / 0.03) * 0.03


def late_clock(still: float, catch_up: float | None = None, *, at: float = 0.0) -> Clock:
    """A clock standing at `at` for `still` s from `at`, then running that
    far behind; back beside the picture `catch_up` s later (None: never)."""
    def clock(_i: int, t: float) -> float:
        if t < at + still:
            return at
        if catch_up is not None and t >= at + still + catch_up:
            return t - 0.02
        return t - still
    return clock


def jumping_clock(leaps: dict[float, float]) -> Clock:
    """The silent-like clock, moved by `leaps[t]` s from pyglet time t on."""
    def clock(_i: int, t: float) -> float:
        return silent_clock(_i, t) + sum(v for at, v in leaps.items() if t >= at)
    return clock


def drifting_clock(slope: float) -> Clock:
    """A clock that gains `slope` s per s on the picture."""
    return lambda _i, t: t * (1 + slope) - 0.02


def play(shown: Sequence[float], clock: Clock = silent_clock, *, driver: str | None = "pulse",
         walls: Sequence[float] | None = None, duration: float | None = None,
         has_audio: bool = True, looks_between: int = 0) -> list[tuple]:
    """A finished play showing pyglet video times `shown` (on time unless
    `walls` says), the clock at clock(i, t) of each frame; `looks_between`
    more looks at the clock (update_texture returning early: no frame)
    between two frames. `driver`: a key of DETAILS, or None for no mp.drv."""
    walls = list(walls) if walls is not None else [t + SHOW_DELAY for t in shown]
    last = walls[-1] if walls else 0.0
    duration = duration if duration is not None else (shown[-1] + STEP if shown else 1.0)
    events: list[tuple] = [("version", 1.1), ("mp.im", "clip"),
                           ("mp.src", duration, (160, 120, 1.0, float(FPS)),
                            (2, 16, 44100) if has_audio else None)]
    if driver is not None:
        events.append(("mp.drv", driver.split("-")[0], DETAILS[driver], ""))
    events.append(("p.P._sp", 0.0))
    for i, (t, wall) in enumerate(zip(shown, walls)):
        audio = clock(i, t) if has_audio else 0.0
        events += [("p.P.ut.1.0", STEP, t, audio, wall), ("p.P.ut.1.6", t),
                   ("p.P.ut.1.9", STEP, shown[i + 1] if i + 1 < len(shown) else None)]
        for k in range(1, looks_between + 1):
            dt = STEP * k / (looks_between + 1)
            look = clock(i, t + dt) if has_audio else 0.0
            # pyglet looked too early: the next frame is not due (no 1.9 blit)
            events += [("p.P.ut.1.0", STEP, t + dt, look, wall + dt)]
    if shown:
        events += [("p.P.ut.1.0", STEP, last, clock(len(shown), last) if has_audio else 0.0,
                    last + STEP), ("p.P.ut.1.6", None), ("p.P.ut.1.7", STEP)]
    events += [("mp.end", max(duration, last) + 0.03), ("p.P.oe",)]
    analysis.validate(events)  # the checks assume a valid recording
    return events


def reference(frame_times: Sequence[float] = (), *, duration: float | None = None,
              audio: bool = True, audio_start: float = 0.0,
              audio_duration: float | None = None) -> Reference:
    """What ffprobe says of an H.264/AAC file with these frames (video from 0)."""
    frame_times = tuple(sorted(frame_times))
    if duration is None:
        duration = (frame_times[-1] + STEP) if frame_times else 1.0
    streams = []
    if frame_times:
        streams.append(Stream(0, "video", "h264", 0.0, duration))
    if audio:
        streams.append(Stream(len(streams), "audio", "aac", audio_start,
                              audio_duration if audio_duration is not None else duration))
    return Reference(duration=duration, start=0.0, streams=tuple(streams),
                     video_index=0 if frame_times else None, frame_times=frame_times)
