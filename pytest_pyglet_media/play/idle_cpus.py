"""How many CPUs the machine left idle lately: the scheduler's check on its own model.

The scheduler (ahead.py) starts plays while their expected costs fit a CPU
budget; the costs are estimates, and the budget assumes the machine is ours.
Neither holds on a busy CI runner (another job takes a core) nor while the
pytest process itself judges pictures of 1080p plays: the players then wait
for a CPU, and a play judged overloaded is played again. So a play starts
only while the machine really has room for it too: the CPUs left idle over
the last WINDOW seconds, read from /proc/stat (Linux; elsewhere nothing is
known and the model alone decides).

/proc/stat counts in clock ticks (1/100 s): over 0.25 s on 2 CPUs, 50 ticks,
a resolution of 0.04 CPU, fine enough to tell a play's 0.05-0.3 CPU.
"""
from __future__ import annotations

import time
from collections import deque
from typing import Callable

#: seconds of history the idle CPUs are measured over: long enough for a few
#: dozen clock ticks, short enough to see a play end
WINDOW = 0.25
#: a shorter span than this says nothing yet (a few ticks)
MIN_SPAN = 0.08
STAT = "/proc/stat"


def read_proc_stat(path: str = STAT) -> tuple[int, int] | None:
    """(idle ticks, all ticks) of all CPUs together, or None where unreadable."""
    try:
        with open(path, "rb") as f:
            line = f.readline()
    except OSError:
        return None
    fields = line.split()
    if len(fields) < 5 or fields[0] != b"cpu":
        return None
    try:
        ticks = [int(v) for v in fields[1:]]
    except ValueError:
        return None
    # user nice system idle iowait irq softirq steal guest guest_nice: guest
    # time is counted in user time already
    counted = ticks[:8]
    idle = counted[3] + (counted[4] if len(counted) > 4 else 0)
    return idle, sum(counted)


class IdleCpus:
    """The CPUs the machine left idle over the last WINDOW seconds."""

    def __init__(self, cpus: int, read: Callable[[], tuple[int, int] | None] = read_proc_stat,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._cpus = cpus
        self._read = read
        self._clock = clock
        self._samples: deque[tuple[float, int, int]] = deque()

    def now(self) -> float | None:
        """Idle CPUs lately (0 to `cpus`), or None when not known (yet)."""
        reading = self._read()
        if reading is None:
            return None
        at = self._clock()
        self._samples.append((at, *reading))
        # keep the newest sample at least WINDOW old, to measure from
        while len(self._samples) > 2 and at - self._samples[1][0] >= WINDOW:
            self._samples.popleft()
        began, idle0, total0 = self._samples[0]
        _, idle, total = self._samples[-1]
        if at - began < MIN_SPAN or total <= total0:
            return None
        return self._cpus * max(0, idle - idle0) / (total - total0)
