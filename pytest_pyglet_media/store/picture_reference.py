"""FFmpeg's own pictures of a sample's frames: the reference pyglet's are judged against.

For the frames a play kept (store/pictures.py), FFmpeg's command-line tool
decodes the same file frames to RGB as it would show them: honouring the
file's colour matrix and range, and its rotation (FFmpeg 5.1's defaults).
Where the file says something pyglet may not honour, the same frames are
decoded again as a player that ignores it would show them (VARIANTS), so
that the judge can name the likely cause of a difference:

- "bt601": converted with the BT.601 matrix (the file says another one);
  pyglet 2.1.19 converts every video with swscale's default, BT.601;
- "unrotated": without the rotation the file asks for.

What the file says (pix_fmt, colour matrix and range, rotation) comes from
the reference's probe (reference.Stream), or from ffprobe for a reference
stored before it said so. Decoded pictures are kept in the store's
reference cache beside the file's entry (or, in a store that keeps no cache,
in the session beside the reference), keyed like it by the file's content
(reference.file_identity) and by the version of the ffmpeg that decoded
them, guarded by a checksum of the whole file, and added to as later plays
keep other frames: FFmpeg decodes each frame once per file and store, not
once per session (an FFmpeg start per video sample: half the CPU of a short
clip's whole play).

Runs ffmpeg and ffprobe: called by the play stage, never by the judge.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..core import atomic
from ..core.errors import ProbeFailed, ProbeUnavailable
from ..core.names import fit_file_name
from . import ffprobe_run
from .reference import (ProgramVersions, Stream, ffprobe_path, file_key, is_current,
                        program_version)

#: how long decoding the kept frames of one file may take
DECODE_TIMEOUT = 120.0
#: a frame's file time and a requested time this close are the same frame
#: (ffprobe's times are microseconds; frames are at least a millisecond apart)
SAME_FRAME = 0.0005
#: colour matrices that are BT.601 already (ffprobe's names), and unknown ones
#: (FFmpeg then uses BT.601 too)
BT601 = {"smpte170m", "bt470bg", "unknown", "", None}
#: the variants decoded beside FFmpeg's own, by what they leave out
VARIANTS = ("bt601", "unrotated")
#: version 2: a checksum of all that follows it, and FFmpeg's version in the key
MAGIC = b"pytest-pyglet-media decoded frames 2\n"
_DIGEST_BYTES = 32
MAX_FILE_BYTES = 4 * 1024 * 1024 * 1024
_LENGTH = struct.Struct(">I")
_SHOWINFO = re.compile(rb"pts_time:\s*(\S+).*?\bs:\s*(\d+)x(\d+)")


@dataclass(frozen=True)
class Frame:
    """FFmpeg's picture of one file frame: RGB, rows top first."""

    time: float
    width: int
    height: int
    rgb: bytes


@dataclass(frozen=True)
class FileLooks:
    """What the file says about its pictures (ffprobe), for naming causes."""

    pix_fmt: str = ""
    color_space: str = ""
    color_range: str = ""
    rotation: int = 0  # degrees, as ffprobe reports the display matrix
    width: int = 0
    height: int = 0

    def to_builtins(self) -> dict[str, Any]:
        return {"pix_fmt": self.pix_fmt, "color_space": self.color_space,
                "color_range": self.color_range, "rotation": self.rotation,
                "width": self.width, "height": self.height}

    @classmethod
    def from_builtins(cls, data: Mapping[str, Any]) -> "FileLooks":
        return cls(pix_fmt=str(data.get("pix_fmt", ""))[:64],
                   color_space=str(data.get("color_space", ""))[:64],
                   color_range=str(data.get("color_range", ""))[:64],
                   rotation=int(data.get("rotation", 0)) % 360,
                   width=int(data.get("width", 0)), height=int(data.get("height", 0)))

    def variants(self) -> tuple[str, ...]:
        """The variants worth decoding for this file."""
        out = []
        if self.color_space not in BT601:
            out.append("bt601")
        if self.rotation % 360:
            out.append("unrotated")
        return tuple(out)


@dataclass
class Decoded:
    """FFmpeg's pictures of one file: by variant ("" is FFmpeg's own), by time."""

    looks: FileLooks
    frames: dict[str, dict[float, Frame]] = field(default_factory=dict)

    def frame(self, time: float, variant: str = "") -> Frame | None:
        for t, frame in self.frames.get(variant, {}).items():
            if abs(t - time) <= SAME_FRAME:
                return frame
        return None


