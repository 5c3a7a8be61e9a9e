"""Three audio drivers against one: the demo corpus under --mp-drivers vs silent alone.

    python benchmarks/bench_drivers.py [--drivers silent,openal,pulse] [--repeats 1]
                                       [--players auto] [--timeout 1800] [--keep DIR]
    python benchmarks/bench_drivers.py --sweep 2,4,8,16 [--copies 16] [--seconds 3]

With --sweep it measures instead how many plays one machine sustains at once
under each driver before the drivers' own clocks suffer: one clip, copied,
played with --mp-players=N (no retries) for each N, under each driver; per
run the plays whose verdict holds a clock defect (audio_late_start,
audio_clock_jump, audio_drift, av_offset) and those judged overloaded.

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
machine. With `--durations` every (b) run also writes the samples folder's
durations file (`--mp-store-durations`: each sample's plays under every
driver), so that from the second pair on the runs order the samples by what their plays took, as a CI job with the
committed file does (the first pair meets a corpus never played: ordered by
file size; a sample pyglet never ends then starts late and ends the run). For each run: its wall time, the CPU of pytest and everything it
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

    def limit(self, cores_counted: int | None = None) -> tuple[float, float, float, float]:
        """(limit, longest, sum of durations / 16, CPU / cores); `cores_counted`:
        the cores the run had (default all of this process's; bench_heldout
        leaves out the one its CPU hog holds)."""
        durations = [p.duration for p in map(read_play, self.recordings)
                     if p is not None and p.duration is not None]
        longest = max(durations, default=0.0)
        by_time = sum(durations) / PLAYS_AT_ONCE
        by_cpu = self.cpu_s / (cores_counted or cores())
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


#: the defect kinds a driver's own clock shows (judge/audio_clock.py, file_checks)
CLOCK_KINDS = ("audio_late_start", "audio_clock_jump", "audio_drift", "av_offset")


def sweep_clip(folder: Path, copies: int, seconds: float) -> Path:
    """`copies` copies of one small H.264 + AAC clip of `seconds`."""
    folder.mkdir(parents=True)
    first = folder / "clip_00.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    f"testsrc2=size=160x120:rate=25:duration={seconds}", "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", "-bf", "0",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(first)], check=True)
    for n in range(1, copies):
        shutil.copyfile(first, folder / f"clip_{n:02d}.mp4")
    return folder


def sweep(args: argparse.Namespace, workdir: Path) -> int:
    """Players at once against each driver's clock: the same clip played
    `--copies` times with --mp-players=N, for each N, under each driver;
    how many plays showed a clock defect or were judged overloaded."""
    samples = sweep_clip(workdir / "sweep", args.copies, args.seconds)
    print(f"{args.copies} copies of a {args.seconds:g} s 160x120 H.264 + AAC clip; cores {cores()}")
    print(f"  {'driver':<8}{'players':>8}{'wall s':>8}{'clock':>7}{'overloaded':>11}"
          f"{'defects':>9}  (plays with a clock defect: {', '.join(CLOCK_KINDS)})")
    for driver in [d for d in args.drivers.split(",") if d]:
        for players in [int(n) for n in args.sweep.split(",")]:
            run = run_pytest(samples, workdir, f"{driver}-{players}",
                             [f"--mp-audio={driver}", f"--mp-players={players}",
                              "--mp-retries=0"], args.timeout)
            clock = sum(1 for f in run.cases.values()
                        if any(k in f.get("mp_defects", "") for k in CLOCK_KINDS))
            overloaded = sum(1 for f in run.cases.values() if f.get("mp_verdict") == "overloaded")
            defects = sum(1 for f in run.cases.values() if f.get("mp_verdict") == "defects")
            print(f"  {driver:<8}{players:>8}{run.wall_s:>8.1f}{clock:>7}{overloaded:>11}"
                  f"{defects:>9}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--drivers", default="silent,openal,pulse")
    parser.add_argument("--corpus", type=Path, help="samples folder (default: the demo corpus)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--players", default="auto", help="--mp-players for both runs")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--keep", type=Path, help="work in this new folder and keep it")
    parser.add_argument("--durations", action="store_true",
                        help="every (b) run writes the durations file the next ones order by")
    parser.add_argument("--sweep", help="players at once to try, e.g. 2,4,8,16: measure each "
                                        "driver's clock against them instead")
    parser.add_argument("--copies", type=int, default=16, help="--sweep: copies of the clip")
    parser.add_argument("--seconds", type=float, default=3.0, help="--sweep: the clip's length")
    args = parser.parse_args(argv)
    if args.sweep:
        with tempfile.TemporaryDirectory(prefix="bench_drivers_sweep_") as tmp:
            return sweep(args, Path(tmp))
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
    store = ["--mp-store-durations"] if args.durations else []
    for i in range(max(1, args.repeats)):
        if args.durations:
            known = (workdir / "samples" / "samples.durations.json").exists()
            print(f" pair {i + 1}: ordered by {'the durations file' if known else 'file size'}")
        one = run_pytest(workdir / "samples", workdir, f"one-{i + 1}",
                         ["--mp-audio=silent", f"--mp-players={args.players}"], args.timeout)
        print(describe(one), flush=True)
        every = run_pytest(workdir / "samples", workdir, f"every-{i + 1}",
                           [f"--mp-drivers={','.join(drivers)}",
                            f"--mp-players={args.players}", *store], args.timeout)
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
