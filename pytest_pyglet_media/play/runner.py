"""Runs the player in a child process: isolation, timeout, process-group kill.

A play ends at its limit (`PlayRequest.timeout`, see timeouts.py) or
sooner when the player stops making progress: the player touches a
heartbeat file (named by HEARTBEAT_ENV, or the fork server's request) while
new events arrive, and after `stall_timeout` seconds without a touch the
runner kills it as hung. Both are timeouts.

The child runs in a new session (its own process group), so that on a
timeout or an interrupt we kill it together with anything it started, and
reap it: no orphaned players.

Two ways to start the child (`PlayRequest.spawn`):
- "fork" (default on Linux): the default player is forked from a fork server
  (forkserver.py) that imported pyglet once for this process; ~0.2 s less
  per play. When the server cannot start or dies, the play falls back to a
  fresh interpreter and the stderr tail says why. `run()` may be called from
  several threads at once: their plays share the one server and run together.
- "fresh": `python -m PLAYER_MODULE ...`, a new interpreter per play. Player
  doubles (another `player_module`) always run this way.
"""
from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..core.exits import HEARTBEAT_ENV
from . import forkserver, frame_keeper, procgroup, sound_servers
from .defaults import DEFAULT_PLAYER, DEFAULT_SPAWN, SPAWN_METHODS  # noqa: F401 (named here too)

#: how much of the child's stderr a failure message shows
STDERR_TAIL_BYTES = 4096
#: times a process may start a fork server again after one died
SERVER_RESTARTS = 3
#: the prefix of the note a fallback to a fresh interpreter puts in the stderr tail
FALLBACK_NOTE = "[pytest-pyglet-media] played in a fresh interpreter:"
#: seconds between two looks at the heartbeat while the player runs
POLL_INTERVAL = 0.25


@dataclass(frozen=True)
class PlayRequest:
    sample_path: Path
    recording_path: Path
    name: str
    audio: tuple[str, ...] = ("silent",)
    timeout: float = 120.0
    player_module: str = DEFAULT_PLAYER
    spawn: str = DEFAULT_SPAWN
    #: seconds without progress (heartbeat) before the player is killed; None: never
    stall_timeout: float | None = None
    #: set by another thread when the play must stop (ahead.py): the player
    #: is killed and run() raises Cancelled
    cancel: threading.Event | None = field(default=None, compare=False)
    #: where `timeout` comes from, for the message ("limit 66 s for a 18.0 s sample")
    limit_note: str = ""
    #: which pictures the player keeps (frame_keeper.MODES)
    pictures: str = frame_keeper.DEFAULT_MODE


@dataclass(frozen=True)
class RunResult:
    returncode: int | None
    timed_out: bool
    wall_time: float
    stderr_tail: str
    #: how the player was started: "fork" or "fresh"
    spawn: str = "fresh"
    #: why a timed out player was killed before its limit (no progress), else None
    stalled: str | None = None
    #: the limit it had (timeouts.describe)
    limit_note: str = ""

    @property
    def signal_name(self) -> str | None:
        if self.returncode is not None and self.returncode < 0:
            try:
                return signal.Signals(-self.returncode).name
            except ValueError:
                return f"signal {-self.returncode}"
        return None

    def describe_exit(self) -> str:
        if self.timed_out and self.stalled:
            return f"{self.stalled}; killed as hung with its process group"
        if self.timed_out:
            note = f" ({self.limit_note})" if self.limit_note else ""
            return f"still playing at the timeout{note}; killed with its process group"
        if self.signal_name:
            return f"the player was killed by {self.signal_name}"
        return f"the player exited with status {self.returncode}"


def child_environment() -> dict[str, str]:
    env = dict(os.environ)
    # OpenAL Soft with no sound card: mix in real time into the null device
    env.update(sound_servers.openal_environment(env))
    env.setdefault("PYTHONFAULTHANDLER", "1")  # a native crash prints its stack
    return env


