"""The held-out benchmark's corpus: 35 samples, about 100 s of media, like a
corpus users bring rather than one the project tuned itself on.

    python benchmarks/heldout_corpus.py [DEST]   (default: the cache folder below)

What it holds (names are numbered in SPECS' order):

- 12 H.264/AAC MP4 clips WITH B-frames (x264 `veryfast`, its default 3
  B-frames; `ultrafast` would disable them): five 320x240, three 640x360
  (one of 10 s), two 1280x720, two 1920x1080; the build checks with ffprobe
  that each has `has_b_frames` > 0;
- VP8/Vorbis and VP9/Opus WebM (one VP9 at 1280x720), MPEG-4/MP3 AVI,
  Theora/Vorbis Ogg, MJPEG/PCM QuickTime: two of each;
- four audio-only files: MP3, Ogg Vorbis, FLAC, WAV;
- defective on purpose (samples.toml's recipes at other lengths): a 240 fps
  H.264 clip (pyglet's video queue fills, audio starves, play ends early), a
  720p clip tagged BT.709 (pyglet converts it with the BT.601 matrix), an MP4
  whose audio starts 0.5 s after its video (frames not shown, a short play);
  and one odd but sound clip: an MKV with a 2 s gap in its video timestamps
  (a correct player holds the frame);
- five broken files: an MP4 cut in half (no moov atom), a WebM cut at 40 %
  (its header still says 3 s), a text file named .mp4, a zero-byte .mkv, and
  48 KiB of random bytes named .avi.

Durations run from 1 s to 10 s (one 10 s clip). Every clip is made by the
`ffmpeg` CLI from lavfi's `testsrc2` and `sine` with fast deterministic
settings (x264 `veryfast`, libvpx and libvpx-vp9 `good` at speed 5: their
`realtime` mode differs run to run), so one FFmpeg version builds the same
files; about 20-40 s on two cores.

Cached like the throughput corpus (throughput_corpus.install): in
`benchmarks/.cache/heldout-corpus-v1/`, built in a temporary sibling and
renamed into place; `corpus.json` lists what the folder must hold (name,
kind, nominal seconds, size, rate, note). Change a recipe? Bump VERSION.
"""
from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from throughput_corpus import FFMPEG_PREFIX, FFMPEG_TIMEOUT_S, INDEX_NAME, install  # noqa: E402

VERSION = "heldout-corpus-v1"
CACHE_DIR = HERE / ".cache" / VERSION

#: the kinds whose clips must hold B-frames (checked after the build)
B_FRAMES = "h264_bframes"
DEFECT, ODD, BROKEN = "defect", "odd", "broken"

H264 = ("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p")
H264_NO_BF = (*H264, "-bf", "0")
AAC = ("-c:a", "aac", "-b:a", "96k")
VP8 = ("-c:v", "libvpx", "-deadline", "good", "-cpu-used", "5", "-b:v", "600k")
VP9 = ("-c:v", "libvpx-vp9", "-deadline", "good", "-cpu-used", "5", "-b:v", "600k")
VORBIS = ("-c:a", "libvorbis")
OPUS = ("-c:a", "libopus", "-b:a", "64k")
MPEG4 = ("-c:v", "mpeg4", "-q:v", "5")
MP3 = ("-c:a", "libmp3lame", "-b:a", "128k")
THEORA = ("-c:v", "libtheora", "-q:v", "5")
MJPEG = ("-c:v", "mjpeg", "-q:v", "5", "-pix_fmt", "yuvj420p")
PCM = ("-c:a", "pcm_s16le")
BT709 = ("-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709")
SD, NHD, HD, FHD = "320x240", "640x360", "1280x720", "1920x1080"


@dataclass(frozen=True)
class Spec:
    """One sample: how it is made and what it is."""

    label: str  # the file name without its number and extension
    ext: str
    kind: str  # h264_bframes, webm, avi, ogv, mov, audio, defect, odd, broken
    seconds: float  # the length the file claims (0: no media at all)
    #: ffmpeg's arguments before the output (empty: `content` is the file)
    ffmpeg: tuple[str, ...] = ()
    size: str = ""
    rate: int = 0
    truncate: float | None = None  # keep this fraction of the encoded bytes
    content: bytes | None = None
    note: str = ""

    def name(self, index: int) -> str:
        return f"{index:02d}_{self.label}.{self.ext}"


def _tone(label: str) -> int:
    """A different tone per sample, the same in every build."""
    return 220 + 20 * (zlib.crc32(label.encode()) % 40)


def _inputs(label: str, seconds: float, size: str = "", rate: int = 0,
            sample_rate: int = 48000, video_seconds: float | None = None,
            audio_offset: float = 0.0) -> tuple[str, ...]:
    t = f"{seconds:g}"
    found: tuple[str, ...] = ()
    if size:
        v = f"{video_seconds if video_seconds is not None else seconds:g}"
        found += ("-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={v}")
    audio_t = f"{seconds - audio_offset:g}"
    offset = ("-itsoffset", f"{audio_offset:g}") if audio_offset else ()
    found += (*offset, "-f", "lavfi", "-i",
              f"sine=frequency={_tone(label)}:sample_rate={sample_rate}:duration={audio_t}")
    return found + ("-t", t)


