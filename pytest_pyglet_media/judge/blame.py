"""Who is to blame for each defect of a play: the machine, only where the player waited.

A player starved of CPU shows frames late, whatever the sample. Our player
records when it waited for a CPU (mp.wait: all its threads, and the sound
server's, per stretch of a few tens of ms; play/cpu_waits.py). A defect of
a kind starvation can cause (analysis.LATE_KINDS) is the machine's only
when the play waited within WINDOW of the defect's own wall time; anywhere
else it stands. Frames a B-frame stream never shows at its start and end
are pyglet's (the same frames on every play, on an idle machine too),
never the machine's. The last frames of a play race pyglet's end of
stream: a frame due a few ms before the play ended and never shown is the
machine's also where the play waited near it only as long as the frame led
the end (that delay alone lets the end overtake it).

A recording without mp.wait (older players, pyglet's own logger, platforms
without per-thread waits) is judged by analysis' whole-play rule, as before.

Pure: events, the verdict's anomalies and the file's checks in, data out.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Sequence

from ..core.events import NO_END_OF_STREAM, Event, body
from ..store.reference import Reference
from . import file_checks as fc
from .file_checks import FileChecks
from .rules import broken_rule, end_noise

#: a defect is the machine's when the play waited within this many seconds
#: of it, either side (3 frame intervals at 30 fps, 2 sampling stretches) ...
WINDOW = 0.1
#: ... at least this long in all. Measured on 2 CPUs (1.5 s clips, 640x360 at
#: 30 fps: H.264 with B-frames, MJPEG, VP8), 12 and 16 players at once: each
#: of 60 late frames, freezes and discards had 0.08-0.5 s of waits within
#: 0.05 s of it, and 0.14 s at least within WINDOW; with 6 and 9 players
#: at once no play lost a frame. Starved players wait most at their start
#: (0.7 s of the first 0.75 s with 16 at once), and a stretch sampled late
#: is a long one: a wait is placed no finer than its stretch.
MIN_WAIT_NEAR = 0.05
#: a play pyglet never ended (our player's mp.noeos, rules.EVENT_RULES)
NO_END_KIND = "no_end_of_stream"
#: codecs whose streams may carry B-frames: pyglet 2.1.19 never shows a few
#: frames at the start and the end of such a stream (the same ones on every
#: play, measured with H.264 and HEVC); its missing frames there are pyglet's
B_FRAME_CODECS = frozenset({"h264", "hevc", "mpeg4", "mpeg2video", "mpeg1video", "vc1"})


@dataclass(frozen=True)
class Waits:
    """The stretches of a play that waited for a CPU: (from, until, seconds)."""

    stretches: tuple[tuple[float, float, float], ...]

    @property
    def total(self) -> float:
        return sum(s[2] for s in self.stretches)

    def near(self, start: float, end: float, window: float = WINDOW) -> float:
        """Seconds waited in stretches that overlap [start - window, end + window]."""
        low, high = start - window, end + window
        return sum(w for began, until, w in self.stretches if until >= low and began <= high)


def waits_of(events: Sequence[Event]) -> Waits | None:
    """The play's waits, or None when its recording has no mp.wait (older players)."""
    found = False
    stretches = []
    for event in events:
        if event[0] == "mp.wait":
            found = True
            if None not in event[1:]:
                stretches.append((event[1], event[2], event[3]))
    return Waits(tuple(stretches)) if found else None


@dataclass(frozen=True)
class Blame:
    """Each defect of a play, the machine's or not."""

    #: defects the play waited near (the machine's), by kind
    excused: dict[str, int]
    #: defects that stand (the sample's, or pyglet's), by kind
    standing: dict[str, int]
    #: a late kind whose defects' times are not known: the whole-play rule decides
    unplaced: tuple[str, ...] = ()
    #: where the excused defects of the event rules are in the recording
    #: (Anomaly.index): their anomalies are the machine's too
    excused_events: frozenset[int] = frozenset()

    @property
    def machines_only(self) -> bool:
        return bool(self.excused) and not self.standing and not self.unplaced


def blame(events: Sequence[Event], counts: dict[str, int], late_kinds: frozenset[str],
          waits: Waits, checks: FileChecks | None, ref: Reference | None) -> Blame:
    """Place each defect counted in `counts` in the play's wall time and
    excuse those the play waited near. Kinds not in `late_kinds` stand."""
    offset = len(events) - len(body(events))
    events = body(events)
    times = _event_defect_times(events)
    excused_events = frozenset(
        offset + index for kind, at in times.items() for index, start, end in at
        if waited_enough(kind, waits, start, end))
    excused: dict[str, int] = {}
    standing: dict[str, int] = {}
    unplaced: list[str] = []

    def judge(kind: str, n: int, spans: Sequence[tuple[float, float]],
              raced: Sequence[tuple[float, float] | None] = ()) -> None:
        # defects without a place (beyond the checks' detail lists) stand
        races = raced or [None] * len(spans)
        n_excused = min(n, sum(1 for (s, e), race in zip(spans, races)
                               if waited_enough(kind, waits, s, e)
                               or (race is not None and waits.near(*race) >= race[1] - race[0])))
        n_standing = n - n_excused
        if n_excused:
            excused[kind] = n_excused
        if n_standing:
            standing[kind] = n_standing

    for kind, n in counts.items():
        if kind not in late_kinds:
            standing[kind] = n
        elif kind in times:
            judge(kind, n, [(start, end) for _, start, end in times[kind]])
        elif kind == "frames_not_shown" and checks is not None and ref is not None:
            judge(kind, n, *_missing_frame_times(events, checks, ref))
        elif kind == "stall" and checks is not None:
            judge(kind, n, [(s[0], s[1]) for s in checks.stalls])
        elif kind == "av_offset" and checks is not None:
            judge(kind, n, _offset_episodes(checks))
        elif checks is not None and any(m[0] == kind for m in checks.clock_marks):
            # the audio clock's findings (late start, jump, drift) with their walls
            judge(kind, n, [(m[1], m[2]) for m in checks.clock_marks if m[0] == kind])
        else:
            unplaced.append(kind)
    return Blame(excused, standing, tuple(unplaced), excused_events)


