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
- dies with the server (PR_SET_PDEATHSIG), and the server exits when its
  runner does (see below), so a runner killed outright leaves no player behind;
- writes its stdout and stderr into the file the runner names.

The server plays many samples at once: one runner process may call
`ForkServer.play` from several threads, and all their players are forked
from the same preloaded pages. The server stays single-threaded (forking is
unsafe otherwise): one loop selects on the socket for requests and on a
pipe that SIGCHLD wakes (signal.set_wakeup_fd), forks a child per request
and reaps every exited child without blocking. When the runner closes its
end, or dies, the server kills its children's groups and exits.

The server does not use PR_SET_PDEATHSIG to die with its runner: that
signal comes when the *thread* that started it ends, and a play may start
the server from a short-lived thread. The runner's death closes its end of
the socket; and the server looks at its parent every second, for a copy of
the runner (a fork) that would keep the socket open.

Protocol, JSON lines over a socketpair (the runner's end is `ForkServer`):

    server -> runner  {"ready": true, "pid": N} | {"ready": false, "error": "..."}
    runner -> server  {"id": N, "sample": ..., "recording": ..., "name": ...,
                       "audio": [...], "log": PATH, "heartbeat": PATH, "pictures": MODE}
    server -> runner  {"id": N, "started": PID} then {"id": N, "exited": PID, "status": S}
                      | {"id": N, "refused": "why"}

Requests may be in flight together: each has its own `id` (unique per
runner), and the replies for different ids come in any order, those of one
id in the order above. The runner files each reply under its id and drops
those of a play that has already ended (interrupted or timed out); a play
given up before its `started` came kills that child when it comes.
`status` is the child's return code as subprocess reports it (-11 for a
SIGSEGV). The server forks only while it is single-threaded; otherwise it
refuses and the runner plays in a fresh interpreter. This module imports
pyglet only in the server, through `player`.

    python -m pytest_pyglet_media.play.forkserver --fd=N [--runner=PID]
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
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from ..core.exits import EXIT_CRASHED
from . import procgroup

#: seconds the server may take to import pyglet and say it is ready
START_TIMEOUT = 60.0
#: seconds for the server to answer a request with the child's pid
ANSWER_TIMEOUT = 30.0
#: seconds for the server to report a killed child reaped
REAP_TIMEOUT = 10.0
_ERROR_TAIL = 600
#: seconds a waiting play sleeps at most before it looks again (a safety net:
#: the thread reading the socket wakes it when it files a message)
_WAIT_SLICE = 0.5
#: seconds between two looks at the runner (still the server's parent?) and
#: for exited children (a backstop: SIGCHLD wakes the server at once)
_WATCH_INTERVAL = 1.0


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

@dataclass
class _Request:
    """What the server said about one request, filed by whichever thread read it."""

    id: int | None  # None: the server's hello
    messages: list[dict[str, Any]] = field(default_factory=list)
    #: the child, as soon as the server says it started: a play interrupted at
    #: any point after that kills it, even before it read the message itself
    pid: int | None = None
    refused: bool = False
    #: set when the play gave up before the child started: kill it when it does
    kill: Callable[[int], None] | None = None


