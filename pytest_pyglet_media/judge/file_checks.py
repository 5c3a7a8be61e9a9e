"""Verdicts against the file itself: a recording judged with the file's reference.

pyglet's events only say what pyglet did. Read next to what ffprobe says the
file holds (reference.Reference), they also say what pyglet left out: frames
it never showed and never reported discarding, a play shorter than the file,
audio and picture apart, a picture frozen while the file had frames to show.

The kinds it counts, and their descriptions, are listed with every other
kind in rules.FILE_KINDS. Which file frame a video time names is
FrameMatcher's to say, for these checks and the timeline's frames plot.

Pure: data in, data out (no pyglet, pytest or subprocess); the result turns
into builtins to cross xdist.

Time bases (measured with pyglet 2.1.19 against ffprobe): pyglet subtracts
one start time from the file's video timestamps, the largest start of its
video and audio streams (Reference.pyglet_start); a recording's video_time
`t` is the file time `t + pyglet_start`. pyglet's audio clock (audio_time)
counts from the same point: both start where pyglet seeks at open.
"""
from __future__ import annotations

import bisect
import statistics
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from ..core.events import END_OF_PLAY, Event, body
from ..store.reference import Reference

#: a shown video_time and a file frame time this close are the same frame:
#: pyglet rounds to microseconds after subtracting a start time, Matroska
#: stores milliseconds; 2 ms is far below any frame interval we meet
MATCH_TOLERANCE = 0.002
#: missing frames this close to the file's first or last frame are "at the
#: start" or "at the end": pyglet's B-frame losses fall in the first 0.2 s
EDGE_SECONDS = 0.25
#: a correct play ends 0.01-0.07 s after the file's duration (measured on 12
#: clips); pyglet cuts >= 0.3 s off files whose audio starts late
SHORT_PLAY_MIN_SECONDS = 0.15
#: ITU-R BT.1359: audio ahead of the picture is detectable from 45 ms ...
AV_AUDIO_AHEAD_MAX = 0.045
#: ... and audio behind the picture from 125 ms
AV_AUDIO_BEHIND_MAX = 0.125
#: an offset must last this many shown frames in a row: shorter excursions
#: are start-up or scheduling jitter nobody can judge lip sync on
AV_OFFSET_MIN_FRAMES = 5
#: a frame held this much longer than the file holds it is a visible freeze ...
STALL_MIN_SECONDS = 0.1
#: ... and also this many of the file's frame intervals (slow frame rates)
STALL_MIN_INTERVALS = 2
#: missing frame times listed by name in a message, per group
MAX_LISTED = 4
#: detail lists kept for reports and plots (a long file has many frames)
MAX_DETAIL = 5000


@dataclass(frozen=True)
class FileChecks:
    """What the file says of one play. Times: `wall` is the recording's wall
    clock (s since the play started); frame times are file times."""

    judged: bool = True
    note: str = ""  # why nothing was judged, or what was not checked
    counts: Mapping[str, int] = field(default_factory=dict)  # nonzero only
    messages: Mapping[str, str] = field(default_factory=dict)
    frames_in_file: int = 0
    frames_shown: int = 0
    frames_discarded: int = 0
    missing_frames: tuple[float, ...] = ()
    #: (wall at which the frame appeared, wall at which the next did,
    #:  the frame's file time, how long the file shows it)
    stalls: tuple[tuple[float, float, float, float], ...] = ()
    #: (wall, audio minus picture, s); positive: audio ahead
    av_offsets: tuple[tuple[float, float], ...] = ()
    worst_av_offset: tuple[float, float] | None = None
    play_duration: float | None = None
    file_duration: float | None = None
    pyglet_duration: float | None = None
    #: what pyglet subtracted from the file's times (Reference.pyglet_start)
    time_shift: float = 0.0
    #: the kept pictures compared with FFmpeg's (pictures.PictureChecks.to_builtins());
    #: None: none was compared
    pictures: Mapping[str, Any] | None = None

    def to_builtins(self) -> dict[str, Any]:
        return {
            "judged": self.judged, "note": self.note,
            "counts": dict(self.counts), "messages": dict(self.messages),
            "frames_in_file": self.frames_in_file, "frames_shown": self.frames_shown,
            "frames_discarded": self.frames_discarded,
            "missing_frames": list(self.missing_frames),
            "stalls": [list(s) for s in self.stalls],
            "av_offsets": [list(s) for s in self.av_offsets],
            "worst_av_offset": None if self.worst_av_offset is None else list(self.worst_av_offset),
            "play_duration": self.play_duration, "file_duration": self.file_duration,
            "pyglet_duration": self.pyglet_duration, "time_shift": self.time_shift,
            "pictures": None if self.pictures is None else dict(self.pictures),
        }

    @classmethod
    def from_builtins(cls, data: Mapping[str, Any]) -> "FileChecks":
        fields = dict(data)
        fields["missing_frames"] = tuple(fields["missing_frames"])
        fields["stalls"] = tuple(tuple(s) for s in fields["stalls"])
        fields["av_offsets"] = tuple(tuple(s) for s in fields["av_offsets"])
        if fields["worst_av_offset"] is not None:
            fields["worst_av_offset"] = tuple(fields["worst_av_offset"])
        return cls(**fields)


