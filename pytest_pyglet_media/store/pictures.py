"""Kept pictures (<sample>.pictures beside the recording): what pyglet showed.

The player child keeps a few of the pictures pyglet uploads to its video
texture (play/frame_keeper.py) and writes them here; the play stage reads
them back for the judge to compare with FFmpeg's own decode of the same
frames (judge/pictures.py), then deletes the file: full pictures live only
while they are judged. The comparison's numbers stay, beside the recording
(`checks_beside`), for every later reading of that recording.

Format, version 1: a first line "pytest-pyglet-media pictures 1", then one
record per picture: a 4-byte big-endian length and that many bytes of JSON
({"video_time": t, "width": w, "height": h, "size": n}), then the n =
w * h * 4 bytes of pixels, rows top first, 4 bytes a pixel (pyglet's RGBA;
the alpha byte is dropped on reading). The pixels are written as pyglet gave
them, uncompressed: the child's time is the play's, and compressing costs
it more than the play's 10 % (zlib's fastest level takes 55 ms for a 1080p
test pattern, 380 ms for camera-like noise; writing the raw pixels a few
ms). The child writes them to `partial(path)` as it keeps them and renames
that file at the end of the play.

Loading validates every field and reads one picture at a time: a file holds
at most MAX_PICTURES of them, each of the size its header says.

Stdlib only: the player child imports this module.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Mapping

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
#: a picture's JSON header is a few dozen bytes
MAX_HEADER_BYTES = 1024
_LENGTH = struct.Struct(">I")
#: the suffix of the numbers the comparison kept, beside the recording
CHECKS_SUFFIX = ".pictures.json"
CHECKS_FORMAT = "pytest-pyglet-media picture checks 1"
#: those numbers are a few dozen bytes a picture
MAX_CHECKS_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Picture:
    """One picture pyglet showed: its video_time (pyglet's clock) and RGB pixels."""

    video_time: float
    width: int
    height: int
    #: width * height * 3 bytes, rows top first
    rgb: bytes


def header(video_time: float, width: int, height: int) -> bytes:
    """One record's header; its pixels (width * height * 4 bytes) follow it."""
    text = json.dumps({"video_time": video_time, "width": width, "height": height,
                       "size": width * height * 4}).encode()
    return _LENGTH.pack(len(text)) + text


def encode(video_time: float, width: int, height: int, rgba: bytes | memoryview) -> bytes:
    """One whole record (the child writes header and pixels apart, without this copy)."""
    return header(video_time, width, height) + bytes(rgba)


def save(path: Path, records: Iterable[bytes]) -> None:
    """Write encoded records atomically."""
    atomic.write_bytes(Path(path), MAGIC + b"".join(records))


def pictures_beside(recording: Path) -> Path:
    """Where a recording's kept pictures go (SessionPaths.pictures names them so):
    the child knows its recording's path, and finds this one from it."""
    recording = Path(recording)
    return recording.with_name(fit_file_name(recording.stem, SUFFIX))


def partial(path: Path) -> Path:
    """Where the child writes pictures as it keeps them, renamed to `path` at the end
    (fitted like every store name: a sample's name may take all NAME_MAX bytes)."""
    path = Path(path)
    return path.with_name(fit_file_name(path.name, ".part"))


def _bad(path: Path, why: str) -> UnreadableRecordingError:
    return UnreadableRecordingError(path, f"not usable kept pictures: {why}")


def load(path: Path) -> list[Picture]:
    """The pictures in `path`; UnreadableRecordingError says why they are not usable."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if f.read(len(MAGIC)) != MAGIC:
                raise _bad(path, "it does not start as kept pictures do")
            pictures: list[Picture] = []
            while f.tell() < size:
                if len(pictures) >= MAX_PICTURES:
                    raise _bad(path, f"more than {MAX_PICTURES} pictures")
                pictures.append(_record(path, f, size))
            return pictures
    except OSError as exc:
        raise UnreadableRecordingError(path, f"cannot read it: {exc.strerror or exc}") from None


def _record(path: Path, f: BinaryIO, end: int) -> Picture:
    pos = f.tell()
    if pos + _LENGTH.size > end:
        raise _bad(path, f"truncated at byte {pos}")
    (length,) = _LENGTH.unpack(f.read(_LENGTH.size))
    pos += _LENGTH.size
    if length > MAX_HEADER_BYTES or pos + length > end:
        raise _bad(path, f"a header of {length} bytes at byte {pos}")
    try:
        fields = json.loads(f.read(length))
    except (ValueError, RecursionError):
        raise _bad(path, f"the header at byte {pos} is not JSON") from None
    if not isinstance(fields, dict) or set(fields) != {"video_time", "width", "height", "size"}:
        raise _bad(path, f"the header at byte {pos} lacks fields or has others")
    pos += length
    time, width, height, size = (fields[k] for k in ("video_time", "width", "height", "size"))
    if isinstance(time, bool) or not isinstance(time, (int, float)) or not math.isfinite(time):
        raise _bad(path, f"video_time {time!r:.30} is not a time")
    for name, value, high in (("width", width, MAX_SIDE), ("height", height, MAX_SIDE),
                              ("size", size, end - pos)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= high:
            raise _bad(path, f"{name} {value!r:.30} is outside 1..{high}")
    if size != width * height * 4:
        raise _bad(path, f"the picture at {time} s is not {width}x{height} RGBA pixels")
    rgb = bytearray(f.read(size))
    del rgb[3::4]  # pyglet's alpha is always opaque
    return Picture(float(time), width, height, bytes(rgb))


# -- the comparison's numbers ------------------------------------------------------


def checks_beside(recording: Path) -> Path:
    """Where the numbers of a play's compared pictures are kept (SessionPaths.picture_checks)."""
    recording = Path(recording)
    return recording.with_name(fit_file_name(recording.stem, CHECKS_SUFFIX))


def recording_digest(recording: Path) -> str | None:
    """What names a recording's content (BLAKE2b of its bytes): the numbers kept
    for it hold while the recording is the same, copied (a bundle, a merge) or not.
    None when it cannot be read. Recordings are small: a few ms."""
    try:
        return hashlib.blake2b(Path(recording).read_bytes(), digest_size=16).hexdigest()
    except OSError:
        return None


def save_checks(path: Path, digest: str, checks: Mapping[str, Any]) -> None:
    """Keep the comparison's numbers for the recording whose content has `digest`:
    reading that recording again finds them."""
    atomic.write_text(Path(path), json.dumps({"format": CHECKS_FORMAT, "recording": digest,
                                              "checks": dict(checks)}, allow_nan=False))


def load_checks(path: Path) -> tuple[str, dict[str, Any]] | None:
    """(recording digest, checks) as save_checks kept them; None when there are
    none or they are not usable (the caller validates the checks)."""
    try:
        if Path(path).stat().st_size > MAX_CHECKS_BYTES:
            return None
        data = json.loads(Path(path).read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("format") != CHECKS_FORMAT \
            or not isinstance(data.get("recording"), str) \
            or not isinstance(data.get("checks"), dict):
        return None
    return data["recording"], data["checks"]