def command(request: PlayRequest) -> list[str]:
    return [sys.executable, "-m", request.player_module,
            str(request.sample_path), str(request.recording_path),
            # "=" form: a sample named "-x.mp4" must not read as an option
            f"--name={request.name}", f"--audio={','.join(request.audio)}",
            # only when asked: players standing in for ours (tests) need not know it
            *([f"--pictures={request.pictures}"]
              if request.pictures != frame_keeper.DEFAULT_MODE else [])]


def _tail(stream: "tempfile._TemporaryFileWrapper[bytes]") -> str:
    # stderr goes to a file, not a pipe: megabytes of it cost no memory and
    # cannot block the child; we keep only the tail for the message
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(max(0, size - STDERR_TAIL_BYTES))
    text = stream.read().decode("utf-8", "replace")
    if size > STDERR_TAIL_BYTES:
        text = "[...]" + text[text.find("\n") + 1:] if "\n" in text else text
    return text


class Cancelled(Exception):
    """The play was stopped from outside (PlayRequest.cancel); its player is killed."""


def _cancelled(request: PlayRequest) -> bool:
    return request.cancel is not None and request.cancel.is_set()


def run(request: PlayRequest) -> RunResult:
    """Play one sample in a child process and wait for it, within the timeout."""
    note = ""
    if request.spawn == "fork" and request.player_module == DEFAULT_PLAYER:
        start = time.monotonic()
        try:
            return _run_forked(request, start)
        except forkserver.Unavailable as exc:
            note = f"{FALLBACK_NOTE} {exc}"
    return _run_fresh(request, note)


class _Progress:
    """The heartbeat file of one play: created now, touched by the player."""

    def __init__(self, stall_timeout: float | None) -> None:
        self.stall_timeout = stall_timeout
        self.file = tempfile.NamedTemporaryFile(prefix="mp-heartbeat-")
        self.path = self.file.name
        self.start = os.stat(self.path).st_mtime
        self.stalled: str | None = None

    def check(self) -> bool:
        """True (and `stalled` says why) when the player made no progress for too long."""
        if self.stall_timeout is None:
            return False
        try:
            last = os.stat(self.path).st_mtime
        except OSError:
            return False
        idle = time.time() - last
        if idle < self.stall_timeout:
            return False
        since = "since it started" if last <= self.start else \
            f"last at {last - self.start:.1f} s into the play"
        self.stalled = f"no progress for {self.stall_timeout:g} s ({since})"
        return True

    def __enter__(self) -> "_Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()


def _run_fresh(request: PlayRequest, note: str = "") -> RunResult:
    start = time.monotonic()
    deadline = start + request.timeout
    with tempfile.TemporaryFile() as stderr, _Progress(request.stall_timeout) as progress:
        proc: "subprocess.Popen[bytes] | None" = None
        timed_out = False
        try:
            # Ctrl-C and pytest-timeout's alarm are held while the player
            # starts, and raised when `proc` is ours to kill
            with procgroup.interrupts_deferred():
                proc = subprocess.Popen(
                    command(request),
                    stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                    env={**child_environment(), HEARTBEAT_ENV: progress.path},
                    start_new_session=True, preexec_fn=procgroup.die_with_parent_hook())
            while True:
                left = deadline - time.monotonic()
                try:
                    proc.wait(timeout=max(0.0, min(left, POLL_INTERVAL)))
                    break
                except subprocess.TimeoutExpired:
                    if _cancelled(request):
                        raise Cancelled(request.name) from None
                    if left <= POLL_INTERVAL or progress.check():
                        timed_out = True
                        break
        except BaseException:  # Ctrl-C, pytest-timeout: never leave a player behind
            if proc is not None:
                procgroup.kill_and_reap(proc)
            raise
        # killed at its limit; or ended, and it may have started helpers that outlived it
        procgroup.kill_and_reap(proc)
        return RunResult(returncode=None if timed_out else proc.returncode,
                         timed_out=timed_out, wall_time=time.monotonic() - start,
                         stderr_tail=_with_note(note, _tail(stderr)), spawn="fresh",
                         stalled=progress.stalled, limit_note=request.limit_note)