# -- ffprobe and ffmpeg ---------------------------------------------------------


def looks(sample: Path, stream: int) -> FileLooks:
    """What ffprobe says of the pictures of video stream `stream`."""
    answer = ffprobe_run.run([ffprobe_path(), "-v", "error", "-of", "json",
                              "-select_streams", str(stream),
                              "-show_entries", "stream=pix_fmt,color_space,color_range,width,"
                              "height:stream_side_data=rotation", "--", str(sample)],
                             sample, timeout=60.0, max_bytes=1 << 20)
    try:
        info = json.loads(answer)
    except (ValueError, RecursionError):
        raise ProbeFailed(sample, "ffprobe wrote no JSON we read") from None
    streams = info.get("streams") if isinstance(info, dict) else None
    if not isinstance(streams, list) or not streams or not isinstance(streams[0], dict):
        raise ProbeFailed(sample, "ffprobe says nothing of the video stream's pictures")
    data = streams[0]
    rotation = 0
    for side in data.get("side_data_list") or ():
        if isinstance(side, dict) and isinstance(side.get("rotation"), (int, float)):
            rotation = int(round(side["rotation"]))
    return FileLooks(pix_fmt=str(data.get("pix_fmt", "")), color_space=str(data.get("color_space", "")),
                     color_range=str(data.get("color_range", "")), rotation=rotation % 360,
                     width=int(data.get("width") or 0), height=int(data.get("height") or 0))


def ffmpeg_path() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise ProbeUnavailable("ffmpeg is not installed, so pictures are not compared: "
                               "apt-get install ffmpeg (or put ffmpeg on PATH)")
    return path


#: ffmpeg's version, asked once per binary and process (a failure too)
_versions = ProgramVersions()


def ffmpeg_version() -> str:
    """The version of the ffmpeg that decodes the pictures (first line and a
    hash of `ffmpeg -version`): pictures another FFmpeg decoded are not this
    one's, and are decoded again."""
    path = ffmpeg_path()
    return _versions.of(path, lambda: program_version(path))


def decode(sample: Path, stream: int, times: Sequence[float], variant: str = "",
           timeout: float = DECODE_TIMEOUT) -> dict[float, Frame]:
    """FFmpeg's RGB pictures of the frames at file `times` of stream `stream`."""
    if not times:
        return {}
    # file times: -copyts keeps them (ffmpeg otherwise starts its clock at 0)
    picks = "+".join(f"lt(abs(t-{t!r})\\,{SAME_FRAME})" for t in sorted(set(times)))
    filters = [f"select='{picks}'"]
    if variant == "bt601":
        filters.append("scale=in_color_matrix=bt601")
    filters += ["format=rgb24", "showinfo"]
    command = [ffmpeg_path(), "-nostdin", "-nostats", "-hide_banner", "-v", "info", "-copyts",
               *(["-noautorotate"] if variant == "unrotated" else []),
               "-i", str(sample), "-map", f"0:{stream}", "-an", "-sn",
               "-vf", ",".join(filters), "-fps_mode", "passthrough", "-f", "rawvideo", "-"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, preexec_fn=ffprobe_run.yield_to_players)
        # (subprocess.run kills ffmpeg itself on the timeout)
    except subprocess.TimeoutExpired:
        raise ProbeFailed(sample, f"ffmpeg did not decode the frames in {timeout:g} s") from None
    except OSError as exc:
        raise ProbeUnavailable(f"ffmpeg cannot run: {exc}") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ProbeFailed(sample, f"ffmpeg: {lines[-1][:300] if lines else done.returncode}")
    frames: dict[float, Frame] = {}
    pos = 0
    for line in done.stderr.splitlines():
        if b"showinfo" not in line:
            continue
        found = _SHOWINFO.search(line)
        if found is None:
            continue
        time, width, height = float(found[1]), int(found[2]), int(found[3])
        size = width * height * 3
        frames[time] = Frame(time, width, height, done.stdout[pos:pos + size])
        pos += size
    if pos != len(done.stdout):
        raise ProbeFailed(sample, "ffmpeg's pictures and its account of them disagree")
    return frames


# -- the session's copy ---------------------------------------------------------

#: the suffix of a sample's decoded frames, beside its reference
SUFFIX = ".frames"


def frames_beside(reference: Path) -> Path:
    """Where FFmpeg's pictures of a sample go (SessionPaths.decoded_frames
    names them so): beside its reference, made and kept with it."""
    reference = Path(reference)
    return reference.with_name(fit_file_name(reference.stem, SUFFIX))


