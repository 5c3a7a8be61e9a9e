"""Throughput: a corpus played one sample after another vs at the default concurrency.

    python benchmarks/bench_throughput.py [--corpus DIR] [--spawn fork|fresh] [--repeats 1]
                                          [--interval 0.1] [--timeout 1800] [--keep DIR]

Without `--corpus` it plays the throughput corpus (throughput_corpus.py: 39
samples, 101 s of media, H.264 up to 1920x1080 among other formats, one
defective and two broken samples), built
with FFmpeg into benchmarks/.cache/ at the first run. The samples are copied
into a temporary folder, then played there twice in one run, each time in a
fresh session, by `python -m pytest -p no:cacheprovider -p no:xdist
--mp-samples-dir=COPY --mp-spawn=SPAWN --mp-plots=none --junitxml=...`:

  (a) serial: `--mp-session=serial --mp-players=1`, one play after another;
  (b) default: `--mp-session=default`, as many players at once as the plugin
      decides (--mp-players=auto).

`--repeats N` plays (a) then (b) N times, alternating. For each run:

- wall time of the pytest subprocess (collection, session creation and
  reports included);
- CPU time of the whole run: the getrusage(RUSAGE_CHILDREN) delta around the
  subprocess, user + system: pytest and every descendant reaped by it or by
  a descendant (players, the fork server, ffprobe);
- every --interval s (0.1), from a thread at nice 19, the sum of the PSS
  (/proc/PID/smaps_rollup) of pytest and all its descendants (found each
  time through the ppid of /proc/*/stat), and the number of players alive:
  descendants running `-m pytest_pyglet_media.play.player` (a fresh interpreter;
  not its `--info` call, nor a player's child that has not exec'd yet), plus
  the children of the fork server (the process running
  `-m pytest_pyglet_media.play.forkserver` whose parent does not; its forked
  children keep its command line). Not counted: pytest, the fork server,
  ffprobe. The peaks of both are reported; a peak shorter than the
  sampling interval can be missed.

From the recordings of (b) (`<session>/dbg/<sample>.dbg`): each sample's
duration (`mp.src`, else the end of play `mp.end`) and its player's main
thread CPU (`mp.cpu`). The best (b) can do is the limit

    max(longest sample, sum of durations / players at once (peak of b),
        sum of player CPU / cores)            cores: len(os.sched_getaffinity(0))

Printed: both wall times and their ratio (target <= 0.25), the limit and
(b)'s wall time over it (target <= 1.5), the peak PSS of each run, the
memory per extra player at once ((peak b - peak a) / (peak players b - 1)),
whether both runs gave each sample the same verdict (junit `mp_verdict`) and
how many were judged overloaded or retried (`mp_attempts` > 1). Exit status
0 whatever the numbers, 2 when a run produced no results: this measures, the
tests judge correctness. No pyglet import in this process.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # mp_support: the tests' junit reader

import throughput_corpus  # noqa: E402  (beside this file)
from mp_support.junit import cases as read_junit_cases  # noqa: E402

from pytest_pyglet_media.core.names import (
    BUNDLE_SUFFIX,
    EXCLUDED_EXTENSIONS,
    MANIFEST_NAME,
    fit_file_name,
)
from pytest_pyglet_media.store import recording  # noqa: E402  (no pyglet)

TARGET_SERIAL_RATIO = 0.25
TARGET_LIMIT_RATIO = 1.5
PLAYER_MODULE = b"pytest_pyglet_media.play.player"
FORKSERVER_MODULE = b"pytest_pyglet_media.play.forkserver"
#: seconds to let pytest stop its players after SIGINT before it is killed
STOP_GRACE_S = 30.0
#: the memory sampler's thread's niceness (Linux: per thread)
NICE = 19


def clean_env() -> dict[str, str]:
    """This benchmark's runs must not inherit an outer pytest's settings; they
    import the plugin of this checkout."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("PYTEST_") or k in ("DISPLAY", "WAYLAND_DISPLAY"))}
    env.pop("PYTEST_MP_SAMPLES_DIR", None)
    env.pop("pyglet_mp_samples_dir", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def is_sample(path: Path) -> bool:
    name = path.name
    return (path.is_file() and not name.startswith(".") and name != MANIFEST_NAME
            and not name.endswith(BUNDLE_SUFFIX) and path.suffix.lower() not in EXCLUDED_EXTENSIONS)


def copy_samples(corpus: Path, dest: Path) -> list[str]:
    """Copy the samples (no manifest, no sessions) of `corpus` into `dest`."""
    dest.mkdir(parents=True)
    names = sorted(p.name for p in corpus.iterdir() if is_sample(p))
    for name in names:
        shutil.copy2(corpus / name, dest / name)
    return names


# -- the process tree ------------------------------------------------------------


def _parents() -> dict[int, int]:
    """pid -> ppid of every process."""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses
        found[int(name)] = int(stat[stat.rindex(b")") + 2:].split(None, 2)[1])
    return found


def _descendants(root: int, parents: dict[int, int]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0  # gone, or a zombie


def _argv(pid: int) -> list[bytes]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def count_players(tree: list[int], parents: dict[int, int]) -> int:
    """Players alive among `tree` (see the module docstring)."""
    argvs = {pid: _argv(pid) for pid in tree}

    def runs(pid: int, module: bytes) -> bool:
        return module in argvs.get(pid, ())

    def fresh_player(pid: int) -> bool:
        # a child of a player that has not yet exec'd (ctypes.util.find_library
        # runs ldconfig) still shows its parent's command line: not a player
        return (runs(pid, PLAYER_MODULE) and b"--info" not in argvs[pid]
                and not runs(parents.get(pid, 0), PLAYER_MODULE))

    servers = {pid for pid in tree
               if runs(pid, FORKSERVER_MODULE) and not runs(parents.get(pid, 0), FORKSERVER_MODULE)}
    return sum(1 for pid in tree if fresh_player(pid)
               or (parents.get(pid) in servers and runs(pid, FORKSERVER_MODULE)))


@dataclass
class Sampler:
    """Samples the memory and the players of a process tree in a thread."""

    root: int
    interval: float = 0.1
    peak_pss_kib: int = 0
    peak_players: int = 0
    peak_processes: int = 0
    samples: int = 0
    cpu_s: float = 0.0  # this thread's own CPU time
    #: seconds from the start to the first and the last sample seeing a player
    first_player_s: float | None = None
    last_player_s: float | None = None
    #: players alive x seconds, summed over the samples (each counts until the next)
    player_seconds: float = 0.0
    #: (seconds from the start, players, PSS in KiB) of every sample
    trace: list[tuple[float, int, int]] = field(default_factory=list)
    _started: float = field(default_factory=time.monotonic)
    _last: tuple[float, int] | None = None  # (time, players) of the previous sample
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> "Sampler":
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        # reading smaps_rollup walks each process's page tables: ~2 ms for a
        # player, in this thread's CPU time; at nice 19 it yields to the run
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
        except (AttributeError, OSError):
            pass
        start = time.thread_time()
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)
        self.cpu_s = time.thread_time() - start

    def sample(self) -> None:
        parents = _parents()
        if self.root not in parents:
            return
        tree = _descendants(self.root, parents)
        players = count_players(tree, parents)
        now = time.monotonic() - self._started
        pss = sum(_pss_kib(pid) for pid in tree)
        self.samples += 1
        self.trace.append((now, players, pss))
        self.peak_pss_kib = max(self.peak_pss_kib, pss)
        self.peak_players = max(self.peak_players, players)
        self.peak_processes = max(self.peak_processes, len(tree))
        if self._last is not None:
            self.player_seconds += self._last[1] * (now - self._last[0])
        self._last = (now, players)
        if players:
            if self.first_player_s is None:
                self.first_player_s = now
            self.last_player_s = now

    @property
    def mean_players(self) -> float | None:
        """Players alive on average between the first and the last seen."""
        if self.first_player_s is None or self.last_player_s is None \
                or self.last_player_s <= self.first_player_s:
            return None
        return self.player_seconds / (self.last_player_s - self.first_player_s)


# -- one run -------------------------------------------------------------------------


@dataclass
class Run:
    label: str
    wall_s: float
    cpu_s: float  # pytest + its reaped descendants, user + system
    returncode: int
    sampler: Sampler
    cases: dict[str, dict[str, str]]
    dbg_dir: Path
    output_tail: str

    @property
    def ok(self) -> bool:
        return self.returncode in (0, 1) and bool(self.cases)

    def verdict(self, sample: str) -> str:
        return self.cases.get(sample, {}).get("mp_verdict", "?")

    def attempts(self, sample: str) -> int:
        try:
            return int(self.cases.get(sample, {}).get("mp_attempts", "1"))
        except ValueError:
            return 1


def junit_cases(path: Path) -> dict[str, dict[str, str]]:
    """testcase name (the sample) -> its facts, as the tests read them
    (tests/mp_support/junit.py: xunit1 and xunit2 alike); {} without a file."""
    try:
        return read_junit_cases(path)
    except (OSError, ET.ParseError):
        return {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_pytest(samples_dir: Path, workdir: Path, session: str, spawn: str,
               players: int | None, timeout: float, interval: float) -> Run:
    junit = workdir / f"{session}.xml"
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q",
            f"--mp-samples-dir={samples_dir}", f"--mp-session={session}",
            f"--mp-spawn={spawn}", "--mp-plots=none", f"--junitxml={junit}"]
    if players is not None:
        argv.append(f"--mp-players={players}")
    log = workdir / f"{session}.log"
    cpu_before = _children_cpu()
    start = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=workdir, env=clean_env(), stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT)
        sampler = Sampler(proc.pid, interval).start()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            print(f"  {session}: still running after {timeout:.0f} s: interrupted")
            proc.send_signal(signal.SIGINT)  # pytest stops its players itself
            try:
                proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            wall = time.monotonic() - start
            sampler.stop()
    cpu = _children_cpu() - cpu_before
    with open(workdir / f"{session}.samples.csv", "w") as f:
        f.write("seconds,players,pss_kib\n")
        f.writelines(f"{t:.3f},{n},{kib}\n" for t, n, kib in sampler.trace)
    tail = log.read_bytes()[-3000:].decode("utf-8", "replace")
    return Run(session, wall, cpu, proc.returncode, sampler, junit_cases(junit),
               samples_dir / session / "dbg", tail)


