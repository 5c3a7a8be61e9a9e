"""Verdicts: what a recording says about one play, and about a session.

Takes and returns data structures only (no paths, no files), as pyglet's
original scripts required of their analysers. A `Verdict` converts to
builtins and back: it travels from an xdist worker to the controller as an
attribute of the test report (see results.SampleResult).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from operator import length_hint
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..core.errors import UnreadableRecordingError
from ..core.events import EVENTS, FRAME_EVENTS, NO_END_OF_STREAM, PLAY_ENDINGS, VERSION, Event
from ..core.events import body as _body
from ..store import pictures as picture_store
from ..store import recording
from ..store.reference import Reference
from . import blame, file_checks, pictures
from .file_checks import FileChecks
from .rules import DEFECT_KINDS, EVENT_RULES, EventRule, broken_rule, end_noise

# Outcomes of one play, most serious last. Plain strings: they cross xdist.
PERFECT = "perfect"
DEFECTS = "defects"
CRASHED = "crashed"
TIMEOUT = "timeout"
UNPLAYABLE = "unplayable"
UNREADABLE = "unreadable"
MISSING = "missing"
#: late frames while the player waited for a CPU: the machine's fault
OVERLOADED = "overloaded"
#: no verdict yet: the play was interrupted (Ctrl-C), or is going on now
INTERRUPTED = "interrupted"
PLAYING = "playing"

#: the player died or was killed (crashed or timed out): worth another
#: attempt (the player may just be flaky), and what the summary, comparisons
#: and `pyglet-mp retry-crashed` count as a crash
RETRYABLE = frozenset({CRASHED, TIMEOUT})
#: outcomes whose recording says nothing about playback quality
NOT_RELEVANT = RETRYABLE | frozenset({UNPLAYABLE, UNREADABLE, MISSING, OVERLOADED,
                                     INTERRUPTED, PLAYING})
#: defects that CPU starvation alone can cause: late frames, and, measured
#: against the file, audio and picture apart, a frozen picture, or frames
#: never shown (measured with 14 players on 2 CPUs: an MJPEG clip whose
#: player waited 23 % of its play lost 2 frames it shows on an idle machine)
#: An audio clock that starts late, jumps or drifts may be a starved player
#: (its audio thread) or sound server too, and so may a play that never ended
#: (judged over the stretch from its end's due time to the player's stop).
LATE_KINDS = frozenset({"discarded_late", "scheduling_in_past", "av_offset", "stall",
                        "frames_not_shown", "audio_late_start", "audio_clock_jump",
                        "audio_drift", "no_end_of_stream"})
#: the player waited for a CPU this fraction of the play's wall time ...
OVERLOAD_MIN_FRACTION = 0.05
#: ... and at least this long: an idle machine makes it wait ~0.1 %
OVERLOAD_MIN_SECONDS = 0.05
#: ... or, in a long play, this long in all (measured: an 8 s play among 16
#: players waited 0.28 s, 3.5 %, and discarded a frame it shows on an idle
#: machine, where a player waits ~0.1 % of its play: 8 ms in 8 s)
OVERLOAD_SECONDS = 0.15


_ARITY = {name: spec.arity for name, spec in EVENTS.items()}

# Every field is type-checked, not only names and field counts: a string
# pyglet_dt or seek time would read as a perfect play, a string video_time
# would break Anomaly.describe() and report_all() (a TypeError out of the end
# of the run). Numbers may be None where pyglet may log None.
_NUMBER = (int, float, type(None))
_FORMAT = (tuple, list, type(None))
_TEXT = (str,)
_FIELD_TYPES: dict[str, tuple[tuple[type, ...], ...]] = {
    "crash": (_TEXT,),
    "mp.im": (_TEXT,),
    "mp.err": (_TEXT,),
    "mp.src": (_NUMBER, _FORMAT, _FORMAT),
    "mp.end": (_NUMBER,),
    "mp.noeos": (_NUMBER, _NUMBER),
    "mp.cpu": (_NUMBER, _NUMBER),
    "mp.wait": (_NUMBER, _NUMBER, _NUMBER),
    "mp.drv": (_TEXT, _TEXT, _TEXT),
    "p.P._sp": (_NUMBER,),
    "p.P.sk": (_NUMBER,),
    "p.P.ut.1.0": (_NUMBER, _NUMBER, _NUMBER, _NUMBER),
    "p.P.ut.1.5": (_NUMBER,),
    "p.P.ut.1.6": (_NUMBER,),
    "p.P.ut.1.7": (_NUMBER,),
    "p.P.ut.1.9": (_NUMBER, _NUMBER),
}

#: no time or count of a play comes near this (pyglet logs FFmpeg's "no
#: timestamp", -9.2e12 s, for cover art); beyond it, or not finite, a number
#: was crafted, and would break every reader (float conversion, str of a
#: 5,000-digit int)
MAX_ABS_NUMBER = 1e18
#: longest text a recording holds (a sample name, an error line)
MAX_TEXT = 4096
#: most members of a video or audio format tuple
MAX_FORMAT_ITEMS = 8

#: how many anomalies a verdict keeps for its message
MAX_ANOMALIES = 10
#: a play that ends this much before the source's duration ended early ...
EARLY_END_MIN_SECONDS = 0.25
#: ... and also this fraction of the duration
EARLY_END_MIN_FRACTION = 0.10


@dataclass(frozen=True)
class Anomaly:
    index: int  # position in the recording, header included
    frame: int
    kind: str
    value: float | None

    def describe(self) -> str:
        desc = DEFECT_KINDS[self.kind].description
        if self.kind == "ended_early" and self.value is not None:
            value = f" (at {self.value:.2f} s of wall time)"
        elif self.kind == "no_end_of_stream" and self.value is not None:
            value = f" (still playing at {self.value:.2f} s of wall time: ended by the tool)"
        else:
            value = "" if self.value is None else f" ({self.value:.4g})"
        return f"frame {self.frame}: {desc}{value}"


@dataclass(frozen=True)
class Verdict:
    outcome: str
    counts: Mapping[str, int] = field(default_factory=dict)  # nonzero only
    anomalies: tuple[Anomaly, ...] = ()
    n_events: int = 0
    duration: float | None = None
    end_wall_time: float | None = None
    video_format: tuple | None = None
    audio_format: tuple | None = None
    reason: str = ""
    #: judged against the file's reference: True; not, a reason ("ffprobe is
    #: not available ..."); None: the question did not arise (not a finished
    #: play, or judged by a caller that had no reference to offer)
    checked: bool | str | None = None
    #: file_checks.FileChecks.to_builtins() of a checked play, its lists
    #: trimmed to MAX_FILE_DETAIL (it travels from xdist workers)
    file_checks: Mapping[str, Any] | None = None
    #: the audio driver pyglet really used: (name, where it played, why the
    #: drivers asked for before it failed), from the player's mp.drv; None
    #: for a recording without one (pyglet's own logger, older players)
    audio_driver: tuple[str, str, str] | None = None
    #: defects of a play with DEFECTS that came where the player waited for a
    #: CPU (blame.py): the machine's, left out of `counts`, by kind
    excused: Mapping[str, int] = field(default_factory=dict)
    #: an OVERLOADED play: seconds the player waited for a CPU during it
    waited: float | None = None

    @property
    def total_defects(self) -> int:
        return sum(self.counts.values())

    @property
    def checks(self) -> FileChecks | None:
        """What the file said of this play (lists trimmed), or None."""
        return None if self.file_checks is None else FileChecks.from_builtins(self.file_checks)

    @property
    def not_checked(self) -> str:
        """Why a finished play was not checked against the file ("" when it was,
        or when the question did not arise)."""
        return self.checked if isinstance(self.checked, str) else ""

    def to_builtins(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "counts": dict(self.counts),
            "anomalies": [(a.index, a.frame, a.kind, a.value) for a in self.anomalies],
            "n_events": self.n_events,
            "duration": self.duration,
            "end_wall_time": self.end_wall_time,
            "video_format": self.video_format,
            "audio_format": self.audio_format,
            "reason": self.reason,
            "checked": self.checked,
            "file_checks": None if self.file_checks is None else dict(self.file_checks),
            "audio_driver": None if self.audio_driver is None else list(self.audio_driver),
            "excused": dict(self.excused),
            "waited": self.waited,
        }

    @classmethod
    def from_builtins(cls, data: Mapping[str, Any]) -> "Verdict":
        fields = dict(data)
        fields["anomalies"] = tuple(Anomaly(*a) for a in fields.get("anomalies", ()))
        for key in ("video_format", "audio_format", "audio_driver"):
            if fields.get(key) is not None:
                fields[key] = tuple(fields[key])
        return cls(**fields)


class RecordingProblem(ValueError):
    """The recording is not in a form we can judge (caller names the file)."""


@dataclass(frozen=True)
class ValidRecording:
    """A recording checked once, with its verdict: what reports and timelines take.

    Only `judge` makes one, or judge.rereading for the events a verdict of
    the run was judged from, so a renderer that receives it never checks the
    events again.
    """

    events: Sequence[Event]  # as recorded, with or without the version header
    verdict: Verdict
    #: the file's checks in full (the verdict's lists are trimmed to
    #: MAX_FILE_DETAIL) when judging computed them, and the reference they
    #: were computed against: the timeline page plots them (checks_against)
    full_checks: FileChecks | None = None
    checked_against: Reference | None = None

    @property
    def body(self) -> Sequence[Event]:
        """The events after the optional version header."""
        return _body(self.events)

    def checks_against(self, reference: Reference) -> FileChecks:
        """The play checked against `reference`, every detail kept: what
        judging computed, when it judged against that reference; else
        computed now (a crashed play is not judged against the file, nor a
        verdict that travelled without its detail)."""
        if self.full_checks is not None and self.checked_against == reference:
            return self.full_checks
        return file_checks.check(self.events, reference)


def judge(events: Any, reference: Reference | None = None, *,
          no_reference: str = "") -> ValidRecording:
    """Validate and judge a recording; RecordingProblem when it is not a valid one.

    `reference` and `no_reference` are analyse()'s.
    """
    result, checks = _judged(events, reference, no_reference)
    if result.outcome == UNREADABLE:
        raise RecordingProblem(result.reason)
    return ValidRecording(events, result, checks, reference if checks is not None else None)


def read(path: Path, reference: Reference | None = None, *,
         no_reference: str = "") -> ValidRecording:
    """Load, validate and judge a recording, with the file's reference when
    there is one (analyse's `reference` and `no_reference`): the one way a
    play's verdict, its reports and its timeline get events.
    UnreadableRecordingError names the file and the problem, whether the
    pickle or the events are at fault.

    The pictures of the play, compared when it was played (judge/pictures.py;
    their numbers kept beside the recording), join the verdict while they
    are those of this version of the recording.
    """
    events = recording.load(path)
    try:
        rec = judge(events, reference, no_reference=no_reference)
    except RecordingProblem as problem:
        raise UnreadableRecordingError(path, str(problem)) from None
    checks = stored_picture_checks(path)
    if checks is None:
        return rec
    return replace(rec, verdict=with_pictures(rec.verdict, checks))


def stored_picture_checks(recording_path: Path) -> pictures.PictureChecks | None:
    """The pictures' checks kept for the recording as it is now, or None.

    Another play since (or a recording replaced): its content differs, the
    numbers are not its own. A race with a play rewriting both meanwhile
    costs at worst this reading's pictures, never a wrong count.
    """
    kept = picture_store.load_checks(picture_store.checks_beside(recording_path))
    if kept is None or kept[0] != picture_store.recording_digest(recording_path):
        return None
    try:
        return pictures.PictureChecks.from_builtins(kept[1])
    except ValueError:
        return None  # not ours, or damaged: the verdict stands without them


def with_pictures(verdict: Verdict, checks: pictures.PictureChecks) -> Verdict:
    """`verdict` with the pictures' verdict joined (their count, message and
    numbers), when it is a finished play checked against the file."""
    if verdict.outcome not in (PERFECT, DEFECTS) or verdict.checked is not True \
            or not verdict.file_checks:
        return verdict
    file_checks = dict(verdict.file_checks)
    file_checks["pictures"] = checks.to_builtins()
    counts = dict(verdict.counts)
    if checks.counts:
        counts.update(checks.counts)
        file_checks["counts"] = {**file_checks.get("counts", {}), **checks.counts}
        file_checks["messages"] = {**file_checks.get("messages", {}),
                                   pictures.KIND: checks.message()}
    return replace(verdict, outcome=DEFECTS if counts else PERFECT, counts=counts,
                   file_checks=file_checks)


def validate(events: Any) -> Sequence[Event]:
    """Check the shape of a recording; return its events after the header.

    Raises RecordingProblem with a reason when it is empty, of another
    version, or holds unknown events or events with the wrong field count
    or a field of the wrong type.
    """
    try:
        start = _fast_scan(events, False)
    except Exception:  # e.g. an empty event: the careful check names it
        start = None
    if start is None:  # something unusual: the careful check names it
        return _validate_slow(events)
    return events[start:] if start else events


def _validate_slow(events: Any) -> Sequence[Event]:
    """validate(), one field at a time: the reference, and the reasons."""
    if not isinstance(events, list):
        raise RecordingProblem(f"expected a list of events, found {type(events).__name__}")
    if not events:
        raise RecordingProblem("the recording is empty")
    start = 0
    first = events[0]
    if isinstance(first, tuple) and first and first[0] == "version":
        if len(first) != 2 or first[1] != VERSION:
            raise RecordingProblem(
                f"recording format version {first[1:]!r}; this tool reads version {VERSION}")
        start = 1
    arity = _ARITY
    for index in range(start, len(events)):
        event = events[index]
        if not isinstance(event, tuple) or not event:
            raise RecordingProblem(f"event {index} is not a tuple: {event!r:.60}")
        # a non-str name (even an unhashable one) is unknown, not a TypeError
        expected = arity.get(event[0]) if isinstance(event[0], str) else None
        if expected is None:
            raise RecordingProblem(f"event {index} has an unknown name: {event[0]!r:.60}")
        if expected != len(event):
            raise RecordingProblem(
                f"event {index} ({event[0]}) has {len(event) - 1} fields, expected {expected - 1}")
        for name, types, value in zip(EVENTS[event[0]].fields,
                                      _FIELD_TYPES.get(event[0], ()), event[1:]):
            problem = _value_problem(types, value)
            if problem:
                raise RecordingProblem(f"event {index} ({event[0]}) has {problem} {name}"
                                       + _shown(value))
    return events[start:] if start else events


def _value_problem(types: tuple[type, ...], value: Any) -> str | None:
    """What is wrong with a field's value ("a str", "a non-finite", ...), or None.

    Every value is checked, not only its type: what passes here can be
    formatted, converted to float and written as UTF-8 by every reader.
    """
    if types is _NUMBER:
        return _number_problem(value)
    if not isinstance(value, types):
        return f"a {type(value).__name__}"
    if types is _TEXT:
        if len(value) > MAX_TEXT:
            return f"a text of {len(value)} characters (at most {MAX_TEXT}) as"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "a text that is not valid Unicode as"
    elif types is _FORMAT and value is not None:
        if len(value) > MAX_FORMAT_ITEMS:
            return f"{len(value)} items (at most {MAX_FORMAT_ITEMS}) in"
        for item in value:
            problem = _number_problem(item)
            if problem:
                return f"{problem} item in"
    return None


def _shown(value: Any) -> str:
    """': <short repr>' of a value safe to show (no huge int, no deep nesting)."""
    if isinstance(value, (str, bytes, float)) or value is None or type(value) is bool:
        return f": {value!r:.40}"
    return ""


def _number_problem(value: Any) -> str | None:
    # a bool is an int to isinstance, but never a time or a count
    if value is None:
        return None
    if type(value) is bool or not isinstance(value, (int, float)):
        return f"a {type(value).__name__}"
    if not -MAX_ABS_NUMBER <= value <= MAX_ABS_NUMBER:  # NaN fails this too
        return "a non-finite or out of range (beyond 1e18)"
    return None


def analyse(events: Any, reference: Reference | None = None, *,
            no_reference: str = "") -> Verdict:
    """Judge one recording: its outcome, defect counts and first anomalies.

    With the file's `reference` (data: reference.Reference, probed by the
    caller), a finished play is also judged against the file
    (file_checks.check): its kinds join the counts and short_play replaces
    ended_early. Without one, `no_reference` says why; the play is then
    judged on its events alone and says it was not checked against the file.
    """
    return _judged(events, reference, no_reference)[0]


def _judged(events: Any, reference: Reference | None,
            no_reference: str) -> tuple[Verdict, FileChecks | None]:
    """analyse(), and the file's checks in full when it computed them."""
    try:
        result = _fast_scan(events, True)
    except Exception:  # anything odd: the careful path decides, and explains
        result = None
    if result is None:
        result = _analyse_slow(events)
    result, checks = checked_against_file(events, result, reference, no_reference)
    return _blame_the_machine(events, result, checks, reference), checks


