"""Shared builders of synthetic recordings for the unit tests.

Two forms are built, as the analysis must read both:

- ours: a ("version", 1.1) header, ("mp.im", name), ("mp.src", ...), the
  player's events, ("mp.end", wall) right before ("p.P.oe",);
- pyglet's own BufferedLogger: no header, no mp.* events at all.

The play itself is what pyglet 2.1 logs for a clean play: ("p.P._sp", 0.0),
then per frame ("p.P.ut.1.0", dt, time, audio_time, wall), ("p.P.ut.1.6", ts),
("p.P.ut.1.9", delay, next_ts); then the end of stream ("p.P.ut.1.0", ...),
("p.P.ut.1.6", None), ("p.P.ut.1.7", 0.0333), ("p.P.oe",).

No test here imports pyglet.
"""
from __future__ import annotations

import sys
from typing import Iterable, Mapping

import pytest

DT = 1 / 30
SAMPLE = "clip.mp4"
VIDEO_FORMAT = (320, 240, 1.0, 30.0)
AUDIO_FORMAT = (2, 16, 44100)


class Rec:
    """Builders of synthetic recordings (all static; exposed as the `rec` fixture)."""

    DT = DT
    SAMPLE = SAMPLE
    #: events before the first frame block in our form / pyglet's form
    OUR_PREFIX = 4  # version, mp.im, mp.src, p.P._sp
    PYGLET_PREFIX = 1  # p.P._sp

    @staticmethod
    def frame(i: int, dt: float = DT, delay: float = DT) -> list[tuple]:
        t = i * dt
        return [("p.P.ut.1.0", dt, t, t, t + 0.001),
                ("p.P.ut.1.6", t),
                ("p.P.ut.1.9", delay, t + dt)]

    @staticmethod
    def end_of_stream(n_frames: int, dt: float = DT) -> list[tuple]:
        t = n_frames * dt
        return [("p.P.ut.1.0", dt, t, t, t + 0.001),
                ("p.P.ut.1.6", None),
                ("p.P.ut.1.7", 0.0333)]

    @staticmethod
    def play(n_frames: int = 60, *, header: bool = True, sample: str = SAMPLE,
             duration: float | None = None, end_wall: float | None = None,
             inject: Mapping[int, Iterable[tuple]] | None = None,
             ended: bool = True) -> list[tuple]:
        """A clean play of n_frames frames; `inject` puts events after the
        ("p.P.ut.1.0", ...) of frame block i. header=False gives pyglet's form."""
        inject = dict(inject or {})
        events: list[tuple] = []
        if header:
            dur = n_frames * DT if duration is None else duration
            events += [("version", 1.1), ("mp.im", sample),
                       ("mp.src", dur, VIDEO_FORMAT, AUDIO_FORMAT)]
        events.append(("p.P._sp", 0.0))
        for i in range(n_frames):
            block = Rec.frame(i)
            events.append(block[0])
            events.extend(inject.get(i, ()))
            events.extend(block[1:])
        if not ended:
            return events
        events += Rec.end_of_stream(n_frames)
        if header:
            events.append(("mp.end", n_frames * DT if end_wall is None else end_wall))
        events.append(("p.P.oe",))
        return events

    @staticmethod
    def pyglet_play(n_frames: int = 60, **kw) -> list[tuple]:
        return Rec.play(n_frames, header=False, **kw)

    @staticmethod
    def placeholder(sample: str = "x") -> list[tuple]:
        return [("version", 1.1), ("crash", sample)]


@pytest.fixture
def rec() -> type[Rec]:
    return Rec


@pytest.fixture(autouse=True)
def _no_pyglet_imported():
    """Every unit test must run without importing pyglet (other suites may have)."""
    before = "pyglet" in sys.modules
    yield
    assert before or "pyglet" not in sys.modules, \
        "a unit test (or the code under test) imported pyglet"


def builtins_only(value) -> bool:
    """True when value holds only dict/list/tuple/str/int/float/bool/None."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, (list, tuple)):
        return all(builtins_only(v) for v in value)
    if isinstance(value, dict):
        return (all(isinstance(k, str) for k in value)
                and all(builtins_only(v) for v in value.values()))
    return False


@pytest.fixture
def is_builtins():
    return builtins_only