# -- the recordings ----------------------------------------------------------------


@dataclass
class Play:
    duration: float | None  # seconds of media (mp.src, else mp.end)
    cpu: float | None  # the player's main thread, seconds (mp.cpu)
    waited: float | None  # seconds its main thread waited for a CPU (mp.cpu)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def read_play(path: Path) -> Play | None:
    try:
        events = recording.load(path)
    except Exception:
        return None
    duration = end = cpu = waited = None
    for event in events:
        if not isinstance(event, (tuple, list)) or not event:
            continue
        name = event[0]
        if name == "mp.src" and len(event) > 1 and _number(event[1]) and event[1] > 0:
            duration = float(event[1])
        elif name == "mp.end" and len(event) > 1 and _number(event[1]):
            end = float(event[1])
        elif name == "mp.cpu" and len(event) > 2:
            cpu = float(event[1]) if _number(event[1]) else None
            waited = float(event[2]) if _number(event[2]) else None
    return Play(duration if duration is not None else end, cpu, waited)


def recording_path(run: Run, sample: str) -> Path:
    rec = run.cases.get(sample, {}).get("mp_recording")
    return Path(rec) if rec else run.dbg_dir / fit_file_name(sample, ".dbg")


@dataclass
class Limit:
    plays: dict[str, Play | None]
    longest: float
    total_duration: float
    total_cpu: float
    players: int
    cores: int

    @property
    def by_duration(self) -> float:
        return self.total_duration / max(1, self.players)

    @property
    def by_cpu(self) -> float:
        return self.total_cpu / self.cores

    @property
    def seconds(self) -> float:
        return max(self.longest, self.by_duration, self.by_cpu)


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def limit_of(run: Run, samples: list[str]) -> Limit:
    plays = {s: read_play(recording_path(run, s)) for s in samples}
    durations = [p.duration for p in plays.values() if p and p.duration is not None]
    return Limit(plays, max(durations, default=0.0), sum(durations),
                 sum(p.cpu for p in plays.values() if p and p.cpu is not None),
                 run.sampler.peak_players, cores())