def clip(kind: str, label: str, ext: str, seconds: float, size: str, rate: int,
         video: tuple[str, ...], audio: tuple[str, ...], sample_rate: int = 48000,
         **extra: object) -> Spec:
    full = f"{label}_{size}_{rate}fps_{round(seconds * 1000)}ms"
    return Spec(full, ext, kind, seconds,
                (*_inputs(full, seconds, size, rate, sample_rate), *video, *audio),
                size=size, rate=rate, **extra)  # type: ignore[arg-type]


def audio(label: str, ext: str, seconds: float, codec: tuple[str, ...]) -> Spec:
    full = f"{label}_{round(seconds * 1000)}ms"
    return Spec(full, ext, "audio", seconds, (*_inputs(full, seconds, sample_rate=44100), *codec))


def _h264(seconds: float, size: str, rate: int) -> Spec:
    return clip(B_FRAMES, "h264bf_aac", "mp4", seconds, size, rate, H264, AAC,
                sample_rate=44100 if rate == 25 else 48000)


#: the corpus, in build order (names are numbered in this order)
SPECS: tuple[Spec, ...] = (
    # 12 H.264/AAC MP4 with B-frames: 46.5 s
    *(_h264(s, SD, r) for s, r in ((1.0, 30), (2.0, 25), (3.0, 30), (4.0, 24), (5.0, 30))),
    *(_h264(s, NHD, r) for s, r in ((2.5, 30), (4.0, 25), (10.0, 30))),
    _h264(3.0, HD, 30), _h264(4.0, HD, 25), _h264(3.0, FHD, 30), _h264(5.0, FHD, 25),
    # WebM, AVI, Ogg, QuickTime: 25.0 s
    clip("webm", "vp8_vorbis", "webm", 2.5, SD, 30, VP8, VORBIS),
    clip("webm", "vp8_vorbis", "webm", 3.5, NHD, 25, VP8, VORBIS, sample_rate=44100),
    clip("webm", "vp9_opus", "webm", 3.0, SD, 30, VP9, OPUS),
    clip("webm", "vp9_opus", "webm", 2.0, HD, 25, VP9, OPUS),
    clip("avi", "mpeg4_mp3", "avi", 3.0, SD, 25, MPEG4, MP3, sample_rate=44100),
    clip("avi", "mpeg4_mp3", "avi", 2.5, NHD, 30, MPEG4, MP3),
    clip("ogv", "theora_vorbis", "ogv", 2.0, SD, 30, THEORA, VORBIS),
    clip("ogv", "theora_vorbis", "ogv", 2.5, SD, 25, THEORA, VORBIS, sample_rate=44100),
    clip("mov", "mjpeg_pcm", "mov", 1.5, SD, 24, MJPEG, PCM),
    clip("mov", "mjpeg_pcm", "mov", 2.5, SD, 30, MJPEG, PCM, sample_rate=44100),
    # audio only: 12.5 s
    audio("sine_mp3", "mp3", 5.0, MP3), audio("sine_vorbis", "ogg", 3.0, VORBIS),
    audio("sine_flac", "flac", 2.5, ("-c:a", "flac")), audio("sine_pcm", "wav", 2.0, PCM),
    # defective on purpose, and one odd clip: 11.0 s
    clip(DEFECT, "h264_aac", "mp4", 2.0, "160x120", 240, H264, AAC,
         note="240 fps: the video queue fills, audio starves, play ends early"),
    clip(DEFECT, "h264_aac_bt709", "mp4", 2.0, HD, 30, (*H264_NO_BF, *BT709), AAC,
         note="tagged BT.709, converted by pyglet with the BT.601 matrix"),
    Spec("h264_aac_late_audio_320x240_30fps_3000ms", "mp4", DEFECT, 3.0,
         (*_inputs("late_audio", 3.0, SD, 30, audio_offset=0.5), *H264_NO_BF, *AAC),
         size=SD, rate=30, note="audio starts 0.5 s after the video"),
    Spec("h264_aac_vfr_gap_320x240_25fps_4000ms", "mkv", ODD, 4.0,
         (*_inputs("vfr_gap", 4.0, SD, 25, video_seconds=2.0),
          "-vf", "setpts='if(gte(N,25),PTS+2/TB,PTS)'", "-fps_mode", "vfr", *H264_NO_BF, *AAC),
         size=SD, rate=25, note="a 2 s gap in the video timestamps (a correct player holds "
                                "the frame)"),
    # broken: 6.0 s claimed, none playable
    clip(BROKEN, "truncated_h264_aac", "mp4", 3.0, SD, 30, H264, AAC, truncate=0.5,
         note="the first half of an MP4: its index (moov atom, at the end) is missing"),
    clip(BROKEN, "truncated_vp8_vorbis", "webm", 3.0, SD, 30, VP8, VORBIS, truncate=0.4,
         note="the first 40 % of a WebM: the header says 3 s, the data ends early"),
    Spec("not_media", "mp4", BROKEN, 0.0,
         content=b"Meeting notes, saved by mistake under a video's name.\n" * 4,
         note="a text file named .mp4"),
    Spec("empty", "mkv", BROKEN, 0.0, content=b"", note="a zero-byte .mkv"),
    Spec("random_bytes", "avi", BROKEN, 0.0, content=random.Random(19).randbytes(48 * 1024),
         note="48 KiB of random bytes named .avi"),
)