@dataclass(frozen=True)
class _Play:
    """What the checks need from a recording, in one pass."""

    accounted: tuple[float, ...]  # distinct video_times shown (1.6) or discarded (1.5)
    discarded: int
    #: frames put on screen: (wall, audio_time, previous audio_time, video_time)
    presented: tuple[tuple[float, float | None, float | None, float], ...]
    end_wall: float | None
    pyglet_duration: float | None
    pyglet_has_audio: bool | None  # None: no mp.src event (pyglet's own logger)


def _read(events: Sequence[Event]) -> _Play:
    accounted: set[float] = set()
    discarded = 0
    presented = []
    wall = audio = previous_audio = None
    end_wall = duration = None
    has_audio = None
    pending: float | None = None  # a 1.6 waiting to see whether pyglet blits it
    for event in events:
        name = event[0]
        if name == "p.P.ut.1.0":
            previous_audio, audio, wall = audio, event[3], event[4]
            pending = None
        elif name == "p.P.ut.1.6":
            pending = event[1]
            if event[1] is not None:
                accounted.add(event[1])
        elif name == "p.P.ut.1.5":
            discarded += 1
            if event[1] is not None:
                accounted.add(event[1])
        elif name in ("p.P.ut.1.9", "p.P.ut.1.8"):
            # update_texture blits only after a 1.6 it did not return early
            # from (ts > time returns before 1.8/1.9)
            if pending is not None and wall is not None:
                presented.append((wall, audio, previous_audio, pending))
            pending = None
        elif name == "mp.end":
            end_wall = event[1]
        elif name == "mp.src":
            duration, has_audio = event[1], event[3] is not None
    return _Play(tuple(sorted(accounted)), discarded, tuple(presented), end_wall, duration,
                 has_audio)


def check(events: Sequence[Event], ref: Reference) -> FileChecks:
    """Judge a validated recording (analysis.validate) against the file's reference."""
    events = body(events)
    if not events or events[-1][0] != END_OF_PLAY:
        return FileChecks(judged=False, note="the play did not finish: nothing to compare",
                          file_duration=ref.length, time_shift=ref.pyglet_start)
    play = _read(events)
    shift = ref.pyglet_start
    matcher = FrameMatcher.of(ref.frame_times, shift)
    frames = matcher.frames
    counts: dict[str, int] = {}
    messages: dict[str, str] = {}
    notes = []

    shown_idx = matcher.frames_of(play.accounted)
    missing: tuple[float, ...] = ()
    if ref.has_video and frames:
        missing = tuple(t for i, t in enumerate(frames) if i not in shown_idx)
        if missing:
            counts["frames_not_shown"] = len(missing)
            messages["frames_not_shown"] = _missing_message(frames, missing, shown_idx, ref)

    short = _short_play(play, ref)
    if short:
        counts["short_play"] = 1
        messages["short_play"] = short
    elif play.end_wall is None:
        notes.append("no end-of-play time in the recording: its length is not checked")

    offsets, episodes, worst = _av_offsets(play, ref, frames)
    if episodes:
        counts["av_offset"] = len(episodes)
        messages["av_offset"] = _av_message(episodes)

    stalls = _stalls(play, matcher)
    if stalls:
        counts["stall"] = len(stalls)
        messages["stall"] = _stall_message(stalls)

    return FileChecks(
        note="; ".join(notes), counts=counts, messages=messages,
        frames_in_file=len(frames),
        frames_shown=len(shown_idx) if ref.has_video else 0,
        frames_discarded=play.discarded,
        missing_frames=missing[:MAX_DETAIL], stalls=tuple(stalls[:MAX_DETAIL]),
        av_offsets=_thin(offsets), worst_av_offset=worst,
        play_duration=play.end_wall, file_duration=ref.length,
        pyglet_duration=play.pyglet_duration, time_shift=shift)


# -- frames ------------------------------------------------------------------