#: at most this many of each detail list (frame times, stalls, A/V offset
#: samples) of the file's checks travel in a Verdict: the reports list
#: them, and a session of 1,000 samples must not carry millions of floats
#: (the timeline page recomputes the whole detail from the stored reference)
MAX_FILE_DETAIL = 200


def against_file(events: Any, result: Verdict, reference: Reference | None,
                 no_reference: str = "") -> Verdict:
    """`result` (the events' own verdict) judged against the file too.

    Only finished plays (perfect or with defects) are compared; other
    outcomes are returned as they are.
    """
    return checked_against_file(events, result, reference, no_reference)[0]


def checked_against_file(events: Any, result: Verdict, reference: Reference | None,
                         no_reference: str = "") -> tuple[Verdict, FileChecks | None]:
    """against_file(), and the file's checks in full (None: not compared)."""
    if result.outcome not in (PERFECT, DEFECTS):
        return result, None
    if reference is None:
        return replace(result, checked=no_reference or None), None
    checks = file_checks.check(events, reference)
    if not checks.judged:
        return replace(result, checked=checks.note or "nothing to compare",
                       file_checks=_trimmed(checks)), checks
    counts = dict(result.counts)
    anomalies = list(result.anomalies)
    # short_play compares the play with ffprobe's duration, not pyglet's own:
    # pyglet reports a file whose audio starts late as that much shorter
    if counts.pop("ended_early", None):
        anomalies = [a for a in anomalies if a.kind != "ended_early"]
    if reference.cover_art and not reference.has_video and counts.get("discarded_late"):
        # Cover art (an attached picture) is not video, but pyglet 2.1.19
        # takes it as the video stream, then discards its only frame as too
        # old (at about -0.025 s in mp3, at FFmpeg's "no timestamp",
        # -9.2e12 s, in m4a): that one discard is pyglet's handling of a
        # picture, not a late frame of the play. Any further one still counts.
        first = next((a for a in anomalies if a.kind == "discarded_late"), None)
        if first is not None:
            anomalies.remove(first)
        counts["discarded_late"] -= 1
        if not counts["discarded_late"]:
            del counts["discarded_late"]
    counts.update(checks.counts)
    return replace(result, outcome=DEFECTS if counts else PERFECT, counts=counts,
                   anomalies=tuple(anomalies), checked=True,
                   file_checks=_trimmed(checks)), checks


