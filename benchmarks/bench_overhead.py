"""Per-sample overhead of the plugin vs a fresh interpreter per sample; serial vs -n N;
the CPU a run of many short clips played before costs per sample.

    python benchmarks/bench_overhead.py [--corpus DIR] [--workers 2] [--spawn fork|fresh]
                                        [--clips 100] [--keep DIR]

Plays the same corpus (default: the demo corpus, built from samples.toml
with FFmpeg into a temporary folder), all in one run:

  (a) the plugin, serial: `python -m pytest --mp-samples-dir=COPY --junitxml=...`
      in a subprocess, in a temporary copy of the corpus, twice: a first
      session whose run probes every sample (the store's reference cache is
      empty), then a second session of the same store, whose samples were
      played before (every reference comes from the cache: the per-sample
      overhead counted is this run's); a sample's wall time is its junit
      testcase `time` (setup + call + teardown: the whole item, retries
      included);
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
time <= 0.6 x serial on two cores.

  (d) with --clips N (default 100; 0: not run): N copies of a 0.4 s VP8/Vorbis
      clip, played at the default concurrency three times in one store: a
      first session (every clip probed), a second session (played before:
      references from the cache), and the second session again. Each run's
      CPU is the getrusage(RUSAGE_CHILDREN) delta around it (pytest, the
      players, the fork server, ffprobe); printed per sample, with the first
      run's probing apart: the CPU of probing the N clips in this process
      (user + system, ffprobe's included), measured after the runs.
      Target: a run played before <= 0.07 s of CPU per sample.

Exit status 0 whatever the numbers: this measures, the tests judge correctness.
"""
from __future__ import annotations

import argparse
import os
import resource
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
from pytest_pyglet_media.store.reference_cache import ReferenceCache  # noqa: E402

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


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_plugin(corpus: Path, workdir: Path, label: str, spawn: str,
               workers: int | None, copy: Path | None = None
               ) -> tuple[float, dict[str, dict[str, str]], int]:
    """(wall time of the whole pytest run, sample -> {time, verdict}, exit status).
    `copy`: play the corpus already copied there (its store's cache as the
    runs before left it), else a fresh copy."""
    samples = copy if copy is not None else fresh_copy(corpus, workdir / label)
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
    parser.add_argument("--clips", type=int, default=100,
                        help="copies of a 0.4 s clip for the CPU per sample (0: skip)")
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

    first_wall, first, _ = run_plugin(corpus, workdir, "serial", args.spawn, None)
    # the same samples, played before: another session of the same store
    serial_wall, serial, _ = run_plugin(corpus, workdir, "serial_again", args.spawn, None,
                                        copy=workdir / "serial")
    fresh = run_fresh(corpus, workdir, samples)
    parallel_wall, parallel, _ = run_plugin(corpus, workdir, f"parallel_n{args.workers}",
                                            args.spawn, args.workers)

    print(f"\n{'sample':<22}{'duration':>9}{'probed':>9}{'plugin':>9}{'fresh':>9}"
          "  verdict (serial / -n)")
    print(f"{'':<22}{'':>9}{'(1st run)':>9}{'(again)':>9}")
    plugin_over, fresh_over, probed_over = [], [], []
    for sample in samples:
        duration = played_through(workdir / "fresh" / f"{sample}.dbg", corpus, sample)
        p_time = float(serial.get(sample, {}).get("time", "nan"))
        first_time = float(first.get(sample, {}).get("time", "nan"))
        verdicts = (f"{serial.get(sample, {}).get('verdict', '?')} / "
                    f"{parallel.get(sample, {}).get('verdict', '?')}")
        if duration is None:
            print(f"{sample:<22}{'-':>9}{first_time:>9.3f}{p_time:>9.3f}{fresh[sample]:>9.3f}"
                  f"  {verdicts}  (did not play through: not counted)")
            continue
        plugin_over.append(p_time - duration)
        fresh_over.append(fresh[sample] - duration)
        probed_over.append(first_time - duration)
        print(f"{sample:<22}{duration:>9.3f}{probed_over[-1]:>+9.3f}{plugin_over[-1]:>+9.3f}"
              f"{fresh_over[-1]:>+9.3f}  {verdicts}")

    p_med, p_max = summary(plugin_over)
    f_med, f_max = summary(fresh_over)
    first_med, first_max = summary(probed_over)
    print(f"\nper-sample overhead (wall - duration) over {len(plugin_over)} samples played through:")
    print(f"  plugin, first run (probing)  : median {first_med:.3f} s, max {first_max:.3f} s")
    print(f"  plugin (--mp-spawn={args.spawn}) : median {p_med:.3f} s, max {p_max:.3f} s"
          "  (played before: references from the store's cache)")
    print(f"  fresh interpreter per sample : median {f_med:.3f} s, max {f_max:.3f} s")
    print(f"  ratio plugin/fresh (median)  : {p_med / f_med:.2f}"
          f"   target: <= 0.33 and plugin median <= 0.100 s -> "
          f"{'met' if p_med <= 0.1 and p_med <= f_med / 3 else 'NOT met'}")
    print(f"\nwhole runs: plugin serial {first_wall:.2f} s (first), {serial_wall:.2f} s (again), "
          f"plugin -n {args.workers} "
          f"{parallel_wall:.2f} s, fresh interpreters {sum(fresh.values()):.2f} s (plays only)")
    ratio = parallel_wall / first_wall  # both probe every sample
    print(f"  ratio -n {args.workers} / serial (first) : {ratio:.2f}   target: <= 0.60 -> "
          f"{'met' if ratio <= 0.6 else 'NOT met'}")
    differing = sorted(s for s in samples
                       if serial.get(s, {}).get("verdict") != parallel.get(s, {}).get("verdict"))
    if differing:
        print("  verdicts differing between serial and parallel: " + ", ".join(
            f"{s} ({serial.get(s, {}).get('verdict')} / {parallel.get(s, {}).get('verdict')})"
            for s in differing))
    else:
        print(f"  verdicts differing between serial and parallel: none (of {len(samples)})")
    if args.clips:
        many_clips(workdir, args.clips, args.spawn)
    return 0


