"""What keeping and comparing the pictures costs (issue: the picture itself).

    python benchmarks/bench_pictures.py [--seconds 5] [--repeats 3] [--keep DIR]

Builds an H.264 1080p 30 fps clip and a 320x240 one (no B-frames, so that
every picture is pyglet's right one), then, per clip:

  - play: the real player in a fresh interpreter, with --pictures=off and
    with --pictures=sample (the default), alternately, --repeats times each;
    the player's CPU (user + system, all its threads: getrusage of the
    child) and wall time, median of the repeats, side by side;
  - the kept pictures' size on disk;
  - the play stage's side, apart: reading the kept pictures, FFmpeg's decode
    of the same frames (first time, then from the session's cache), and the
    comparison (the judge, plain Python).

No assertion on absolute times: the machine decides those. Exit status 0.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_pyglet_media.judge import pictures as judge_pictures  # noqa: E402  (no pyglet)
from pytest_pyglet_media.store import picture_reference, pictures, reference  # noqa: E402

FFMPEG = ("ffmpeg", "-v", "error", "-y", "-nostdin")
SIZES = {"1080p.mp4": "1920x1080", "320x240.mp4": "320x240"}


def build(folder: Path, seconds: float) -> list[Path]:
    clips = []
    for name, size in SIZES.items():
        path = folder / name
        if not path.exists():
            subprocess.run([*FFMPEG, "-f", "lavfi", "-i",
                            f"testsrc2=size={size}:rate=30:duration={seconds}",
                            "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0",
                            "-pix_fmt", "yuv420p", str(path)], check=True)
        clips.append(path)
    return clips


def play(clip: Path, recording: Path, mode: str) -> tuple[float, float]:
    """(CPU seconds of the player, wall seconds) of one play in a fresh interpreter."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest_pyglet_media.play.player", str(clip),
                    str(recording), f"--pictures={mode}"], check=True, cwd=ROOT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build and keep the clips in DIR")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-pictures-"))
    folder.mkdir(parents=True, exist_ok=True)
    for clip in build(folder, args.seconds):
        rec = folder / (clip.name + ".dbg")
        runs: dict[str, list[tuple[float, float]]] = {"off": [], "sample": []}
        for _ in range(args.repeats):
            for mode in runs:
                rec.unlink(missing_ok=True)
                pictures.pictures_beside(rec).unlink(missing_ok=True)
                runs[mode].append(play(clip, rec, mode))
        cpu = {m: statistics.median(c for c, _ in r) for m, r in runs.items()}
        wall = {m: statistics.median(w for _, w in r) for m, r in runs.items()}
        kept_path = pictures.pictures_beside(rec)
        print(f"{clip.name} ({args.seconds:g} s at 30 fps), median of {args.repeats} plays:")
        print(f"  player CPU   off {cpu['off']:.2f} s   sample {cpu['sample']:.2f} s   "
              f"+{100 * (cpu['sample'] / cpu['off'] - 1):.1f} %")
        print(f"  player wall  off {wall['off']:.2f} s   sample {wall['sample']:.2f} s")

        started = time.perf_counter()
        kept = pictures.load(kept_path)
        read = time.perf_counter() - started
        ref = reference.probe(clip)
        times = [t for t in judge_pictures.file_times(kept, ref) if t is not None]
        frames = folder / (clip.name + ".frames")
        frames.unlink(missing_ok=True)
        started = time.perf_counter()
        decoded = picture_reference.reference_pictures(clip, ref.video_index or 0, times, frames)
        first = time.perf_counter() - started
        started = time.perf_counter()
        picture_reference.reference_pictures(clip, ref.video_index or 0, times, frames)
        cached = time.perf_counter() - started
        started = time.perf_counter()
        checks = judge_pictures.check(kept, ref, decoded)
        compare = time.perf_counter() - started
        print(f"  kept {len(kept)} pictures, {kept_path.stat().st_size / 1e6:.2f} MB on disk "
              f"(read {read:.3f} s); FFmpeg's {frames.stat().st_size / 1e6:.2f} MB")
        print(f"  FFmpeg decode {first:.2f} s (cached: {cached:.2f} s); compare {compare:.3f} s; "
              f"differing {len(checks.differing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