def _with_note(note: str, tail: str) -> str:
    if not note:
        return tail
    note = note if len(note) <= 500 else note[:500] + "[...]"
    return f"{note}\n{tail}"


class _Servers:
    """This process's fork server, started at its first play (per xdist worker).

    Plays may start from several threads at once: they share one server,
    which the lock lets only one of them start or restart.
    """

    def __init__(self) -> None:
        self.server: forkserver.ForkServer | None = None
        self.problem: str | None = None  # why this process plays fresh from now on
        self.restarts = 0
        self.registered = False
        self.argv: list[str] | None = None  # the server's command (tests replace it)
        self._lock = threading.Lock()

    def get(self) -> forkserver.ForkServer:
        with self._lock:
            if self.server is not None and self.server.owner != os.getpid():
                self.server = None  # a forked copy of this process: not our server
            if self.problem is not None:
                raise forkserver.Unavailable(self.problem)
            if self.server is not None and self.server.alive:
                return self.server
            if self.server is not None:  # it died since the last play
                self._drop("fork server exited between plays")
            # no die_with_parent_hook: PR_SET_PDEATHSIG would kill the server when
            # the thread that starts it ends; the server exits when this process
            # dies (forkserver.py)
            server = forkserver.ForkServer(child_environment(), argv=self.argv)
            try:
                server.start()
            except forkserver.Unavailable as exc:
                self.problem = str(exc)
                raise
            if not self.registered:
                atexit.register(self.close)
                self.registered = True
            self.server = server
            return server

    def lost(self, why: str, server: forkserver.ForkServer | None = None) -> None:
        """The server (`server`, or the current one) died or stopped answering.

        The plays that were running on it all report it: it counts once.
        """
        with self._lock:
            if server is None or server is self.server:
                self._drop(why)

    def _drop(self, why: str) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        self.restarts += 1
        if self.restarts > SERVER_RESTARTS:
            self.problem = f"fork server died {self.restarts} times (last: {why})"

    def close(self) -> None:
        # no lock: at exit, a daemon thread may hold it for ever
        server, self.server = self.server, None
        if server is not None and server.owner == os.getpid():
            server.close()


SERVERS = _Servers()


def start_fork_server_soon() -> None:
    """Start this process's fork server now, in a thread, so that it imports
    pyglet while the first plays are being probed (plays started ahead,
    ahead.py); a server that cannot start is found again, and explained, by
    the first play that needs it."""
    def start() -> None:
        try:
            SERVERS.get()
        except forkserver.Unavailable:
            pass

    threading.Thread(target=start, name="mp-fork-server-start", daemon=True).start()


def _run_forked(request: PlayRequest, start: float) -> RunResult:
    """Play in a child of the fork server; raise forkserver.Unavailable to fall back."""
    server = SERVERS.get()
    with tempfile.NamedTemporaryFile(prefix="mp-player-", suffix=".log") as stderr, \
            _Progress(request.stall_timeout) as progress:
        try:
            returncode, timed_out = server.play(
                str(request.sample_path), str(request.recording_path), request.name,
                request.audio, stderr.name, deadline=start + request.timeout,
                pictures=request.pictures,
                kill=procgroup.kill_group, heartbeat=progress.path,
                poll=lambda: _cancelled(request) or progress.check(), poll_interval=POLL_INTERVAL)
        except forkserver.Lost as exc:
            SERVERS.lost(str(exc), server)
            why = "it died during the play" if exc.started else str(exc)
            raise forkserver.Unavailable(f"the fork server failed ({why})") from None
        if _cancelled(request):  # killed by the poll above, as a hang would be
            raise Cancelled(request.name)
        return RunResult(returncode=returncode, timed_out=timed_out,
                         wall_time=time.monotonic() - start, stderr_tail=_tail(stderr),
                         spawn="fork", stalled=progress.stalled if timed_out else None,
                         limit_note=request.limit_note)
