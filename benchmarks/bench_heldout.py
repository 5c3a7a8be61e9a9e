"""A held-out corpus: serial, at the default concurrency, and beside a CPU hog.

    python benchmarks/bench_heldout.py [--corpus DIR] [--repeats 1] [--limit-samples K]
                                       [--timeout 1800] [--keep DIR]
    python benchmarks/bench_heldout.py --clips 400 [--timeout 1800] [--keep DIR]

Without `--corpus` it plays the held-out corpus (heldout_corpus.py: 35
samples, about 100 s of media, 12 H.264 clips with B-frames, up to
1920x1080, audio-only files, defective and broken files), built with FFmpeg
into benchmarks/.cache/ at the first run. The samples are copied into a
temporary folder and played there, each run in a fresh session of that one
store, by `python -m pytest -p no:cacheprovider -p no:xdist
--mp-samples-dir=COPY --mp-plots=none --junitxml=...` (bench_drivers.run_pytest):

  (s) serial: `--mp-players=1`, one play after another: the reference verdicts;
  (d) default: the plugin's own concurrency (--mp-players=auto);
  (h) hog: the same beside a CPU hog, a process pinned to one CPU
      (os.sched_setaffinity) spinning at normal nice from before the run
      starts until it ends.

`--repeats N` plays (s), (d), (h) N times, alternating, so all three meet
the same machine. The first serial run probes every sample; the runs after it
find the store's reference cache warm. For each run: its wall time, its CPU
(getrusage(RUSAGE_CHILDREN) around it: pytest and every descendant, not the
hog), and its limit, the best any scheduler could do:

    max(the longest sample, the sum of the samples' durations / 16,
        the run's CPU / cores)

with cores = len(os.sched_getaffinity(0)), and for (h) the cores the hog
leaves: cores - 1, at least 1 (a sample's duration: its recording's mp.src,
else its end of play mp.end). Printed per run: wall / limit, the plays
retried (junit `mp_attempts` > 1) with their reasons (`mp_retry_reasons`),
the extra plays per 10 samples, and each (d) and (h) verdict (`mp_verdict`)
against the serial run's: the same, overloaded (a play harmed on every
attempt, judged `overloaded`: listed as such, never as wrong), or wrong.
Targets printed beside: (d) <= 1.5 x its limit with the serial run's
verdicts; (h) <= 1.5 x its limit on the remaining cores, no wrong verdict,
<= 1 extra play per 10 samples. `--limit-samples K` plays K of the samples
only (a mix of kinds, shortest first): to try the benchmark out.

With `--clips N`, instead: N copies of a 0.4 s VP8/Vorbis clip
(bench_overhead.build_clips), plus two broken samples and one defective one
built from samples.toml's recipes (truncated.webm, not_media.mp4,
h264_240fps_aac.mp4) so the failure and retry paths are met, played twice at
the default concurrency in one store: the second run's samples were played
before (the reference cache is warm). Printed for both runs: wall / limit
(the same limit; target for the second: <= 1.5), the CPU per sample, the
plays retried. Exit status 0 whatever the numbers, 2 when a run produced no
results. No pyglet import in this process.
"""
from __future__ import annotations

import argparse
import os
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

import heldout_corpus  # noqa: E402  (beside this file)
from bench_drivers import PLAYS_AT_ONCE, Run, run_pytest  # noqa: E402
from bench_overhead import build_clips  # noqa: E402
from bench_throughput import copy_samples, cores, read_play  # noqa: E402

TARGET = 1.5
#: (h): extra plays per 10 samples at most
TARGET_EXTRA_PER_TEN = 1.0
OVERLOADED = "overloaded"
#: the clips mode's extra samples, made by samples.toml's recipes
CLIP_EXTRAS = ("truncated.webm", "not_media.mp4", "h264_240fps_aac.mp4")
HOG_CODE = "import os, sys\nos.sched_setaffinity(0, {int(sys.argv[1])})\nwhile True:\n    pass\n"


# -- the CPU hog ---------------------------------------------------------------------


