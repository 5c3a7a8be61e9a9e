"""The picture itself: pyglet's kept pictures against FFmpeg's decode of the same frames.

Every other verdict is about time. This one compares what pyglet uploaded
for the screen (store/pictures.py, kept by play/frame_keeper.py) with what
FFmpeg's own tool shows for the same file frame (store/picture_reference.py),
pixel by pixel at the stored size, and names the likely cause of a
difference where one fits: the colour matrix, the rotation, the size, rows
flipped, the chroma layout.

Thresholds (measured, pyglet 2.1.19 and FFmpeg 5.1, README "The picture
itself"): pyglet and FFmpeg run the same decoder on the same bits, so on
every clip pyglet plays right the pictures are identical, byte for byte
(PSNR infinite): the demo corpus, the test corpora, 4:2:0 8-bit H.264, VP8,
VP9, Theora, MJPEG, MPEG-4 in mp4, mkv, webm, avi, ogv, full range, odd
sizes, anamorphic pixels. There is no encoder noise between two decodes of
one file; what is left is the RGB conversion's rounding, within a level or
two. A picture differs when its PSNR falls below MIN_PSNR_DB or one pixel is
off by more than MAX_WORST levels: the defects measured are far beyond both
(BT.601 for BT.709: 25-28 dB, worst 43; 10-bit: 33 dB, worst 109; 4:4:4:
23 dB, worst 255; rotation: sizes differ).

Plain Python on bytes (no numpy): equal pictures are one bytes comparison;
pictures that differ are compared as large integers, every byte at once
(absolute_differences), at C speed. Pure: data in, data out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ..store.picture_reference import Decoded, FileLooks, Frame
from ..store.pictures import Picture
from ..store.reference import Reference
from .file_checks import FrameMatcher
from .rules import PICTURE_DIFFERS

KIND = PICTURE_DIFFERS
#: below this PSNR (over R, G and B) a picture is not the file's ...
MIN_PSNR_DB = 40.0
#: ... nor when one colour value is off by more than this many levels
MAX_WORST = 8
#: pictures named in a message
MAX_LISTED = 3
#: differing pictures whose cause is looked for (the message names these first)
MAX_EXPLAINED = MAX_LISTED
#: compared pictures a stored result may hold (store/pictures.MAX_PICTURES)
MAX_COMPARED = 10_000



@dataclass(frozen=True)
class Difference:
    """How far one picture is from another of the same size."""

    psnr: float  # dB; math.inf when identical
    worst: int  # the largest difference of one colour value, 0..255
    worst_at: tuple[int, int]  # (x, y) of that pixel, from the top left

    @property
    def same(self) -> bool:
        return self.psnr >= MIN_PSNR_DB and self.worst <= MAX_WORST


def difference(a: bytes, b: bytes, width: int) -> Difference:
    """PSNR and worst pixel of two RGB pictures of the same size, `width` pixels wide."""
    if len(a) != len(b):
        raise ValueError(f"pictures of {len(a)} and {len(b)} bytes")
    if a == b:
        return Difference(math.inf, 0, (0, 0))
    diffs = absolute_differences(a, b)
    worst = max(diffs)
    at = diffs.index(worst) // 3
    # d * d in two bytes, each summed by sum() over bytes (no int objects made)
    squares = sum(diffs.translate(_SQUARE_LOW)) + 256 * sum(diffs.translate(_SQUARE_HIGH))
    mse = squares / len(a)
    return Difference(10 * math.log10(255 * 255 / mse), worst, (at % width, at // width))


# Whole pictures in plain Python, without a loop over their bytes: each byte
# goes into a lane of a large integer, and the integer's own operations
# (|, -, >>, &) work on every lane at once. Half the time of a loop over a
# 1080p picture's bytes (measured: 1.0 s against 2.0 s on a busy machine).


def _lanes(data: bytes, size: int) -> int:
    """`data` as an integer with each byte in the low byte of a `size`-byte lane."""
    spread = bytearray(len(data) * size)
    spread[size - 1::size] = data
    return int.from_bytes(spread, "big")


def absolute_differences(a: bytes, b: bytes) -> bytes:
    """|a[i] - b[i]| for every byte."""
    n = len(a)
    big_a, big_b = _lanes(a, 2), _lanes(b, 2)
    ones = _lanes(b"\x01" * n, 2)
    high = ones << 8
    # each lane 256 + a - b (1..511): no lane borrows from the next
    a_minus_b = (big_a | high) - big_b
    b_minus_a = (big_b | high) - big_a
    # keep a lane's low byte where its difference was not negative (bit 8 set)
    keep_ab = ((a_minus_b >> 8) & ones) * 0xFF
    keep_ba = ((b_minus_a >> 8) & ones) * 0xFF
    both = (a_minus_b & keep_ab) | (b_minus_a & keep_ba)
    return both.to_bytes(2 * n, "big")[1::2]


#: bytes apart in the sample _surely_differ compares (a prime: no picture row
#: or colour lines up with it)
_SAMPLE_STRIDE = 61


def _surely_differ(a: bytes, b: bytes) -> bool:
    """True when a sample of the bytes already has one off by more than
    MAX_WORST, so that the pictures cannot be the same: a cause that does
    not fit is ruled out for 1/61 of a whole comparison (about 1 s for a
    1080p picture on a busy machine). False proves nothing."""
    if len(a) != len(b):
        return True
    sample_a, sample_b = a[::_SAMPLE_STRIDE], b[::_SAMPLE_STRIDE]
    return sample_a != sample_b and max(absolute_differences(sample_a, sample_b)) > MAX_WORST


_SQUARE_LOW = bytes((d * d) & 0xFF for d in range(256))
_SQUARE_HIGH = bytes((d * d) >> 8 for d in range(256))


def flipped(rgb: bytes, width: int, height: int) -> bytes:
    """The picture upside down (its rows in reverse order)."""
    row = width * 3
    return b"".join(rgb[y * row:(y + 1) * row] for y in range(height - 1, -1, -1))


@dataclass(frozen=True)
class PictureCheck:
    """One kept picture against FFmpeg's picture of its file frame."""

    file_time: float
    width: int
    height: int
    reference_size: tuple[int, int]
    #: None when the sizes differ (nothing pixel for pixel to compare)
    difference: Difference | None
    cause: str = ""

    @property
    def differs(self) -> bool:
        return self.difference is None or not self.difference.same

    @classmethod
    def from_builtins(cls, data: Any) -> "PictureCheck":
        """The check to_builtins gave; ValueError names what is wrong."""
        if not isinstance(data, list) or len(data) != 8:
            raise ValueError("a compared picture is not a list of 8 fields")
        time, width, height, size, psnr, worst, at, cause = data
        if psnr is None and worst is None:
            diff = None
        else:
            psnr = math.inf if psnr is None else _number(psnr, "PSNR", 0.0, 1000.0)
            diff = Difference(psnr, _whole(worst, "worst", 0, 255),
                              _pair(at, "worst pixel", 1 << 16))
        return cls(_number(time, "file time", -1e7, 1e7), _whole(width, "width", 1, 1 << 16),
                   _whole(height, "height", 1, 1 << 16), _pair(size, "size", 1 << 16), diff,
                   cause[:300] if isinstance(cause, str) else "")

    def to_builtins(self) -> list[Any]:
        d = self.difference
        return [self.file_time, self.width, self.height, list(self.reference_size),
                None if d is None else (None if math.isinf(d.psnr) else round(d.psnr, 2)),
                None if d is None else d.worst, None if d is None else list(d.worst_at),
                self.cause]


