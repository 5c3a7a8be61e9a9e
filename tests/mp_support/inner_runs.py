"""An inner pytest run as a terminal's foreground job: started in a process
group of its own, waited on while it plays, interrupted with Ctrl-C, reaped.

The tests that interrupt or kill a run (tests/reliability/test_interruptions.py,
tests/e2e/test_audio_drivers_e2e.py) need the run's pid and process group
while it runs, which pytester's runpytest_subprocess does not give.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

#: seconds a wait for something an inner run does may take; it bounds the
#: waiting on a loaded machine, it measures nothing
WAIT_LIMIT = 60.0


def start_inner_run(pytester: pytest.Pytester, log: Path, *args: str) -> subprocess.Popen:
    """`python -m pytest -p no:cacheprovider ARGS` in pytester's folder, its
    output in `log`, in a session (so a process group) of its own: Ctrl-C
    signals the whole group, as a terminal does (the players, the private
    PulseAudio's watcher run in sessions of their own)."""
    with open(log, "wb") as out_file:
        return pytester.popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                              stdout=out_file, stderr=subprocess.STDOUT, start_new_session=True)


def wait_until(proc: subprocess.Popen, log: Path, ready: Callable[[], bool], what: str,
               limit: float = WAIT_LIMIT) -> None:
    """Poll `ready()` while the inner run lives. A failure says `what` did not
    happen (the run ended first, or `limit` seconds passed), with the log."""
    deadline = time.monotonic() + limit
    while not ready():
        assert proc.poll() is None and time.monotonic() < deadline, \
            f"{what}:\n{log.read_text(errors='replace')}"
        time.sleep(0.05)


def ctrl_c(proc: subprocess.Popen) -> None:
    """Ctrl-C to the inner run's process group, as a terminal sends it; wait for its end."""
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=WAIT_LIMIT)


def reap(proc: subprocess.Popen) -> None:
    """Kill the inner run's process group if it still runs (a failed test's cleanup)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def eventually(condition: Callable[[], bool], within: float) -> bool:
    """Whether `condition()` holds within `within` seconds (polled): for what a
    process does after it was told to, never a measure of how fast."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def processes_mentioning(text: str) -> dict[int, str]:
    """Live processes (not zombies, not this one) whose command line or
    environment holds `text`: pid -> command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = _read(entry / "cmdline")
            environ = _read(entry / "environ")
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            continue  # gone meanwhile
        if state != "Z" and (text in cmdline or text in environ):
            found[int(entry.name)] = cmdline
    return found


def _read(path: Path) -> str:
    return path.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
