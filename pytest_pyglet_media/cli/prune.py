"""`pyglet-mp prune --keep N`: remove testrun_NN sessions that found nothing new.

The rule, whole:

- Only `testrun_NN` sessions are considered, newest first by their number NN
  (not by file times). Named sessions are never removed.
- The N newest testrun_NN sessions are kept.
- An older one is removed when its verdicts are identical to those of a newer
  testrun_NN session that stays. Its verdicts: per sample of its playlist, the
  outcome of its recording and its defect counts (session_writer.session_results;
  a sample without a recording counts as such).
- Never removed, whatever their verdicts: a protected session (protect_raw_data
  or protect_reports), the active one, one being played (a `.playing` marker in
  dbg/), one whose files cannot be read (reported, kept). They still count as
  newer sessions that stay.

A session is renamed to a hidden folder of the store first and deleted there,
so an interrupted prune never leaves half a session listed.
"""
from __future__ import annotations

import os
import shutil
import tempfile
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
    #: why it is kept, or the newer session it repeats
    why: str


def verdicts(paths: sessions.SessionPaths) -> Verdicts:
    """Per sample (sorted): None without a recording, else (outcome, sorted counts)."""
    from ..report.session_writer import session_results

    found = []
    for sample, result in sorted(session_results(paths).items()):
        found.append((sample, None if result is None else
                      (result.outcome, tuple(sorted(result.verdict.counts.items())))))
    return tuple(found)


def plan(samples_dir: Path, store_dir: Path, keep: int) -> list[Decision]:
    """What prune does to each testrun_NN session, newest first."""
    names = [n for n in sessions.list_sessions(store_dir) if sessions.testrun_number(n) is not None]
    names.sort(key=lambda n: sessions.testrun_number(n) or 0, reverse=True)
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
        if index < keep:
            keep_why = f"one of the {keep} newest"
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
            decisions.append(Decision(name, True, same))
            continue
        decisions.append(Decision(name, False, keep_why or "found something new"))
        staying.append((name, mine))
    return decisions


def remove(paths: sessions.SessionPaths) -> None:
    """Rename the session out of the store's listing, then delete it."""
    hidden = Path(tempfile.mkdtemp(prefix=f".prune-{paths.name[:40]}.", dir=paths.store))
    os.rename(paths.session_dir, hidden / paths.name)
    shutil.rmtree(hidden, ignore_errors=True)
