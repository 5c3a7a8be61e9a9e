"""What a reference costs next to the play it judges (probing must cost little
next to the play).

    python benchmarks/bench_probe.py [--seconds 1 10] [--repeats 3] [--keep DIR]

For each clip length, builds clips with the ffmpeg CLI (H.264 with B-frames
in mp4, VP8/Vorbis in WebM, audio-only WAV), then in the same run, per clip:

  - probe: `reference.probe` (demuxing only: one ffprobe run describing the
    streams, one more listing the video stream's packets), best of
    --repeats, wall time;
  - key: `reference.file_identity` (device, inode, size, mtime and a BLAKE2b
    hash of the first and last MiB: never the whole file);
  - cached: what a run that played the clip before pays for its reference:
    a fresh `ReferenceCache` of the store reading the clip's entry (its
    identity, the entry, its checksum; `ffprobe -version`, asked once per
    process, is left out), best of --repeats;
  - play: the real player in a fresh interpreter
    (`python -m pytest_pyglet_media.play.player CLIP REC`), once, wall time;
  - the check: `file_checks.check` on that recording, best of --repeats.

Printed side by side with the ratio (probe + key + check) / play, the
first play's, and cached + check against the play, a later run's. No
assertion on absolute times: the machine decides those. Exit status 0.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_pyglet_media.judge import file_checks  # noqa: E402
from pytest_pyglet_media.store import recording, reference  # noqa: E402  (no pyglet)
from pytest_pyglet_media.core.file_stamp import FileStamp  # noqa: E402
from pytest_pyglet_media.store.reference_cache import ReferenceCache  # noqa: E402

FFMPEG = ("ffmpeg", "-v", "error", "-y", "-nostdin")


def recipes(seconds: float) -> dict[str, tuple[str, ...]]:
    video = ("-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}")
    audio = ("-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}")
    return {
        f"h264_bf_{seconds:g}s.mp4": (*video, *audio, "-c:v", "libx264", "-preset", "ultrafast",
                                      "-bf", "3", "-pix_fmt", "yuv420p", "-c:a", "aac"),
        f"vp8_{seconds:g}s.webm": (*video, *audio, "-c:v", "libvpx", "-deadline", "realtime",
                                   "-cpu-used", "8", "-b:v", "300k", "-c:a", "libvorbis"),
        f"tone_{seconds:g}s.wav": (*audio, "-c:a", "pcm_s16le"),
    }


def best(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def play(clip: Path) -> tuple[float, list]:
    out = clip.with_name(clip.name + ".dbg")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest_pyglet_media.play.player", str(clip), str(out)],
                   check=True, capture_output=True, timeout=600, stdin=subprocess.DEVNULL)
    return time.perf_counter() - start, recording.load(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the clips here and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_probe.") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        store = folder / "store"
        store.mkdir(exist_ok=True)
        version = reference.ffprobe_version()

        def cached(clip: Path) -> object:
            cache = ReferenceCache(store / ".reference-cache")
            cache._versions[(reference.ffprobe_path(),  # asked once per process, not here
                             FileStamp.of(reference.ffprobe_path()))] = version
            return cache.reference(clip)

        print(f"{'clip':22} {'frames':>6} {'probe s':>8} {'key s':>7} {'cached s':>8} "
              f"{'check s':>8} {'play s':>7} {'ratio':>7} {'later':>7}  verdict")
        for seconds in args.seconds:
            for name, recipe in recipes(seconds).items():
                clip = folder / name
                subprocess.run([*FFMPEG, *recipe, str(clip)], check=True, timeout=600)
                probe_s, ref = best(lambda: reference.probe(clip), args.repeats)
                key_s, _ = best(lambda: reference.file_identity(clip), args.repeats)
                cached(clip)  # fills the store's cache
                cached_s, again = best(lambda: cached(clip), args.repeats)
                assert again == ref
                play_s, events = play(clip)
                check_s, checks = best(lambda: file_checks.check(events, ref), args.repeats)
                ratio = (probe_s + key_s + check_s) / play_s
                later = (cached_s + check_s) / play_s
                verdict = dict(checks.counts) or "nothing"
                print(f"{name:22} {len(ref.frame_times):6d} {probe_s:8.3f} {key_s:7.4f} "
                      f"{cached_s:8.4f} {check_s:8.4f} {play_s:7.2f} {ratio:7.1%} "
                      f"{later:7.2%}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