def looks_of(stream: Stream) -> FileLooks:
    """What the reference's probe said of a video stream's pictures."""
    return FileLooks(pix_fmt=stream.pix_fmt or "", color_space=stream.color_space or "",
                     color_range=stream.color_range or "", rotation=stream.rotation or 0,
                     width=stream.width or 0, height=stream.height or 0)


def reference_pictures(sample: Path, stream: int, times: Iterable[float],
                       stored: Path | None, given: Stream | None = None,
                       shared: Path | None = None) -> Decoded:
    """FFmpeg's pictures (its own and the variants the file calls for) of
    the frames at `times`: from `stored` (the session's) when it describes
    the sample and holds them (an earlier version kept them there), else
    from `shared` (the store's cache), else decoded now; what was decoded is
    added to `shared`, or to `stored` when there is no cache. What the file
    says of its pictures
    comes from `given`, the reference's stream, when its probe said it (else
    ffprobe is asked).

    Raises ProbeUnavailable without ffmpeg, ProbeFailed when it fails.
    """
    wanted = sorted(set(times))
    version = ffmpeg_version()
    decoded = _load(stored, sample, version) if stored is not None else None
    key = None
    new_to_session = decoded is None
    if decoded is None and shared is not None:
        decoded = _load(shared, sample, version)
    if decoded is None:
        key = file_key(sample, version)
        decoded = Decoded(looks_of(given) if given is not None and given.rotation is not None
                          else looks(sample, stream))
    decoded_now = key is not None
    for variant in ("", *decoded.looks.variants()):
        have = decoded.frames.setdefault(variant, {})
        missing = [t for t in wanted if decoded.frame(t, variant) is None]
        if missing:
            have.update(decode(sample, stream, missing, variant))
            decoded_now = True
    # kept in the store's cache when there is one (every session reads it),
    # else in the session (a store that cannot be written keeps no cache)
    keep = shared if shared is not None else stored
    if keep is not None and (decoded_now or (keep is stored and new_to_session)):
        try:
            keep.parent.mkdir(parents=True, exist_ok=True)
            _save(keep, decoded, key or file_key(sample, version))
        except OSError:
            pass  # the next play decodes them again
    return decoded


def _save(path: Path, decoded: Decoded, key: Mapping[str, Any]) -> None:
    index = []
    blobs = []
    for variant, frames in decoded.frames.items():
        for t, frame in sorted(frames.items()):
            blob = zlib.compress(frame.rgb, 1)
            index.append({"variant": variant, "time": t, "width": frame.width,
                          "height": frame.height, "size": len(blob)})
            blobs.append(blob)
    header = json.dumps({"key": dict(key), "looks": decoded.looks.to_builtins(),
                         "frames": index}).encode()
    body = _LENGTH.pack(len(header)) + header + b"".join(blobs)
    atomic.write_bytes(path, MAGIC + _digest(body) + body)


def _digest(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=_DIGEST_BYTES).digest()


def _load(path: Path, sample: Path, version: str) -> Decoded | None:
    """The stored pictures, or None when they are missing, unusable, stale,
    another FFmpeg's, or changed since they were written (a byte of the
    header, say a frame's time, would otherwise pair a picture with another
    frame and make a defect of it)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
        if not data.startswith(MAGIC):
            return None
        pos = len(MAGIC) + _DIGEST_BYTES
        if data[len(MAGIC):pos] != _digest(data[pos:]):
            return None
        (length,) = _LENGTH.unpack_from(data, pos)
        pos += _LENGTH.size
        header = json.loads(data[pos:pos + length])
        pos += length
        if header["key"].get("ffmpeg") != version or not is_current(header["key"], sample):
            return None
        decoded = Decoded(FileLooks.from_builtins(header["looks"]))
        for item in header["frames"]:
            size = int(item["size"])
            width, height, time = int(item["width"]), int(item["height"]), float(item["time"])
            expected = width * height * 3
            inflater = zlib.decompressobj()
            rgb = inflater.decompress(data[pos:pos + size], expected)
            if len(rgb) != expected or not inflater.eof or not math.isfinite(time):
                return None
            pos += size
            decoded.frames.setdefault(str(item["variant"]), {})[time] = \
                Frame(time, width, height, rgb)
        return decoded
    except (OSError, ValueError, KeyError, TypeError, struct.error, zlib.error, RecursionError):
        return None  # decoded again, and stored in its place
