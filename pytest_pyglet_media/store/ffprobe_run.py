"""One ffprobe run with every cost bounded: its time, its output, its leftovers.

ffprobe is another program reading a file someone gave us: it may hang (a
broken binary, a file that makes it loop), answer without end (a packet list
of millions of lines), or start children. So a run here

- has a deadline for everything, the reading of its answer included; past
  it the run is `ProbeHung`;
- reads at most `max_bytes` of its answer, in chunks handed to the caller
  as they come (a parser keeps what it needs, not the text);
- runs in a process group of its own, killed whole when the run ends,
  however it ends: nothing it started outlives it;
- runs as an idle task (SCHED_IDLE and nice 19), so that probing the
  next samples never makes a playing player wait for a CPU (plays at
  once, ahead.py). At nice 10, a first run of a corpus (every file probed,
  its kept frames decoded: 7 s of FFmpeg CPU for 36 samples) made 1080p
  plays beside it wait up to 2 s for a CPU and be played again.

No pyglet, no pytest.
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

from ..core.errors import ProbeFailed, ProbeUnavailable

#: ffprobe's message, kept for the error
MAX_MESSAGE_CHARS = 500
#: what is read of ffprobe's stderr (its last line is the message)
_STDERR_TAIL = 64 * 1024
_CHUNK = 64 * 1024


class ProbeHung(ProbeFailed):
    """ffprobe did not finish in its time: it was killed, with its whole group."""


class ProbeKilled(ProbeFailed):
    """ffprobe was killed by a signal (out of memory, a user): not the file's fault."""


def yield_to_players() -> None:
    """In an FFmpeg tool's child, before exec (see the module's docstring):
    Linux's SCHED_IDLE runs it only on a CPU no other task wants, so a
    player that wakes takes the CPU at once; nice 19 elsewhere (and beside
    it, so that /proc/stat counts its time as niced)."""
    os.nice(19)
    idle = getattr(os, "SCHED_IDLE", None)
    if idle is not None:
        try:
            os.sched_setscheduler(0, idle, os.sched_param(0))
        except OSError:
            pass  # not allowed here: nice 19 alone


def _kill_group(pgid: int) -> None:
    if not hasattr(os, "killpg"):  # not POSIX: no groups to kill
        return
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone already


def run(command: list[str], sample: Path, *, timeout: float, max_bytes: int,
        on_chunk: Callable[[bytes], None] | None = None) -> bytes:
    """ffprobe's answer (stdout) to `command`, or ProbeFailed naming `sample`.

    With `on_chunk`, each chunk of the answer goes there as it arrives and
    b"" is returned; `on_chunk` may raise ProbeFailed to stop the run.
    Raises ProbeHung past `timeout`, ProbeFailed when the answer exceeds
    `max_bytes` or ffprobe fails (its last line of stderr says why),
    ProbeUnavailable when it cannot be started.
    """
    deadline = time.monotonic() + max(0.0, timeout)
    with tempfile.TemporaryFile() as stderr:
        try:
            proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr,
                start_new_session=True,
                preexec_fn=yield_to_players if os.name == "posix" else None)
        except OSError as exc:  # vanished between which() and run(), not executable...
            raise ProbeUnavailable(f"ffprobe cannot run: {exc}") from None
        try:
            answer = _read(proc, sample, deadline, timeout, max_bytes, on_chunk)
            _await_exit(proc, sample, deadline, timeout)
        finally:
            # whatever happened, nothing of this run plays on: the group is
            # ours (a new session), killed while its leader is not yet
            # reaped, so that its id cannot be another's
            _kill_group(proc.pid)
            proc.stdout.close()  # type: ignore[union-attr]
            proc.wait()
        if proc.returncode < 0:
            raise ProbeKilled(sample, f"ffprobe: {_last_line(stderr, proc.returncode)}")
        if proc.returncode != 0:
            raise ProbeFailed(sample, f"ffprobe: {_last_line(stderr, proc.returncode)}")
    return answer


def _await_exit(proc: subprocess.Popen, sample: Path, deadline: float, timeout: float) -> None:
    """Wait until ffprobe has exited, without reaping it (WNOWAIT) where
    the system allows."""
    if not hasattr(os, "waitid"):  # macOS: reaped here, the group killed after
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise ProbeHung(sample, f"ffprobe did not finish in {timeout:g} s") from None
        return
    pause = 0.001
    while not os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG):
        if time.monotonic() >= deadline:
            raise ProbeHung(sample, f"ffprobe did not finish in {timeout:g} s")
        time.sleep(pause)
        pause = min(0.05, pause * 2)


def _read(proc: subprocess.Popen, sample: Path, deadline: float, timeout: float,
          max_bytes: int, on_chunk: Callable[[bytes], None] | None) -> bytes:
    fd = proc.stdout.fileno()  # type: ignore[union-attr]
    chunks: list[bytes] = []
    total = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProbeHung(sample, f"ffprobe did not finish in {timeout:g} s")
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue  # the deadline is checked above
        data = os.read(fd, _CHUNK)
        if not data:
            return b"".join(chunks)
        total += len(data)
        if total > max_bytes:
            raise ProbeFailed(sample, f"ffprobe's answer is over {max_bytes} bytes, "
                                      "more than a test sample needs")
        if on_chunk is not None:
            on_chunk(data)
        else:
            chunks.append(data)


def _last_line(stderr, status: int) -> str:
    stderr.seek(0, os.SEEK_END)
    size = stderr.tell()
    stderr.seek(max(0, size - _STDERR_TAIL))
    message = stderr.read().decode("utf-8", "replace").strip()
    first = message.splitlines()[-1] if message else f"exit status {status}"
    return first[:MAX_MESSAGE_CHARS]
