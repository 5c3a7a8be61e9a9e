"""When the player waited for a CPU during its play (child side): the mp.wait events.

The kernel counts, per thread, the time it sat on the run queue, ready but
not running (`/proc/<pid>/task/<tid>/schedstat`, its second field, in ns).
`/proc/thread-self/schedstat` counts the calling thread only; a play also
runs pyglet's audio thread and FFmpeg's decoding threads, and a late frame
may come from any of them, so every thread of the player is summed, and,
with PulseAudio, every thread of the sound server it plays to.

Sampled every SAMPLE_INTERVAL on pyglet's clock (a starved main thread
samples late, but the interval then stretches with it: the wait is still
placed in the right stretch of the play). A stretch that waited at least
MIN_LOGGED_WAIT is recorded as ("mp.wait", from, until, seconds), wall
times of the recording; the last stretch is always recorded at the end of
play, so a recording of this player always holds at least one mp.wait and
the judge knows it may blame per defect (judge/blame.py).

Linux only (other platforms offer no per-thread wait): nothing is recorded
there, and the judge keeps its whole-play rule. Imports no pyglet itself.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Mapping

#: seconds between two samples: a few frame intervals at 25-60 fps, and cheap
#: (a player has ~10-20 threads: ~0.1 ms a sample, 0.2 % of a CPU)
SAMPLE_INTERVAL = 0.05
#: a stretch that waited less is not recorded (an idle machine makes a
#: player's threads wait ~0.1 % of the time: 0.05 ms a stretch)
MIN_LOGGED_WAIT = 0.001


class _Threads:
    """The schedstat files of a process's threads, kept open between samples
    (opening them is most of a sample's cost: ~0.4 ms for 20 threads, ~0.1 ms
    read through open descriptors)."""

    def __init__(self, pid: str) -> None:
        self.folder = f"/proc/{pid}/task"
        self.pid = pid
        self.fds: dict[str, int] = {}

    def waits(self) -> dict[str, int]:
        """Run-queue wait (ns) of each thread now, keyed "pid/tid"."""
        try:
            tids = set(os.listdir(self.folder))
        except OSError:
            tids = set()
        for tid in set(self.fds) - tids:  # ended
            os.close(self.fds.pop(tid))
        waits: dict[str, int] = {}
        for tid in tids:
            fd = self.fds.get(tid)
            try:
                if fd is None:
                    fd = self.fds[tid] = os.open(f"{self.folder}/{tid}/schedstat", os.O_RDONLY)
                waits[f"{self.pid}/{tid}"] = int(os.pread(fd, 128, 0).split()[1])
            except (OSError, ValueError, IndexError):
                continue  # the thread ended meanwhile
        return waits


def sound_server_pid(environ: Mapping[str, str]) -> int | None:
    """The PulseAudio server's pid, from the pid file beside its socket
    (PULSE_SERVER's unix: path, as the run's private server is given to
    players, else the user's XDG_RUNTIME_DIR/pulse); None when not known."""
    sockets = [part[len("unix:"):] for part in environ.get("PULSE_SERVER", "").split()
               if part.startswith("unix:")]
    if not sockets and environ.get("XDG_RUNTIME_DIR"):
        sockets = [os.path.join(environ["XDG_RUNTIME_DIR"], "pulse", "native")]
    for socket in sockets:
        try:
            pid = int((Path(socket).parent / "pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        if os.path.isdir(f"/proc/{pid}/task"):
            return pid
    return None


class WaitSampler:
    """The waits of this process (and of a sound server) since the last sample."""

    def __init__(self, server_pid: int | None = None) -> None:
        self.available = os.path.isdir("/proc/self/task")
        self._processes = [_Threads(pid) for pid in
                           ["self"] + ([str(server_pid)] if server_pid else [])]
        self._last = self._read()

    def _read(self) -> dict[str, int]:
        waits: dict[str, int] = {}
        if self.available:
            for process in self._processes:
                waits.update(process.waits())
        return waits

    def waited(self) -> float:
        """Seconds all the threads waited since the previous call. A thread
        born meanwhile counts whole; one that ended loses its last stretch."""
        now = self._read()
        last = self._last
        self._last = now
        return sum(max(0, ns - last.get(tid, 0)) for tid, ns in now.items()) / 1e9


def start(pyglet: Any, logger: Any, server_pid: int | None = None) -> Callable[[], None]:
    """Sample the waits on pyglet's clock into `logger` from the start of play;
    returns what to call at the end of play (records the last stretch)."""
    sampler = WaitSampler(server_pid)
    if not sampler.available:
        return lambda: None
    since: list[float | None] = [None]  # wall time of the previous sample

    def sample(final: bool = False) -> None:
        if logger.start_wall_time is None:  # not playing yet: start afresh then
            sampler.waited()
            return
        now = logger.rebased_wall_time()
        began = 0.0 if since[0] is None else since[0]
        wait = sampler.waited()
        since[0] = now
        if final or wait >= MIN_LOGGED_WAIT:
            logger.log_entries.append(("mp.wait", began, now, wait))

    pyglet.clock.schedule_interval(lambda dt: sample(), SAMPLE_INTERVAL)
    return lambda: sample(final=True)
