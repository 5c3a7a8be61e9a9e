"""The defect rules, written once: which event is which defect, and every kind's name.

Two tables, read by every reader of defects:

- EVENT_RULES: which of pyglet's events is a defect of which kind, and on
  which condition. analysis reads it on both its paths (the fast scan and
  the careful count), the timeline page marks what it says, and the
  `anomalies` text report lists the events it names.
- DEFECT_KINDS: every kind a verdict may count (the event rules' kinds, the
  play's length, the checks against the file) with the description readers
  show: the failure message, the text reports, the index page.

A new rule is one more line in a table; its tests go in
tests/unit/test_rules.py, which holds every reader to these tables.

Pure data and two small functions: no pyglet, no files.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ..core.events import EVENTS, NO_END_OF_STREAM, Event


@dataclass(frozen=True)
class EventRule:
    """An event of pyglet's that is a defect of `kind`, on the conditions below."""

    event: str
    kind: str
    #: what readers call the defect
    description: str
    #: a defect only when the event's first field is negative: pyglet logs
    #: every re-scheduling, and only one into the past is late
    only_if_negative: bool = False
    #: not a defect as pyglet's end-of-stream noise (see end_noise): every
    #: normal play ends with a few, and pyglet's CountBads drops them
    excused_at_end: bool = False
    #: the verdict's anomaly keeps the event's first field as its value
    keeps_value: bool = False

    def condition_met(self, event: Event) -> bool:
        """Whether the event's own fields make it a defect (its position aside)."""
        if self.only_if_negative:
            value = event[1]
            return value is not None and value < 0
        return True

    def value_of(self, event: Event) -> Any:
        """The value the verdict's anomaly keeps for this defect."""
        return event[1] if self.keeps_value else None


def _by_event(*rules: EventRule) -> dict[str, EventRule]:
    return {rule.event: rule for rule in rules}


#: pyglet's instrumentation rules (CountBads), by event name
EVENT_RULES: dict[str, EventRule] = _by_event(
    EventRule("p.P.ut.1.5", "discarded_late", EVENTS["p.P.ut.1.5"].desc, keeps_value=True),
    EventRule("p.P.ut.1.7", "no_video_time", EVENTS["p.P.ut.1.7"].desc, excused_at_end=True),
    EventRule("p.P.ut.1.8", "no_image", EVENTS["p.P.ut.1.8"].desc),
    EventRule("p.P.ut.1.9", "scheduling_in_past", "Scheduling in the past",
              only_if_negative=True, keeps_value=True),
    # not pyglet's own event: our player ends a play pyglet never ended
    # (play/player.py), and says so as the recording's last event
    EventRule("mp.noeos", "no_end_of_stream",
              "The play did not end: pyglet sent no end of stream well after the file's end",
              keeps_value=True),
)

#: what a kind judged on the play's length or against the file names as its event
PLAY_LENGTH = "mp.end"
AGAINST_THE_FILE = "ffprobe"

#: the kind of a picture that is not the file's (judge/pictures.py)
PICTURE_DIFFERS = "picture_differs"

#: the kinds judged against the file's reference (file_checks, and the
#: pictures compared with FFmpeg's), with their descriptions: with a
#: reference, short_play replaces ended_early
FILE_KINDS: dict[str, str] = {
    "frames_not_shown": "Frames of the file pyglet neither showed nor reported discarding",
    "short_play": "The play was shorter than the file (its streams' times, from ffprobe)",
    "av_offset": "Audio and picture apart beyond the ITU-R BT.1359 window",
    "stall": "The picture froze on a frame while the file had the next one",
    PICTURE_DIFFERS: "A picture pyglet showed is not FFmpeg's picture of the same file frame",
    # the audio clock as a listener hears it (judge/audio_clock.py), under a
    # real audio driver: the silent one plays nothing to hear
    "audio_late_start": "Audio started late: its clock stood still while frames were shown",
    "audio_clock_jump": "The audio clock jumped forward or back",
    "audio_drift": "Audio drifted away from the picture over the play",
}


#: the kind of a play of one driver's item (--mp-drivers) that pyglet played
#: with another driver: judged by judge/drivers.py, not on an event's values
DRIVER_NOT_USED = "driver_not_used"


@dataclass(frozen=True)
class DefectKind:
    key: str
    #: the event it is judged on, PLAY_LENGTH or AGAINST_THE_FILE
    event: str
    description: str


#: Every kind a verdict may count, keyed by names a reader understands: the
#: event rules' kinds, "ended_early", which pyglet's original rules missed,
#: and the kinds judged against the file.
DEFECT_KINDS: dict[str, DefectKind] = {
    k.key: k
    for k in (
        *(DefectKind(rule.kind, rule.event, rule.description) for rule in EVENT_RULES.values()),
        DefectKind("ended_early", PLAY_LENGTH,
                   "Play ended well before the source's duration (truncated or cut short)"),
        *(DefectKind(key, AGAINST_THE_FILE, description)
          for key, description in FILE_KINDS.items()),
        DefectKind(DRIVER_NOT_USED, "mp.drv",
                   "pyglet played with another audio driver than the one the item names"),
    )
}


def broken_rule(event: Event, end_noise: bool = False) -> EventRule | None:
    """The rule a validated event breaks, or None when it is no defect.

    `end_noise`: the event is one of end_noise()'s.
    """
    rule = EVENT_RULES.get(event[0])
    if rule is None or not rule.condition_met(event):
        return None
    if end_noise and rule.excused_at_end:
        return None
    return rule


#: where pyglet's end-of-stream noise sits: the k-th of pyglet's events from
#: the end, for k in order; CountBads drops them only in this order
END_NOISE_POSITIONS = (2, 6, 10)


def end_noise(events: Sequence[Event], start: int = 0) -> set[int]:
    """Indexes of the events excused as end-of-stream noise (excused_at_end).

    pyglet's CountBads drops up to three 'video_time is None' events right
    before the end of play (at 2, 6 and 10 events from the end); every
    normal play ends so. Our own mp.* events are skipped when counting
    positions. Events before `start` (the header) are not looked at;
    indexes are those of `events`.
    """
    excused = {rule.event for rule in EVENT_RULES.values() if rule.excused_at_end}
    if not excused:
        return set()
    deepest = END_NOISE_POSITIONS[-1]
    tail: list[int] = []
    for index in range(len(events) - 1, start - 1, -1):
        if not events[index][0].startswith("mp."):
            tail.append(index)
            if len(tail) == deepest + 1:
                break
    tail.reverse()  # tail[-k] is the k-th pyglet event from the end
    # a play pyglet never ended (our mp.noeos last) lacks its end of play:
    # the noise sits one place nearer the end
    missing_end = len(events) > start and events[-1][0] == NO_END_OF_STREAM
    noise: set[int] = set()
    for k in END_NOISE_POSITIONS:
        k -= missing_end
        if len(tail) < k or events[tail[-k]][0] not in excused:
            break
        noise.add(tail[-k])
    return noise
