"""Kept pictures (<sample>.pictures beside the recording): what pyglet showed.

The player child keeps a few of the pictures pyglet uploads to its video
texture (play/frame_keeper.py) and writes them here; the play stage reads
them back for the judge to compare with FFmpeg's own decode of the same
frames (judge/pictures.py), then deletes the file: full pictures live only
while they are judged.

Format, version 1: a first line `pytest-pyglet-media pictures 1\\n`, then one
record per picture: a 4-byte big-endian length and that many bytes of JSON
(`{"video_time": t, "width": w, "height": h, "size": n}`), then `n` bytes of
zlib-compressed pixels, rows top first, 4 bytes a pixel (pyglet's RGBA; the
alpha byte is dropped on reading). The pixels are compressed as pyglet gave
them: no conversion in the child, whose time is the play's.

Loading validates every field, and bounds memory: a picture decompresses to
at most width * height * 4 bytes, a file holds at most MAX_PICTURES of them
(pictures travel in bug reports, as recordings do).

Stdlib only: the player child imports this module.
"""
from __future__ import annotations

import json
import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..core import atomic
from ..core.errors import UnreadableRecordingError
from ..core.names import fit_file_name

MAGIC = b"pytest-pyglet-media pictures 1\n"
#: the suffix of a sample's kept pictures, beside its recording
SUFFIX = ".pictures"
#: pictures in one file: one a second of a 3 h play, or every frame of 2 min at 60 fps
MAX_PICTURES = 10_000
#: the largest side believed (8K is 7680)
MAX_SIDE = 16384
#: a file larger than this is not kept pictures of a test sample
MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024
#: a picture's JSON header is a few dozen bytes
MAX_HEADER_BYTES = 1024
_LENGTH = struct.Struct(">I")
CHECKS_FORMAT = "pytest-pyglet-media picture checks 1"


@dataclass(frozen=True)
class Picture:
    """One picture pyglet showed: its video_time (pyglet's clock) and RGB pixels."""

    video_time: float
    width: int
    height: int
    #: width * height * 3 bytes, rows top first
    rgb: bytes


def encode(video_time: float, width: int, height: int, rgba: bytes | memoryview) -> bytes:
    """One record: header and compressed pixels (the child calls this off its main thread)."""
    # level 1: 3-4x smaller than raw for camera video, and the fastest level
    # (zlib releases the GIL, so the play's thread keeps running)
    pixels = zlib.compress(rgba, 1)
    header = json.dumps({"video_time": video_time, "width": width, "height": height,
                         "size": len(pixels)}).encode()
    return _LENGTH.pack(len(header)) + header + pixels


def save(path: Path, records: Iterable[bytes]) -> None:
    """Write encoded records atomically."""
    atomic.write_bytes(Path(path), MAGIC + b"".join(records))


def pictures_beside(recording: Path) -> Path:
    """Where a recording's kept pictures go (SessionPaths.pictures names them so):
    the child knows its recording's path, and finds this one from it."""
    recording = Path(recording)
    return recording.with_name(fit_file_name(recording.stem, SUFFIX))


#: the suffix of the numbers the comparison kept, beside the recording
CHECKS_SUFFIX = ".pictures.json"
#: those numbers are a few hundred bytes a picture
MAX_CHECKS_BYTES = 4 * 1024 * 1024


def checks_beside(recording: Path) -> Path:
    """Where the numbers of a play's compared pictures are kept (SessionPaths.picture_checks)."""
    recording = Path(recording)
    return recording.with_name(fit_file_name(recording.stem, CHECKS_SUFFIX))


def save_checks(path: Path, stamp: list[int], checks: Mapping[str, Any]) -> None:
    """Keep the comparison's numbers for the recording version `stamp`
    (core/file_stamp.py): re-reading that recording later finds them."""
    atomic.write_text(Path(path), json.dumps({"format": CHECKS_FORMAT, "recording": stamp,
                                              "checks": dict(checks)}, allow_nan=False))


def load_checks(path: Path) -> tuple[list[int], dict[str, Any]] | None:
    """(recording stamp, checks) as save_checks kept them; None when there are
    none or they are not usable (the caller validates the checks)."""
    try:
        if Path(path).stat().st_size > MAX_CHECKS_BYTES:
            return None
        data = json.loads(Path(path).read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("format") != CHECKS_FORMAT \
            or not isinstance(data.get("recording"), list) or not isinstance(data.get("checks"), dict):
        return None
    return data["recording"], data["checks"]


def _bad(path: Path, why: str) -> UnreadableRecordingError:
    return UnreadableRecordingError(path, f"not usable kept pictures: {why}")


def load(path: Path) -> list[Picture]:
    """The pictures in `path`; UnreadableRecordingError says why they are not usable."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _bad(path, f"{size} bytes is too large")
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableRecordingError(path, f"cannot read it: {exc.strerror or exc}") from None
    if not data.startswith(MAGIC):
        raise _bad(path, "it does not start as kept pictures do")
    pictures: list[Picture] = []
    pos = len(MAGIC)
    while pos < len(data):
        if len(pictures) >= MAX_PICTURES:
            raise _bad(path, f"more than {MAX_PICTURES} pictures")
        picture, pos = _record(path, data, pos)
        pictures.append(picture)
    return pictures


def _record(path: Path, data: bytes, pos: int) -> tuple[Picture, int]:
    if pos + _LENGTH.size > len(data):
        raise _bad(path, f"truncated at byte {pos}")
    (length,) = _LENGTH.unpack_from(data, pos)
    pos += _LENGTH.size
    if length > MAX_HEADER_BYTES or pos + length > len(data):
        raise _bad(path, f"a header of {length} bytes at byte {pos}")
    try:
        header = json.loads(data[pos:pos + length])
    except (ValueError, RecursionError):
        raise _bad(path, f"the header at byte {pos} is not JSON") from None
    pos += length
    if not isinstance(header, dict) or set(header) != {"video_time", "width", "height", "size"}:
        raise _bad(path, f"the header at byte {pos - length} lacks fields or has others")
    time, width, height, size = (header[k] for k in ("video_time", "width", "height", "size"))
    if isinstance(time, bool) or not isinstance(time, (int, float)) or not math.isfinite(time):
        raise _bad(path, f"video_time {time!r:.30} is not a time")
    for name, value, high in (("width", width, MAX_SIDE), ("height", height, MAX_SIDE),
                              ("size", size, len(data) - pos)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= high:
            raise _bad(path, f"{name} {value!r:.30} is outside 1..{high}")
    expected = width * height * 4
    inflater = zlib.decompressobj()
    try:
        rgba = inflater.decompress(data[pos:pos + size], expected)
    except zlib.error as exc:
        raise _bad(path, f"the picture at {time} s does not decompress: {exc}") from None
    if len(rgba) != expected or inflater.unconsumed_tail or not inflater.eof:
        raise _bad(path, f"the picture at {time} s is not {width}x{height} RGBA pixels")
    rgb = bytearray(rgba)
    del rgb[3::4]  # pyglet's alpha is always opaque
    return Picture(float(time), width, height, bytes(rgb)), pos + size
