"""A fork server: pyglet imported once, one forked child per play.

A fresh interpreter per play spends about 0.3 s importing Python, pyglet and
FFmpeg's libraries before it plays anything. The fork server pays that once
per pytest process (per xdist worker): it is started lazily at the first
play, imports what every play needs (`player.preload`: no GL context, no
audio driver, no thread, no decoder) and then, for each play, forks a child
that finishes the set-up (audio driver, shadow window) and runs the same
`player.play()` as the fresh interpreter does.

The child:
- calls setsid(): its own session and process group, which the runner kills
  on a timeout or an interrupt, as it kills a fresh interpreter's group;
- dies with the server (PR_SET_PDEATHSIG), and the server dies with its
  runner, so a runner killed outright leaves no player behind;
- writes its stdout and stderr into the file the runner names.

The server reaps each child and reports how it ended. Protocol, JSON lines
over a socketpair (the runner's end is `ForkServer`):

    server -> runner  {"ready": true, "pid": N} | {"ready": false, "error": "..."}
    runner -> server  {"id": N, "sample": ..., "recording": ..., "name": ...,
                       "audio": [...], "log": PATH}
    server -> runner  {"id": N, "started": PID} then {"id": N, "exited": PID, "status": S}
                      | {"id": N, "refused": "why"}

`status` is the child's return code as subprocess reports it (-11 for a
SIGSEGV). The server forks only while it is single-threaded; otherwise it
refuses and the runner plays in a fresh interpreter. This module imports
pyglet only in the server, through `player`.

    python -m pytest_pyglet_media.forkserver --fd=N
"""
from __future__ import annotations

import argparse
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from typing import Any, Callable, Sequence

from . import procgroup

#: seconds the server may take to import pyglet and say it is ready
START_TIMEOUT = 60.0
#: seconds for the server to answer a request with the child's pid
ANSWER_TIMEOUT = 30.0
#: seconds for the server to report a killed child reaped
REAP_TIMEOUT = 10.0
_ERROR_TAIL = 600


class Unavailable(Exception):
    """The fork server cannot play this request; the message says why."""


class Lost(Unavailable):
    """The fork server died or stopped answering (`started` says whether a child ran)."""

    def __init__(self, message: str, started: bool = False) -> None:
        super().__init__(message)
        self.started = started


def supported() -> str | None:
    """Why this platform cannot fork players, or None when it can."""
    if not sys.platform.startswith("linux"):
        return f"fork server needs Linux (this is {sys.platform})"
    return None


# ---------------------------------------------------------------- runner side