@dataclass(frozen=True)
class PictureChecks:
    """The pictures of one play, compared."""

    compared: tuple[PictureCheck, ...] = ()
    note: str = ""  # why some or all were not compared

    @property
    def differing(self) -> tuple[PictureCheck, ...]:
        return tuple(c for c in self.compared if c.differs)

    @property
    def counts(self) -> dict[str, int]:
        return {KIND: len(self.differing)} if self.differing else {}

    def message(self) -> str:
        bad = self.differing
        if not bad:
            return ""
        head = (f"{len(bad)} of {len(self.compared)} pictures compared are not FFmpeg's "
                f"picture of the same file frame")
        parts = [_describe(c) for c in bad[:MAX_LISTED]]
        more = f"; and {len(bad) - MAX_LISTED} more" if len(bad) > MAX_LISTED else ""
        causes = sorted({c.cause for c in bad if c.cause})
        why = f". Likely cause: {'; '.join(causes)}" if causes else ""
        return f"{head}: {'; '.join(parts)}{more}{why}"

    def to_builtins(self) -> dict[str, Any]:
        return {"compared": [c.to_builtins() for c in self.compared], "note": self.note}

    @classmethod
    def from_builtins(cls, data: Any) -> "PictureChecks":
        """The checks to_builtins gave (kept in the session); ValueError names what is wrong."""
        if not isinstance(data, dict) or set(data) != {"compared", "note"} \
                or not isinstance(data["compared"], list) or not isinstance(data["note"], str) \
                or len(data["compared"]) > MAX_COMPARED:
            raise ValueError("not the pictures' checks")
        return cls(tuple(PictureCheck.from_builtins(c) for c in data["compared"]),
                   data["note"][:500])