class ForkServer:
    """The runner's end: starts the server, sends plays, reads how they ended.

    `play()` may run in several threads at once. One lock orders the
    requests on the socket; replies are demultiplexed by request id: one
    waiting thread at a time reads the socket and files every message it
    reads in its request's mailbox, and each play takes its own.
    """

    def __init__(self, env: dict[str, str], preexec_fn: Callable[[], None] | None = None,
                 argv: Sequence[str] | None = None) -> None:
        self.env = env
        self.preexec_fn = preexec_fn
        self.argv = list(argv) if argv is not None else [
            sys.executable, "-m", "pytest_pyglet_media.play.forkserver"]
        self.proc: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self.pid: int | None = None  # the server's pid
        self.owner = os.getpid()
        self._log: Any = None
        self._send_lock = threading.Lock()
        self._close_lock = threading.Lock()
        self._mail = threading.Condition()  # guards the fields below
        self._requests: dict[int | None, _Request] = {}
        self._seq = 0
        self._buffer = b""
        self._reading = False  # a thread is reading the socket for everyone
        self._lost: str | None = None  # why the server is gone: every waiting play gets Lost

    @property
    def alive(self) -> bool:
        proc = self.proc  # another thread may close() meanwhile
        return proc is not None and proc.poll() is None and self.sock is not None \
            and self._lost is None

    def start(self) -> None:
        """Start the server and wait until it has imported pyglet; raise Unavailable."""
        problem = supported()
        if problem:
            raise Unavailable(problem)
        ours, theirs = socket.socketpair()
        self._log = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(
                [*self.argv, f"--runner={os.getpid()}", f"--fd={theirs.fileno()}"],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log, env=self.env,
                start_new_session=True, preexec_fn=self.preexec_fn)
        except OSError as exc:
            ours.close()
            raise Unavailable(f"fork server did not start: {exc}") from None
        finally:
            theirs.close()
        self.sock = ours
        self._lost = None
        hello = _Request(None)
        self._requests[None] = hello
        try:
            answer = self._receive(time.monotonic() + START_TIMEOUT, hello)
        except (Lost, TimeoutError) as exc:
            why = str(exc) or f"no answer in {START_TIMEOUT:g} s"
            tail = self._log_tail()  # before close() discards the output
            self.close()
            raise Unavailable(f"fork server did not start: {why}{tail}") from None
        finally:
            self._requests.pop(None, None)
        if not answer.get("ready"):
            self.close()
            raise Unavailable(f"fork server cannot play: {answer.get('error', '?')}")
        self.pid = int(answer["pid"])

    def play(self, sample: str, recording: str, name: str, audio: Sequence[str], log: str,
             deadline: float, kill: Callable[[int], None], heartbeat: str | None = None,
             pictures: str | None = None,
             poll: Callable[[], bool] | None = None,
             poll_interval: float = 0.25) -> tuple[int | None, bool]:
        """Play in a forked child; return (returncode, timed_out). Thread-safe.

        At the deadline, when `poll()` (called every `poll_interval` seconds
        while the child runs) says the player is hung, or on any exception
        (Ctrl-C), `kill(pid)` kills the child's process group; the server
        reaps it. The child touches the file `heartbeat` while it makes
        progress. Raises Unavailable when the server refuses, Lost when it dies.
        """
        request = self._open_request()
        try:
            self._send({"id": request.id, "sample": sample, "recording": recording,
                        "name": name, "audio": list(audio), "log": log,
                        "heartbeat": heartbeat,
                        **({"pictures": pictures} if pictures is not None else {})})
            answer = self._answer(request)
            if "refused" in answer:
                raise Unavailable(str(answer["refused"]))
            return self._wait_for_exit(request, deadline, kill, poll, poll_interval)
        except Lost as exc:
            raise Lost(str(exc), started=request.pid is not None) from None
        finally:
            # whatever ended the play (its end, a timeout, Ctrl-C, the server's
            # death), its process group is killed: the player may have started
            # helpers that outlived it
            self._close_request(request, kill)

    def close(self) -> None:
        """Stop the server: it exits when its end of the socket closes.

        Plays still waiting get Lost."""
        with self._close_lock:
            self._fail("fork server is not running")
            sock, self.sock = self.sock, None
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)  # wakes the thread reading it
                except OSError:
                    pass
                with self._mail:  # never close a file descriptor another thread selects on
                    self._mail.wait_for(lambda: not self._reading, timeout=5)
                with self._send_lock:  # nor one another thread sends on
                    sock.close()
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

    def _answer(self, request: _Request) -> dict[str, Any]:
        """The server's `started` or `refused` for `request`."""
        try:
            return self._receive(time.monotonic() + ANSWER_TIMEOUT, request)
        except TimeoutError:
            self.close()
            raise Lost("fork server did not answer") from None

    def _wait_for_exit(self, request: _Request, deadline: float, kill: Callable[[int], None],
                       poll: Callable[[], bool] | None,
                       poll_interval: float) -> tuple[int | None, bool]:
        """(returncode, False) when the child ends; (None, True) when killed as timed out."""
        assert request.pid is not None  # filed with the `started` message
        while True:
            wait_until = deadline if poll is None else \
                min(deadline, time.monotonic() + poll_interval)
            try:
                return int(self._receive(wait_until, request)["status"]), False
            except TimeoutError:
                if time.monotonic() < deadline and (poll is None or not poll()):
                    continue
            kill(request.pid)
            try:
                self._receive(time.monotonic() + REAP_TIMEOUT, request)
            except TimeoutError:  # a killed child that is not reaped: the server is stuck
                self.close()
                raise Lost("fork server did not reap a killed player") from None
            return None, True

    def _open_request(self) -> _Request:
        with self._mail:
            self._seq += 1
            request = _Request(self._seq)
            self._requests[request.id] = request
            return request

    def _close_request(self, request: _Request, kill: Callable[[int], None]) -> None:
        """Stop filing messages for `request` and kill its child, now or when it starts."""
        with self._mail:
            if request.pid is None and not request.refused and self._lost is None:
                request.kill = kill  # given up before the server answered
            else:
                self._requests.pop(request.id, None)
        if request.pid is not None:
            kill(request.pid)

    def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode() + b"\n"
        with self._send_lock:  # close() takes it too: the socket stays open while we send
            sock = self.sock
            if sock is None or self._lost is not None:
                raise Lost(self._lost or "fork server is not running")
            try:
                # a line cut by Ctrl-C would garble the next request of every thread
                with procgroup.interrupts_deferred():
                    sock.sendall(data)
            except OSError as exc:
                raise Lost(f"fork server is gone ({exc})") from None

    def _receive(self, deadline: float, request: _Request) -> dict[str, Any]:
        """The next message for `request`, read by this thread or filed by another.

        Raises TimeoutError at the deadline, Lost when the server is gone.
        """
        while True:
            reader = False
            try:
                with self._mail:
                    if request.messages:
                        return request.messages.pop(0)
                    if self._lost is not None:
                        raise Lost(self._lost)
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError
                    if self._reading:
                        # woken when the reader files a message or stops reading;
                        # the bound is a safety net for a notification lost to a signal
                        self._mail.wait(min(left, _WAIT_SLICE))
                        continue
                    self._reading = reader = True
                self._read(left)
            finally:
                if reader:  # first, with no call before it: a signal cannot skip it
                    self._reading = False
                    with self._mail:
                        self._mail.notify_all()

    def _read(self, timeout: float) -> None:
        """Read what the server sent within `timeout` and file it (one thread at a time)."""
        sock = self.sock
        if sock is None:
            self._fail("fork server is not running")
            return
        try:
            readable, _, _ = select.select([sock], [], [], timeout)
        except (OSError, ValueError) as exc:  # closed meanwhile
            self._fail(f"fork server is gone ({exc})")
            return
        if not readable:
            return
        # what is read must reach its mailboxes: a Ctrl-C in between would lose
        # another play's message; it is raised once the messages are filed
        with procgroup.interrupts_deferred():
            try:
                data = sock.recv(65536)
            except OSError as exc:
                self._fail(f"fork server is gone ({exc})")
                return
            self._buffer += data
            *lines, self._buffer = self._buffer.split(b"\n")
            for line in lines:
                self._file(line)
        if not data:
            self._fail("fork server exited" + self._exit_status())

    def _exit_status(self) -> str:
        proc = self.proc
        if proc is None:
            return ""
        try:
            return f" with status {proc.wait(timeout=2)}"
        except subprocess.TimeoutExpired:
            return ""

    def _file(self, line: bytes) -> None:
        """Put one message in its request's mailbox; drop it when nobody waits for it."""
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            self._fail(f"fork server said something unexpected: {line[:200]!r}")
            return
        kill: Callable[[int], None] | None = None
        with self._mail:
            request = self._requests.get(message.get("id"))
            if request is None:
                return  # its play ended without it (Ctrl-C, timeout): stale
            if "started" in message:
                request.pid = int(message["started"])
            if "refused" in message:
                request.refused = True
            if request.kill is None:
                request.messages.append(message)
                self._mail.notify_all()
                return
            if request.pid is not None or request.refused:  # an abandoned play is answered
                del self._requests[request.id]
                kill = request.kill
        if kill is not None and request.pid is not None:
            kill(request.pid)

    def _fail(self, why: str) -> None:
        """The server is gone: every play waiting now or later gets Lost(why)."""
        with self._mail:
            if self._lost is None:
                self._lost = why
            self._mail.notify_all()


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


