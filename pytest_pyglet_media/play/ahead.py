"""Plays started ahead of their items: many samples play at once in one
pytest process, while pytest still runs one ordinary item at a time.

A play is real time and mostly idle: a corpus played one sample after
another spends most of its time waiting. When the item of sample N runs,
the plays of the samples after it are already under way, in the items'
order, as many as the CPU budget allows (costs.py): a play starts while the
expected costs of the plays running, its own included, fit `budget` CPUs,
and at most `max_players` play at once. The item then waits for its own
play; its verdict, retries, report and junit row are its own, as before.

The costs are estimates and the budget assumes the machine is ours; with
`idle` given (idle_cpus.IdleCpus), a play also starts only while the CPUs
the machine left idle lately, less the plays started meanwhile, hold its
cost: a CI runner's other job or the pytest process's own judging leaves
less room than the model thinks (a play always starts when none runs).

A play judged overloaded is played again among the others once the machine
has room: no new play starts before it, and it starts as soon as the plays
running leave its cost free in the budget. Overloaded a second time, it
waits for a calm machine: no new play starts, the others finish, and it
plays alone. The scheduler never imports
pyglet: `play(sample, cancel)` (playback.attempt, in a thread) does the work.
`cancel` is set when the play must stop (its item interrupted, the run
ending first): the runner then kills the player's process group.
"""
from __future__ import annotations

import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Generic, Iterable, TypeVar

from .idle_cpus import WINDOW as IDLE_WINDOW

#: what a play returns (playback.Attempt; any type for the tests)
T = TypeVar("T")

#: the share of the machine's CPUs the players may use together: the rest is
#: for pytest itself (probing, judging, reports) and for the system
UTILIZATION = 0.85
#: players at once per CPU, at most: memory and file handles stay bounded
#: even for a corpus of audio clips that cost almost nothing
PLAYERS_PER_CPU = 8
#: plays at once through one sound server (the run's PulseAudio: one per
#: run, shared by its xdist workers). Its mixing does not spread over the
#: machine's CPUs, so this is per server, not per CPU. Measured on 2 CPUs
#: (`bench_drivers.py --sweep 2,4,8,16`: 16 copies of a 3 s clip): with 8
#: PulseAudio plays at once no play's audio clock showed a defect; with 16,
#: 2 of 16 did (audio late or drifting), under silent and OpenAL (no shared
#: server: each player mixes in its own process) none at 16.
SOUND_SERVER_PLAYERS = 8
#: a play's start (forking or starting an interpreter, pyglet's GL context
#: and audio driver, FFmpeg opening the file) keeps a CPU busy, unlike its
#: steady state: counted as START_COST CPUs for its first
#: `Limits.start_seconds`, so that plays start one or two at a time. Measured
#: on 2 CPUs: 14 plays started together each waited 10-40 % of their play
#: for a CPU; counting half a CPU for 0.3 s still let a 1080p play be judged
#: overloaded in 1 run of 3; a whole CPU for 0.25 s, none in 7 runs.
START_COST = 1.0
#: seconds a play's start takes, forked from the fork server / a fresh interpreter.
#: Forked, it takes 0.03 s (27 ms of CPU) on an idle 2-CPU machine since the
#: fork server loads Mesa's GL driver once (0.25 s before, counted then).
#: Counted as 0.25 s it held 400 plays of a 0.4 s clip to 7 starts a
#: second (57 s for 14 s of CPU), as 0.1 s to 16 (24.5 s for 21.6 s of CPU,
#: 2.3x their limit); 0.05 s: 1.33x, with the held-out corpus's heavy plays
#: (1080p B-frames, beside a CPU hog too) no more often overloaded
#: (benchmarks/RESULTS.md).
FORKED_START_SECONDS = 0.05
FRESH_START_SECONDS = 0.5
#: a heavy play (expected cost at least HEAVY_COST: 1920x1080 at 30 fps,
#: 1280x720 at 60) starts alone: for its first HEAVY_START_SECONDS it counts the whole
#: budget, so nothing else starts beside it. Decoding its first frames keeps
#: FFmpeg's threads busy on every CPU; measured on 2 CPUs, the throughput
#: corpus's two 1920x1080 H.264 plays, started 0.05 s apart among 16, waited
#: 0.07-0.17 s for a CPU in their first 0.1 s in 1 run of 7, lost frame 2
#: there and were played again (1 or 2 replays of 5-7 s plays: the run 2x its
#: limit instead of 1.1x).
HEAVY_COST = 0.2
HEAVY_START_SECONDS = 0.3
#: after its start a heavy play counts HEAVY_WEIGHT times its cost: its cost
#: is a mean, and its frames come in bursts that need a free CPU beside the
#: other plays (a 1080p H.264 frame keeps FFmpeg busy for several ms at
#: once). Measured on 2 CPUs, the throughput corpus played in a store that
#: knew it, 12 runs each: counted once, its two 1080p plays waited 0.66 s of
#: their 5-7 s play (median) and 3 of 12 runs replayed one (a frame lost
#: mid-play: 15-17 s instead of 9.3 s); counted twice, 0.39 s and no replay
#: in 24 runs, the runs no slower (9.0-9.3 s).
HEAVY_WEIGHT = 2.0
#: the planned samples whose costs are asked ahead, and how many at once: a
#: cost may need ffprobe (~0.1 s, mostly its start-up), which would
#: otherwise start the plays one probe at a time
COSTS_AHEAD = 8
COST_THREADS = 2
#: seconds between two looks at the plays while an item waits for its own
POLL = 0.05
#: seconds the end of a run waits for a cancelled play's thread
JOIN_TIMEOUT = 30.0


