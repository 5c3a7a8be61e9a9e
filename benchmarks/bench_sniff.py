"""What telling media from other files costs: the sniff of the first bytes
next to one ffprobe per file.

    python benchmarks/bench_sniff.py [--files 1000] [--probe-sample 50] [--repeats 3] [--keep DIR]

Builds a samples folder of --files files: 10 tiny real media files made with
the ffmpeg CLI, each copied under many names (with and without extension),
and the files a corpus folder gathers beside them (LICENSE, notes, cover
images, subtitles, checksums, Thumbs.db-like OLE files, random junk). Then:

  - sniff: `sessions.implicit_selection` on the whole folder (listing, stat,
    reading the first 4 KB, classifying), best of --repeats; wall and CPU;
  - probe: one `ffprobe -show_streams` per file on --probe-sample files
    spread over every kind, wall and CPU (the children's), extrapolated to
    the whole folder; and how often its answer (an audio stream, or a video
    stream that is neither cover art nor a still image codec) agrees with
    the sniff on those files.

No assertion on absolute times: the machine decides those. Exit status 0.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_pyglet_media.store import sessions  # noqa: E402  (no pyglet)

FFMPEG = ("ffmpeg", "-v", "error", "-y", "-nostdin")
VIDEO = ("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=0.5")
AUDIO = ("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000:duration=0.5")
#: 10 real media files: name -> ffmpeg arguments
MEDIA = {
    "h264_aac.mp4": (*VIDEO, *AUDIO, "-c:v", "libx264", "-preset", "ultrafast",
                     "-pix_fmt", "yuv420p", "-c:a", "aac"),
    "vp8_vorbis.webm": (*VIDEO, *AUDIO, "-c:v", "libvpx", "-c:a", "libvorbis"),
    "h264_flac.mkv": (*VIDEO, *AUDIO, "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "flac"),
    "mpeg4_mp3.avi": (*VIDEO, *AUDIO, "-c:v", "mpeg4", "-c:a", "libmp3lame"),
    "mpeg2.ts": (*VIDEO, *AUDIO, "-c:v", "mpeg2video", "-c:a", "mp2"),
    "tone.wav": (*AUDIO, "-c:a", "pcm_s16le"),
    "tone.mp3": (*AUDIO, "-c:a", "libmp3lame", "-id3v2_version", "0"),
    "tone.ogg": (*AUDIO, "-c:a", "libvorbis"),
    "tone.flac": (*AUDIO, "-c:a", "flac"),
    "tone.m4a": (*AUDIO, "-c:a", "aac"),
}
#: codecs of a still image: FFmpeg opens such a file as a one-frame video
IMAGE_CODECS = {"mjpeg", "png", "bmp", "gif", "webp", "tiff", "jpegxl"}


def make_media(folder: Path) -> list[Path]:
    made = []
    for name, args in MEDIA.items():
        path = folder / name
        subprocess.run([*FFMPEG, *args, "-shortest", str(path)], check=True)
        made.append(path)
    return made


def make_images(folder: Path) -> list[Path]:
    made = []
    for name in ("cover.jpg", "poster.png"):
        path = folder / name
        subprocess.run([*FFMPEG, *VIDEO, "-frames:v", "1", str(path)], check=True)
        made.append(path)
    return made


def other_contents(rng: random.Random) -> dict[str, bytes]:
    """The non-media files a samples folder gathers, by kind."""
    return {
        "LICENSE": b"MIT License\n\nPermission is hereby granted, free of charge...\n" * 20,
        "notes.md": "# Notes\n\nclips from the 2026 batch, ñ\n".encode() * 10,
        "subtitles.srt": b"1\n00:00:01,000 --> 00:00:02,000\nhello\n\n" * 30,
        "checksums.md5": b"d41d8cd98f00b204e9800998ecf8427e  clip.mp4\n" * 30,
        "Thumbs.db": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(rng.randrange(256)
                                                         for _ in range(2000)),
        "junk": bytes(rng.randrange(256) for _ in range(3000)),
    }


def build_folder(folder: Path, files: int, rng: random.Random) -> dict[str, str]:
    """The folder of `files` files; name -> kind (its origin)."""
    seeds = folder.parent / "seeds"
    seeds.mkdir()
    media: list[tuple[str, Path | bytes]] = [(p.name, p) for p in make_media(seeds)]
    others: list[tuple[str, Path | bytes]] = [(p.name, p) for p in make_images(seeds)]
    others += list(other_contents(rng).items())
    kinds: dict[str, str] = {}
    for number in range(files):
        # 6 files in 10 are media: the 10 media files come under about 60 names each
        group = media if number % 10 < 6 else others
        kind, source = group[(number // 10 * 7 + number) % len(group)]
        stem, dot, ext = kind.rpartition(".")
        # a third of the copies lose their extension: the bytes must tell
        name = f"{number:04d}_{stem or ext}" + ("" if dot == "" or number % 3 == 0
                                                else f".{ext}")
        if isinstance(source, Path):
            shutil.copyfile(source, folder / name)
        else:
            (folder / name).write_bytes(source)
        kinds[name] = kind
    return kinds


def probe_says_media(path: Path) -> bool:
    out = subprocess.run(["ffprobe", "-v", "quiet", "-of", "json", "-show_streams", str(path)],
                         capture_output=True, text=True).stdout
    streams = json.loads(out or "{}").get("streams", [])
    for stream in streams:
        if stream.get("codec_type") == "audio":
            return True
        if stream.get("codec_type") == "video" and \
                not stream.get("disposition", {}).get("attached_pic") and \
                stream.get("codec_name") not in IMAGE_CODECS:
            return True
    return False


def cpu_children() -> float:
    times = os.times()
    return times.children_user + times.children_system


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--probe-sample", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the folder here and keep it")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_sniff_"))
    folder = work / "samples"
    folder.mkdir(parents=True)
    rng = random.Random(21)
    kinds = build_folder(folder, args.files, rng)

    walls, cpus = [], []
    for _ in range(args.repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        selection = sessions.implicit_selection(folder)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    sniffed_media = set(selection.samples)

    # the probe sample: one file of every kind, then files spread evenly
    names = sorted(kinds)
    sample = [next(n for n in names if kinds[n] == kind) for kind in sorted(set(kinds.values()))]
    step = max(1, len(names) // args.probe_sample)
    room = max(0, args.probe_sample - len(sample))
    sample += [n for n in names[::step] if n not in sample][:room]
    wall, cpu = time.perf_counter(), cpu_children()
    probed = {name: probe_says_media(folder / name) for name in sample}
    probe_wall, probe_cpu = time.perf_counter() - wall, cpu_children() - cpu
    agree = sum(probed[n] == (n in sniffed_media) for n in sample)
    scale = len(kinds) / len(sample)

    print(f"folder: {folder} ({len(kinds)} files: {len(sniffed_media)} kept as media, "
          f"{len(selection.skipped)} skipped); python {sys.version.split()[0]}; "
          f"nproc {os.cpu_count()}")
    print(f"sniff, whole folder (best of {args.repeats}): wall {min(walls):.4f} s, "
          f"cpu {min(cpus):.4f} s, {min(walls) / len(kinds) * 1e6:.1f} us a file")
    print(f"ffprobe, {len(sample)} files: wall {probe_wall:.2f} s, cpu {probe_cpu:.2f} s; "
          f"per {len(kinds)} files: wall {probe_wall * scale:.1f} s, cpu {probe_cpu * scale:.1f} s")
    print(f"ratio probe / sniff (wall, per {len(kinds)} files): "
          f"{probe_wall * scale / min(walls):.0f}x")
    print(f"sniff and ffprobe agree on {agree} of {len(sample)} probed files")
    for name in sample:
        if probed[name] != (name in sniffed_media):
            print(f"  differ: {name} ({kinds[name]}): ffprobe says "
                  f"{'media' if probed[name] else 'not media'}")
    print("kind                 files   kept  skipped  (reason of the first skipped)")
    reasons = {f.name: f.reason for f in selection.skipped}
    for kind in sorted(set(kinds.values())):
        of_kind = [n for n in names if kinds[n] == kind]
        kept = [n for n in of_kind if n in sniffed_media]
        why = next((reasons[n] for n in of_kind if n in reasons), "")
        print(f"{kind:<20} {len(of_kind):>5} {len(kept):>6} {len(of_kind) - len(kept):>8}  {why}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