class Hog:
    """A process spinning on one CPU at this process's niceness; its CPU is
    reaped after the run it sat beside, so no run's getrusage counts it."""

    def __init__(self, cpu: int) -> None:
        self.cpu = cpu
        self._proc: subprocess.Popen[bytes] | None = None
        self._started = 0.0
        self.used = (0.0, 0.0)  # (CPU, wall) once stopped

    def __enter__(self) -> "Hog":
        self._proc = subprocess.Popen([sys.executable, "-c", HOG_CODE, str(self.cpu)],
                                      stdin=subprocess.DEVNULL)
        self._started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> tuple[float, float]:
        """(CPU seconds, wall seconds) the hog had (`used`)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return self.used
        proc.kill()
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = -9  # reaped here: Popen must not wait for it again
        self.used = (usage.ru_utime + usage.ru_stime, time.monotonic() - self._started)
        return self.used


def hog_cpu() -> int:
    """The CPU the hog holds: the last this process may run on."""
    try:
        return max(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return 0


# -- one run's facts ------------------------------------------------------------------


@dataclass
class Measured:
    what: str  # serial, default, hog, first, second
    run: Run
    samples: list[str]
    cores: int  # the cores its limit counts
    hog: tuple[float, float] | None = None  # (CPU, wall) of the hog beside it

    @property
    def limit(self) -> tuple[float, float, float, float]:
        return self.run.limit(self.cores)

    @property
    def over_limit(self) -> float:
        limit = self.limit[0]
        return self.run.wall_s / limit if limit else float("nan")

    def verdict(self, sample: str) -> str:
        return self.run.cases.get(sample, {}).get("mp_verdict", "?")

    def attempts(self, sample: str) -> int:
        try:
            return int(self.run.cases.get(sample, {}).get("mp_attempts", "1") or 1)
        except ValueError:
            return 1

    def retried(self) -> list[tuple[str, int, str]]:
        """(sample, attempts, why each earlier play was played again)."""
        return [(s, self.attempts(s), self.run.cases[s].get("mp_retry_reasons", "?"))
                for s in self.samples if self.attempts(s) > 1]

    @property
    def extra_per_ten(self) -> float:
        extra = sum(self.attempts(s) - 1 for s in self.samples)
        return 10 * extra / max(1, len(self.samples))

    def duration(self, sample: str) -> float | None:
        rec = self.run.cases.get(sample, {}).get("mp_recording")
        play = read_play(Path(rec)) if rec else None
        return play.duration if play else None


@dataclass
class Comparison:
    same: list[str]
    overloaded: list[str]  # judged overloaded here, after every attempt was harmed
    wrong: list[tuple[str, str, str]]  # (sample, serial verdict, this run's)
    unsure: list[str]  # the serial run itself judged them overloaded or has no row


def compare(serial: Measured, other: Measured) -> Comparison:
    found = Comparison([], [], [], [])
    for sample in other.samples:
        mine, reference = other.verdict(sample), serial.verdict(sample)
        if reference in (OVERLOADED, "?"):
            found.unsure.append(sample)
        elif mine == reference:
            found.same.append(sample)
        elif mine == OVERLOADED:
            found.overloaded.append(sample)
        else:
            found.wrong.append((sample, reference, mine))
    return found


# -- printing --------------------------------------------------------------------------


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def describe(m: Measured) -> list[str]:
    limit, longest, by_time, by_cpu = m.limit
    r = m.run
    tag = f"({m.what[0]})" if m.what in ("serial", "default", "hog") else "   "
    lines = [f"  {tag} {m.what:<8} wall {r.wall_s:7.2f} s, CPU {r.cpu_s:7.2f} s; limit "
             f"{limit:6.2f} s (longest {longest:.2f}, durations/{PLAYS_AT_ONCE} {by_time:.2f}, "
             f"CPU/{m.cores} core{'s' if m.cores > 1 else ''} {by_cpu:.2f}); wall / limit "
             f"{m.over_limit:.2f}; {len(r.cases)} results, exit {r.returncode}"]
    if m.hog is not None:
        cpu, wall = m.hog
        lines.append(f"      hog on CPU {hog_cpu()}: {cpu:.1f} s of CPU in {wall:.1f} s "
                     f"({100 * cpu / wall if wall else 0:.0f} % of its core)")
    retried = m.retried()
    lines.append(f"      retried {len(retried)} of {len(m.samples)} samples: "
                 f"{m.extra_per_ten:.2f} extra plays per 10 samples"
                 + "".join(f"\n        {s} x{n}: {why}" for s, n, why in retried))
    return lines


def describe_comparison(c: Comparison) -> str:
    parts = [f"same {len(c.same)}", f"overloaded {len(c.overloaded)}", f"wrong {len(c.wrong)}"]
    if c.unsure:
        parts.append(f"serial overloaded or missing {len(c.unsure)}")
    text = "      verdicts vs serial: " + ", ".join(parts)
    if c.overloaded:
        text += "\n        overloaded: " + ", ".join(c.overloaded)
    if c.wrong:
        text += "\n        wrong: " + ", ".join(f"{s} ({a} -> {b})" for s, a, b in c.wrong)
    return text


def print_table(triple: tuple[Measured, Measured, Measured],
                index: dict[str, dict[str, object]]) -> None:
    serial, default, hog = triple
    print(f"\n{'sample':<50}{'kind':>13}{'seconds':>8}  verdict (s) / (d) / (h)  "
          "(xN: attempts)")
    for sample in serial.samples:
        kind = str(index.get(sample, {}).get("kind", ""))
        duration = serial.duration(sample)
        cells = []
        for m in triple:
            n = m.attempts(sample)
            cells.append(m.verdict(sample) + (f" x{n}" if n > 1 else ""))
        seconds = f"{duration:8.2f}" if duration is not None else f"{'-':>8}"
        print(f"{sample:<50}{kind:>13}{seconds}  {' / '.join(cells)}")


def print_targets(default: Measured, hog: Measured, d_vs: Comparison, h_vs: Comparison) -> None:
    d_equal = not d_vs.wrong and not d_vs.overloaded and not d_vs.unsure
    print(f"  (d) wall / limit {default.over_limit:.2f} (target <= {TARGET}: "
          f"{met(default.over_limit <= TARGET)}); verdicts equal to serial: "
          f"{'yes' if d_equal else 'no'} ({met(d_equal)})")
    print(f"  (h) wall / limit {hog.over_limit:.2f} on {hog.cores} core"
          f"{'s' if hog.cores > 1 else ''} (target <= {TARGET}: "
          f"{met(hog.over_limit <= TARGET)}); wrong verdicts {len(h_vs.wrong)} (target 0: "
          f"{met(not h_vs.wrong)}), overloaded {len(h_vs.overloaded)}; extra plays per 10 "
          f"samples {hog.extra_per_ten:.2f} (target <= {TARGET_EXTRA_PER_TEN:g}: "
          f"{met(hog.extra_per_ten <= TARGET_EXTRA_PER_TEN)})")


# -- choosing and running ----------------------------------------------------------------


def subset(samples: list[str], index: dict[str, dict[str, object]], count: int) -> list[str]:
    """`count` samples, a mix: one of each kind in turn (shortest first) with
    the corpus's index, else evenly spaced by name."""
    if count <= 0 or count >= len(samples):
        return samples
    if not index:
        step = len(samples) / count
        return [samples[int(i * step)] for i in range(count)]
    by_kind: dict[str, list[str]] = {}
    for sample in sorted(samples, key=lambda s: float(index.get(s, {}).get("seconds", 0) or 0)):
        by_kind.setdefault(str(index.get(sample, {}).get("kind", "")), []).append(sample)
    chosen: list[str] = []
    while len(chosen) < count:
        for queue in by_kind.values():
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    return sorted(chosen)