def build_clips(folder: Path, count: int) -> list[Path]:
    """`count` copies of one 0.4 s VP8/Vorbis clip (distinct files, probed each)."""
    folder.mkdir()
    clip = folder.parent / "clip.webm"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-nostdin",
                    "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=0.4",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=0.4",
                    "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k",
                    "-c:a", "libvorbis", str(clip)], check=True)
    clips = [folder / f"clip_{n:04d}.webm" for n in range(count)]
    for copy in clips:
        shutil.copyfile(clip, copy)
    return clips


def play_clips(folder: Path, session: str, spawn: str) -> tuple[float, float, int]:
    """(wall, CPU of pytest and all its descendants, exit status) of one run
    at the default concurrency."""
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q",
            f"--mp-samples-dir={folder}", f"--mp-session={session}", f"--mp-spawn={spawn}",
            "--mp-plots=none"]
    cpu = children_cpu()
    start = time.monotonic()
    done = subprocess.run(argv, cwd=folder.parent, env=clean_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    return time.monotonic() - start, children_cpu() - cpu, done.returncode


def probing_cpu(clips: list[Path]) -> float:
    """CPU (this process's and ffprobe's) of probing `clips`, in memory only."""
    cache = ReferenceCache(None)
    cache.reference(clips[0])  # ffprobe -version, once per process: not per sample
    own, children = resource.getrusage(resource.RUSAGE_SELF), children_cpu()
    for clip in clips[1:]:
        cache.reference(clip)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return (after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime
            + children_cpu() - children) / max(1, len(clips) - 1)


def many_clips(workdir: Path, count: int, spawn: str) -> None:
    clips = build_clips(workdir / "clips", count)
    print(f"\n{count} copies of a 0.4 s VP8/Vorbis clip, default concurrency, one store:")
    for session, what in (("first", "first run, every clip probed"),
                          ("second", "another session, played before"),
                          ("second", "the same session again")):
        wall, cpu, status = play_clips(workdir / "clips", session, spawn)
        print(f"  {what:<32}: wall {wall:6.2f} s, CPU {cpu:6.2f} s = {cpu / count:.3f} s "
              f"per sample (exit {status})")
    per_probe = probing_cpu(clips)
    print(f"  probing alone (in the first run): {per_probe:.3f} s of CPU per clip "
          f"(ffprobe's two runs and the cache's work)")
    print("  target: a run played before <= 0.070 s of CPU per sample")


if __name__ == "__main__":
    sys.exit(main())