def _distinct(times: Sequence[float]) -> tuple[float, ...]:
    """Sorted times with duplicates (a file may repeat a pts) kept once."""
    out: list[float] = []
    for t in times:
        if not out or t - out[-1] > 1e-9:
            out.append(t)
    return tuple(out)


def _tolerance(frames: Sequence[float]) -> float:
    gaps = [b - a for a, b in zip(frames, frames[1:])]
    return min([MATCH_TOLERANCE] + [0.45 * g for g in gaps if g > 0])


@dataclass(frozen=True)
class FrameMatcher:
    """Which of the file's frames a video time that pyglet logged names.

    pyglet's video_time `t` is the file time `t + shift` (Reference.pyglet_start);
    a file time within MATCH_TOLERANCE of a frame, or 0.45 of the interval
    between frames where that is smaller, names it.
    """

    frames: tuple[float, ...]  # the file's frame times, distinct and sorted
    shift: float
    tolerance: float

    @classmethod
    def of(cls, frame_times: Sequence[float], shift: float = 0.0) -> "FrameMatcher":
        """The matcher of ffprobe's frame times (sorted; repeats kept once)."""
        frames = _distinct(frame_times)
        return cls(frames, shift, _tolerance(frames))

    def frame_at(self, file_time: float) -> int | None:
        """The index of the frame a file time names, or None."""
        frames = self.frames
        i = bisect.bisect_left(frames, file_time)
        for j in (i - 1, i):
            if 0 <= j < len(frames) and abs(frames[j] - file_time) <= self.tolerance:
                return j
        return None

    def frame_of(self, video_time: float) -> int | None:
        """The index of the frame pyglet's video_time names, or None."""
        return self.frame_at(video_time + self.shift)

    def frames_of(self, video_times: Iterable[float]) -> set[int]:
        """The indexes of the frames pyglet's video_times name."""
        found: set[int] = set()
        for t in video_times:
            j = self.frame_of(t)
            if j is not None:
                found.add(j)
        return found


def _seconds(t: float) -> str:
    """0.04 -> '0.04 s', 0.943 -> '0.943 s': the file's own precision."""
    text = f"{t:.3f}"
    if text.endswith("0"):
        text = text[:-1]
    return f"{text} s"


def _listing(times: Sequence[float]) -> str:
    if len(times) <= MAX_LISTED:
        return ", ".join(_seconds(t) for t in times)
    return f"{_seconds(times[0])} to {_seconds(times[-1])}"


def _missing_message(frames: Sequence[float], missing: Sequence[float], shown_idx: set[int],
                     ref: Reference) -> str:
    head = f"{len(missing)} of {len(frames)} frames never shown"
    where = f" (video stream {ref.video_index}, file times)"
    if not shown_idx:
        return f"{head}: none was ({_listing(missing)}){where}"
    first_shown = frames[min(shown_idx)]
    last_shown = frames[max(shown_idx)]
    groups: dict[str, list[float]] = {"at the start": [], "in the middle": [], "at the end": []}
    for t in missing:
        if t < first_shown or t <= frames[0] + EDGE_SECONDS:
            groups["at the start"].append(t)
        elif t > last_shown or t >= frames[-1] - EDGE_SECONDS:
            groups["at the end"].append(t)
        else:
            groups["in the middle"].append(t)
    parts = [f"{len(ts)} {name} ({_listing(ts)})" for name, ts in groups.items() if ts]
    return f"{head}: {', '.join(parts)}{where}"


# -- length ------------------------------------------------------------------


def _short_play(play: _Play, ref: Reference) -> str:
    # the file's length from its streams: a file whose timestamps start late
    # plays from its first timestamp, not from 0 (Reference.length)
    length = ref.length
    if play.end_wall is None or not length or length <= 0:
        return ""
    shortfall = length - play.end_wall
    if shortfall <= SHORT_PLAY_MIN_SECONDS:
        return ""
    reported = ("" if play.pyglet_duration is None
                else f"; pyglet reported {play.pyglet_duration:.2f} s")
    return (f"the play lasted {play.end_wall:.2f} s of the file's {length:.2f} s "
            f"(ffprobe{reported}): {shortfall:.2f} s not played")


# -- lip sync ------------------------------------------------------------------