class ForkServer:
    """The runner's end: starts the server, sends plays, reads how they ended."""

    def __init__(self, env: dict[str, str], preexec_fn: Callable[[], None] | None = None,
                 argv: Sequence[str] | None = None) -> None:
        self.env = env
        self.preexec_fn = preexec_fn
        self.argv = list(argv) if argv is not None else [
            sys.executable, "-m", "pytest_pyglet_media.forkserver"]
        self.proc: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self.pid: int | None = None  # the server's pid
        self.owner = os.getpid()
        self._buffer = b""
        self._seq = 0
        self._log: Any = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and self.sock is not None

    def start(self) -> None:
        """Start the server and wait until it has imported pyglet; raise Unavailable."""
        problem = supported()
        if problem:
            raise Unavailable(problem)
        ours, theirs = socket.socketpair()
        self._log = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(
                [*self.argv, f"--fd={theirs.fileno()}"], pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log, env=self.env,
                start_new_session=True, preexec_fn=self.preexec_fn)
        except OSError as exc:
            ours.close()
            raise Unavailable(f"fork server did not start: {exc}") from None
        finally:
            theirs.close()
        self.sock = ours
        try:
            hello = self._receive(time.monotonic() + START_TIMEOUT, request_id=None)
        except Lost as exc:
            self.close()
            raise Unavailable(f"fork server did not start: {exc}{self._log_tail()}") from None
        if not hello.get("ready"):
            self.close()
            raise Unavailable(f"fork server cannot play: {hello.get('error', '?')}")
        self.pid = int(hello["pid"])

    def play(self, sample: str, recording: str, name: str, audio: Sequence[str], log: str,
             deadline: float, kill: Callable[[int], None], heartbeat: str | None = None,
             poll: Callable[[], bool] | None = None,
             poll_interval: float = 0.25) -> tuple[int | None, bool]:
        """Play in a forked child; return (returncode, timed_out).

        At the deadline, when `poll()` (called every `poll_interval` seconds
        while the child runs) says the player is hung, or on any exception
        (Ctrl-C), `kill(pid)` kills the child's process group; the server
        reaps it. The child touches the file `heartbeat` while it makes
        progress. Raises Unavailable when the server refuses, Lost when it dies.
        """
        self._seq += 1
        request_id = self._seq
        self._send({"id": request_id, "sample": sample, "recording": recording, "name": name,
                    "audio": list(audio), "log": log, "heartbeat": heartbeat})
        try:
            answer = self._receive(time.monotonic() + ANSWER_TIMEOUT, request_id)
        except TimeoutError:
            self.close()
            raise Lost("fork server did not answer") from None
        if "refused" in answer:
            raise Unavailable(str(answer["refused"]))
        pid = int(answer["started"])
        timed_out = False
        try:
            while True:
                wait_until = deadline if poll is None else \
                    min(deadline, time.monotonic() + poll_interval)
                try:
                    ended = self._receive(wait_until, request_id)
                    break
                except TimeoutError:
                    if time.monotonic() < deadline and (poll is None or not poll()):
                        continue
                timed_out = True
                kill(pid)
                ended = self._receive(time.monotonic() + REAP_TIMEOUT, request_id)
                break
        except Lost as exc:
            kill(pid)
            raise Lost(str(exc), started=True) from None
        except TimeoutError:  # a killed child that is not reaped: the server is stuck
            self.close()
            raise Lost("fork server did not reap a killed player", started=True) from None
        except BaseException:
            kill(pid)  # the server reaps it; its report is skipped by the next play
            raise
        kill(pid)  # the player may have started helpers that outlived it
        return (None if timed_out else int(ended["status"])), timed_out

    def close(self) -> None:
        """Stop the server: it exits when its end of the socket closes."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                procgroup.kill_and_reap(self.proc)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0, os.SEEK_END)
        size = self._log.tell()
        self._log.seek(max(0, size - _ERROR_TAIL))
        text = self._log.read().decode("utf-8", "replace").strip()
        return f"; its output ends with: {text}" if text else ""

    def _send(self, message: dict[str, Any]) -> None:
        if self.sock is None:
            raise Lost("fork server is not running")
        try:
            self.sock.sendall(json.dumps(message).encode() + b"\n")
        except OSError as exc:
            raise Lost(f"fork server is gone ({exc})") from None

    def _receive(self, deadline: float, request_id: int | None) -> dict[str, Any]:
        """The next message for `request_id` (others are stale: skipped)."""
        while True:
            while b"\n" not in self._buffer:
                if self.sock is None:
                    raise Lost("fork server is not running")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                readable, _, _ = select.select([self.sock], [], [], left)
                if not readable:
                    continue
                try:
                    data = self.sock.recv(65536)
                except OSError as exc:
                    raise Lost(f"fork server is gone ({exc})") from None
                if not data:
                    code = None
                    if self.proc is not None:
                        try:
                            code = self.proc.wait(timeout=2)
                        except subprocess.TimeoutExpired:
                            pass
                    raise Lost("fork server exited" + (f" with status {code}"
                                                       if code is not None else ""))
                self._buffer += data
            line, self._buffer = self._buffer.split(b"\n", 1)
            try:
                message = json.loads(line)
            except ValueError:
                raise Lost(f"fork server said something unexpected: {line[:200]!r}") from None
            if not isinstance(message, dict):
                raise Lost(f"fork server said something unexpected: {line[:200]!r}")
            if message.get("id") == request_id:
                return message


# ---------------------------------------------------------------- server side

def _threads_problem() -> str | None:
    """Why forking now would be unsafe: another thread, Python's or native."""
    if threading.active_count() != 1:
        return f"fork server has {threading.active_count()} Python threads; forking is unsafe"
    try:
        tasks = len(os.listdir("/proc/self/task"))
    except OSError:
        return None
    if tasks != 1:
        return f"fork server has {tasks} native threads; forking is unsafe"
    return None


def _child(request: dict[str, Any], server: int, ready_fd: int, channel: int) -> None:
    """In the forked child: never returns."""
    code = 1
    try:
        os.setsid()
        procgroup.die_with(server)
        os.close(channel)
        os.write(ready_fd, b"1")  # the process group exists: the runner may kill it
        os.close(ready_fd)
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.close(null)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a fresh interpreter
        from . import player

        code = player.play(request["sample"], request["recording"], request["name"],
                           tuple(request["audio"]), player.default_headless(),
                           heartbeat=request.get("heartbeat"))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _fork_player(request: dict[str, Any], channel: int) -> int:
    ready_r, ready_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    server = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        _child(request, server, ready_w, channel)
    os.close(ready_w)
    try:
        os.read(ready_r, 1)  # b"" if the child died first: its pid is still waitable
    finally:
        os.close(ready_r)
    return pid


def serve(channel: int) -> int:
    sock = socket.socket(fileno=channel)

    def send(message: dict[str, Any]) -> None:
        sock.sendall(json.dumps(message).encode() + b"\n")

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides; Ctrl-C is its to handle
    try:
        from . import player

        if not player.default_headless():
            raise Unavailable("a display is set and the fork server only plays headless")
        player.preload(headless=True)
        problem = _threads_problem()
        if problem:
            raise Unavailable(problem)
    except Exception as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        send({"ready": False, "error": f"{type(exc).__name__}: {message}"[:_ERROR_TAIL]})
        return 1
    send({"ready": True, "pid": os.getpid()})
    reader = sock.makefile("rb")
    for line in reader:  # ends when the runner closes its end
        request = json.loads(line)
        problem = _threads_problem()
        if problem:
            send({"id": request["id"], "refused": problem})
            continue
        pid = _fork_player(request, channel)
        send({"id": request["id"], "started": pid})
        _, status = os.waitpid(pid, 0)
        send({"id": request["id"], "exited": pid, "status": os.waitstatus_to_exitcode(status)})
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytest_pyglet_media.forkserver")
    parser.add_argument("--fd", type=int, required=True,
                        help="this end of the runner's socketpair")
    args = parser.parse_args(argv)
    try:
        return serve(args.fd)
    except (BrokenPipeError, ConnectionResetError):
        return 0  # the runner went away


if __name__ == "__main__":
    sys.exit(main())
