"""The play-in-progress marker: `dbg/<sample>.playing` (SessionPaths.playing).

A play writes it as it starts (the pid of the process that plays), rewrites
it when the play is interrupted (Ctrl-C, pytest-timeout) and removes it when
the play ends. Until the play ends, the sample's recording is the crash
placeholder: the marker is what tells a reader that it is no crash.

Readers: the summary (session_writer: a play going on now, or interrupted,
has no verdict yet) and `pyglet-mp prune` (a session with a marker is kept).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..core import atomic
from .sessions import PLAYING_SUFFIX, SessionPaths


@dataclass(frozen=True)
class Marker:
    """What a marker says: the play was interrupted, or process `pid` plays it."""

    interrupted: bool = False
    pid: int | None = None

    def player_alive(self) -> bool:
        """Whether the process that wrote the marker still runs (a play killed
        with its process leaves a marker behind)."""
        if self.pid is None:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # another user's process holds that pid
        except OverflowError:
            return True  # not a pid this system can look up: not known to be gone
        return True


def mark_playing(marker: Path) -> None:
    """This process plays the sample now."""
    _write(marker, {"pid": os.getpid()})


def mark_interrupted(marker: Path) -> None:
    """The sample's play was stopped before it ended."""
    _write(marker, {"interrupted": True})


def _write(marker: Path, state: dict[str, object]) -> None:
    try:
        atomic.write_text(marker, json.dumps(state) + "\n")
    except OSError:
        pass  # only a courtesy to readers: the play itself does not need it


def read(marker: Path) -> Marker | None:
    """What the marker says; None without one, or for a file that is not one."""
    try:
        state = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict):
        return None
    if state.get("interrupted") is True:
        return Marker(interrupted=True)
    pid = state.get("pid")
    if type(pid) is int and pid > 0:
        return Marker(pid=pid)
    return None


def remove(marker: Path) -> None:
    """The play ended (or its verdict is known without it)."""
    marker.unlink(missing_ok=True)


def any_marked(paths: SessionPaths) -> bool:
    """Whether any sample of the session has a marker: a play going on, or
    one interrupted or killed before it could remove its marker."""
    try:
        return any(name.endswith(PLAYING_SUFFIX) for name in os.listdir(paths.dbg_dir))
    except OSError:
        return False
