"""The file as reference: what ffprobe says a sample holds, independent of pyglet.

pyglet's event stream only says what pyglet did; to tell a frame pyglet lost
from a frame the file never had, we need the file's own account: container
duration, each stream's start and duration, and the presentation time of
every video frame. ffprobe gives all of it by demuxing only (no decoding), so
probing costs a small fraction of the play (benchmarks/bench_probe.py).

A reference is stored as JSON next to the session's recordings, with a key
(size, mtime_ns, content hash) that tells whether it still describes the
sample. Loading one validates every field, as recordings are: references
travel in bug reports too.

No pyglet, no pytest: this module runs in the test process.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..core import atomic
from ..core.errors import BadReferenceError, ProbeFailed, ProbeUnavailable

#: JSON "format" marker and version of a stored reference
FORMAT = "pytest-pyglet-media reference"
FORMAT_VERSION = 1
#: a probe that takes longer is hung (a 1 h file demuxes in about a second)
PROBE_TIMEOUT = 60.0
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
#: ffprobe's message, kept for the error
MAX_MESSAGE_CHARS = 500
#: the largest picture side believed (ffprobe says 0 or nonsense for broken streams)
MAX_PIXELS = 1 << 16
_HASH_CHUNK = 1024 * 1024


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


def _yield_to_players() -> None:
    """In ffprobe's child, before exec: a lower priority (nice 10), so that
    probing the next samples never makes a playing player wait for a CPU
    (plays at once, ahead.py)."""
    os.nice(10)


def _run_ffprobe(sample: Path, args: list[str], timeout: float) -> Any:
    command = [ffprobe_path(), "-v", "error", "-of", "json", *args, "--", str(sample)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL,
                              preexec_fn=_yield_to_players if os.name == "posix" else None)
    except subprocess.TimeoutExpired:
        raise ProbeFailed(sample, f"ffprobe did not finish in {timeout:g} s") from None
    except OSError as exc:  # vanished between which() and run(), not executable...
        raise ProbeUnavailable(f"ffprobe cannot run: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        first = message.splitlines()[-1] if message else f"exit status {done.returncode}"
        raise ProbeFailed(sample, f"ffprobe: {first[:MAX_MESSAGE_CHARS]}")
    try:
        return json.loads(done.stdout)
    except (ValueError, RecursionError) as exc:  # not JSON, or nested beyond any answer
        raise ProbeFailed(sample, f"ffprobe wrote no JSON we read: {str(exc)[:200]}") from None


def probe(sample_path: Path | str, *, timeout: float = PROBE_TIMEOUT) -> Reference:
    """Describe a sample with ffprobe (one demuxing run, no decoding).

    One run lists the container, the streams and every packet's times: it
    costs no more than a run that lists the container alone (~0.1 s, mostly
    ffprobe's own start-up). Raises ProbeUnavailable without ffprobe,
    ProbeFailed when ffprobe cannot read the file (its message says why).
    """
    sample = Path(sample_path)
    info = _run_ffprobe(sample, [
        "-show_entries",
        "format=duration,start_time:stream=index,codec_type,codec_name,start_time,duration,"
        "width,height,pix_fmt,color_space,color_range"
        ":stream_disposition=attached_pic:stream_tags=DURATION:stream_side_data=rotation"
        ":packet=stream_index,pts_time,dts_time,flags"], timeout)
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
        frames = _frame_times(sample, _list(info.get("packets")), video.index)
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


def _frame_times(sample: Path, packets: list, index: int) -> tuple[float, ...]:
    """Every presentation time of stream `index`, from its packets.

    Packets come in decoding order: with B-frames the times are out of order,
    so they are sorted. A packet flagged D (discard, e.g. an mp4 edit list's
    pre-roll) is never presented. Without a pts (some AVI), the dts stands in.
    """
    times = []
    for packet in packets:
        if not isinstance(packet, dict) or packet.get("stream_index") != index:
            continue
        if "D" in str(packet.get("flags", "")):
            continue
        time = _time(packet.get("pts_time"))
        if time is None:
            time = _time(packet.get("dts_time"))
        if time is not None:
            times.append(time)
    if len(times) > MAX_FRAMES:
        raise ProbeFailed(sample, f"{len(times)} video frames; at most {MAX_FRAMES} are supported")
    return tuple(sorted(times))


# -- staleness -------------------------------------------------------------------


def file_key(sample_path: Path | str) -> dict[str, Any]:
    """What identifies the sample's content: size, mtime_ns and a BLAKE2b hash.

    Hashing runs at disk speed (about 1 GB/s), far below the cost of a play.
    """
    path = Path(sample_path)
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        stat = os.fstat(f.fileno())
        while chunk := f.read(_HASH_CHUNK):
            digest.update(chunk)
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "blake2b": digest.hexdigest()}


def is_current(key: Mapping[str, Any], sample_path: Path | str) -> bool:
    """Does a stored key still describe the sample? Cheap when it plainly does.

    Same size and mtime: current (no hashing). Another size: stale. Same
    size, other mtime (a copied corpus, a touched file): the hash decides.
    """
    try:
        stat = os.stat(sample_path)
    except OSError:
        return False
    if stat.st_size != key.get("size"):
        return False
    if stat.st_mtime_ns == key.get("mtime_ns"):
        return True
    return file_key(sample_path)["blake2b"] == key.get("blake2b")


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


def _check_key(key: Any) -> dict[str, Any]:
    key = _keys(key, "the key", {"size", "mtime_ns", "blake2b"})
    _int(key["size"], "the key's size", 0, 1 << 62)
    _int(key["mtime_ns"], "the key's mtime_ns", -(1 << 62), 1 << 62)
    if not isinstance(key["blake2b"], str) or not re.fullmatch(r"[0-9a-f]{32}", key["blake2b"]):
        raise _Invalid("the key's blake2b is not 32 hexadecimal digits")
    return dict(key)


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
    if document["version"] != FORMAT_VERSION or isinstance(document["version"], bool):
        raise _Invalid(f"reference format version {document['version']!r:.20}; "
                       f"this tool reads version {FORMAT_VERSION}")
    return _check_key(document["key"]), from_builtins(document["reference"])


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
