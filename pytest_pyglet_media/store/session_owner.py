"""One run at a time plays into a session: its owner.

Two runs recording into one session at once judge each other's recordings
(a sample passed on the other run's play) and see each other's placeholders
as crashes. The run that plays into a session holds an exclusive lock on
the session folder (flock on the folder itself) from before its first play
until its reports are written; a second run is refused at once, told who
holds it (from `SessionPaths.owner`: pid, host, since when). The kernel
drops the lock when its process ends, however it ends: a run killed with
SIGKILL leaves a stale owner file, and the next run takes the session over,
since the lock is free. `pyglet-mp prune` asks `busy` and keeps such a session.

POSIX only (fcntl); elsewhere sessions have no owner and runs must not overlap.
"""
from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass

from ..core import atomic
from ..core.errors import SessionBusyError
from .sessions import SessionPaths

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


@dataclass
class Claim:
    """A run's hold on a session; `release` it when the run's files are written."""

    paths: SessionPaths
    fd: int | None

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            self.paths.owner.unlink(missing_ok=True)
        except OSError:
            pass  # a protected or read-only session: the lock says it all
        os.close(self.fd)  # closing releases the lock
        self.fd = None


def claim(paths: SessionPaths) -> Claim:
    """Hold the session for this run; SessionBusyError naming the run that holds it."""
    if fcntl is None:
        return Claim(paths, None)
    fd = os.open(paths.session_dir, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise SessionBusyError(f"session {paths.name!r} is being played into by another run "
                               f"({_describe(paths)}); wait for it to end, or play into "
                               "another session (--mp-session)") from None
    info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
    try:
        atomic.write_text(paths.owner, json.dumps(info) + "\n")
    except OSError:
        pass  # who holds it is a courtesy to the next run; the lock is what counts
    return Claim(paths, fd)


def busy(paths: SessionPaths) -> str | None:
    """Who plays into the session now ("pid 12, host h, since 10:02:03"), or None."""
    if fcntl is None:
        return None
    try:
        fd = os.open(paths.session_dir, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _describe(paths)
    finally:
        os.close(fd)
    return None


def _describe(paths: SessionPaths) -> str:
    try:
        info = json.loads(paths.owner.read_text(encoding="utf-8"))
        pid, host, since = int(info["pid"]), str(info["host"])[:100], float(info["since"])
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since))
    except (OSError, ValueError, KeyError, TypeError, OverflowError):
        return "who and since when is not known"
    return f"pid {pid} on host {host}, since {when}"
