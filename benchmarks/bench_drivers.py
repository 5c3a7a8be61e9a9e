"""Three audio drivers against one: the demo corpus under --mp-drivers vs silent alone.

    python benchmarks/bench_drivers.py [--drivers silent,openal,pulse] [--repeats 1]
                                       [--players auto] [--timeout 1800] [--keep DIR]

The demo corpus (samples.toml, built with FFmpeg into benchmarks/.cache/demo
at the first run) holds defective and broken samples beside clean ones, so
the runs meet the retry and timeout paths users meet. Its samples are copied
into a temporary folder and played there, in turn, by
`python -m pytest -p no:cacheprovider -p no:xdist --mp-samples-dir=COPY
--mp-plots=none --junitxml=...`:

  (a) one driver: `--mp-audio=silent`;
  (b) every driver: `--mp-drivers=silent,openal,pulse` (the run provides its
      PulseAudio server and OpenAL's null backend where the machine has none).

`--repeats N` plays (a) then (b) N times, alternating, so both meet the same
machine. For each run: its wall time, the CPU of pytest and everything it
started (getrusage(RUSAGE_CHILDREN) around it), and its limit: the best any
scheduler could do with its plays,

    max(the longest play, the sum of the plays' durations / 16,
        the run's measured CPU / cores)

(a play's duration from its recording's mp.src, else its mp.end; b has three
plays of each sample). Printed: both runs' wall / limit (target for b: <= 1.5),
b / a, the plays each driver retried and each driver's verdicts beside (a)'s
(junit `mp_verdict`). Exit 0 whatever the numbers; 2 when a run produced no
results. No pyglet import in this process.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from bench_throughput import (clean_env, copy_samples, cores, junit_cases,  # noqa: E402
                              read_play)

DEMO_CACHE = HERE / ".cache" / "demo"
#: the limit's share of all plays' durations: 16 plays at once
PLAYS_AT_ONCE = 16
TARGET = 1.5
STOP_GRACE_S = 30.0


def ensure_demo(folder: Path = DEMO_CACHE) -> Path:
    """The demo corpus, built once with the project's own corpus builder."""
    marker = folder / ".complete"
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "pytest_pyglet_media.cli.corpus_builder",
                        "--manifest", str(ROOT / "samples.toml"), str(folder)],
                       check=True, env=clean_env())
        marker.write_text("built\n")
    return folder


@dataclass
class Run:
    label: str
    wall_s: float
    cpu_s: float
    returncode: int
    #: junit row name (clip.mp4, or clip.mp4[pulse]) -> its facts
    cases: dict[str, dict[str, str]]
    #: every play's recording: the session's dbg/ and its groups'
    recordings: list[Path]

    def limit(self) -> tuple[float, float, float, float]:
        """(limit, longest, sum of durations / 16, CPU / cores)."""
        durations = [p.duration for p in map(read_play, self.recordings)
                     if p is not None and p.duration is not None]
        longest = max(durations, default=0.0)
        by_time = sum(durations) / PLAYS_AT_ONCE
        by_cpu = self.cpu_s / cores()
        return max(longest, by_time, by_cpu), longest, by_time, by_cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_pytest(samples: Path, workdir: Path, session: str, how: list[str],
               timeout: float) -> Run:
    junit = workdir / f"{session}.xml"
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q",
            f"--mp-samples-dir={samples}", f"--mp-session={session}", "--mp-plots=none",
            f"--junitxml={junit}", "-o", "junit_family=xunit1", *how]
    cpu_before = _children_cpu()
    start = time.monotonic()
    with open(workdir / f"{session}.log", "wb") as out:
        proc = subprocess.Popen(argv, cwd=workdir, env=clean_env(), stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    wall = time.monotonic() - start
    session_dir = samples / session
    recordings = [p for p in session_dir.glob("groups/*/dbg/*.dbg")] \
        or list(session_dir.glob("dbg/*.dbg"))
    return Run(session, wall, _children_cpu() - cpu_before, proc.returncode,
               junit_cases(junit), recordings)


def retried(run: Run) -> dict[str, int]:
    """driver ('' without --mp-drivers) -> its items played more than once."""
    counts: dict[str, int] = {}
    for name, facts in run.cases.items():
        driver = name[name.rindex("[") + 1:-1] if name.endswith("]") else ""
        if int(facts.get("mp_attempts", "1") or 1) > 1:
            counts[driver] = counts.get(driver, 0) + 1
    return counts


def describe(run: Run) -> str:
    limit, longest, by_time, by_cpu = run.limit()
    return (f"  {run.label:<12} wall {run.wall_s:7.2f} s, CPU {run.cpu_s:7.2f} s, "
            f"{len(run.recordings)} plays; limit {limit:6.2f} s (longest {longest:.2f}, "
            f"durations/{PLAYS_AT_ONCE} {by_time:.2f}, CPU/cores {by_cpu:.2f}); "
            f"wall / limit {run.wall_s / limit if limit else float('nan'):.2f}; "
            f"retried {retried(run) or 'none'}; exit {run.returncode}")


def verdicts_beside(one: Run, every: Run, drivers: list[str]) -> list[str]:
    lines = []
    for sample in sorted(one.cases):
        row = [f"{d} {every.cases.get(f'{sample}[{d}]', {}).get('mp_verdict', '?')}"
               for d in drivers]
        lines.append(f"    {sample:<28} silent alone {one.cases[sample].get('mp_verdict', '?'):<12}"
                     f" | {', '.join(row)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--drivers", default="silent,openal,pulse")
    parser.add_argument("--corpus", type=Path, help="samples folder (default: the demo corpus)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--players", default="auto", help="--mp-players for both runs")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--keep", type=Path, help="work in this new folder and keep it")
    args = parser.parse_args(argv)
    drivers = [d for d in args.drivers.split(",") if d]
    corpus = (args.corpus or ensure_demo()).resolve()
    if args.keep:
        args.keep.mkdir(parents=True)
        workdir = args.keep.resolve()
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench_drivers_")
        workdir = Path(tmp.name)
    samples = copy_samples(corpus, workdir / "samples")
    print(f"corpus: {corpus} ({len(samples)} samples); cores {cores()}; drivers {drivers}; "
          f"--mp-players={args.players}", flush=True)
    ratios: list[tuple[float, float, float]] = []
    last: tuple[Run, Run] | None = None
    for i in range(max(1, args.repeats)):
        one = run_pytest(workdir / "samples", workdir, f"one-{i + 1}",
                         ["--mp-audio=silent", f"--mp-players={args.players}"], args.timeout)
        print(describe(one), flush=True)
        every = run_pytest(workdir / "samples", workdir, f"every-{i + 1}",
                           [f"--mp-drivers={','.join(drivers)}",
                            f"--mp-players={args.players}"], args.timeout)
        print(describe(every), flush=True)
        if not one.cases or not every.cases:
            print("a run produced no results; see its log in", workdir)
            return 2
        ratios.append((one.wall_s / one.limit()[0], every.wall_s / every.limit()[0],
                       every.wall_s / one.wall_s))
        last = (one, every)
    assert last is not None
    print("\n  verdicts, last pair:")
    print("\n".join(verdicts_beside(*last, drivers)))
    one_r, every_r, both = (statistics.median(r[k] for r in ratios) for k in range(3))
    print(f"\nmedian over {len(ratios)} pair(s): one driver wall/limit {one_r:.2f}; "
          f"{len(drivers)} drivers wall/limit {every_r:.2f} (target <= {TARGET}: "
          f"{'met' if every_r <= TARGET else 'NOT met'}); {len(drivers)} drivers / one "
          f"{both:.2f}")
    if args.keep is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
