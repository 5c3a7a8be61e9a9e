"""The file as reference: what ffprobe says a sample holds, independent of pyglet.

pyglet's event stream only says what pyglet did; to tell a frame pyglet lost
from a frame the file never had, we need the file's own account: container
duration, each stream's start and duration, and the presentation time of
every video frame. ffprobe gives all of it by demuxing only (no decoding):
one run describes the container and streams, a second lists the video
stream's packets (never audio's), each bounded in time and output
(ffprobe_run.py), so probing costs a small fraction of the play
(benchmarks/bench_probe.py).

A reference is keyed by the file's identity (device, inode, size, mtime and
a hash of its first and last MiB: file_identity, never a whole read) and
FFmpeg's version. The store's reference cache (reference_cache.py) keeps the
references plays trust; a session keeps a copy as JSON next to its
recordings, for its reports. Loading one validates every field, as
recordings are: references travel in bug reports too.

No pyglet, no pytest: this module runs in the test process.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import stat as stat_module
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from ..core import atomic
from ..core.errors import BadReferenceError, ProbeFailed, ProbeUnavailable
from ..core.file_stamp import FileStamp
from . import ffprobe_run

#: JSON "format" marker and version of a stored reference
FORMAT = "pytest-pyglet-media reference"
FORMAT_VERSION = 2
#: the versions read: 1 (before the key named the file's identity and FFmpeg)
#: is still shown as it came
READ_VERSIONS = (1, 2)
#: a probe that takes longer is hung (a 1 h file demuxes in about a second),
#: whatever the file's size
PROBE_TIMEOUT = 60.0
#: ffprobe's start on a loaded machine (about 0.08 s idle), which every
#: probe may take whatever the file's size
PROBE_MINIMUM = 10.0
#: demuxing reads the file at disk speed: a larger file may take longer
PROBE_BYTES_PER_SECOND = 50e6
#: `ffprobe -version` answers in about 0.08 s: longer than this is a hung ffprobe
VERSION_TIMEOUT = 10.0
#: its answer is about 2 kB
MAX_VERSION_BYTES = 64 * 1024
#: FFmpeg's version as a key keeps this much of its first line
MAX_VERSION_CHARS = 120
#: the description of the container and its streams, without packets, is a
#: few kB; MAX_STREAMS streams of long tags fit in this
MAX_DESCRIPTION_BYTES = 4 * 1024 * 1024
#: a line of the frame list ("0,12.345678,12.300000,K_") is ~25 bytes
MAX_FRAME_LINE_BYTES = 128
#: a video frame takes at least this many bytes of a file (a packet's
#: header and a byte of payload in any container) ...
MIN_FRAME_BYTES = 8
#: ... beyond this many frames, which any file may hold
MIN_FRAMES_BOUND = 100_000
#: more video frames than this is not a test sample (11 h at 25 fps)
MAX_FRAMES = 1_000_000
#: more streams than this is not a test sample either
MAX_STREAMS = 256
#: times beyond this (about 115 days) are corrupt headers, not media
MAX_SECONDS = 1e7
#: a stored reference larger than this cannot hold MAX_FRAMES frames in our format
MAX_REFERENCE_BYTES = 32 * 1024 * 1024
#: codec names and stream kinds are short words; refuse novels
MAX_NAME_CHARS = 64
#: the largest picture side believed (ffprobe says 0 or nonsense for broken streams)
MAX_PIXELS = 1 << 16
#: a file is identified by a hash of its first and last this many bytes,
#: never read whole (a 10 GB sample costs 2 MiB of reading)
HEAD_TAIL_BYTES = 1024 * 1024
#: the fields of a file's identity (file_identity), in a key with "ffmpeg"
IDENTITY_FIELDS = ("device", "inode", "size", "mtime_ns", "head_tail")


@dataclass(frozen=True)
class Stream:
    """One stream of the container, as ffprobe lists it."""

    index: int
    kind: str  # ffprobe's codec_type: "video", "audio", "subtitle", "data", ...
    codec: str
    start: float | None  # seconds; None when ffprobe says N/A
    duration: float | None  # seconds; None when neither ffprobe nor a tag knows
    attached_pic: bool = False  # cover art: a picture, not video
    #: a video stream's picture size in pixels (None: not video, or unknown);
    #: with the frame rate it tells what a play costs (costs.py)
    width: int | None = None
    height: int | None = None
    #: what a video stream says of its pictures (None: not video, or a
    #: reference stored before these were probed): the pixel format, the
    #: colour matrix and range (ffprobe's names), the display matrix's
    #: rotation in degrees; picture_reference.py names causes with them
    pix_fmt: str | None = None
    color_space: str | None = None
    color_range: str | None = None
    rotation: int | None = None

    @property
    def end(self) -> float | None:
        if self.start is None or self.duration is None:
            return None
        return self.start + self.duration


@dataclass(frozen=True)
class Reference:
    """What a sample holds, according to ffprobe."""

    #: the container's duration, as ffprobe says it (for a file starting
    #: late, Matroska's is its end time): how long the file plays is `length`
    duration: float | None
    start: float | None  # the container's start time
    streams: tuple[Stream, ...]
    #: index of the video stream whose frames are listed (the first that is
    #: not cover art); None for audio-only files and cover art
    video_index: int | None = None
    #: presentation times (s) of that stream's frames, sorted, file time
    frame_times: tuple[float, ...] = ()

    @property
    def video(self) -> Stream | None:
        return self._stream(self.video_index)

    @property
    def audio(self) -> Stream | None:
        """The first audio stream: the one pyglet plays."""
        return next((s for s in self.streams if s.kind == "audio"), None)

    @property
    def has_video(self) -> bool:
        return self.video_index is not None

    @property
    def has_audio(self) -> bool:
        return self.audio is not None

    @property
    def cover_art(self) -> bool:
        return any(s.attached_pic for s in self.streams)

    @property
    def playing_streams(self) -> tuple[Stream, ...]:
        """The streams a player plays: audio, and video that is not cover art."""
        return tuple(s for s in self.streams
                     if s.kind == "audio" or (s.kind == "video" and not s.attached_pic))

    @property
    def length(self) -> float | None:
        """How long the file plays, in seconds: from the earliest start of its
        playing streams to their latest end.

        Not the container's duration: for a file whose timestamps start late,
        Matroska, WebM and mp4 report where it ends (measured, FFmpeg 5.1: a
        1.2 s clip starting at 10 s says 11.2 s), MPEG-TS how long it lasts.
        The streams' own times mean the same in every container. When no
        playing stream knows both its start and its duration, the container's
        duration is all there is.
        """
        return stream_span(self.playing_streams) or self.duration

    @property
    def video_start(self) -> float | None:
        video = self.video
        return None if video is None else video.start

    @property
    def pyglet_start(self) -> float:
        """The time pyglet 2.1.19 subtracts from the file's timestamps.

        FFmpegSource._get_start_time: the largest start time of the first
        video-type stream (cover art included: pyglet takes it as video) and
        the first audio stream, and never below 0. A video_time of `t` in a
        recording is the file time `t + pyglet_start` (measured: itsoffset
        clips, mkv with B-frames).
        """
        first_video = next((s for s in self.streams if s.kind == "video"), None)
        starts = [0.0] + [s.start for s in (first_video, self.audio)
                          if s is not None and s.start is not None]
        return max(starts)

    def _stream(self, index: int | None) -> Stream | None:
        return next((s for s in self.streams if s.index == index), None) if index is not None else None


def stream_span(streams: tuple[Stream, ...]) -> float | None:
    """The latest end minus the earliest start of the streams that know both;
    None when none does, or when that is no positive time."""
    bounds = [(s.start, s.start + s.duration) for s in streams
              if s.start is not None and s.duration is not None]
    if not bounds:
        return None
    span = max(end for _, end in bounds) - min(start for start, _ in bounds)
    return span if span > 0 else None


# -- probing -------------------------------------------------------------------


def ffprobe_path() -> str:
    path = shutil.which("ffprobe")
    if path is None:
        raise ProbeUnavailable(
            "ffprobe is not installed, so plays are not checked against the file: "
            "apt-get install ffmpeg (or put ffprobe on PATH)")
    return path


def probe_timeout(size: int, limit: float | None = None) -> float:
    """How long probing a file of `size` bytes may take: ffprobe's start and a
    demuxing at disk speed, never more than PROBE_TIMEOUT nor the play's own
    `limit` (--mp-timeout): a probe never waits longer than the play would."""
    seconds = min(PROBE_TIMEOUT, PROBE_MINIMUM + max(0, size) / PROBE_BYTES_PER_SECOND)
    return min(seconds, limit) if limit is not None and limit > 0 else seconds


def max_frames_for(size: int) -> int:
    """The most video frames a file of `size` bytes is believed to hold: a
    frame takes some bytes in any container, and MAX_FRAMES in all."""
    return min(MAX_FRAMES, MIN_FRAMES_BOUND + max(0, size) // MIN_FRAME_BYTES)


def ffprobe_version(timeout: float = VERSION_TIMEOUT) -> str:
    """FFmpeg's version as ffprobe says it: its first line and a hash of the
    whole answer (which lists the libraries' versions too). A reference is
    ffprobe's account: another FFmpeg may give another one."""
    return program_version(ffprobe_path(), timeout)


def program_version(program: str, timeout: float = VERSION_TIMEOUT) -> str:
    """An FFmpeg tool's `-version`: its first line and a hash of the whole."""
    answer = ffprobe_run.run([program, "-version"], Path(program), timeout=timeout,
                             max_bytes=MAX_VERSION_BYTES)
    text = answer.decode("utf-8", "replace").strip()
    first = text.splitlines()[0][:MAX_VERSION_CHARS] if text else "no version"
    return f"{first} #{hashlib.blake2b(answer, digest_size=8).hexdigest()}"


class ProgramVersions:
    """Each FFmpeg tool's version, asked once per binary (its path and stamp)
    and process. A tool that could not say it (hung, broken) is remembered
    too: its failure is raised again without running it again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[tuple[str, FileStamp | None], str | ProbeFailed] = {}

    def of(self, program: str, ask: Callable[[], str]) -> str:
        """`program`'s version, from `ask()` the first time."""
        which = (program, FileStamp.of(program))
        with self._lock:
            version = self._known.get(which)
            if version is None:
                try:
                    version = ask()
                except ProbeFailed as exc:
                    version = exc
                self._known[which] = version
        if isinstance(version, ProbeFailed):
            raise type(version)(version.path, version.problem)
        return version


def _describe(sample: Path, timeout: float) -> Any:
    """ffprobe's account of the container and its streams, no packet listed:
    an answer of a few kilobytes whatever the file's length."""
    answer = ffprobe_run.run([ffprobe_path(), "-v", "error", "-of", "json", "-show_entries",
                              "format=duration,start_time:stream=index,codec_type,codec_name,"
                              "start_time,duration,width,height,pix_fmt,color_space,color_range"
                              ":stream_disposition=attached_pic:stream_tags=DURATION"
                              ":stream_side_data=rotation",
                              "--", str(sample)],
                             sample, timeout=timeout, max_bytes=MAX_DESCRIPTION_BYTES)
    try:
        return json.loads(answer)
    except (ValueError, RecursionError) as exc:  # not JSON, or nested beyond any answer
        raise ProbeFailed(sample, f"ffprobe wrote no JSON we read: {str(exc)[:200]}") from None


def probe(sample_path: Path | str, *, timeout: float | None = None,
          limit: float | None = None) -> Reference:
    """Describe a sample with ffprobe (demuxing only, no decoding).

    Two runs: one describes the container and its streams, one lists the
    presentation times of the video stream's frames only (when it has
    video). Audio packets are never listed: an Ogg/Opus file of 2.5 ms
    packets holds a million of them in 4.9 MB. Both runs together take at
    most `timeout` (default: probe_timeout of the file's size and the play's
    `limit`); the frame list is read as it comes, at most max_frames_for the
    file's size. Raises ProbeUnavailable without ffprobe, ProbeFailed when
    ffprobe cannot read the file (its message says why), ProbeHung
    (a ProbeFailed) when it did not finish in time.
    """
    sample = Path(sample_path)
    try:
        size = os.stat(sample).st_size
    except (OSError, ValueError):
        size = 0  # ffprobe says what is wrong with it
    if timeout is None:
        timeout = probe_timeout(size, limit)
    deadline = time.monotonic() + timeout
    info = _describe(sample, timeout)
    if not isinstance(info, dict):
        raise ProbeFailed(sample, "ffprobe's answer is not an object")
    streams = tuple(_stream(sample, s) for s in _list(info.get("streams")))
    if not streams:
        raise ProbeFailed(sample, "ffprobe found no stream in it")
    if len(streams) > MAX_STREAMS:
        raise ProbeFailed(sample, f"{len(streams)} streams; at most {MAX_STREAMS} are supported")
    fmt = info.get("format") if isinstance(info.get("format"), dict) else {}
    video = next((s for s in streams if s.kind == "video" and not s.attached_pic), None)
    frames: tuple[float, ...] = ()
    if video is not None:
        frames = _frame_times(sample, video.index, max(0.0, deadline - time.monotonic()),
                              timeout, max_frames_for(size))
    return Reference(duration=_time(fmt.get("duration")), start=_time(fmt.get("start_time")),
                     streams=streams, video_index=None if video is None else video.index,
                     frame_times=frames)


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _time(value: Any) -> float | None:
    """ffprobe's "1.234000" (or "N/A", or absent) as seconds or None."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) and abs(seconds) <= MAX_SECONDS else None


#: at most 9 digits of hours (over 100,000 years): a longer one is no duration
_TAG_DURATION = re.compile(r"^(\d{1,9}):(\d\d):(\d\d(?:\.\d{1,12})?)$")


def _tag_duration(tags: Any) -> float | None:
    """Matroska's DURATION tag ("00:00:01.023000000") in seconds."""
    if not isinstance(tags, dict):
        return None
    match = _TAG_DURATION.match(str(tags.get("DURATION", "")))
    if match is None:
        return None
    hours, minutes, seconds = match.groups()
    return _time(int(hours) * 3600 + int(minutes) * 60 + float(seconds))


def _stream(sample: Path, data: Any) -> Stream:
    if not isinstance(data, dict) or not isinstance(data.get("index"), int):
        raise ProbeFailed(sample, f"ffprobe listed a stream without an index: {data!r:.80}")
    disposition = data.get("disposition") if isinstance(data.get("disposition"), dict) else {}
    start = _time(data.get("start_time"))
    duration = _time(data.get("duration"))
    tag_end = _tag_duration(data.get("tags"))
    if duration is None and tag_end is not None:
        # Matroska's DURATION tag is where the stream ends, counted from 0
        # (measured: audio starting at 0.477 s of a 2 s mkv is tagged 00:00:02)
        duration = tag_end - (start or 0.0)
    kind = str(data.get("codec_type", "unknown"))[:MAX_NAME_CHARS]
    looks: dict[str, Any] = {}
    if kind == "video":
        rotation = 0
        for side in _list(data.get("side_data_list")):
            if isinstance(side, dict) and isinstance(side.get("rotation"), (int, float)) \
                    and not isinstance(side.get("rotation"), bool) \
                    and math.isfinite(side["rotation"]):
                rotation = int(round(side["rotation"])) % 360
        looks = {key: str(data.get(key, ""))[:MAX_NAME_CHARS]
                 for key in ("pix_fmt", "color_space", "color_range")}
        looks["rotation"] = rotation
    return Stream(index=data["index"], kind=kind,
                  codec=str(data.get("codec_name", "unknown"))[:MAX_NAME_CHARS],
                  start=start, duration=duration,
                  attached_pic=bool(disposition.get("attached_pic")),
                  width=_pixels(data.get("width")), height=_pixels(data.get("height")), **looks)


def _pixels(value: Any) -> int | None:
    """ffprobe's width or height; None when absent or not a sane size."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_PIXELS:
        return None
    return value


def _frame_times(sample: Path, index: int, remaining: float, timeout: float,
                 max_frames: int) -> tuple[float, ...]:
    """Every presentation time of stream `index`, listed by ffprobe as CSV
    lines (stream_index,pts_time,dts_time,flags) and read as they come.

    Packets come in decoding order: with B-frames the times are out of order,
    so they are sorted. A packet flagged D (discard, e.g. an mp4 edit list's
    pre-roll) is never presented. Without a pts (some AVI), the dts stands in.
    """
    reader = _FrameLines(sample, index, max_frames)
    try:
        ffprobe_run.run([ffprobe_path(), "-v", "error", "-select_streams", str(index),
                         "-show_entries", "packet=stream_index,pts_time,dts_time,flags",
                         "-of", "csv=p=0", "--", str(sample)],
                        sample, timeout=remaining, max_bytes=max_frames * MAX_FRAME_LINE_BYTES,
                        on_chunk=reader.feed)
    except ffprobe_run.ProbeHung:
        # the message names the whole probe's time, not what was left of it
        raise ffprobe_run.ProbeHung(sample, f"ffprobe did not finish in {timeout:g} s") from None
    reader.feed(b"\n")
    return tuple(sorted(reader.times))


class _FrameLines:
    """The frame times of one stream, from ffprobe's CSV as it arrives."""

    def __init__(self, sample: Path, index: int, max_frames: int) -> None:
        self.sample = sample
        self.index = str(index).encode()
        self.max_frames = max_frames
        self.times: list[float] = []
        self._rest = b""

    def feed(self, data: bytes) -> None:
        lines = (self._rest + data).split(b"\n")
        self._rest = lines.pop()
        if len(self._rest) > MAX_FRAME_LINE_BYTES:
            self._rest = b""  # no line of ours is this long: drop it
        for line in lines:
            fields = line.strip().split(b",")
            if len(fields) < 4 or fields[0] != self.index or b"D" in fields[3]:
                continue  # side data, another stream, a discarded packet
            time_ = _time(fields[1].decode("ascii", "replace"))
            if time_ is None:
                time_ = _time(fields[2].decode("ascii", "replace"))
            if time_ is not None:
                self.times.append(time_)
        if len(self.times) > self.max_frames:
            raise ProbeFailed(self.sample, f"over {self.max_frames} video frames; at most "
                                           f"{self.max_frames} are supported in a file of "
                                           "its size")


# -- identity ------------------------------------------------------------------


def file_identity(sample_path: Path | str) -> dict[str, Any]:
    """Which file, in which version: device, inode, size, mtime_ns and a
    BLAKE2b hash of its first and last HEAD_TAIL_BYTES (head_tail).

    Never reads more than 2 MiB, whatever the size (a sparse 10 GB sample
    was once hashed whole, twice per sample). The stat is the opened file's.
    Raises OSError (ValueError for a path holding a NUL byte).
    """
    with open(sample_path, "rb") as f:
        stat = os.fstat(f.fileno())
        digest = hashlib.blake2b(digest_size=16)
        if stat_module.S_ISREG(stat.st_mode):
            digest.update(f.read(HEAD_TAIL_BYTES))
            if stat.st_size > HEAD_TAIL_BYTES:
                f.seek(max(HEAD_TAIL_BYTES, stat.st_size - HEAD_TAIL_BYTES))
                digest.update(f.read(HEAD_TAIL_BYTES))
    return {"device": stat.st_dev, "inode": stat.st_ino, "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns, "head_tail": digest.hexdigest()}


def file_key(sample_path: Path | str, ffmpeg: str = "unknown") -> dict[str, Any]:
    """What a reference is the account of: the file's identity and the
    FFmpeg (ffprobe_version) that probed it."""
    return {**file_identity(sample_path), "ffmpeg": ffmpeg[:2 * MAX_VERSION_CHARS]}


def is_current(key: Mapping[str, Any], sample_path: Path | str) -> bool:
    """Is the file still the one `key` names? (Reads at most 2 MiB.)"""
    try:
        identity = file_identity(sample_path)
    except (OSError, ValueError):
        return False
    return all(key.get(field) == identity[field] for field in IDENTITY_FIELDS)


# -- builtins and JSON ----------------------------------------------------------


def to_builtins(ref: Reference) -> dict[str, Any]:
    return {
        "duration": ref.duration,
        "start": ref.start,
        "streams": [{"index": s.index, "kind": s.kind, "codec": s.codec, "start": s.start,
                     "duration": s.duration, "attached_pic": s.attached_pic,
                     **({"width": s.width, "height": s.height} if s.width and s.height else {}),
                     **({"pix_fmt": s.pix_fmt, "color_space": s.color_space,
                         "color_range": s.color_range, "rotation": s.rotation}
                        if s.rotation is not None else {})}
                    for s in ref.streams],
        "video_index": ref.video_index,
        "frame_times": list(ref.frame_times),
    }


class _Invalid(ValueError):
    """A field is wrong; the message says which (the caller names the file)."""


def _keys(data: Any, what: str, required: set[str],
          optional: frozenset[str] = frozenset()) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _Invalid(f"{what} is a {type(data).__name__}, not an object")
    missing = required - set(data)
    if missing:
        raise _Invalid(f"{what} lacks {', '.join(sorted(missing))}")
    extra = set(data) - required - optional
    if extra:
        raise _Invalid(f"{what} has unknown keys: {', '.join(sorted(map(str, extra)))[:100]}")
    return data


def _seconds(value: Any, what: str, optional: bool = True) -> float | None:
    if value is None and optional:
        return None
    # bool is an int: refuse it explicitly
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Invalid(f"{what} is a {type(value).__name__}, not a number of seconds")
    if not math.isfinite(value) or abs(value) > MAX_SECONDS:
        raise _Invalid(f"{what} is {value!r:.30}, not a finite time within {MAX_SECONDS:g} s")
    return float(value)


def _int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(f"{what} is a {type(value).__name__}, not an integer")
    if not low <= value <= high:
        raise _Invalid(f"{what} is {value}, outside {low}..{high}")
    return value


def _size(item: Mapping[str, Any], key: str, what: str) -> int | None:
    return None if key not in item else _int(item[key], f"{what} {key}", 1, MAX_PIXELS)


#: a video stream's looks (Stream.pix_fmt ...): all four or none (stored before them)
_LOOKS = ("pix_fmt", "color_space", "color_range", "rotation")


def _looks(item: Mapping[str, Any], what: str) -> dict[str, Any]:
    present = [key for key in _LOOKS if key in item]
    if not present:
        return {}
    if len(present) != len(_LOOKS):
        raise _Invalid(f"{what} has {', '.join(present)} but not all of {', '.join(_LOOKS)}")
    looks: dict[str, Any] = {}
    for key in _LOOKS[:3]:
        value = item[key]
        if not isinstance(value, str) or len(value) > MAX_NAME_CHARS:
            raise _Invalid(f"{what} {key} is not a name of at most {MAX_NAME_CHARS} characters")
        looks[key] = value
    looks["rotation"] = _int(item["rotation"], f"{what} rotation", 0, 359)
    return looks


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_NAME_CHARS:
        raise _Invalid(f"{what} is not a name of 1 to {MAX_NAME_CHARS} characters: {value!r:.40}")
    return value


def from_builtins(data: Any) -> Reference:
    """The Reference that to_builtins gave, every field checked.

    Raises ValueError naming the bad field.
    """
    data = _keys(data, "the reference",
                 {"duration", "start", "streams", "video_index", "frame_times"})
    streams_data = data["streams"]
    if not isinstance(streams_data, list) or len(streams_data) > MAX_STREAMS:
        raise _Invalid(f"streams is not a list of at most {MAX_STREAMS} streams")
    streams = []
    for n, item in enumerate(streams_data):
        what = f"stream {n}"
        # width and height came later: a reference stored before has none
        item = _keys(item, what, {"index", "kind", "codec", "start", "duration", "attached_pic"},
                     optional=frozenset({"width", "height", *_LOOKS}))
        looks = _looks(item, what)
        if not isinstance(item["attached_pic"], bool):
            raise _Invalid(f"{what} attached_pic is not true or false")
        streams.append(Stream(index=_int(item["index"], f"{what} index", 0, 1 << 20),
                              kind=_name(item["kind"], f"{what} kind"),
                              codec=_name(item["codec"], f"{what} codec"),
                              start=_seconds(item["start"], f"{what} start"),
                              duration=_seconds(item["duration"], f"{what} duration"),
                              attached_pic=item["attached_pic"],
                              width=_size(item, "width", what),
                              height=_size(item, "height", what), **looks))
    if len({s.index for s in streams}) != len(streams):
        raise _Invalid("two streams have the same index")
    video_index = data["video_index"]
    if video_index is not None:
        video_index = _int(video_index, "video_index", 0, 1 << 20)
        video = next((s for s in streams if s.index == video_index), None)
        if video is None or video.kind != "video" or video.attached_pic:
            raise _Invalid(f"video_index {video_index} is not a video stream of the file")
    frames_data = data["frame_times"]
    if not isinstance(frames_data, list) or len(frames_data) > MAX_FRAMES:
        raise _Invalid(f"frame_times is not a list of at most {MAX_FRAMES} times")
    if frames_data and video_index is None:
        raise _Invalid("frame_times are listed but no video stream is named")
    frames = tuple(_seconds(t, f"frame time {n}", optional=False) for n, t in enumerate(frames_data))
    if any(b < a for a, b in zip(frames, frames[1:])):
        raise _Invalid("frame_times are not sorted")
    duration = _seconds(data["duration"], "duration")
    if duration is not None and duration < 0:
        raise _Invalid(f"duration is negative ({duration})")
    return Reference(duration=duration, start=_seconds(data["start"], "start"),
                     streams=tuple(streams), video_index=video_index,
                     frame_times=frames)  # type: ignore[arg-type]


def _check_key(key: Any, version: int) -> dict[str, Any]:
    if version == 1:  # size, mtime_ns and a hash of the whole file
        key = _keys(key, "the key", {"size", "mtime_ns", "blake2b"})
        _int(key["size"], "the key's size", 0, 1 << 62)
        _int(key["mtime_ns"], "the key's mtime_ns", -(1 << 62), 1 << 62)
        _hex(key["blake2b"], "blake2b")
        return dict(key)
    key = _keys(key, "the key", {*IDENTITY_FIELDS, "ffmpeg"})
    _int(key["device"], "the key's device", 0, 1 << 64)
    _int(key["inode"], "the key's inode", 0, 1 << 64)
    _int(key["size"], "the key's size", 0, 1 << 62)
    _int(key["mtime_ns"], "the key's mtime_ns", -(1 << 62), 1 << 62)
    _hex(key["head_tail"], "head_tail")
    if not isinstance(key["ffmpeg"], str) or len(key["ffmpeg"]) > 2 * MAX_VERSION_CHARS:
        raise _Invalid("the key's ffmpeg is not a version of at most "
                       f"{2 * MAX_VERSION_CHARS} characters")
    return dict(key)


def _hex(value: Any, name: str) -> None:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{32}", value):
        raise _Invalid(f"the key's {name} is not 32 hexadecimal digits")


def dumps(ref: Reference, key: Mapping[str, Any]) -> str:
    document = {"format": FORMAT, "version": FORMAT_VERSION, "key": dict(key),
                "reference": to_builtins(ref)}
    return json.dumps(document, allow_nan=False, separators=(",", ":")) + "\n"


def save(path: Path | str, ref: Reference, key: Mapping[str, Any]) -> None:
    """Write the reference atomically: a kill leaves the old file or the new one."""
    atomic.write_text(Path(path), dumps(ref, key))


def _refuse_constant(name: str) -> Any:
    raise _Invalid(f"it holds {name}, which is not a number")


def loads(text: str) -> tuple[dict[str, Any], Reference]:
    """(key, Reference) from a stored document; ValueError names the problem."""
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except _Invalid:
        raise
    except (ValueError, RecursionError) as exc:  # bad JSON, 5000-digit integers, deep nesting
        raise _Invalid(f"not JSON: {str(exc)[:120]}") from None
    document = _keys(document, "the document", {"format", "version", "key", "reference"})
    if document["format"] != FORMAT:
        raise _Invalid(f"its format is {document['format']!r:.60}, not {FORMAT!r}")
    version = document["version"]
    if isinstance(version, bool) or version not in READ_VERSIONS:
        raise _Invalid(f"reference format version {version!r:.20}; "
                       f"this tool reads versions {', '.join(map(str, READ_VERSIONS))}")
    return _check_key(document["key"], version), from_builtins(document["reference"])


def load(path: Path | str) -> tuple[dict[str, Any], Reference]:
    """Read a stored reference; BadReferenceError names the file and the problem."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_REFERENCE_BYTES:
            raise BadReferenceError(path, f"{size} bytes is too large for a reference")
        data = path.read_bytes()
    except OSError as exc:
        raise BadReferenceError(path, f"cannot read it: {exc.strerror or exc}") from None
    try:
        return loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadReferenceError(path, "not a reference: it is not UTF-8 text") from None
    except ValueError as exc:
        raise BadReferenceError(path, f"not a usable reference: {exc}") from None
