"""Per-sample overhead of the plugin vs a fresh interpreter per sample; serial vs -n N.

    python benchmarks/bench_overhead.py [--corpus DIR] [--workers 2] [--spawn fork|fresh]
                                        [--keep DIR]

Plays the same corpus (default: the demo corpus, built from samples.toml
with FFmpeg into a temporary folder), all in one run:

  (a) the plugin, serial: `python -m pytest --mp-samples-dir=COPY --junitxml=...`
      in a subprocess, a fresh session in a temporary copy of the corpus;
      a sample's wall time is its junit testcase `time` (setup + call +
      teardown: the whole item, retries included);
  (b) the original scripts' approach: for each sample, sequentially, a fresh
      interpreter `python -m pytest_pyglet_media.play.player SAMPLE REC --name=...`,
      its wall time measured around the subprocess;
  (c) the plugin with `-n WORKERS`, another fresh session: its whole wall
      time against (a)'s, and each sample's verdict (junit `mp_verdict`)
      against (a)'s.

Per-sample overhead = wall time - media duration. Durations come from the
`mp.src` event of (b)'s recordings (ffprobe when missing). Only samples that
played through in (b) count: their recording holds the source's duration,
ends with `p.P.oe`, and its end of play (`mp.end`) is no earlier than 90 % of
the duration (a truncated file ends early: its overhead would read negative).
Median and max per approach and their ratio are printed; targets:
plugin median <= 0.1 s and <= 1/3 of the fresh interpreter's; `-n 2` wall
time <= 0.6 x serial on two cores. Exit status 0 whatever the numbers: this
measures, the tests judge correctness.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_pyglet_media.store import recording  # noqa: E402  (no pyglet)

SKIPPED_SUFFIXES = {".dbg", ".htm", ".html", ".json", ".log", ".pkl", ".py", ".txt", ".toml"}


def clean_env() -> dict[str, str]:
    """This benchmark's runs must not inherit an outer pytest's settings."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("PYTEST_") or k in ("DISPLAY", "WAYLAND_DISPLAY"))}
    env.pop("PYTEST_MP_SAMPLES_DIR", None)
    env.pop("pyglet_mp_samples_dir", None)
    return env


def build_corpus(dest: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pytest_pyglet_media.cli.corpus_builder",
                    "--manifest", str(ROOT / "samples.toml"), str(dest)],
                   check=True, stdout=subprocess.DEVNULL, env=clean_env())
    return dest


def samples_of(corpus: Path) -> list[str]:
    return sorted(p.name for p in corpus.iterdir()
                  if p.is_file() and p.suffix.lower() not in SKIPPED_SUFFIXES)


def fresh_copy(corpus: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    for p in corpus.iterdir():
        if p.is_file():
            shutil.copy2(p, dest / p.name)
    return dest


def run_plugin(corpus: Path, workdir: Path, label: str, spawn: str,
               workers: int | None) -> tuple[float, dict[str, dict[str, str]], int]:
    """(wall time of the whole pytest run, sample -> {time, verdict}, exit status)."""
    samples = fresh_copy(corpus, workdir / label)
    junit = workdir / f"{label}.xml"
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
            f"--mp-samples-dir={samples}", f"--mp-session={label}", f"--mp-spawn={spawn}",
            f"--junitxml={junit}", "-o", "junit_family=xunit1", "--mp-plots=none"]
    # one play at a time in each process (--mp-players=1): a sample's junit
    # time is then its play and the plugin's overhead, nothing else
    # (bench_throughput.py measures plays at once)
    if workers:
        argv += ["-n", str(workers), f"--mp-players={workers}"]
    else:
        argv += ["-p", "no:xdist", "--mp-players=1"]
    start = time.monotonic()
    done = subprocess.run(argv, cwd=workdir, env=clean_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    wall = time.monotonic() - start
    if done.returncode not in (0, 1):
        sys.stdout.write(done.stdout.decode("utf-8", "replace")[-3000:])
        raise SystemExit(f"pytest ({label}) failed to run: status {done.returncode}")
    cases: dict[str, dict[str, str]] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        rec = props.get("mp_recording")
        sample = Path(rec).name.removesuffix(".dbg") if rec else case.get("name", "")
        cases[sample] = {"time": case.get("time", "nan"),
                         "verdict": props.get("mp_verdict", "?")}
    return wall, cases, done.returncode


def run_fresh(corpus: Path, workdir: Path, samples: list[str]) -> dict[str, float]:
    """The original scripts' way: one fresh interpreter per sample, one after another."""
    out = workdir / "fresh"
    out.mkdir()
    times = {}
    for sample in samples:
        argv = [sys.executable, "-m", "pytest_pyglet_media.play.player", str(corpus / sample),
                str(out / f"{sample}.dbg"), f"--name={sample}"]
        start = time.monotonic()
        subprocess.run(argv, env=clean_env(), stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times[sample] = time.monotonic() - start
    return times


def ffprobe_duration(path: Path) -> float | None:
    if shutil.which("ffprobe") is None:
        return None
    done = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                           "-of", "csv=p=0", str(path)], capture_output=True, text=True)
    try:
        return float(done.stdout.strip())
    except ValueError:
        return None