# -- printing --------------------------------------------------------------------------


def mib(kib: int) -> float:
    return kib / 1024


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def describe(run: Run, how: str) -> str:
    s = run.sampler
    return (f"  {run.label:<10} {how:<18}: wall {run.wall_s:7.2f} s, CPU {run.cpu_s:7.2f} s, "
            f"peak PSS {mib(s.peak_pss_kib):7.1f} MiB, peak players {s.peak_players:2d} "
            f"(processes {s.peak_processes}), exit {run.returncode}")


def print_table(serial: Run, default: Run, limit: Limit, samples: list[str]) -> None:
    print(f"\n{'sample':<36}{'duration':>9}{'cpu':>7}{'waited':>8}  verdict serial / default"
          "  (cpu, waited: the default run's player, main thread)")
    for sample in samples:
        play = limit.plays.get(sample)

        def num(value: float | None, width: int) -> str:
            return f"{value:>{width}.2f}" if value is not None else f"{'-':>{width}}"

        tries = [f"{r.label} x{r.attempts(sample)}" for r in (serial, default)
                 if r.attempts(sample) > 1]
        print(f"{sample:<36}{num(play.duration if play else None, 9)}"
              f"{num(play.cpu if play else None, 7)}{num(play.waited if play else None, 8)}  "
              f"{serial.verdict(sample)} / {default.verdict(sample)}"
              + (f"  (attempts: {', '.join(tries)})" if tries else ""))


