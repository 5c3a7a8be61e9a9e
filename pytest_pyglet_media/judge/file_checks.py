"""Verdicts against the file itself: a recording judged with the file's reference.

pyglet's events only say what pyglet did. Read next to what ffprobe says the
file holds (reference.Reference), they also say what pyglet left out: frames
it never showed and never reported discarding, a play shorter than the file,
audio and picture apart, a picture frozen while the file had frames to show.

The kinds it counts, and their descriptions, are listed with every other
kind in rules.FILE_KINDS. The audio clock's own rules (a late start, jumps,
drift) are audio_clock's; they are judged here, where the file says when its
audio starts and ends. Which file frame a video time names is
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

from ..core.events import PLAY_ENDINGS, Event, body
from ..store.reference import Reference
from . import audio_clock

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
#: a clock standing still to the last frame this close before the file's
#: audio end (ffprobe) is the audio's end, not a clock that stopped: pyglet's
#: clock stopped 3-18 ms before it (2 s of AAC under a 4 s video, and the
#: ends of 4 s clips, under each driver: 20 plays)
AUDIO_END_SLACK_SECONDS = 0.1
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
    #: the audio clock's findings, for plots: (kind, wall from, wall to,
    #: value at the start, value at the end): audio_late_start (the clock,
    #: twice), audio_clock_jump (the clock before and after, file times),
    #: audio_drift (the fitted offset at both ends)
    clock_marks: tuple[tuple[str, float, float, float, float], ...] = ()
    #: the A/V offset's slope (s per s of play) where it was measured
    av_slope: float | None = None
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
            "clock_marks": [list(m) for m in self.clock_marks], "av_slope": self.av_slope,
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
        # verdicts stored before the clock rules have no clock_marks
        fields["clock_marks"] = tuple(tuple(m) for m in fields.get("clock_marks", ()))
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
    #: every look at the audio clock: (wall, audio_time, video_time on
    #: screen or None), one tuple per stretch between seeks
    readings: tuple[tuple[tuple[float, float, float | None], ...], ...] = ()
    driver: str | None = None  # the audio driver pyglet used (mp.drv); None: not said
    driver_detail: str = ""  # where it played (mp.drv: a server, a device)


def _read(events: Sequence[Event]) -> _Play:
    accounted: set[float] = set()
    discarded = 0
    presented = []
    wall = audio = previous_audio = None
    end_wall = duration = None
    has_audio = None
    driver = None
    driver_detail = ""
    pending: float | None = None  # a 1.6 waiting to see whether pyglet blits it
    on_screen: float | None = None
    readings: list[list[tuple[float, float, float | None]]] = [[]]
    for event in events:
        name = event[0]
        if name == "p.P.ut.1.0":
            previous_audio, audio, wall = audio, event[3], event[4]
            pending = None
            if audio is not None and wall is not None:
                readings[-1].append((wall, audio, on_screen))
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
                on_screen = pending
            pending = None
        elif name == "p.P.sk":  # a seek: the clock starts again elsewhere
            readings.append([])
        elif name == "mp.end":
            end_wall = event[1]
        elif name == "mp.src":
            duration, has_audio = event[1], event[3] is not None
        elif name == "mp.drv":
            driver, driver_detail = event[1], event[2]
    return _Play(tuple(sorted(accounted)), discarded, tuple(presented), end_wall, duration,
                 has_audio, tuple(tuple(r) for r in readings), driver, driver_detail)


def check(events: Sequence[Event], ref: Reference) -> FileChecks:
    """Judge a validated recording (analysis.validate) against the file's reference."""
    events = body(events)
    if not events or events[-1][0] not in PLAY_ENDINGS:
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

    with_audio = _audio_frames(play, ref)
    late, lip_sync, excused = _late_start(play, with_audio, shift, notes)
    offsets, episodes, worst = _av_offsets(lip_sync, shift)
    if episodes:
        counts["av_offset"] = len(episodes)
        messages["av_offset"] = _av_message(episodes)

    clock = _clock(play, ref, with_audio, offsets, late, excused)
    counts.update(clock.counts)
    messages.update(clock.messages)

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
        av_offsets=_thin([(w, o) for w, o, _ in offsets]), worst_av_offset=worst,
        play_duration=play.end_wall, file_duration=ref.length,
        pyglet_duration=play.pyglet_duration, time_shift=shift,
        clock_marks=clock.marks, av_slope=clock.slope)


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


