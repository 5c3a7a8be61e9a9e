"""The player event table and a state iterator over recordings.

A recording is a list of tuples, each an event: its name, then its fields.
pyglet's `Player` logs the `p.P.*` events through its buffered logger; the
`mp.*` events are written by our own player (pyglet's original scripts wrote
`crash` and `mp.im`; ours adds the source, the audio driver pyglet used, the
player's CPU use, when it waited for a CPU, the end of play and why a file could not be opened).

This module imports nothing: analysing a recording must never need pyglet
(importing `pyglet.media` opens a GL context).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

#: Version of the event table, as pyglet's instrumentation.py names it.
VERSION = 1.1

Event = tuple  # (name, *fields); kept loose: recordings come from pickles


@dataclass(frozen=True)
class EventSpec:
    name: str
    desc: str
    fields: tuple[str, ...]
    #: extra state fields shown when a report mentions the event
    shown_with: tuple[str, ...] = ()

    @property
    def arity(self) -> int:
        return 1 + len(self.fields)


def _specs(*specs: EventSpec) -> dict[str, EventSpec]:
    return {s.name: s for s in specs}


EVENTS: dict[str, EventSpec] = _specs(
    EventSpec("version", "Recording format version", ("version",)),
    EventSpec("crash", "media_player crashed.", ("sample",)),
    EventSpec("mp.im", "Play", ("sample",)),
    # Our own events (pyglet's logger never writes them; they are optional).
    EventSpec("mp.src", "Source", ("duration", "video_format", "audio_format")),
    EventSpec("mp.drv", "Audio driver used:", ("driver", "driver_detail", "driver_failures")),
    EventSpec("mp.err", "Cannot play the source:", ("reason",)),
    EventSpec("mp.cpu", "Player CPU use during the play (seconds):",
              ("cpu_time", "cpu_wait")),
    # the player's threads (and the sound server's) waited `waited` s for a
    # CPU between these two wall times (play/cpu_waits.py); Linux only
    EventSpec("mp.wait", "Player waited for a CPU (from, until, seconds):",
              ("waited_from", "waited_until", "waited")),
    EventSpec("mp.end", "End of stream reached", ("end_wall_time",)),
    # the player ended a play pyglet never ended: no end of stream (on_eos)
    # well after the file's end was due (play/player.py's watch on the end)
    EventSpec("mp.noeos", "No end of stream: the play still ran (wall time, the end due at):",
              ("noeos_wall_time", "end_due_wall_time")),
    # pyglet's Player
    EventSpec("p.P._sp", "Start playing", ("wall_time",)),
    EventSpec("p.P.sk", "Seek", ("seek_to_time",)),
    EventSpec("p.P.ut.1.0", "Enter update_texture",
              ("pyglet_dt", "current_time", "audio_time", "wall_time")),
    EventSpec("p.P.ut.1.5", "Discard video frame too old,", ("video_time",),
              shown_with=("current_time",)),
    EventSpec("p.P.ut.1.6", "Current video frame,", ("video_time",)),
    EventSpec("p.P.ut.1.7",
              "Early return doing nothing because video_time is None (likely EOV),",
              ("rescheduling_time",)),
    EventSpec("p.P.ut.1.8", "Image frame is None (?)", ()),
    EventSpec("p.P.ut.1.9", "Re-scheduling,", ("rescheduling_time", "next_video_time")),
    # crash detection relies on this being the last event of a finished play
    EventSpec("p.P.oe", ">>> play ends", ()),
)

END_OF_PLAY = "p.P.oe"
#: the last event of a play our player ended because pyglet never did
NO_END_OF_STREAM = "mp.noeos"
#: a finished recording ends with one of these; anything else crashed
PLAY_ENDINGS = frozenset({END_OF_PLAY, NO_END_OF_STREAM})
#: events that advance the frame counter, as in pyglet's state iterator
FRAME_EVENTS = frozenset({"p.P.ut.1.5", "p.P.ut.1.9"})

STATE_FIELDS: dict[str, Any] = {
    "evname": None,
    "evnum": -1,
    "sample": None,
    "wall_time": None,
    "current_time": None,
    "audio_time": None,
    "seek_to_time": None,
    "pyglet_dt": None,
    "video_time": None,
    "rescheduling_time": None,
    "next_video_time": None,
    "duration": None,
    "video_format": None,
    "audio_format": None,
    "driver": None,
    "driver_detail": None,
    "driver_failures": None,
    "reason": None,
    "end_wall_time": None,
    "noeos_wall_time": None,
    "end_due_wall_time": None,
    "cpu_time": None,
    "cpu_wait": None,
    "waited_from": None,
    "waited_until": None,
    "waited": None,
    "version": VERSION,
    # synthetic, probably invalid after a seek (as in pyglet's iterator)
    "pyglet_time": 0.0,
    "frame_num": 0,
}


def body(events: Sequence[Event]) -> Sequence[Event]:
    """The events after the optional ("version", 1.1) header.

    pyglet's own BufferedLogger writes no header; the original scripts and
    ours do. Both forms are read alike.
    """
    if events and events[0] and events[0][0] == "version":
        return events[1:]
    return events


def iter_states(events: Iterable[Event]) -> Iterator[dict[str, Any]]:
    """Yield the player state after each event (one dict, updated in place).

    The text reports and the timeline rows read the play this way. Defect
    counting needs no state but the frame number and makes its own single
    pass (judge/analysis.py, by the rules of judge/rules.py), for speed.
    Assumes a validated recording (analysis.judge).
    """
    state = dict(STATE_FIELDS)
    for event in events:
        spec = EVENTS[event[0]]
        state["evname"] = event[0]
        for name, value in zip(spec.fields, event[1:]):
            state[name] = value
        state["evnum"] += 1
        if event[0] == "p.P.ut.1.0" and event[1] is not None:
            state["pyglet_time"] += event[1]
        elif event[0] in FRAME_EVENTS:
            state["frame_num"] += 1
        yield state


def crashed(events: Sequence[Event]) -> bool:
    """A finished play's last event is the end of play (or our player's note
    that pyglet never ended it); anything else crashed."""
    return not events or events[-1][0] not in PLAY_ENDINGS