def _av_offsets(play: _Play, ref: Reference, frames: Sequence[float]
                ) -> tuple[list[tuple[float, float]], list[list[tuple[float, float, float]]],
                           tuple[float, float] | None]:
    """(wall, offset) per shown frame; the episodes out of the window; the worst.

    Sampled when a frame goes on screen, where the picture is newest: the
    offset then is the smallest it gets for that frame. Not sampled while the
    audio clock stands still (audio not started yet, or ended: video longer
    than audio is fine), nor outside the file's audio stream.
    """
    audio = ref.audio
    if not (ref.has_video and audio is not None and play.pyglet_has_audio is not False):
        return [], [], None
    shift = ref.pyglet_start
    samples: list[tuple[float, float, float]] = []  # wall, offset, frame file time
    for n, (wall, audio_time, previous, video_time) in enumerate(play.presented):
        if audio_time is None or (n and previous is not None and audio_time == previous):
            continue
        frame_time = video_time + shift
        if audio.start is not None and frame_time < audio.start - MATCH_TOLERANCE:
            continue
        if audio.end is not None and frame_time > audio.end:
            continue
        samples.append((wall, (audio_time + shift) - frame_time, frame_time))
    episodes: list[list[tuple[float, float, float]]] = []
    run: list[tuple[float, float, float]] = []
    for sample in samples + [(0.0, 0.0, 0.0)]:  # a sentinel in the window ends the last run
        if sample[1] > AV_AUDIO_AHEAD_MAX or sample[1] < -AV_AUDIO_BEHIND_MAX:
            run.append(sample)
            continue
        if len(run) >= AV_OFFSET_MIN_FRAMES:
            episodes.append(run)
        run = []
    worst = max(samples, key=lambda s: _excess(s[1]), default=None)
    return ([(w, o) for w, o, _ in samples], episodes,
            None if worst is None else (worst[0], worst[1]))


def _excess(offset: float) -> float:
    """How far out of the window, in seconds (negative inside it)."""
    return max(offset - AV_AUDIO_AHEAD_MAX, -offset - AV_AUDIO_BEHIND_MAX)


def _av_message(episodes: list[list[tuple[float, float, float]]]) -> str:
    wall, offset, frame = max((s for run in episodes for s in run), key=lambda s: _excess(s[1]))
    side = "ahead of" if offset > 0 else "behind"
    frames = sum(len(run) for run in episodes)
    stretches = "1 stretch" if len(episodes) == 1 else f"{len(episodes)} stretches"
    return (f"audio {abs(offset) * 1000:.0f} ms {side} the picture at worst (at "
            f"{wall:.2f} s of the play, frame {_seconds(frame)}); outside the ITU-R BT.1359 "
            f"window (audio {AV_AUDIO_AHEAD_MAX * 1000:.0f} ms ahead to "
            f"{AV_AUDIO_BEHIND_MAX * 1000:.0f} ms behind) for {frames} frames in {stretches}")


# -- freezes -------------------------------------------------------------------


def _stalls(play: _Play, matcher: FrameMatcher) -> list[tuple[float, float, float, float]]:
    """Frames held on screen longer than the file holds them.

    Only between two frames pyglet put on screen: a frame held at the end of
    the video (video shorter than audio) is correct, and frames pyglet never
    had are frames_not_shown's business.
    """
    frames, shift, tolerance = matcher.frames, matcher.shift, matcher.tolerance
    if len(frames) < 2:
        return []
    gaps = [b - a for a, b in zip(frames, frames[1:])]
    interval = statistics.median(gaps)
    limit = max(STALL_MIN_SECONDS, STALL_MIN_INTERVALS * interval)
    shown: list[tuple[float, float]] = []  # (wall, file time), one per new frame
    for wall, _audio, _previous, video_time in play.presented:
        if not shown or abs(shown[-1][1] - (video_time + shift)) > 1e-9:
            shown.append((wall, video_time + shift))
    stalls = []
    for (wall, t), (next_wall, _) in zip(shown, shown[1:]):
        i = bisect.bisect_right(frames, t + tolerance)
        if i >= len(frames):
            continue  # the file had nothing after it
        held, expected = next_wall - wall, frames[i] - t
        if held - expected > limit:
            stalls.append((wall, next_wall, t, expected))
    return stalls


def _stall_message(stalls: list[tuple[float, float, float, float]]) -> str:
    parts = [f"frame {_seconds(t)} held {end - start:.2f} s where the file shows it "
             f"{expected:.2f} s (at {start:.2f} s of the play)"
             for start, end, t, expected in stalls[:3]]
    more = f", and {len(stalls) - 3} more" if len(stalls) > 3 else ""
    count = "1 freeze" if len(stalls) == 1 else f"{len(stalls)} freezes"
    return f"{count}: {'; '.join(parts)}{more}"


def _thin(samples: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """At most MAX_DETAIL samples, evenly spread, for a plot."""
    if len(samples) <= MAX_DETAIL:
        return tuple(samples)
    step = len(samples) / MAX_DETAIL
    return tuple(samples[int(i * step)] for i in range(MAX_DETAIL))