def _audio_frames(play: _Play, ref: Reference) -> list[tuple[float, float | None, float]]:
    """(wall, audio_time, video_time) of the frames shown while the file has
    audio: from its audio start to its audio end (file times).

    Video longer than audio: the clock stops where the audio ends, and the
    frames after it are correct. pyglet's clock may stop a little before
    the end ffprobe gives (its last packet): a clock standing still to the
    last frame, within AUDIO_END_SLACK_SECONDS of the file's audio end, or
    anywhere when the file does not say where its audio ends, after it had
    moved, is the audio's end too, and its frames are left out.
    """
    audio = ref.audio
    if not (ref.has_video and audio is not None and play.pyglet_has_audio is not False):
        return []
    shift = ref.pyglet_start
    frames = []
    for wall, audio_time, _previous, video_time in play.presented:
        frame_time = video_time + shift
        if audio.start is not None and frame_time < audio.start - MATCH_TOLERANCE:
            continue  # the file's audio has not started: pyglet skips these
        if audio.end is not None and frame_time > audio.end:
            continue
        frames.append((wall, audio_time, video_time))
    clocks = [f[1] for f in frames if f[1] is not None]
    if len(clocks) < 2 or abs(clocks[-1] - clocks[0]) <= audio_clock.STILL_EPSILON:
        return frames  # never moved: not an end, audio that never started
    final = clocks[-1]
    if audio.end is not None and final + shift < audio.end - AUDIO_END_SLACK_SECONDS:
        return frames  # stopped well before the file's audio ends: judged
    while len(frames) > 1 and (frames[-1][1] is None or abs(frames[-1][1] - final)
                               <= audio_clock.STILL_EPSILON) and (
            frames[-2][1] is None or abs(frames[-2][1] - final) <= audio_clock.STILL_EPSILON):
        frames.pop()  # the audio ended; the first frame at the final clock stays
    return frames


def _av_offsets(frames: Sequence[tuple[float, float | None, float]], shift: float
                ) -> tuple[list[tuple[float, float, float]], list[list[tuple[float, float, float]]],
                           tuple[float, float] | None]:
    """(wall, offset, frame file time) per shown frame with audio; the
    episodes out of the window; the worst (wall, offset).

    Sampled when a frame goes on screen, where the picture is newest: the
    offset then is the smallest it gets for that frame. Every frame shown
    while the file has audio is sampled (_audio_frames), the clock standing
    still or not: picture shown while the sound has not started is picture
    without sound.
    """
    samples: list[tuple[float, float, float]] = []  # wall, offset, frame file time
    for wall, audio_time, video_time in frames:
        if audio_time is None:
            continue
        samples.append((wall, audio_time - video_time, video_time + shift))
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
    return samples, episodes, None if worst is None else (worst[0], worst[1])


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


# -- the audio clock ------------------------------------------------------------


@dataclass(frozen=True)
class _ClockVerdict:
    counts: dict[str, int] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    marks: tuple[tuple[str, float, float, float, float], ...] = ()
    slope: float | None = None


def _late_start(play: _Play, with_audio: Sequence[tuple[float, float | None, float]],
                shift: float, notes: list[str]
                ) -> tuple[audio_clock.LateStart | None,
                           Sequence[tuple[float, float | None, float]],
                           tuple[float, float] | None]:
    """The late start to count (audio_clock.late_start), the frames whose
    lip sync is judged, and the (wall from, to] of the private null sink's
    start-up (audio_clock.null_sink_start_up), which is noted in `notes`
    instead: not the sample's, neither a late start nor an offset, and the
    clock's leaps meanwhile no jump."""
    if not with_audio or not audio_clock.judged(play.driver):
        return None, with_audio, None
    late = audio_clock.late_start(with_audio, shift)
    if late is None or not audio_clock.on_private_null_sink(play.driver, play.driver_detail):
        return late, with_audio, None
    start_up = audio_clock.null_sink_start_up(late, with_audio)
    if start_up is None:
        return late, with_audio, None
    until, recovered = start_up
    notes.append(_null_sink_note(late, until, recovered))
    judged = [f for f in with_audio
              if not late.start <= f[0] < until and (recovered or f[0] != until)]
    return None, judged, (late.end, until)