def _child(request: dict[str, Any], server: int, ready_fd: int,
           inherited: Sequence[int]) -> None:
    """In the forked child: never returns."""
    code = EXIT_CRASHED
    try:
        # the server's SIGCHLD wake-up is not the player's
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()
        procgroup.die_with(server)
        for fd in inherited:  # the runner's socket, the wake-up pipe
            os.close(fd)
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
                           heartbeat=request.get("heartbeat"),
                           **({"pictures": request["pictures"]} if "pictures" in request else {}))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_CRASHED
    except BaseException:
        traceback.print_exc()
        code = EXIT_CRASHED
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _fork_player(request: dict[str, Any], inherited: Sequence[int]) -> int:
    ready_r, ready_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    server = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        _child(request, server, ready_w, inherited)
    os.close(ready_w)
    try:
        os.read(ready_r, 1)  # b"" if the child died first: its pid is still waitable
    finally:
        os.close(ready_r)
    return pid


def _child_exits() -> tuple[int, int]:
    """A pipe that becomes readable when a child exits (SIGCHLD): (read end, write end)."""
    read_end, write_end = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    # a Python handler, or the signal would not reach the wake-up fd; it does
    # nothing: the serve loop reaps after every wake-up
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    return read_end, write_end


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def _reap(children: dict[int, Any]) -> list[tuple[Any, int, int]]:
    """(request id, pid, status) of each child that has exited, without blocking."""
    ended = []
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        request_id = children.pop(pid, None)
        if request_id is not None:
            ended.append((request_id, pid, os.waitstatus_to_exitcode(status)))
    return ended