def _trimmed(checks: FileChecks) -> dict[str, Any]:
    n = MAX_FILE_DETAIL
    step = max(1, -(-len(checks.av_offsets) // n))
    return replace(checks, missing_frames=checks.missing_frames[:n], stalls=checks.stalls[:n],
                   av_offsets=checks.av_offsets[::step][:n],
                   clock_marks=checks.clock_marks[:n]).to_builtins()


def _blame_the_machine(events: Any, result: Verdict, checks: FileChecks | None = None,
                       reference: Reference | None = None) -> Verdict:
    """Late frames while the player waited for a CPU say nothing of the sample.

    A recording with the player's waits (mp.wait) is judged per defect
    (blame.py): the play is OVERLOADED only when each of its defects came
    where the player waited; one that did not stands, and the play has
    DEFECTS. Older recordings have only the main thread's wait over the
    whole play (`mp.cpu`), judged by the whole-play rule below.
    """
    if result.outcome != DEFECTS or not set(result.counts) & LATE_KINDS:
        return result
    wall = result.end_wall_time
    if wall is None and events and events[-1][0] == NO_END_OF_STREAM:
        wall = events[-1][1]  # a play the tool ended: its length is where it stopped
    waits = blame.waits_of(events)
    if waits is not None and wall:
        who = blame.blame(events, dict(result.counts), LATE_KINDS, waits, checks, reference)
        if not who.unplaced:
            if who.machines_only:
                return replace(result, outcome=OVERLOADED, waited=waits.total, reason=_overloaded(
                    waits.total, wall, f"its defects, each within {blame.WINDOW:g} s of a "
                                       "wait, are not counted against the sample"))
            if not who.excused:
                return result
            # some defects the machine's, some not: the sample answers for
            # those that stand; the others are the machine's, said apart
            return replace(result, counts=who.standing, excused=who.excused,
                           anomalies=tuple(a for a in result.anomalies
                                           if a.kind in who.standing
                                           and a.index not in who.excused_events))
    if not set(result.counts) <= LATE_KINDS:
        return result
    for event in events[-4:]:  # mp.cpu, mp.end, p.P.oe (or mp.noeos) close the recording
        if event[0] == "mp.cpu" and wall and event[2] is not None:  # None: not measured
            wait = event[2]
            if wait >= OVERLOAD_MIN_SECONDS and (wait >= OVERLOAD_MIN_FRACTION * wall
                                                 or wait >= OVERLOAD_SECONDS):
                return replace(result, outcome=OVERLOADED, waited=wait, reason=_overloaded(
                    wait, wall, "its late frames are not counted against the sample"))
    return result


def _overloaded(wait: float, wall: float, why: str) -> str:
    return (f"the player waited {wait:.2f} s of its {wall:.2f} s play for a CPU "
            f"({100 * wait / wall:.0f} %): the machine was overloaded, so {why}; run "
            "fewer players at once (-n) or on an idle machine")


def _analyse_slow(events: Any) -> Verdict:
    """analyse() in two passes (validate, then count): the reference path,
    taken for recordings the fast scan does not vouch for."""
    try:
        body = _validate_slow(events)
    except RecordingProblem as problem:
        return Verdict(UNREADABLE, reason=str(problem))
    offset = len(events) - len(body)
    try:
        return _count(body, offset)
    except TypeError as problem:  # a field of the wrong type
        return Verdict(UNREADABLE, reason=f"a field has the wrong type: {problem}")


def _count(events: Sequence[Event], offset: int) -> Verdict:
    """The verdict of a validated body, one event at a time: the rules'
    plain reading (rules.broken_rule), which the fast scan must agree with."""
    counts: dict[str, int] = {}
    anomalies: list[Anomaly] = []
    noise = end_noise(events)
    frame = 0
    facts = _PlayFacts()
    frame_events = FRAME_EVENTS
    for index, event in enumerate(events):
        name = event[0]
        if name in frame_events:
            frame += 1
        else:  # compared as the name compares itself (a str subclass may pretend)
            facts.note(event)
        rule = broken_rule(event, index in noise)
        if rule is not None:
            key = rule.kind
            counts[key] = counts.get(key, 0) + 1
            if len(anomalies) < MAX_ANOMALIES:
                anomalies.append(Anomaly(index + offset, frame, key, rule.value_of(event)))
    return _verdict(events[-1][0] if events else None, len(events) + offset, frame,
                    counts, anomalies, facts)


@dataclass
class _PlayFacts:
    """What the events that describe the play (mp.src, mp.end, p.P._sp,
    mp.err, mp.drv) said of its source, driver and end, and whether it is
    whole: gathered alike by both paths."""

    duration: Any = None
    end_wall: Any = None
    video_format: Any = None
    audio_format: Any = None
    driver: Any = None
    reason: str = ""
    started: bool = False
    sourced: bool = False
    our_end: bool = False

    def note(self, event: Event) -> None:
        name = event[0]
        if name == "mp.src":
            self.duration, self.video_format, self.audio_format = event[1], event[2], event[3]
            self.sourced = True
        elif name == "mp.end":
            self.end_wall = event[1]
            self.our_end = True
        elif name == "p.P._sp":
            self.started = True
        elif name == "mp.err":
            self.reason = str(event[1])
        elif name == "mp.drv":
            self.driver = tuple(event[1:])

    def incomplete(self) -> str | None:
        """What a finished recording lacks to show a whole play, or None.

        A play starts (p.P._sp); our player also names the source (mp.src)
        before, and marks the end (mp.end) after it: an end without a source
        was not written by a whole play. pyglet's own logger writes neither.
        """
        if not self.started:
            return "shows no start of play (p.P._sp)"
        if self.our_end and not self.sourced:
            return "shows no source (mp.src)"
        return None


def _verdict(last: str | None, n_events: int, frame: int, counts: dict[str, int],
             anomalies: list[Anomaly], play: _PlayFacts) -> Verdict:
    """The outcome, once the events are counted; `last` is the last event's
    name (None when there is no event after the header)."""
    duration, end_wall, reason, incomplete = (play.duration, play.end_wall, play.reason,
                                              play.incomplete())
    facts = dict(n_events=n_events, duration=duration, end_wall_time=end_wall,
                 video_format=play.video_format, audio_format=play.audio_format,
                 audio_driver=play.driver)
    if reason:
        return Verdict(UNPLAYABLE, reason=reason, **facts)
    if last not in PLAY_ENDINGS:
        shown = "nothing" if last is None else last
        return Verdict(CRASHED, counts=counts, anomalies=tuple(anomalies),
                            reason=f"the recording ends with {shown!r}, not the end of play",
                            **facts)
    if incomplete:
        # a recording of only the end of play is no play, never a perfect one
        return Verdict(CRASHED, counts=counts, anomalies=tuple(anomalies),
                            reason=f"the recording ends with the end of play but {incomplete}: "
                                   "it is not a whole play", **facts)
    if _ended_early(duration, end_wall):
        counts["ended_early"] = 1
        if len(anomalies) < MAX_ANOMALIES:
            anomalies.append(Anomaly(n_events - 1, frame, "ended_early", end_wall))
    outcome = DEFECTS if counts else PERFECT
    return Verdict(outcome, counts=counts, anomalies=tuple(anomalies), **facts)


# -- the fast path -------------------------------------------------------------
#
# analyse() must judge millions of events per second. The careful path above
# type-checks every field with isinstance() in a zip per event, then walks the
# events a second time to count. _fast_scan() does both in one pass, with the
# checks of the frequent events written out, and only *vouches* for a
# recording: whenever it meets anything unusual (a problem to report, a bool
# or a float subclass where a number is due, a TypeError while counting, ...)
# it returns None and the careful path judges the recording from scratch. So
# every reason, outcome and count is the careful path's own, and the fast path
# needs to be right only for recordings the careful path accepts, which the
# unit tests (test_analysis_fastpath.py, test_rules.py) compare at random.
#
# Both read the rules from rules.EVENT_RULES. The three frequent events of a
# play (update_texture, the current frame, the re-scheduling) have their rule
# written out: none for the first two, "scheduling in the past when negative"
# for the third, with its kind read from the table. When the table says
# otherwise for one of them, the fast scan does not judge (returns None) and
# the careful path applies the table: a changed rule is never ignored, only
# slower until its branch is written out here too.

_UT10, _UT16, _UT19 = "p.P.ut.1.0", "p.P.ut.1.6", "p.P.ut.1.9"
#: the player's waits (mp.wait), logged every 50 ms: checked here written
#: out too while no rule names it (blame.py reads it after the scan)
_WAIT = "mp.wait"
#: events whose every field the fast scan checks with isinstance, as validate does
_GENERIC = {name: (spec.arity, _FIELD_TYPES.get(name, ()))
            for name, spec in EVENTS.items()}


def _rescheduling_rule() -> EventRule | None:
    """The table's rule of the re-scheduling event when it is the one the fast
    scan writes out, else None (the fast scan then leaves the judging to
    the careful path)."""
    rules = EVENT_RULES
    if _UT10 in rules or _UT16 in rules:
        return None
    rule = rules.get(_UT19)
    if rule is None or not rule.only_if_negative or rule.excused_at_end:
        return None
    return rule


def _fast_scan(events: Any, judge: bool) -> Any:
    """One pass over a recording, for analyse() (judge=True: the Verdict)
    or validate() (judge=False: where the body starts). None when the
    recording is not plainly valid; the careful path must then decide."""
    if type(events) is not list or not events:
        return None
    start = 0
    first = events[0]
    if type(first) is tuple and first and first[0] == "version":
        if len(first) != 2 or first[1] != VERSION:
            return None
        start = 1
    rules = EVENT_RULES
    if judge:
        past = _rescheduling_rule()
        if past is None:
            return None
        past_kind, past_keeps = past.kind, past.keeps_value
        noise = end_noise(events, start)
    else:  # validating only: what is counted is thrown away
        past_kind, past_keeps, noise = "", False, set()
    counts: dict[str, int] = {}
    anomalies: list[Anomaly] = []
    frame = 0
    facts = _PlayFacts()
    wait_name = "" if _WAIT in rules else _WAIT  # "": the generic branch checks it
    generic = _GENERIC
    frame_events = FRAME_EVENTS
    lim = MAX_ABS_NUMBER
    n = len(events)
    it = iter(events)
    if start:
        next(it)
    for event in it:
        if type(event) is not tuple:
            return None
        name = event[0]  # an empty tuple raises IndexError: careful path
        if type(name) is not str:  # not even a str subclass: it might == ours
            return None
        if name == _UT10:
            if len(event) != 5:
                return None
            _, a, b, c, d = event
            if not ((a is None or (type(a) is float or type(a) is int) and -lim <= a <= lim)
                    and (b is None or (type(b) is float or type(b) is int) and -lim <= b <= lim)
                    and (c is None or (type(c) is float or type(c) is int) and -lim <= c <= lim)
                    and (d is None or (type(d) is float or type(d) is int) and -lim <= d <= lim)):
                return None
            continue
        if name == _UT16:
            if len(event) != 2:
                return None
            a = event[1]
            if not (a is None or (type(a) is float or type(a) is int) and -lim <= a <= lim):
                return None
            continue
        if name == wait_name:
            if len(event) != 4:
                return None
            _, a, b, c = event
            if not ((a is None or (type(a) is float or type(a) is int) and -lim <= a <= lim)
                    and (b is None or (type(b) is float or type(b) is int) and -lim <= b <= lim)
                    and (c is None or (type(c) is float or type(c) is int) and -lim <= c <= lim)):
                return None
            continue
        if name == _UT19:
            if len(event) != 3:
                return None
            _, a, b = event
            if not ((a is None or (type(a) is float or type(a) is int) and -lim <= a <= lim)
                    and (b is None or (type(b) is float or type(b) is int) and -lim <= b <= lim)):
                return None
            frame += 1
            if a is None or not a < 0:
                continue
            key = past_kind
            value = a if past_keeps else None
        else:
            # the rare events: checked as validate() checks them, judged by the table
            spec = generic.get(name)
            if spec is None or spec[0] != len(event):
                return None
            for types, value in zip(spec[1], event[1:]):
                if _value_problem(types, value):
                    return None
            if not judge:
                continue
            if name in frame_events:
                frame += 1
            else:
                facts.note(event)
            rule = rules.get(name)
            if rule is None or not rule.condition_met(event):
                continue
            if rule.excused_at_end and noise and n - 1 - length_hint(it) in noise:
                continue
            key = rule.kind
            value = rule.value_of(event)
        # a defect
        counts[key] = counts.get(key, 0) + 1
        if len(anomalies) < MAX_ANOMALIES:
            # the list iterator knows how many events are left: our index
            anomalies.append(Anomaly(n - 1 - length_hint(it), frame, key, value))
    if not judge:
        return start
    return _verdict(events[-1][0] if n > start else None, n, frame, counts, anomalies, facts)


def _ended_early(duration: float | None, end_wall: float | None) -> bool:
    if not duration or end_wall is None or duration <= 0:
        return False
    shortfall = duration - end_wall
    return shortfall > EARLY_END_MIN_SECONDS and shortfall > EARLY_END_MIN_FRACTION * duration


def describe_counts(counts: Mapping[str, int]) -> list[str]:
    """One line per defect kind, most frequent first: '   3 Scheduling in the past'."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [f"{n:4d} {DEFECT_KINDS[k].description}" for k, n in ordered if n]