def _clock(play: _Play, ref: Reference, with_audio: Sequence[tuple[float, float | None, float]],
           offsets: Sequence[tuple[float, float, float]],
           late: audio_clock.LateStart | None,
           excused: tuple[float, float] | None) -> _ClockVerdict:
    """The audio clock's rules (audio_clock) on a play under a real driver;
    `late`: its late start (audio_clock.late_start), when counted;
    `excused`: (wall from, to] of a null sink's start-up, whose leap back
    beside the picture is no jump."""
    if not with_audio or not audio_clock.judged(play.driver):
        return _ClockVerdict()
    shift = ref.pyglet_start
    counts: dict[str, int] = {}
    messages: dict[str, str] = {}
    marks: list[tuple[str, float, float, float, float]] = []

    if late is not None:
        counts["audio_late_start"] = 1
        messages["audio_late_start"] = _late_start_message(late, shift)
        marks.append(("audio_late_start", late.start, late.end, late.clock + shift,
                      late.clock + shift))

    # the clock's looks from the file's audio start to the last frame judged
    # (a look at the clock standing at the audio's end is no leap)
    first_wall, last_wall = with_audio[0][0], with_audio[-1][0]
    jumps: list[audio_clock.Jump] = []
    for stretch in play.readings:
        kept = [r for r in stretch if first_wall <= r[0] <= last_wall]
        jumps += audio_clock.jumps(kept, shift, excused)
    if jumps:
        counts["audio_clock_jump"] = len(jumps)
        messages["audio_clock_jump"] = _jump_message(jumps)
        marks += [("audio_clock_jump", j.before, j.at, j.from_clock, j.to_clock) for j in jumps]

    started = _clock_started(with_audio)
    drift, slope = (None, None) if started is None else audio_clock.drift(offsets, started)
    if drift is not None:
        counts["audio_drift"] = 1
        messages["audio_drift"] = _drift_message(drift)
        marks.append(("audio_drift", drift.start, drift.end, drift.offset_start,
                      drift.offset_end))
    return _ClockVerdict(counts, messages, tuple(marks[:MAX_DETAIL]), slope)


def _null_sink_note(late: audio_clock.LateStart, until: float, recovered: bool) -> str:
    then = (f"was back beside the picture at {until:.2f} s" if recovered
            else "the file's audio ended before it could be back beside the picture")
    return (f"the audio clock stood still from {late.start:.2f} s to {late.end:.2f} s of the "
            f"play ({late.frames} frames, file times {_seconds(late.first_frame)} to "
            f"{_seconds(late.last_frame)}) and {then}: the start-up of the run's private "
            "PulseAudio null sink (up to "
            f"{audio_clock.NULL_SINK_START_MAX_SECONDS:.0f} s), not counted; judge a late "
            "start under pulse on a real device")


def _clock_started(frames: Sequence[tuple[float, float | None, float]]) -> float | None:
    """The wall of the first frame shown after the clock moved, or None."""
    clocks = [(w, a) for w, a, _ in frames if a is not None]
    return next((w for w, a in clocks if abs(a - clocks[0][1]) > audio_clock.STILL_EPSILON),
                None)


def _late_start_message(late: audio_clock.LateStart, shift: float) -> str:
    frames = "1 frame" if late.frames == 1 else f"{late.frames} frames"
    then = "" if late.moved else ", and never moved while the file had audio"
    return (f"the audio clock stood at {_seconds(late.clock + shift)} from {late.start:.2f} s "
            f"to {late.end:.2f} s of the play while {frames} were shown (file times "
            f"{_seconds(late.first_frame)} to {_seconds(late.last_frame)}){then}: picture "
            f"{late.end - late.start:.2f} s ahead of sound that had not started (ITU-R BT.1359: "
            f"audio behind the picture is detectable from "
            f"{audio_clock.LATE_START_MAX_SECONDS * 1000:.0f} ms)")


def _jump_message(jumps: Sequence[audio_clock.Jump]) -> str:
    parts = []
    for j in jumps[:3]:
        side = "forward" if j.step > 0 else "back"
        frame = "" if j.frame is None else f", frame {_seconds(j.frame)} on screen"
        parts.append(f"{abs(j.step):.2f} s {side} at {j.at:.2f} s of the play (file time "
                     f"{_seconds(j.from_clock)} to {_seconds(j.to_clock)} in "
                     f"{j.at - j.before:.2f} s{frame})")
    more = f", and {len(jumps) - 3} more" if len(jumps) > 3 else ""
    count = "1 jump" if len(jumps) == 1 else f"{len(jumps)} jumps"
    return f"the audio clock leapt: {count}: {'; '.join(parts)}{more}"


def _drift_message(drift: audio_clock.Drift) -> str:
    side = "ahead of" if drift.slope > 0 else "behind"
    return (f"audio drifted {abs(drift.slope) * 1000:.1f} ms per second {side} the picture "
            f"from {drift.start:.2f} s to {drift.end:.2f} s of the play ({drift.frames} frames, "
            f"file times {_seconds(drift.first_frame)} to {_seconds(drift.last_frame)}; "
            f"offset {drift.offset_start * 1000:+.0f} ms to {drift.offset_end * 1000:+.0f} ms); "
            f"beyond {audio_clock.DRIFT_MAX_SLOPE * 1000:.0f} ms per second")


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
