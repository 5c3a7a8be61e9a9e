"""PNG files written with the standard library (zlib, struct): no imaging package.

Only what previews need: 8-bit RGB, no interlacing, every row filtered
"none". A preview of at most a few hundred pixels a side is a few hundred KB
at most.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

from ..core import atomic

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + \
        struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode(width: int, height: int, rgb: bytes) -> bytes:
    """A PNG of `rgb` (width * height * 3 bytes, rows top first)."""
    if len(rgb) != width * height * 3 or width <= 0 or height <= 0:
        raise ValueError(f"{len(rgb)} bytes are not a {width}x{height} RGB picture")
    row = width * 3
    raw = b"".join(b"\x00" + rgb[y * row:(y + 1) * row] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b""))


def save(path: Path, width: int, height: int, rgb: bytes) -> None:
    atomic.write_bytes(Path(path), encode(width, height, rgb))