def print_pair(serial: Run, default: Run, limit: Limit, samples: list[str]) -> dict[str, float]:
    ratio = default.wall_s / serial.wall_s
    over_limit = default.wall_s / limit.seconds if limit.seconds else float("nan")
    recorded = sum(1 for p in limit.plays.values() if p and p.duration is not None)
    print(f"\nfrom the recordings of the default run ({recorded} of {len(samples)} samples):")
    print(f"  longest sample                  : {limit.longest:7.2f} s")
    print(f"  sum of durations                : {limit.total_duration:7.2f} s  "
          f"/ {limit.players} players at once (peak) = {limit.by_duration:.2f} s")
    print(f"  sum of player main-thread CPU   : {limit.total_cpu:7.2f} s  "
          f"/ {limit.cores} cores = {limit.by_cpu:.2f} s")
    print(f"  CPU of the whole run (getrusage): {default.cpu_s:7.2f} s  "
          f"/ {limit.cores} cores = {default.cpu_s / limit.cores:.2f} s (not in the limit; "
          f"serial run: {serial.cpu_s:.2f} s)")
    print(f"  limit = max of the three        : {limit.seconds:7.2f} s")
    b = default.sampler
    if b.first_player_s is not None and b.last_player_s is not None:
        mean = b.mean_players
        print(f"  players alive (sampled)         : from {b.first_player_s:.2f} s to "
              f"{b.last_player_s:.2f} s of the run's {default.wall_s:.2f} s"
              + (f", {mean:.1f} at once on average" if mean is not None else ""))
    print("\nwall times:")
    print(f"  serial {serial.wall_s:.2f} s, default {default.wall_s:.2f} s")
    print(f"  ratio default / serial          : {ratio:5.2f}   target <= {TARGET_SERIAL_RATIO:.2f}"
          f" -> {met(ratio <= TARGET_SERIAL_RATIO)}")
    print(f"  ratio default / limit           : {over_limit:5.2f}   target <= "
          f"{TARGET_LIMIT_RATIO:.2f} -> {met(over_limit <= TARGET_LIMIT_RATIO)}")
    a = serial.sampler
    print("\nmemory (sum of PSS of pytest and its descendants, peak):")
    print(f"  serial {mib(a.peak_pss_kib):.1f} MiB, default {mib(b.peak_pss_kib):.1f} MiB")
    if b.peak_players > 1:
        per = mib(b.peak_pss_kib - a.peak_pss_kib) / (b.peak_players - 1)
        print(f"  per extra player at once        : {per:.1f} MiB "
              f"(({mib(b.peak_pss_kib):.1f} - {mib(a.peak_pss_kib):.1f}) / "
              f"({b.peak_players} - 1))")
    else:
        per = float("nan")
        print("  per extra player at once        : - (the default run never had two players)")
    differing = [s for s in samples if serial.verdict(s) != default.verdict(s)]
    print("\nverdicts:")
    if differing:
        print(f"  differing in {len(differing)} of {len(samples)} samples: " + ", ".join(
            f"{s} ({serial.verdict(s)} / {default.verdict(s)})" for s in differing))
    else:
        print(f"  the same in both runs for all {len(samples)} samples")
    for run in (serial, default):
        overloaded = sum(1 for s in samples if run.verdict(s) == "overloaded")
        retried = [run.attempts(s) for s in samples if run.attempts(s) > 1]
        print(f"  {run.label:<10}: {overloaded} judged overloaded, {len(retried)} retried "
              f"({sum(retried) - len(retried)} extra plays); verdicts: "
              + ", ".join(f"{v} {n}" for v, n in sorted(_counts(run, samples).items())))
    return {"ratio": ratio, "over_limit": over_limit, "per_player_mib": per}


