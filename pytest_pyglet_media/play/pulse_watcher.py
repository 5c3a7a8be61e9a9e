"""The watcher of a run's private PulseAudio daemon: the daemon ends with the run.

    python -m pytest_pyglet_media.play.pulse_watcher FOLDER -- pulseaudio ARGS...

Started by sound_servers.start_private_pulse, in a session of its own (a
Ctrl-C at the terminal is the run's to handle, not ours). It starts the
daemon in the foreground as its child, then reads its stdin: a pipe whose
other end only the run holds. End of file means the run stopped the server
or died, even by SIGKILL (the kernel closes a dead process's pipes), and
the watcher then ends the daemon and removes FOLDER, the daemon's runtime
folder, entirely.

The daemon dies with the watcher (PR_SET_PDEATHSIG), so even a watcher
killed outright leaves no daemon; only its folder, which the next run's
start_private_pulse removes (sound_servers.stale_folders).

It tells the run on stdout, one line each:
    started PID     the daemon started (not yet answering: the run checks)
    failed: WHY     the daemon could not be started at all
    exited CODE     the daemon ended on its own
The daemon's own output goes to FOLDER/daemon.log.

Standard library and procgroup only: it is a process's main, started often.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Callable

from . import procgroup

#: the daemon's stdout and stderr, in its runtime folder
DAEMON_LOG = "daemon.log"
#: seconds the daemon gets to exit after SIGTERM before SIGKILL
TERM_GRACE = 2.0


def _say(line: str) -> None:
    # the run may be gone (that is why we stop): nobody to tell is fine
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        pass


def _daemon_setup() -> Callable[[], None]:
    """The daemon's preexec_fn: a process group of its own (killing it kills
    only it), and death with the watcher. (Popen's process_group is 3.11+.)"""
    die_with_watcher = procgroup.die_with_parent_hook()

    def setup() -> None:
        os.setpgid(0, 0)
        if die_with_watcher is not None:
            die_with_watcher()

    return setup


def _report_exit(daemon: "subprocess.Popen[bytes]") -> None:
    _say(f"exited {daemon.wait()}")


def _end(daemon: "subprocess.Popen[bytes]") -> None:
    """SIGTERM the daemon's group (pulseaudio exits cleanly on it), then SIGKILL."""
    try:
        os.killpg(daemon.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        daemon.wait(timeout=TERM_GRACE)
    except subprocess.TimeoutExpired:
        procgroup.kill_and_reap(daemon)


def _stop_on(signum: int, frame: FrameType | None) -> None:
    # SIGTERM/SIGHUP to the watcher: clean up as on end of file
    raise SystemExit(0)


def watch(folder: Path, command: list[str]) -> int:
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_on)
    daemon = None
    try:
        with open(folder / DAEMON_LOG, "ab") as log:
            try:
                daemon = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=log, preexec_fn=_daemon_setup())
            except OSError as exc:
                _say(f"failed: {command[0]}: {exc.strerror or exc}")
        if daemon is not None:
            _say(f"started {daemon.pid}")
            threading.Thread(target=_report_exit, args=(daemon,), daemon=True).start()
        # blocks until the run closes its end of the pipe or dies
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        if daemon is not None:
            _end(daemon)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m pytest_pyglet_media.play.pulse_watcher FOLDER -- COMMAND...",
              file=sys.stderr)
        return 2
    folder = Path(argv[0])
    if not folder.is_dir():
        print(f"pulse_watcher: {folder} is not a folder", file=sys.stderr)
        return 2
    return watch(folder, argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