def _number(value: Any, what: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not low <= value <= high:
        raise ValueError(f"{what} {value!r:.30} is not a number in {low:g}..{high:g}")
    return float(value)


def _whole(value: Any, what: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise ValueError(f"{what} {value!r:.30} is not a whole number in {low}..{high}")
    return value


def _pair(value: Any, what: str, high: int) -> tuple[int, int]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"{what} is not two numbers")
    return _whole(value[0], what, 0, high), _whole(value[1], what, 0, high)


def _describe(check: PictureCheck) -> str:
    where = f"frame {check.file_time:.3f} s"
    d = check.difference
    if d is None:
        rw, rh = check.reference_size
        return f"{where}: pyglet's picture is {check.width}x{check.height}, FFmpeg's {rw}x{rh}"
    return (f"{where}: PSNR {d.psnr:.1f} dB, worst pixel ({d.worst_at[0]}, {d.worst_at[1]}) "
            f"off by {d.worst}")


# -- causes ----------------------------------------------------------------------

_MATRICES = {"bt709": "BT.709", "bt2020nc": "BT.2020", "bt2020c": "BT.2020 (constant)",
             "smpte240m": "SMPTE 240M", "fcc": "FCC", "ycgco": "YCgCo"}


def chroma_layout(pix_fmt: str) -> str:
    """What is unusual about a pixel format for a player that expects 4:2:0 8-bit."""
    parts = []
    for layout in ("444", "422", "411", "440"):
        if f"{layout}" in pix_fmt:
            parts.append(f"{layout[0]}:{layout[1]}:{layout[2]}")
    for bits in ("9", "10", "12", "14", "16"):
        if pix_fmt.endswith((f"p{bits}le", f"p{bits}be")):
            parts.append(f"{bits}-bit")
    return " ".join(parts)


def _cause(picture: Picture, looks: FileLooks, variants: Mapping[str, Frame | None],
           reference: Frame) -> str:
    """The likely cause of a difference, tried in order; "" when none fits."""
    def matches(frame: Frame | None, rgb: bytes | None = None) -> bool:
        if frame is None or (frame.width, frame.height) != (picture.width, picture.height):
            return False
        other = rgb if rgb is not None else frame.rgb
        if _surely_differ(picture.rgb, other):
            return False
        return difference(picture.rgb, other, picture.width).same

    if matches(variants.get("unrotated")):
        return f"rotation: the file says {looks.rotation}°; pyglet's picture is not rotated"
    if matches(variants.get("bt601")):
        matrix = _MATRICES.get(looks.color_space, looks.color_space)
        return (f"colour matrix: the file says {matrix}; pyglet's picture matches "
                f"a BT.601 conversion")
    same_size = (reference.width, reference.height) == (picture.width, picture.height)
    if same_size and matches(reference, flipped(reference.rgb, reference.width,
                                                reference.height)):
        return "rows flipped: pyglet's picture is FFmpeg's upside down"
    layout = chroma_layout(looks.pix_fmt)
    if layout:
        return f"chroma layout: the file is {looks.pix_fmt} ({layout})"
    if not same_size:
        return (f"size or crop: pyglet's picture is {picture.width}x{picture.height}, "
                f"the file's {reference.width}x{reference.height}")
    return ""


# -- the check ---------------------------------------------------------------------


def file_times(pictures: Sequence[Picture], ref: Reference) -> list[float | None]:
    """The file time of the frame each kept picture shows (None: no frame of the file)."""
    matcher = FrameMatcher.of(ref.frame_times, ref.pyglet_start)
    out: list[float | None] = []
    for picture in pictures:
        index = matcher.frame_of(picture.video_time)
        out.append(None if index is None else matcher.frames[index])
    return out


def check(pictures: Sequence[Picture], ref: Reference, decoded: Decoded) -> PictureChecks:
    """Each kept picture against FFmpeg's picture of its file frame."""
    compared: list[PictureCheck] = []
    unmatched = explained = 0
    seen: set[float] = set()
    for picture, time in zip(pictures, file_times(pictures, ref)):
        reference = None if time is None else decoded.frame(time)
        if time is None or reference is None:
            unmatched += 1
            continue
        if time in seen:
            continue  # the last picture may be one kept already
        seen.add(time)
        size = (reference.width, reference.height)
        if size == (picture.width, picture.height):
            diff: Difference | None = difference(picture.rgb, reference.rgb, picture.width)
        else:
            diff = None
        cause = ""
        if (diff is None or not diff.same) and explained < MAX_EXPLAINED:
            explained += 1  # each cause tried costs a comparison of the whole picture
            variants = {v: decoded.frame(time, v) for v in decoded.looks.variants()}
            cause = _cause(picture, decoded.looks, variants, reference)
        compared.append(PictureCheck(time, picture.width, picture.height, size, diff, cause))
    note = "" if not unmatched else \
        f"{unmatched} kept pictures name no frame of the file FFmpeg decoded"
    return PictureChecks(tuple(compared), note)



# -- previews ----------------------------------------------------------------------

#: a preview's pictures are at most this wide (and as high as the aspect says)
PREVIEW_WIDTH = 320
#: previews kept of one play: the first pictures that differ
MAX_PREVIEWS = 2
#: a difference this many times brighter, so that a few levels show
DIFFERENCE_GAIN = 4
_GAP = 4  # pixels of white between the three pictures


def _shrunk(rgb: bytes, width: int, height: int, step: int) -> tuple[int, int, bytes]:
    """Every `step`-th pixel of every `step`-th row (nearest neighbour: exact colours)."""
    if step == 1:
        return width, height, rgb
    row = width * 3
    out = bytearray()
    for y in range(0, height, step):
        line = rgb[y * row:(y + 1) * row]
        for x in range(0, width, step):
            out += line[x * 3:x * 3 + 3]
    return -(-width // step), -(-height // step), bytes(out)


def preview(picture: Picture, reference: Frame) -> tuple[int, int, bytes]:
    """(width, height, RGB) of pyglet's picture, FFmpeg's and their difference
    (DIFFERENCE_GAIN times brighter; black when the sizes differ), side by side."""
    step = max(1, -(-max(picture.width, reference.width) // PREVIEW_WIDTH))
    pw, ph, prgb = _shrunk(picture.rgb, picture.width, picture.height, step)
    rw, rh, rrgb = _shrunk(reference.rgb, reference.width, reference.height, step)
    if (pw, ph) == (rw, rh):
        drgb = bytes(min(255, abs(a - b) * DIFFERENCE_GAIN) for a, b in zip(prgb, rrgb))
    else:
        drgb = bytes(pw * ph * 3)
    parts = [(pw, ph, prgb), (rw, rh, rrgb), (pw, ph, drgb)]
    height = max(h for _, h, _ in parts)
    width = sum(w for w, _, _ in parts) + _GAP * (len(parts) - 1)
    gap = b"\xff" * (_GAP * 3)
    rows = []
    for y in range(height):
        line = []
        for w, h, rgb in parts:
            line.append(rgb[y * w * 3:(y + 1) * w * 3] if y < h else b"\xff" * (w * 3))
        rows.append(gap.join(line))
    return width, height, b"".join(rows)