def _counts(run: Run, samples: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sample in samples:
        counts[run.verdict(sample)] = counts.get(run.verdict(sample), 0) + 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--corpus", type=Path,
                        help="samples folder (default: the throughput corpus, built and "
                             "cached in benchmarks/.cache/)")
    parser.add_argument("--spawn", choices=("fork", "fresh"), default="fork",
                        help="the plugin's --mp-spawn, for both runs (default fork)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="play serial then default this many times (default 1)")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="seconds one pytest run may take before it is stopped")
    parser.add_argument("--interval", type=float, default=0.1,
                        help="seconds between two looks at the processes (default 0.1)")
    parser.add_argument("--keep", type=Path,
                        help="work in this (new) folder and keep it: the samples and their "
                             "sessions, each run's junit XML, output (SESSION.log) and sampler "
                             "trace (SESSION.samples.csv: seconds, players, PSS KiB)")
    args = parser.parse_args(argv)

    began = time.monotonic()
    if args.corpus:
        corpus = args.corpus.resolve()
    else:
        corpus = throughput_corpus.ensure(log=lambda line: print(line, flush=True))
    if args.keep:
        args.keep.mkdir(parents=True)
        workdir = args.keep.resolve()
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench_throughput_")
        workdir = Path(tmp.name)
    samples = copy_samples(corpus, workdir / "samples")
    if not samples:
        print(f"no samples in {corpus}")
        return 2
    print(f"corpus: {corpus} ({len(samples)} samples); python {sys.version.split()[0]}; "
          f"cores {cores()} (nproc {os.cpu_count()}); --mp-spawn={args.spawn}", flush=True)

    pairs: list[tuple[Run, Run]] = []
    for i in range(max(1, args.repeats)):
        suffix = f"-{i + 1}" if i else ""
        runs = []
        for label, players, how in (("serial", 1, "--mp-players=1"),
                                    ("default", None, "(--mp-players=auto)")):
            run = run_pytest(workdir / "samples", workdir, label + suffix, args.spawn,
                             players, args.timeout, args.interval)
            print(describe(run, how), flush=True)
            if not run.ok:
                print(f"the {run.label} run produced no results (exit {run.returncode}); "
                      f"its output ends with:\n{run.output_tail}")
                return 2
            runs.append(run)
        pairs.append((runs[0], runs[1]))
        missing = [s for s in samples if s not in runs[0].cases or s not in runs[1].cases]
        if missing:
            print(f"  no junit row for: {', '.join(missing)}")

    serial, default = pairs[-1]
    last_limit = limit_of(default, samples)
    if not any(p and p.duration is not None for p in last_limit.plays.values()):
        print(f"the {default.label} run left no readable recording in {default.dbg_dir}")
        return 2
    print_table(serial, default, last_limit, samples)
    results = []
    for n, (serial, default) in enumerate(pairs, 1):
        if len(pairs) > 1:
            print(f"\n=== repeat {n} of {len(pairs)}")
        results.append(print_pair(serial, default, limit_of(default, samples), samples))
    if len(pairs) > 1:
        print(f"\nmedian over {len(pairs)} repeats: default / serial "
              f"{statistics.median(r['ratio'] for r in results):.2f}, default / limit "
              f"{statistics.median(r['over_limit'] for r in results):.2f}")
    print(f"\nsampler (every {args.interval:g} s, nice {NICE}, in this process): " + "; ".join(
        f"{r.label} {r.sampler.samples} samples, {r.sampler.cpu_s:.2f} s CPU"
        for pair in pairs for r in pair))
    print(f"benchmark took {time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
