"""`pyglet-mp prune --keep N [--older-than AGE]`: remove testrun_NN sessions
that found nothing new, or that are old.

The rule, whole:

- Only `testrun_NN` sessions are considered, newest first by the time each
  was created (recorded in its configuration: sessions.created_at), not by
  their number, which a run from another machine or an older version may not
  have given in order. Named sessions are never removed.
- The N newest testrun_NN sessions are kept, and always the newest one (even
  with --keep 0) and the one with the highest number (new runs number after
  it: a number prune freed is never given again).
- An older one is removed when its verdicts are identical to those of a newer
  testrun_NN session that stays. Its verdicts: per sample of its playlist, the
  outcome of its recording and its defect counts (session_writer.session_results;
  a sample without a recording counts as such).
- With --older-than AGE, an older one created more than AGE ago is removed
  too, whatever its verdicts.
- Never removed, whatever their verdicts: a protected session (protect_raw_data
  or protect_reports), the active one, one being played (a `.playing` marker in
  dbg/), one whose files cannot be read (reported, kept). They still count as
  newer sessions that stay.

A session is renamed to a hidden folder of the store first and deleted there,
so an interrupted prune never leaves half a session listed.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import MediaTestError
from ..store import play_marker, session_owner
from ..store import sessions

Verdicts = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Decision:
    name: str
    remove: bool
    #: why it is kept, or why it goes ("same verdicts as testrun_03")
    why: str


_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "": 86400}
_UNIT_NAMES = {"s": "s", "m": "min", "h": "h", "d": "d", "w": "w", "": "d"}


def parse_age(text: str) -> float:
    """`--older-than`: seconds from `90s`, `30m`, `12h`, `7d`, `2w` (a bare number: days)."""
    match = _AGE.match(text)
    if match is None:
        raise ValueError("say an age such as 12h, 7d or 2w (s, m, h, d, w; a bare number "
                         "is days)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _shown_age(seconds: float) -> str:
    for unit in ("d", "h", "m"):
        if seconds >= _UNIT_SECONDS[unit]:
            return f"{seconds / _UNIT_SECONDS[unit]:.0f}{_UNIT_NAMES[unit]}"
    return f"{seconds:.0f}s"


def verdicts(paths: sessions.SessionPaths) -> Verdicts:
    """Per sample (sorted): None without a recording, else (outcome, sorted counts)."""
    from ..report.session_writer import session_results

    found = []
    for sample, result in sorted(session_results(paths).items()):
        found.append((sample, None if result is None else
                      (result.outcome, tuple(sorted(result.verdict.counts.items())))))
    return tuple(found)


def plan(samples_dir: Path, store_dir: Path, keep: int, older_than: float | None = None,
         now: float | None = None) -> list[Decision]:
    """What prune does to each testrun_NN session, newest first (by creation)."""
    now = time.time() if now is None else now
    names = [n for n in sessions.list_sessions(store_dir) if sessions.testrun_number(n) is not None]
    created = {n: sessions.created_at(sessions.SessionPaths(samples_dir, n, store_dir))
               for n in names}
    names.sort(key=lambda n: (created[n], sessions.testrun_number(n) or 0), reverse=True)
    highest = max(names, key=lambda n: sessions.testrun_number(n) or 0, default=None)
    active = sessions.active_session(store_dir)
    staying: list[tuple[str, Verdicts | None]] = []   # newer sessions that stay
    decisions = []
    for index, name in enumerate(names):
        paths = sessions.open_session(samples_dir, name, store_dir)
        try:
            mine: Verdicts | None = verdicts(paths)
            conf = sessions.load_configuration(paths)
        except MediaTestError as exc:
            decisions.append(Decision(name, False, f"kept: cannot read it ({exc})"))
            staying.append((name, None))
            continue
        keep_why = None
        # held by a run from before its first play to its last report, between
        # plays too (the marker lives only while a player runs)
        holder = session_owner.busy(paths)
        if index == 0:
            keep_why = "the newest"
        elif index < keep:
            keep_why = f"one of the {keep} newest"
        elif name == highest:
            keep_why = "the highest number (new runs are numbered after it)"
        elif name == active:
            keep_why = "the active session"
        elif conf.protect_raw_data or conf.protect_reports:
            keep_why = "protected"
        elif holder is not None:
            keep_why = f"being played into by a run ({holder})"
        elif play_marker.any_marked(paths):
            keep_why = "being played (a .playing marker in dbg/)"
        same = next((other for other, theirs in staying if theirs == mine), None)
        if keep_why is None and same is not None:
            decisions.append(Decision(name, True, f"same verdicts as {same}"))
            continue
        age = now - created[name]
        if keep_why is None and older_than is not None and age > older_than:
            decisions.append(Decision(name, True, f"older than {_shown_age(older_than)} "
                                                  f"(created {_shown_age(age)} ago)"))
            continue
        decisions.append(Decision(name, False, keep_why or "found something new"))
        staying.append((name, mine))
    return decisions


def remove(paths: sessions.SessionPaths) -> None:
    """Rename the session out of the store's listing, then delete it."""
    hidden = Path(tempfile.mkdtemp(prefix=f".prune-{paths.name[:40]}.", dir=paths.store))
    os.rename(paths.session_dir, hidden / paths.name)
    shutil.rmtree(hidden, ignore_errors=True)
