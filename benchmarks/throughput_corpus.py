"""The throughput benchmark's corpus: 39 synthetic samples, about 101 s of media.

    python benchmarks/throughput_corpus.py [DEST]   (default: the cache folder below)

Mixed like a real corpus: mostly small H.264/AAC MP4 (320x240 and 640x360),
some VP8/Vorbis WebM, MPEG-4/MP3 AVI, Theora/Vorbis Ogg, MJPEG/PCM QuickTime,
four audio-only files (MP3, Ogg Vorbis, FLAC, WAV), two 1280x720 and two
1920x1080 H.264 clips. Durations run from 1 s to 8 s (one 8 s and one 7 s
clip). Since v2 also one defective and two broken samples (EXTRAS): a
corpus of perfect clips never meets the failure and retry paths. Every clip is made by the `ffmpeg` CLI from lavfi's `testsrc2` and
`sine` sources with fast encoder settings (x264 `ultrafast`, libvpx
`good` at speed 5: its `realtime` mode is not deterministic), so the build
gives the same files for one FFmpeg version; it takes 6-15 s on two cores.

The corpus is cached in `benchmarks/.cache/throughput-corpus-v1/` (git
ignores `benchmarks/.cache/`): it is built in a temporary sibling folder,
checked, and renamed into place, so an interrupted build never leaves a
partial corpus. `corpus.json` in the folder lists what it holds; a folder
whose list differs from SPECS or misses a file is rebuilt. Change the
recipes? Bump VERSION (the folder's name follows it).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
VERSION = "throughput-corpus-v2"
CACHE_DIR = HERE / ".cache" / VERSION
INDEX_NAME = "corpus.json"  # .json: never a sample (names.EXCLUDED_EXTENSIONS)
FFMPEG_PREFIX = ["-v", "error", "-y", "-nostdin"]
#: one clip may take this long to encode at most (a 7 s 1080p clip takes ~5 s)
FFMPEG_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Spec:
    """One sample: its kind (the recipe), picture size, frame rate, length."""

    kind: str
    seconds: float
    size: str = ""  # WxH; "" for audio-only
    rate: int = 30

    def name(self, index: int) -> str:
        ext = KINDS[self.kind][0]
        size = f"_{self.size}" if self.size else ""
        return f"{index:02d}_{self.kind}{size}_{round(self.seconds * 1000)}ms.{ext}"


#: kind -> (file extension, video encoder arguments or None, audio encoder arguments)
KINDS: dict[str, tuple[str, list[str] | None, list[str]]] = {
    "h264_aac": ("mp4", ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
                 ["-c:a", "aac", "-b:a", "96k"]),
    "vp8_vorbis": ("webm", ["-c:v", "libvpx", "-deadline", "good", "-cpu-used", "5",
                            "-b:v", "600k"], ["-c:a", "libvorbis"]),
    "mpeg4_mp3": ("avi", ["-c:v", "mpeg4", "-q:v", "5"], ["-c:a", "libmp3lame", "-b:a", "128k"]),
    "theora_vorbis": ("ogv", ["-c:v", "libtheora", "-q:v", "5"], ["-c:a", "libvorbis"]),
    "mjpeg_pcm": ("mov", ["-c:v", "mjpeg", "-q:v", "5", "-pix_fmt", "yuvj420p"],
                  ["-c:a", "pcm_s16le"]),
    "mp3": ("mp3", None, ["-c:a", "libmp3lame", "-b:a", "128k"]),
    "vorbis": ("ogg", None, ["-c:a", "libvorbis"]),
    "flac": ("flac", None, ["-c:a", "flac"]),
    "pcm": ("wav", None, ["-c:a", "pcm_s16le"]),
}

SD, NHD, HD, FHD = "320x240", "640x360", "1280x720", "1920x1080"

#: the corpus, in build order (names are numbered in this order)
SPECS: tuple[Spec, ...] = (
    # 11 small H.264/AAC MP4: 30.0 s
    *(Spec("h264_aac", s, SD, r) for s, r in
      ((1.0, 30), (1.5, 25), (2.0, 30), (2.0, 24), (2.5, 30), (2.5, 25), (3.0, 30),
       (3.0, 30), (3.5, 25), (4.0, 30), (5.0, 30))),
    # 8 H.264/AAC MP4 at 640x360, one of 8 s: 27.5 s
    *(Spec("h264_aac", s, NHD, r) for s, r in
      ((1.5, 30), (2.0, 25), (2.5, 30), (3.0, 24), (3.0, 30), (3.5, 30), (4.0, 25),
       (8.0, 30))),
    # WebM, AVI, Ogg, QuickTime: 18.0 s
    Spec("vp8_vorbis", 1.5, SD), Spec("vp8_vorbis", 2.5, NHD, 25), Spec("vp8_vorbis", 3.0, SD),
    Spec("mpeg4_mp3", 2.0, SD, 25), Spec("mpeg4_mp3", 2.5, NHD),
    Spec("theora_vorbis", 1.5, SD), Spec("theora_vorbis", 2.0, SD, 25),
    Spec("mjpeg_pcm", 1.0, SD), Spec("mjpeg_pcm", 2.0, SD, 25),
    # audio only: 6.5 s
    Spec("mp3", 2.0), Spec("vorbis", 1.5), Spec("flac", 1.0), Spec("pcm", 2.0),
    # HD: 720p 5.0 s, 1080p 12.0 s (one of 7 s)
    Spec("h264_aac", 2.0, HD), Spec("h264_aac", 3.0, HD, 25),
    Spec("h264_aac", 5.0, FHD), Spec("h264_aac", 7.0, FHD),
)


#: defective and broken samples beside the clean ones (v2): a corpus of
#: perfect clips never meets the failure and retry paths users meet. Name ->
#: seconds of media: a 240 fps clip pyglet cannot keep up with (frames never
#: shown, whatever the machine), an MP4 cut in half (no index: unplayable),
#: a text file named .mp4
DEFECT_240FPS = f"{len(SPECS) + 1:02d}_defect_h264_240fps_160x120_2000ms.mp4"
TRUNCATED = f"{len(SPECS) + 2:02d}_broken_truncated_h264_aac.mp4"
NOT_MEDIA = f"{len(SPECS) + 3:02d}_broken_not_media.mp4"
EXTRAS: dict[str, float] = {DEFECT_240FPS: 2.0, TRUNCATED: 0.0, NOT_MEDIA: 0.0}


def names() -> list[str]:
    return [spec.name(i + 1) for i, spec in enumerate(SPECS)] + list(EXTRAS)


def total_seconds() -> float:
    return sum(spec.seconds for spec in SPECS) + sum(EXTRAS.values())


def ffmpeg_argv(spec: Spec, index: int, output: Path, ffmpeg: str = "ffmpeg") -> list[str]:
    """The command that writes sample number `index` (from 1) to `output`."""
    _, video, audio = KINDS[spec.kind]
    t = f"{spec.seconds:g}"
    frequency = 220 + 40 * index  # a different tone per sample
    rate = 44100 if index % 2 else 48000
    argv = [ffmpeg, *FFMPEG_PREFIX]
    if video is not None:
        argv += ["-f", "lavfi", "-i", f"testsrc2=size={spec.size}:rate={spec.rate}:duration={t}"]
    argv += ["-f", "lavfi", "-i", f"sine=frequency={frequency}:sample_rate={rate}:duration={t}"]
    argv += [*(video or []), *audio, "-t", t, "-fflags", "+bitexact", "-map_metadata", "-1",
             str(output)]
    return argv


def index_data() -> dict[str, object]:
    return {"version": VERSION, "total_seconds": total_seconds(),
            "samples": [{"name": spec.name(i + 1), "kind": spec.kind, "seconds": spec.seconds,
                         "size": spec.size or None, "rate": spec.rate if spec.size else None}
                        for i, spec in enumerate(SPECS)],
            "extras": EXTRAS}


def is_complete(folder: Path) -> bool:
    """True when `folder` holds this corpus: its index matches SPECS and every
    sample is there, not empty."""
    try:
        index = json.loads((folder / INDEX_NAME).read_text())
    except (OSError, ValueError):
        return False
    if index != index_data():
        return False
    return all((folder / name).is_file() and (folder / name).stat().st_size > 0
               for name in names())


def build(dest: Path, jobs: int = 2, ffmpeg: str = "ffmpeg") -> None:
    """Write every sample and the index into `dest` (an empty folder)."""
    found = shutil.which(ffmpeg)
    if found is None:
        raise SystemExit(f"cannot find {ffmpeg!r} on PATH: install FFmpeg to build the corpus")

    def one(item: tuple[int, Spec]) -> None:
        index, spec = item
        argv = ffmpeg_argv(spec, index, dest / spec.name(index), found)
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              errors="replace", timeout=FFMPEG_TIMEOUT_S)
        if done.returncode != 0 or not (dest / spec.name(index)).stat().st_size:
            tail = " | ".join(done.stderr.strip().splitlines()[-3:])
            raise RuntimeError(f"{spec.name(index)}: ffmpeg exited with {done.returncode}: {tail}")

    # the big clips first, so that the small ones fill in at the end
    order = sorted(enumerate(SPECS, 1), key=lambda item: -item[1].seconds * _pixels(item[1]))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(one, order))
    _build_extras(dest, found)
    (dest / INDEX_NAME).write_text(json.dumps(index_data(), indent=1) + "\n")


def _build_extras(dest: Path, ffmpeg: str) -> None:
    """The defective and broken samples (EXTRAS)."""
    argv = [ffmpeg, *FFMPEG_PREFIX, "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=240:duration=2",
            "-f", "lavfi", "-i", "sine=frequency=330:duration=2", "-c:v", "libx264", "-preset",
            "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-t", "2", "-fflags", "+bitexact",
            "-map_metadata", "-1", str(dest / DEFECT_240FPS)]
    subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, check=True,
                   timeout=FFMPEG_TIMEOUT_S)
    whole = (dest / SPECS[0].name(1)).read_bytes()  # a 1 s H.264/AAC MP4, its index at the end
    (dest / TRUNCATED).write_bytes(whole[:len(whole) // 2])
    (dest / NOT_MEDIA).write_bytes(b"not a video: a text file named like one\n" * 20)


def _pixels(spec: Spec) -> int:
    if not spec.size:
        return 1
    w, h = spec.size.split("x")
    return int(w) * int(h)


def ensure(folder: Path = CACHE_DIR, jobs: int = 2,
           log: Callable[[str], None] = print) -> Path:
    """The corpus in `folder`, built there first when missing or incomplete."""
    return install(folder, lambda dest: build(dest, jobs), is_complete,
                   f"the throughput corpus ({len(SPECS)} samples, {total_seconds():.0f} s of "
                   "media)", log)


def install(folder: Path, build_into: Callable[[Path], None],
            complete: Callable[[Path], bool], what: str,
            log: Callable[[str], None] = print) -> Path:
    """`folder` once `complete` says so: else `build_into` fills a temporary
    sibling, which is checked and renamed into place (an interrupted build
    never leaves a partial corpus). The held-out corpus shares it."""
    if complete(folder):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    log(f"building {what} in {folder} ...")
    start = time.monotonic()
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)  # mkdtemp's 0700 would keep the corpus private
        build_into(staging)
        if not complete(staging):
            raise RuntimeError(f"the corpus built in {staging} is incomplete")
        if folder.exists():  # an incomplete or outdated corpus: set it aside, then remove it
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
            os.replace(folder, old / "corpus")
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.rename(staging, folder)
        except OSError:
            if not complete(folder):  # not another build's complete corpus
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log(f"built in {time.monotonic() - start:.1f} s")
    return folder


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]).resolve() if args else CACHE_DIR
    ensure(folder)
    print(f"{folder}: {len(SPECS)} samples, {total_seconds():.1f} s of media")
    return 0


if __name__ == "__main__":
    sys.exit(main())