def bad(run: Run) -> bool:
    return not run.cases or run.returncode not in (0, 1)


def report_bad(run: Run, workdir: Path) -> int:
    log = workdir / f"{run.label}.log"
    tail = log.read_bytes()[-3000:].decode("utf-8", "replace") if log.exists() else ""
    print(f"the {run.label} run produced no results (exit {run.returncode}); its output ends "
          f"with:\n{tail}")
    return 2


def heldout(args: argparse.Namespace, workdir: Path) -> int:
    if args.corpus:
        corpus = args.corpus.resolve()
    else:
        corpus = heldout_corpus.ensure(log=lambda line: print(line, flush=True))
    index = heldout_corpus.read_index(corpus)
    samples_dir = workdir / "samples"
    everything = copy_samples(corpus, samples_dir)
    samples = subset(everything, index, args.limit_samples)
    for left_out in set(everything) - set(samples):
        (samples_dir / left_out).unlink()
    if not samples:
        print(f"no samples in {corpus}")
        return 2
    all_cores = cores()
    left = max(1, all_cores - 1)
    print(f"corpus: {corpus} ({len(samples)} of {len(everything)} samples); python "
          f"{sys.version.split()[0]}; cores {all_cores} (nproc {os.cpu_count()}); the hog "
          f"holds CPU {hog_cpu()}, (h)'s limit counts {left} core{'s' if left > 1 else ''}",
          flush=True)
    triples: list[tuple[Measured, Measured, Measured]] = []
    for i in range(max(1, args.repeats)):
        suffix = f"-{i + 1}"
        serial = Measured("serial", run_pytest(samples_dir, workdir, "serial" + suffix,
                                               ["--mp-players=1"], args.timeout),
                          samples, all_cores)
        print("\n".join(describe(serial)), flush=True)
        if bad(serial.run):
            return report_bad(serial.run, workdir)
        default = Measured("default", run_pytest(samples_dir, workdir, "default" + suffix, [],
                                                 args.timeout), samples, all_cores)
        print("\n".join(describe(default)), flush=True)
        if bad(default.run):
            return report_bad(default.run, workdir)
        print(describe_comparison(compare(serial, default)), flush=True)
        with Hog(hog_cpu()) as hog:
            hogged = run_pytest(samples_dir, workdir, "hog" + suffix, [], args.timeout)
        beside = Measured("hog", hogged, samples, left, hog.used)
        print("\n".join(describe(beside)), flush=True)
        if bad(hogged):
            return report_bad(hogged, workdir)
        print(describe_comparison(compare(serial, beside)), flush=True)
        triples.append((serial, default, beside))
        missing = [s for s in samples if any(s not in m.run.cases for m in triples[-1])]
        if missing:
            print(f"      no junit row in some run for: {', '.join(missing)}")

    print_table(triples[-1], index)
    print("\ntargets:")
    for n, (serial, default, beside) in enumerate(triples, 1):
        if len(triples) > 1:
            print(f" repeat {n} of {len(triples)}")
        print_targets(default, beside, compare(serial, default), compare(serial, beside))
    if len(triples) > 1:
        d = statistics.median(t[1].over_limit for t in triples)
        h = statistics.median(t[2].over_limit for t in triples)
        extra = statistics.median(t[2].extra_per_ten for t in triples)
        wrong = sum(len(compare(t[0], t[2]).wrong) for t in triples)
        print(f"\nmedian over {len(triples)} repeats: (d) wall / limit {d:.2f}, (h) wall / limit "
              f"{h:.2f}, (h) extra plays per 10 samples {extra:.2f}; (h) wrong verdicts in all: "
              f"{wrong}")
    return 0