def names() -> list[str]:
    return [spec.name(i + 1) for i, spec in enumerate(SPECS)]


def total_seconds() -> float:
    return sum(spec.seconds for spec in SPECS)


def index_data() -> dict[str, object]:
    return {"version": VERSION, "total_seconds": total_seconds(),
            "samples": [{"name": spec.name(i + 1), "kind": spec.kind, "seconds": spec.seconds,
                         "size": spec.size or None, "rate": spec.rate or None,
                         "note": spec.note or None}
                        for i, spec in enumerate(SPECS)]}


def read_index(folder: Path) -> dict[str, dict[str, object]]:
    """sample name -> its entry in the folder's corpus.json ({} without one)."""
    try:
        index = json.loads((folder / INDEX_NAME).read_text())
        return {entry["name"]: entry for entry in index["samples"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def is_complete(folder: Path) -> bool:
    """True when `folder` holds this corpus: its index matches SPECS and every
    sample is there (the zero-byte one empty, the others not)."""
    try:
        index = json.loads((folder / INDEX_NAME).read_text())
    except (OSError, ValueError):
        return False
    if index != index_data():
        return False
    for i, spec in enumerate(SPECS):
        path = folder / spec.name(i + 1)
        if not path.is_file() or (path.stat().st_size > 0) != (spec.content != b""):
            return False
    return True


def build(dest: Path, jobs: int = 2, ffmpeg: str = "ffmpeg") -> None:
    """Write every sample and the index into `dest` (an empty folder)."""
    found = shutil.which(ffmpeg)
    if found is None:
        raise SystemExit(f"cannot find {ffmpeg!r} on PATH: install FFmpeg to build the corpus")

    def one(item: tuple[int, Spec]) -> None:
        index, spec = item
        output = dest / spec.name(index)
        if spec.content is not None:
            output.write_bytes(spec.content)
            return
        argv = [found, *FFMPEG_PREFIX, *spec.ffmpeg, "-fflags", "+bitexact",
                "-map_metadata", "-1", str(output)]
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              errors="replace", timeout=FFMPEG_TIMEOUT_S)
        if done.returncode != 0 or not output.stat().st_size:
            tail = " | ".join(done.stderr.strip().splitlines()[-3:])
            raise RuntimeError(f"{output.name}: ffmpeg exited with {done.returncode}: {tail}")
        if spec.truncate is not None:
            with open(output, "r+b") as f:
                f.truncate(int(output.stat().st_size * spec.truncate))

    # the costly clips first, so that the small ones fill in at the end
    order = sorted(enumerate(SPECS, 1), key=lambda item: -_cost(item[1]))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(one, order))
    missing = [spec.name(i) for i, spec in enumerate(SPECS, 1)
               if spec.kind == B_FRAMES and not has_b_frames(dest / spec.name(i))]
    if missing:
        raise RuntimeError(f"no B-frames in {', '.join(missing)}: check the x264 settings")
    (dest / INDEX_NAME).write_text(json.dumps(index_data(), indent=1) + "\n")


def has_b_frames(path: Path) -> bool:
    """ffprobe's `has_b_frames` of the first video stream is above 0."""
    done = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                           "stream=has_b_frames", "-of", "csv=p=0", str(path)],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)
    try:
        return int(done.stdout.strip().split(",")[0]) > 0
    except ValueError:
        return False


def _cost(spec: Spec) -> float:
    if not spec.size:
        return spec.seconds
    w, h = spec.size.split("x")
    return spec.seconds * spec.rate * int(w) * int(h)


def ensure(folder: Path = CACHE_DIR, jobs: int = 2,
           log: Callable[[str], None] = print) -> Path:
    """The corpus in `folder`, built there first when missing or incomplete."""
    return install(folder, lambda dest: build(dest, jobs), is_complete,
                   f"the held-out corpus ({len(SPECS)} samples, {total_seconds():.0f} s of "
                   "media)", log)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]).resolve() if args else CACHE_DIR
    ensure(folder)
    print(f"{folder}: {len(SPECS)} samples, {total_seconds():.1f} s of media")
    return 0


if __name__ == "__main__":
    sys.exit(main())