def serve(channel: int, runner: int | None = None) -> int:
    """Serve the runner at the other end of `channel` (the runner's pid: `runner`)."""
    runner = os.getppid() if runner is None else runner
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
    exits = _child_exits()
    send({"ready": True, "pid": os.getpid()})
    children: dict[int, Any] = {}  # pid -> the id of the request it plays
    try:
        _serve_requests(sock, send, exits, children, runner)
    finally:
        for pid in children:  # the runner is gone, and so are its plays
            procgroup.kill_group(pid)
    return 0


def _serve_requests(sock: socket.socket, send: Callable[[dict[str, Any]], None],
                    exits: tuple[int, int], children: dict[int, Any], runner: int) -> None:
    """Fork a child per request and report how each ends, many at once, until
    the runner closes its end or dies. Single-threaded: forking stays safe."""
    inherited = (sock.fileno(), *exits)  # closed in each child
    buffer = b""
    while True:
        # a child's exit wakes the select through `exits`
        readable, _, _ = select.select([sock, exits[0]], [], [], _WATCH_INTERVAL)
        if os.getppid() != runner:
            return  # the runner died, and a copy of it holds its end of the socket
        _drain(exits[0])
        for request_id, pid, status in _reap(children):
            send({"id": request_id, "exited": pid, "status": status})
        if sock not in readable:
            continue
        data = sock.recv(65536)
        if not data:
            return  # the runner closed its end
        # a recv may end inside a line, or hold several
        *lines, buffer = (buffer + data).split(b"\n")
        for line in lines:
            if line.strip():
                _start_play(json.loads(line), send, inherited, children)


def _start_play(request: dict[str, Any], send: Callable[[dict[str, Any]], None],
                inherited: Sequence[int], children: dict[int, Any]) -> None:
    problem = _threads_problem()
    if problem:
        send({"id": request["id"], "refused": problem})
        return
    pid = _fork_player(request, inherited)
    children[pid] = request["id"]
    send({"id": request["id"], "started": pid})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytest_pyglet_media.play.forkserver")
    parser.add_argument("--fd", type=int, required=True,
                        help="this end of the runner's socketpair")
    parser.add_argument("--runner", type=int,
                        help="the runner's pid: the server exits when it dies (default: parent)")
    args = parser.parse_args(argv)
    try:
        return serve(args.fd, args.runner)
    except (BrokenPipeError, ConnectionResetError):
        return 0  # the runner went away


if __name__ == "__main__":
    sys.exit(main())