def played_through(rec_path: Path, corpus: Path, sample: str) -> float | None:
    """The media duration when the play went to the end, else None."""
    try:
        events = recording.load(rec_path)
    except Exception:
        return None
    if not events or events[-1][0] != "p.P.oe":
        return None
    src = next((e for e in events if e[0] == "mp.src"), None)
    duration = src[1] if src and isinstance(src[1], (int, float)) and src[1] > 0 else None
    if duration is None:
        duration = ffprobe_duration(corpus / sample)
    end = next((e[1] for e in events if e[0] == "mp.end"), None)
    if duration is None or (end is not None and end < 0.9 * duration):
        return None
    return float(duration)


def summary(overheads: list[float]) -> tuple[float, float]:
    return statistics.median(overheads), max(overheads)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="samples folder (default: build the demo corpus)")
    parser.add_argument("--workers", type=int, default=2, help="xdist workers for (c)")
    parser.add_argument("--spawn", choices=("fork", "fresh"), default="fork",
                        help="the plugin's --mp-spawn (default fork)")
    parser.add_argument("--keep", type=Path, help="work in this (new) folder and keep it")
    args = parser.parse_args(argv)

    if args.keep:
        args.keep.mkdir(parents=True)
        workdir = args.keep
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench_overhead_")
        workdir = Path(tmp.name)
    corpus = args.corpus.resolve() if args.corpus else build_corpus(workdir / "corpus")
    samples = samples_of(corpus)
    print(f"corpus: {corpus} ({len(samples)} samples); python {sys.version.split()[0]}; "
          f"nproc {os.cpu_count()}")

    serial_wall, serial, _ = run_plugin(corpus, workdir, "serial", args.spawn, None)
    fresh = run_fresh(corpus, workdir, samples)
    parallel_wall, parallel, _ = run_plugin(corpus, workdir, f"parallel_n{args.workers}",
                                            args.spawn, args.workers)

    print(f"\n{'sample':<22}{'duration':>9}{'plugin':>9}{'fresh':>9}  verdict (serial / -n)")
    plugin_over, fresh_over = [], []
    for sample in samples:
        duration = played_through(workdir / "fresh" / f"{sample}.dbg", corpus, sample)
        p_time = float(serial.get(sample, {}).get("time", "nan"))
        verdicts = (f"{serial.get(sample, {}).get('verdict', '?')} / "
                    f"{parallel.get(sample, {}).get('verdict', '?')}")
        if duration is None:
            print(f"{sample:<22}{'-':>9}{p_time:>9.3f}{fresh[sample]:>9.3f}  {verdicts}"
                  "  (did not play through: not counted)")
            continue
        plugin_over.append(p_time - duration)
        fresh_over.append(fresh[sample] - duration)
        print(f"{sample:<22}{duration:>9.3f}{plugin_over[-1]:>+9.3f}{fresh_over[-1]:>+9.3f}"
              f"  {verdicts}")

    p_med, p_max = summary(plugin_over)
    f_med, f_max = summary(fresh_over)
    print(f"\nper-sample overhead (wall - duration) over {len(plugin_over)} samples played through:")
    print(f"  plugin (--mp-spawn={args.spawn}) : median {p_med:.3f} s, max {p_max:.3f} s")
    print(f"  fresh interpreter per sample : median {f_med:.3f} s, max {f_max:.3f} s")
    print(f"  ratio plugin/fresh (median)  : {p_med / f_med:.2f}"
          f"   target: <= 0.33 and plugin median <= 0.100 s -> "
          f"{'met' if p_med <= 0.1 and p_med <= f_med / 3 else 'NOT met'}")
    print(f"\nwhole runs: plugin serial {serial_wall:.2f} s, plugin -n {args.workers} "
          f"{parallel_wall:.2f} s, fresh interpreters {sum(fresh.values()):.2f} s (plays only)")
    ratio = parallel_wall / serial_wall
    print(f"  ratio -n {args.workers} / serial       : {ratio:.2f}   target: <= 0.60 -> "
          f"{'met' if ratio <= 0.6 else 'NOT met'}")
    differing = sorted(s for s in samples
                       if serial.get(s, {}).get("verdict") != parallel.get(s, {}).get("verdict"))
    if differing:
        print("  verdicts differing between serial and parallel: " + ", ".join(
            f"{s} ({serial.get(s, {}).get('verdict')} / {parallel.get(s, {}).get('verdict')})"
            for s in differing))
    else:
        print(f"  verdicts differing between serial and parallel: none (of {len(samples)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