def clips(args: argparse.Namespace, workdir: Path) -> int:
    """N short clips played twice in one store: the second run played before."""
    from pytest_pyglet_media.cli.corpus_builder import build_sample, find_ffmpeg
    from pytest_pyglet_media.store.manifest import read_manifest

    folder = workdir / "clips"
    build_clips(folder, args.clips)
    manifest = read_manifest(ROOT / "samples.toml")
    ffmpeg = find_ffmpeg()
    for name in CLIP_EXTRAS:
        build_sample(manifest, manifest.samples[name], folder / name, ffmpeg)
    samples = sorted(p.name for p in folder.iterdir() if p.is_file())
    print(f"{args.clips} copies of a 0.4 s VP8/Vorbis clip + {', '.join(CLIP_EXTRAS)} "
          f"({len(samples)} samples); cores {cores()}; default concurrency, one store", flush=True)
    runs = []
    for session, what in (("first", "first run, every sample probed"),
                          ("second", "another session, played before")):
        measured = Measured(session, run_pytest(folder, workdir, session, [], args.timeout),
                            samples, cores())
        print(f"  {what}:")
        print("\n".join(describe(measured)), flush=True)
        if bad(measured.run):
            return report_bad(measured.run, workdir)
        print(f"      CPU per sample {measured.run.cpu_s / len(samples):.3f} s; verdicts: "
              + ", ".join(f"{v} {n}" for v, n in sorted(_counts(measured).items())))
        runs.append(measured)
    second = runs[-1]
    print(f"\n  played before: wall / limit {second.over_limit:.2f} (target <= {TARGET}: "
          f"{met(second.over_limit <= TARGET)}), CPU per sample "
          f"{second.run.cpu_s / len(samples):.3f} s")
    return 0


def _counts(m: Measured) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sample in m.samples:
        counts[m.verdict(sample)] = counts.get(m.verdict(sample), 0) + 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--corpus", type=Path,
                        help="samples folder (default: the held-out corpus, built and cached "
                             "in benchmarks/.cache/)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="play serial, default and beside the hog this many times")
    parser.add_argument("--limit-samples", type=int, default=0, metavar="K",
                        help="play only K samples, a mix of kinds (to try the benchmark out)")
    parser.add_argument("--clips", type=int, default=0, metavar="N",
                        help="instead: N copies of a 0.4 s clip (+3 broken or defective), "
                             "played twice in one store")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="seconds one pytest run may take before it is stopped")
    parser.add_argument("--keep", type=Path,
                        help="work in this (new) folder and keep it: the samples, their "
                             "sessions, each run's junit XML and output (SESSION.log)")
    args = parser.parse_args(argv)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench_heldout_") as tmp:
        if args.keep:
            args.keep.mkdir(parents=True)
            workdir = args.keep.resolve()
        else:
            workdir = Path(tmp)
        status = clips(args, workdir) if args.clips else heldout(args, workdir)
    print(f"benchmark took {time.monotonic() - began:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