def machine_cpus() -> int:
    """The CPUs this process may run on (its affinity, e.g. a CI container's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Limits:
    """How much may play at once in this process."""

    budget: float  # CPUs the running plays' expected costs may add up to
    max_players: int
    #: seconds a play counts as START_COST (0: no start phase)
    start_seconds: float = 0.0
    #: most plays at once through the run's sound server (SOUND_SERVER_PLAYERS)
    sound_server_players: int = SOUND_SERVER_PLAYERS
    #: seconds a heavy play starts alone (HEAVY_START_SECONDS; 0: it does not)
    heavy_start_seconds: float = 0.0
    #: what a heavy play counts after its start, times its cost (HEAVY_WEIGHT)
    heavy_weight: float = 1.0

    @classmethod
    def for_process(cls, players: int | None, workers: int = 1,
                    cpus: int | None = None, forked: bool = True) -> "Limits":
        """The limits of one pytest process among `workers` (xdist) sharing
        the machine; `players` (--mp-players) caps players at once in all;
        `forked`: players start from the fork server (a cheaper start)."""
        cpus = cpus or machine_cpus()
        workers = max(1, workers)
        most = players if players is not None else cpus * PLAYERS_PER_CPU
        return cls(budget=cpus * UTILIZATION / workers,
                   max_players=max(1, most // workers),
                   start_seconds=FORKED_START_SECONDS if forked else FRESH_START_SECONDS,
                   heavy_start_seconds=HEAVY_START_SECONDS, heavy_weight=HEAVY_WEIGHT,
                   # --mp-players given is the user's own measure: it wins
                   sound_server_players=max(1, (players if players is not None
                                                else SOUND_SERVER_PLAYERS) // workers))


@dataclass
class _Play(Generic[T]):
    sample: str
    cost: float
    cancel: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    began: float = field(default_factory=time.monotonic)
    result: T | None = None
    error: BaseException | None = None
    thread: threading.Thread | None = None


def _heavy(play: _Play[T]) -> bool:
    return play.cost >= HEAVY_COST


class PlayAhead(Generic[T]):
    """The plays of one pytest process (see the module docstring).

    Only the main thread calls its methods; the plays run in threads.
    """

    def __init__(self, play: Callable[[str, threading.Event], T], cost: Callable[[str], float],
                 limits: Limits, on_sound_server: Callable[[str], bool] = lambda _: False,
                 idle: Callable[[], float | None] | None = None) -> None:
        self._play = play
        #: the CPUs the machine left idle lately (None: not known)
        self._idle = idle
        self._cost = cost
        self.limits = limits
        #: whether a sample's play goes through the run's sound server
        self._on_server = on_sound_server
        self._planned: list[str] = []  # in the items' order, not started yet
        self._known: set[str] = set()
        self._plays: dict[str, _Play[T]] = {}  # started, not yet taken by their item
        self._lock = threading.Lock()
        self._costs: dict[str, Future[float]] = {}
        self._cost_pool = ThreadPoolExecutor(max_workers=COST_THREADS,
                                             thread_name_prefix="mp-cost")
        self._calm = False  # an overloaded play's retry runs: start nothing else
        #: an overloaded play's replay waits for room: nothing starts before it
        self._waiting = False
        #: the most plays that ran at once (for the benchmark and the summary)
        self.peak = 0

    # -- what to play -------------------------------------------------------

    def plan(self, samples: Iterable[str]) -> None:
        """Add samples to play ahead, in this order, after those planned."""
        for sample in samples:
            if sample not in self._known:
                self._known.add(sample)
                self._planned.append(sample)

    def cost(self, sample: str) -> float:
        """The expected cost of a play of `sample` (asked once: it may probe
        the file; the next planned samples' costs are asked meanwhile)."""
        for upcoming in [sample, *self._planned[:COSTS_AHEAD]]:
            if upcoming not in self._costs:
                self._costs[upcoming] = self._cost_pool.submit(self._cost, upcoming)
        return self._costs[sample].result()

    def began(self, sample: str) -> float | None:
        """When the play of `sample` now under way began (time.monotonic())."""
        with self._lock:
            play = self._plays.get(sample)
        return play.began if play is not None else None

    def running(self) -> list[str]:
        with self._lock:
            return [p.sample for p in self._plays.values() if not p.done.is_set()]

    def _start_ends(self, play: _Play[T]) -> float:
        """When the start phase of `play` ends (time.monotonic())."""
        seconds = self.limits.start_seconds
        if _heavy(play):
            seconds = max(seconds, self.limits.heavy_start_seconds)
        return play.began + seconds

    def _counted(self, play: _Play[T], now: float) -> float:
        """What `play` counts against the budget now: its cost, more while
        it starts (START_COST; a heavy play's start the whole budget), and a
        heavy play `heavy_weight` times its cost after."""
        if now >= self._start_ends(play):
            return play.cost * (self.limits.heavy_weight if _heavy(play) else 1.0)
        if _heavy(play) and self.limits.heavy_start_seconds:
            return max(play.cost, self.limits.budget)
        # never more than half the budget: on one CPU, plays still overlap
        return max(play.cost, min(START_COST, self.limits.budget / 2))

    def _used(self) -> tuple[int, float]:
        """Plays running, and their costs (a play starting counts more)."""
        now = time.monotonic()
        with self._lock:
            live = [p for p in self._plays.values() if not p.done.is_set()]
        return len(live), sum(self._counted(p, now) for p in live)

    def _server_full(self, sample: str) -> bool:
        """Whether `sample` plays through the sound server and it already
        has as many plays as it sustains (Limits.sound_server_players)."""
        if not self._on_server(sample):
            return False
        with self._lock:
            live = [p.sample for p in self._plays.values() if not p.done.is_set()]
        return sum(map(self._on_server, live)) >= self.limits.sound_server_players

    def fill(self) -> None:
        """Start planned plays, in order, while they fit the limits."""
        while self._planned and not self._calm and not self._waiting:
            count, used = self._used()
            sample = self._next_planned()
            if sample is None:
                return
            cost = self.cost(sample)
            if count and (count >= self.limits.max_players or used + cost > self.limits.budget
                          or not self._machine_room(cost)):
                return
            self._planned.remove(sample)
            self._start(sample, cost)

    def _next_planned(self) -> str | None:
        """The next planned sample to start: the first, unless the sound
        server holds it back; then the first of the next few that does not
        play through the server (a three-driver run's silent and OpenAL
        plays need not wait behind a PulseAudio play: it waits for a slot
        of the server, not for the CPU they would use)."""
        for sample in self._planned[:COSTS_AHEAD]:
            if not self._server_full(sample):
                return sample
        return None

    def _start(self, sample: str, cost: float) -> _Play[T]:
        play: _Play[T] = _Play(sample, cost)

        def run() -> None:
            try:
                play.result = self._play(sample, play.cancel)
            except BaseException as exc:  # handed to the item that waits for it
                play.error = exc
            finally:
                play.done.set()

        play.thread = threading.Thread(target=run, name=f"mp-play {sample}", daemon=True)
        with self._lock:
            self._plays[sample] = play
            self.peak = max(self.peak, sum(not p.done.is_set() for p in self._plays.values()))
        play.thread.start()
        return play

    # -- an item's play -----------------------------------------------------

    def take(self, sample: str) -> T:
        """The result of `sample`'s play, started now when it was not yet
        (its item's turn: it starts whatever the budget)."""
        play = self._plays.get(sample)
        if play is None:
            if sample in self._planned:
                self._planned.remove(sample)
            self._known.add(sample)
            play = self._start(sample, self.cost(sample))
        return self._wait(play)

    def replay(self, sample: str, calm: bool = False, room: bool = False) -> T:
        """Play `sample` again (a retry): at once; `room`: among the others,
        as soon as the plays running leave room for it in the budget (no
        planned play starts before it); `calm`: alone, once the plays
        running have ended, and nothing starts until it ends."""
        self._plays.pop(sample, None)
        if calm:
            self._calm = True
            try:
                while self.running():
                    time.sleep(POLL)
                return self._wait(self._start(sample, self.cost(sample)))
            finally:
                self._calm = False
        if room:
            cost = self.cost(sample)
            self._waiting = True
            try:
                while not self._room_for(cost) or self._server_full(sample):
                    time.sleep(POLL)
                play = self._start(sample, cost)
            finally:
                self._waiting = False
            return self._wait(play)
        return self._wait(self._start(sample, self.cost(sample)))

    def _room_for(self, cost: float) -> bool:
        """Whether a play of `cost` fits beside the plays running (always, alone)."""
        count, used = self._used()
        return not count or (count < self.limits.max_players
                             and used + cost <= self.limits.budget
                             and self._machine_room(cost))

    def _machine_room(self, cost: float) -> bool:
        """Whether the machine's idle CPUs lately hold `cost` beside the plays
        started in that time (their CPU is not in the measure yet)."""
        idle = self._idle() if self._idle is not None else None
        if idle is None:
            return True
        recent = time.monotonic() - IDLE_WINDOW
        with self._lock:
            starting = sum(p.cost for p in self._plays.values()
                           if not p.done.is_set() and p.began > recent)
        return idle - starting >= cost

    def _pause(self) -> float:
        """Seconds until the next look at the plays: POLL, or sooner when a
        play's start phase ends before (its START_COST frees the budget then:
        looking only every POLL held short clips to one start per look)."""
        now = time.monotonic()
        with self._lock:
            ends = [end for end in (self._start_ends(p) for p in self._plays.values()
                                    if not p.done.is_set()) if end > now]
        return min([POLL, *[end - now + 0.001 for end in ends]])

    def _wait(self, play: _Play[T]) -> T:
        try:
            while not play.done.wait(self._pause()):
                self.fill()
        except BaseException:  # Ctrl-C, pytest-timeout: stop this play now
            play.cancel.set()
            if play.thread is not None:
                play.thread.join(JOIN_TIMEOUT)
            with self._lock:
                self._plays.pop(play.sample, None)
            raise
        self.fill()
        with self._lock:
            self._plays.pop(play.sample, None)
        if play.error is not None:
            raise play.error
        assert play.result is not None
        return play.result

    # -- the end of the run -------------------------------------------------

    def shutdown(self) -> list[str]:
        """Stop every play no item took (-x, Ctrl-C, --maxfail); return their samples."""
        self._planned.clear()
        self._cost_pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            left = list(self._plays.values())
            self._plays.clear()
        for play in left:
            play.cancel.set()
        for play in left:
            if play.thread is not None:
                play.thread.join(JOIN_TIMEOUT)
        return [p.sample for p in left]
