"""Runs the player in a child process: isolation, timeout, process-group kill.

The child runs in a new session (its own process group), so that on a
timeout or an interrupt we kill it together with anything it started, and
reap it: no orphaned players.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

#: the module run as the player; tests substitute doubles that crash or hang
DEFAULT_PLAYER = "pytest_pyglet_media.player"
#: how much of the child's stderr a failure message shows
STDERR_TAIL_BYTES = 4096
EXIT_UNPLAYABLE = 3  # keep in sync with player.EXIT_UNPLAYABLE (player imports pyglet)


@dataclass(frozen=True)
class PlayRequest:
    sample_path: Path
    recording_path: Path
    name: str
    audio: tuple[str, ...] = ("silent",)
    timeout: float = 120.0
    player_module: str = DEFAULT_PLAYER


@dataclass(frozen=True)
class RunResult:
    returncode: int | None
    timed_out: bool
    wall_time: float
    stderr_tail: str

    @property
    def signal_name(self) -> str | None:
        if self.returncode is not None and self.returncode < 0:
            try:
                return signal.Signals(-self.returncode).name
            except ValueError:
                return f"signal {-self.returncode}"
        return None

    def describe_exit(self) -> str:
        if self.timed_out:
            return "still playing at the timeout; killed with its process group"
        if self.signal_name:
            return f"the player was killed by {self.signal_name}"
        return f"the player exited with status {self.returncode}"


def child_environment() -> dict[str, str]:
    env = dict(os.environ)
    # OpenAL Soft with no sound card: mix in real time into the null device.
    env.setdefault("ALSOFT_DRIVERS", "null")
    env.setdefault("PYTHONFAULTHANDLER", "1")  # a native crash prints its stack
    return env


def command(request: PlayRequest) -> list[str]:
    return [sys.executable, "-m", request.player_module,
            str(request.sample_path), str(request.recording_path),
            # "=" form: a sample named "-x.mp4" must not read as an option
            f"--name={request.name}", f"--audio={','.join(request.audio)}"]


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


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec hook making the player die with its runner (Linux).

    If pytest or an xdist worker is killed outright (SIGKILL), nothing reaps
    its player, which would play on as an orphan: PR_SET_PDEATHSIG has the
    kernel kill the player when the runner dies. Looked up before the fork;
    the hook itself only makes system calls.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the runner died before the line above
            os._exit(1)

    return hook


_PR_SET_PDEATHSIG = 1


def _kill_group(proc: "subprocess.Popen[bytes]") -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def run(request: PlayRequest, argv: Sequence[str] | None = None) -> RunResult:
    """Play one sample in a child process and wait for it, within the timeout."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            list(argv) if argv is not None else command(request),
            stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
            env=child_environment(), start_new_session=True,
            preexec_fn=_die_with_parent())
        timed_out = False
        try:
            proc.wait(timeout=request.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc)
        except BaseException:  # Ctrl-C, pytest-timeout: never leave a player behind
            _kill_group(proc)
            raise
        else:
            # the player may have started helpers that outlived it
            _kill_group(proc)
        return RunResult(returncode=None if timed_out else proc.returncode,
                         timed_out=timed_out, wall_time=time.monotonic() - start,
                         stderr_tail=_tail(stderr))