def waited_enough(kind: str, waits: Waits, start: float, end: float) -> bool:
    """Whether the play waited enough near a defect of `kind` spanning
    start-end for the machine to have caused it. Starvation delays an end by
    at most what the play waited: a play never ended is the machine's only
    where it waited as long as the whole stretch from its due end to its stop."""
    if kind == NO_END_KIND:
        return waits.near(start, end, 0.0) >= end - start
    return waits.near(start, end) >= needed(start, end)


def needed(start: float, end: float) -> float:
    """How long the play must have waited near a defect spanning start-end
    for it to be the machine's: MIN_WAIT_NEAR, and for a defect longer than
    the window (a long freeze, a drift over the whole play) as much for
    every 2 * WINDOW it spans, so that one short wait does not excuse it."""
    return MIN_WAIT_NEAR * max(1.0, (end - start + 2 * WINDOW) / (2 * WINDOW))


def _event_defect_times(events: Sequence[Event]
                        ) -> dict[str, list[tuple[int, float, float]]]:
    """Where each defect the event rules count (rules.EVENT_RULES) is in the
    body, and the wall times it spans: that of the update_texture call it was
    logged in; for a play pyglet never ended, from its end's due time to the
    player's stop."""
    noise = end_noise(events)
    times: dict[str, list[tuple[int, float, float]]] = {}
    wall = 0.0
    for index, event in enumerate(events):
        if event[0] == "p.P.ut.1.0":
            if event[4] is not None:
                wall = event[4]
            continue
        rule = broken_rule(event, index in noise)
        if rule is None:
            continue
        start = end = wall
        if event[0] == NO_END_OF_STREAM and None not in event[1:3]:
            start, end = min(event[1], event[2]), event[1]
        times.setdefault(rule.kind, []).append((index, start, end))
    return times


def _missing_frame_times(events: Sequence[Event], checks: FileChecks, ref: Reference
                         ) -> tuple[list[tuple[float, float]], list[tuple[float, float] | None]]:
    """When each frame never shown was due, in the play's wall time (from the
    nearest frame shown: its wall plus the file times between); pyglet's own
    B-frame losses at the stream's start or end get no time: they stand.

    Beside each span, for a frame after the last one shown and due before
    the play ended (mp.end), its race with the end: (due, end). pyglet ended
    the play on its end of stream before that frame's update came, so a
    delay of end - due alone (a few ms) loses it; else None."""
    shift = ref.pyglet_start
    shown: dict[float, float] = {}  # file time -> wall it was shown
    wall = 0.0
    end: float | None = None
    for event in events:
        if event[0] == "p.P.ut.1.0" and event[4] is not None:
            wall = event[4]
        elif event[0] == "p.P.ut.1.6" and event[1] is not None:
            shown.setdefault(event[1] + shift, wall)
        elif event[0] == "mp.end" and event[1] is not None:
            end = event[1]
    matcher = fc.FrameMatcher.of(ref.frame_times, shift)
    frames = matcher.frames
    order = sorted(shown)
    video = ref.video
    b_frames = video is not None and video.codec in B_FRAME_CODECS
    spans: list[tuple[float, float]] = []
    raced: list[tuple[float, float] | None] = []
    for t in checks.missing_frames:
        if not order:
            spans.append((0.0, checks.play_duration or 0.0))
            raced.append(None)
            continue
        at_edge = frames and (t < order[0] or t <= frames[0] + fc.EDGE_SECONDS
                              or t > order[-1] or t >= frames[-1] - fc.EDGE_SECONDS)
        if b_frames and at_edge:
            continue
        i = bisect.bisect_left(order, t)
        nearest = min((j for j in (i - 1, i) if 0 <= j < len(order)),
                      key=lambda j: abs(order[j] - t))
        due = max(0.0, shown[order[nearest]] + (t - order[nearest]))
        spans.append((due, due))
        raced.append((due, end) if t > order[-1] and end is not None and due < end else None)
    return spans, raced


def _offset_episodes(checks: FileChecks) -> list[tuple[float, float]]:
    """The wall spans audio and picture were apart (file_checks' episodes:
    AV_OFFSET_MIN_FRAMES samples in a row out of the window)."""
    spans: list[tuple[float, float]] = []
    run: list[float] = []
    for wall, offset in [*checks.av_offsets, (0.0, 0.0)]:  # a sentinel ends the last run
        if offset > fc.AV_AUDIO_AHEAD_MAX or offset < -fc.AV_AUDIO_BEHIND_MAX:
            run.append(wall)
            continue
        if len(run) >= fc.AV_OFFSET_MIN_FRAMES:
            spans.append((run[0], run[-1]))
        run = []
    return spans
