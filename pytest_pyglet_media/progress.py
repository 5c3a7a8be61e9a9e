"""Progress of a long play on a terminal.

While a sample plays longer than DELAY seconds, the line pytest is writing
shows `clip.mp4 12.3/60.0 s` after its cursor: the seconds since the play
began (wall time, retries included) and the sample's duration from its
reference (reference/<sample>.json, written when the play starts; without
it only the seconds). The text is erased before pytest writes the verdict.

Shown only where nothing keeps it: pytest's own terminal is a TTY with
markup (not --color=no, not TERM=dumb), in the process that plays (never an
xdist worker: workers' output is not a terminal, and the controller does
not play). Files, pipes and CI logs get pytest's output unchanged.

The text is written by a daemon thread to a duplicate of the terminal's
file descriptor taken at configure time, so output capture (which
redirects fd 1 while a test runs) is neither bypassed by changing its
state nor raced from another thread. ANSI sequences save the cursor, erase
to the end of the line, write, and restore the cursor, so pytest's line
(the file name, an 'R' of a rerun) is kept.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

#: a play shorter than this shows nothing
DELAY = 2.0
#: seconds between two updates
INTERVAL = 0.5
#: longest sample name shown (the text must fit on the line)
MAX_NAME = 40

_SAVE, _RESTORE, _ERASE = "\x1b7", "\x1b8", "\x1b[K"


def text(sample: str, elapsed: float, duration: float | None) -> str:
    """`clip.mp4 12.3/60.0 s`, or `clip.mp4 12.3 s` without a duration."""
    name = sample if len(sample) <= MAX_NAME else sample[:MAX_NAME - 1] + "…"
    if duration is None or not duration > 0:
        return f"{name} {elapsed:.1f} s"
    return f"{name} {elapsed:.1f}/{duration:.1f} s"


def wanted(*, isatty: bool, hasmarkup: bool, worker: bool, verbosity: int) -> bool:
    """Whether this process shows progress at all."""
    return isatty and hasmarkup and not worker and verbosity >= -1


def duration_from(reference_path: Path | None,
                  load: Callable[[Path], Any] | None = None) -> float | None:
    """The sample's duration from its stored reference; None while there is none.

    `load` reads it (the run's StoredReferences.load: the play reads it too),
    by default reference.load."""
    if reference_path is None:
        return None
    from .core.errors import MediaTestError
    from .store import reference

    try:
        return (load or reference.load)(reference_path)[1].length
    except (MediaTestError, OSError, ValueError):
        return None


class Progress:
    """Shows one play's progress on `fd` until stopped (a context manager)."""

    def __init__(self, fd: int, sample: str, duration: Callable[[], float | None], *,
                 delay: float = DELAY, interval: float = INTERVAL,
                 clock: Callable[[], float] = time.monotonic,
                 began: Callable[[], float | None] = lambda: None) -> None:
        self.fd = fd
        self.sample = sample
        self.duration = duration
        self.delay = delay
        self.interval = interval
        self.clock = clock
        #: when the play began, on `clock`, if before the item (a play started
        #: ahead, ahead.py); None: when the item began
        self.began = began
        self.shown = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mp-progress", daemon=True)
        self._start = 0.0
        self._known: float | None = None

    def __enter__(self) -> "Progress":
        self._start = self.clock()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        if self.shown:
            self._write(_ERASE)

    def _run(self) -> None:
        if self._stop.wait(self.delay):
            return
        while not self._stop.is_set():
            if self._known is None:
                self._known = self.duration()
            began = self.began()
            start = began if began is not None and began < self._start else self._start
            line = text(self.sample, self.clock() - start, self._known)
            if not self._write(f"{_SAVE}{_ERASE} {line}{_RESTORE}"):
                return
            self.shown = True
            self._stop.wait(self.interval)

    def _write(self, data: str) -> bool:
        try:
            os.write(self.fd, data.encode("utf-8", "replace"))
            return True
        except OSError:
            return False


def terminal_fd(config: pytest.Config) -> int | None:
    """A duplicate of the terminal's descriptor when plays show progress, else None.

    Taken at session start: the terminal reporter exists by then, and output
    is not captured between tests.
    """
    reporter = config.pluginmanager.getplugin("terminalreporter")
    if reporter is None or not wanted(
            isatty=bool(reporter.isatty()), hasmarkup=reporter.hasmarkup,
            worker=hasattr(config, "workerinput"), verbosity=config.get_verbosity()):
        return None
    try:
        fd = os.dup(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    if not os.isatty(fd):
        os.close(fd)
        return None
    return fd
