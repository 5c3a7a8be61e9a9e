"""Synthetic recordings: the one builder every test and player double uses.

Two forms are built, as the analysis must read both:

- ours: a ("version", 1.1) header, ("mp.im", name), ("mp.src", ...), the
  player's events, ("mp.end", wall) right before ("p.P.oe",);
- pyglet's own BufferedLogger: no header, no mp.* events at all.

The play itself is what pyglet 2.1 logs for a clean play: ("p.P._sp", 0.0),
then per frame ("p.P.ut.1.0", dt, time, audio_time, wall), ("p.P.ut.1.6", ts),
("p.P.ut.1.9", delay, next_ts); then the end of stream ("p.P.ut.1.0", ...),
("p.P.ut.1.6", None), ("p.P.ut.1.7", 0.0333), ("p.P.oe",).

Imports nothing but the standard library (never pyglet, never pytest): the
player doubles import it in their child processes. Literal events only, so a
builder never depends on the code under test.
"""
from __future__ import annotations

from typing import Collection, Iterable, Mapping

DT = 1 / 30
SAMPLE = "clip.mp4"
VIDEO_FORMAT = (320, 240, 1.0, 30.0)
AUDIO_FORMAT = (2, 16, 44100)
#: the ("p.P.ut.1.9", delay, ...) of a frame re-scheduled in the past
PAST_DELAY = -0.01
#: the ("p.P.ut.1.7", value) that ends the stream
NO_VIDEO_TIME = 0.0333


def frame(i: int, dt: float = DT, delay: float = DT) -> list[tuple]:
    """Frame block i of a clean play: update_texture, video time, re-schedule."""
    t = i * dt
    return [("p.P.ut.1.0", dt, t, t, t + 0.001),
            ("p.P.ut.1.6", t),
            ("p.P.ut.1.9", delay, t + dt)]


def end_of_stream(n_frames: int, dt: float = DT, *, wall_offset: float = 0.001,
                  no_video_time: float = NO_VIDEO_TIME) -> list[tuple]:
    t = n_frames * dt
    return [("p.P.ut.1.0", dt, t, t, t + wall_offset),
            ("p.P.ut.1.6", None),
            ("p.P.ut.1.7", no_video_time)]


def play(n_frames: int = 60, *, header: bool = True, sample: str = SAMPLE,
         dt: float = DT, src: bool = True, duration: float | None = None,
         video_format: tuple = VIDEO_FORMAT, audio_format: tuple = AUDIO_FORMAT,
         wall_offset: float = 0.001, audio_lag: float = 0.0,
         none_current: Collection[int] = (), none_audio: Collection[int] = (),
         late: Collection[int] = (), no_image: Collection[int] = (),
         past: Collection[int] = (), inject: Mapping[int, Iterable[tuple]] | None = None,
         ended: bool = True, stream_end: bool = True,
         no_video_time: float = NO_VIDEO_TIME, cpu: tuple | None = None,
         mp_end: bool = True, end_wall: float | None = None) -> list[tuple]:
    """A play of n_frames frame blocks (block i at time i*dt, wall i*dt + wall_offset).

    header=False gives pyglet's form (no version, no mp.* events); src=False
    leaves ("mp.src", duration or n_frames*dt, video_format, audio_format) out.
    Frame block i may get: `inject[i]` events right after its ("p.P.ut.1.0", ...);
    then a discarded-late frame ("p.P.ut.1.5", t) when i is in `late`; then
    ("p.P.ut.1.8",) when in `no_image`; a re-schedule in the past when in `past`.
    Its current time is None when in `none_current`, its audio time None when in
    `none_audio`, else t - audio_lag.
    ended=False stops after the last frame block (a play in progress or cut
    short); stream_end=False leaves out pyglet's end-of-stream block; `cpu`
    adds ("mp.cpu", *cpu); mp_end=False leaves ("mp.end", end_wall or
    n_frames*dt) out.
    """
    inject = dict(inject or {})
    events: list[tuple] = []
    if header:
        events += [("version", 1.1), ("mp.im", sample)]
        if src:
            dur = n_frames * dt if duration is None else duration
            events.append(("mp.src", dur, video_format, audio_format))
    events.append(("p.P._sp", 0.0))
    for i in range(n_frames):
        t = i * dt
        current = None if i in none_current else t
        audio = None if i in none_audio else t - audio_lag
        events.append(("p.P.ut.1.0", dt, current, audio, t + wall_offset))
        events.extend(inject.get(i, ()))
        if i in late:
            events.append(("p.P.ut.1.5", t))
        if i in no_image:
            events.append(("p.P.ut.1.8",))
        events.append(("p.P.ut.1.6", t))
        events.append(("p.P.ut.1.9", PAST_DELAY if i in past else dt, t + dt))
    if not ended:
        return events
    if stream_end:
        events += end_of_stream(n_frames, dt, wall_offset=wall_offset,
                                no_video_time=no_video_time)
    if header:
        if cpu is not None:
            events.append(("mp.cpu", *cpu))
        if mp_end:
            events.append(("mp.end", n_frames * dt if end_wall is None else end_wall))
    events.append(("p.P.oe",))
    return events


def pyglet_play(n_frames: int = 60, **kw) -> list[tuple]:
    """The same play as pyglet's BufferedLogger writes it (no header, no mp.*)."""
    return play(n_frames, header=False, **kw)


def bare_play(sample: str, end_wall: float | None = 0.5) -> list[tuple]:
    """A play without a frame: header, a source of no duration, start, mp.end
    (unless None), end. (Our end without a source is not a whole play.)"""
    return play(0, sample=sample, stream_end=False,
                mp_end=end_wall is not None, end_wall=end_wall)


def placeholder(sample: str = "x") -> list[tuple]:
    """The crash placeholder a player writes before it plays."""
    return [("version", 1.1), ("crash", sample)]


class Rec:
    """The builders above as one namespace (the `rec` fixture returns it)."""

    DT = DT
    SAMPLE = SAMPLE
    #: events before the first frame block in our form / pyglet's form
    OUR_PREFIX = 4  # version, mp.im, mp.src, p.P._sp
    PYGLET_PREFIX = 1  # p.P._sp

    frame = staticmethod(frame)
    end_of_stream = staticmethod(end_of_stream)
    play = staticmethod(play)
    pyglet_play = staticmethod(pyglet_play)
    bare_play = staticmethod(bare_play)
    placeholder = staticmethod(placeholder)


def hung_play(n_frames: int = 30, *, dt: float = DT, duration: float | None = None,
              waits: Iterable[tuple] = (), stopped_at: float | None = None,
              audio_format: tuple = AUDIO_FORMAT) -> list[tuple]:
    """A play pyglet never ended, as our player closes it: the frames and
    pyglet's end of video, then no end of play; the player's waits, its CPU
    and ("mp.noeos", stopped at, the end due at) last. The end is due at
    `duration` (n_frames*dt), the stop 5 s later unless `stopped_at`."""
    due = n_frames * dt if duration is None else duration
    events = play(n_frames, duration=due, audio_format=audio_format, ended=False)
    events += end_of_stream(n_frames, dt)
    events += list(waits) or [("mp.wait", due, due + 5.0, 0.0)]
    events.append(("mp.cpu", 0.1, 0.0))
    events.append(("mp.noeos", due + 5.0 if stopped_at is None else stopped_at, due))
    return events
