"""What an `ffmpeg` recipe of samples.toml may ask of FFmpeg: one sample, nothing else.

A manifest comes with a corpus someone shares, and the corpus builder runs
its recipes. FFmpeg's command line can do far more than make one file:
every word that is not an option or its value is one more output (any
bytes to any path: a `.pth` file in a virtual environment runs at the next
Python start), an input can be any local file or URL, a filter can read
files (`movie`, `amovie`, `drawtext`'s `textfile`) or write them
(`ametadata`'s `file`), and options load presets, write logs and stats.

So a recipe is read against lists of what it may hold (a list of what is
allowed stays safe when FFmpeg adds options; a list of what is refused
would not):

- the options below, each with its value, optionally with a stream
  specifier (`-c:v`, `-b:a`, `-q:v`);
- inputs (`-i`) that are lavfi graphs (`-f lavfi` before them) of the
  generator and processing filters below, which touch no file, or files
  inside the manifest's folder, read through the `file` protocol by the
  demuxers of plain media files only;
- no output: the builder adds the one output, the sample's own file;
- an output format (`-f` after the last input) from the single-file muxers
  below, and no sample name whose extension picks a muxer that writes more
  files (HLS, DASH playlists);
- a `remux` (a second pass: a rotated mp4's display matrix is written only
  when copying) holds output options alone, read by the same lists: its one
  input is the first pass's output.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..core.errors import ManifestError
from .manifest import Manifest, SampleSpec

#: options that take no value
FLAGS = frozenset({"an", "vn", "sn", "dn", "shortest", "copyts", "start_at_zero",
                   "nostdin", "hide_banner", "nostats"})
#: options that take one value (a stream specifier may follow the name)
VALUE_OPTIONS = frozenset({
    # codecs and their settings
    "c", "codec", "vcodec", "acodec", "b", "ab", "vb", "q", "qscale", "crf", "qp",
    "qmin", "qmax", "pix_fmt", "sample_fmt", "ac", "ar", "ch_layout", "channel_layout",
    "r", "s", "aspect", "g", "keyint_min", "bf", "refs", "sc_threshold", "maxrate",
    "minrate", "bufsize", "preset", "tune", "profile", "level", "deadline", "quality",
    "cpu-used", "speed", "row-mt", "tile-columns", "lag-in-frames", "auto-alt-ref",
    "lossless", "compression_level", "application", "vbr", "frame_duration",
    "frame_size", "threads", "strict", "field_order", "color_range", "colorspace",
    "color_primaries", "color_trc",
    # timing and selection
    "t", "to", "ss", "itsoffset", "stream_loop", "frames", "vframes", "aframes",
    "map", "output_ts_offset", "avoid_negative_ts",
    # container settings
    "map_metadata", "map_chapters", "metadata", "disposition", "tag", "movflags",
    "fflags", "brand", "video_track_timescale", "max_interleave_delta", "muxdelay",
    "muxpreload",
    # filters (their graphs are checked: FILTERS)
    "vf", "af", "filter", "filter_complex", "lavfi",
    # inputs and formats (checked: see _Reader)
    "i", "f",
})
_FILTER_OPTIONS = frozenset({"vf", "af", "filter", "filter_complex", "lavfi"})

#: lavfi filters a recipe may use: sources and processing, none of which
#: has an option naming a file (not `life`, `cellauto`: they read one)
FILTERS = frozenset({
    # video sources
    "testsrc", "testsrc2", "smptebars", "smptehdbars", "rgbtestsrc", "yuvtestsrc",
    "pal75bars", "pal100bars", "color", "nullsrc", "allrgb", "allyuv", "mandelbrot",
    # audio sources
    "sine", "anullsrc", "aevalsrc", "anoisesrc",
    # video processing
    "scale", "fps", "format", "setpts", "trim", "pad", "tpad", "crop", "hflip", "vflip",
    "transpose", "rotate", "setsar", "setdar", "setparams", "setfield", "fieldorder",
    "interlace", "tinterlace", "settb", "fade", "noise", "drawbox", "drawgrid", "boxblur",
    "gblur", "negate", "hue", "eq", "loop", "select", "framerate", "framestep",
    "reverse", "overlay", "hstack", "vstack", "split", "null", "copy", "concat",
    # audio processing
    "aformat", "asetpts", "atrim", "apad", "aresample", "volume", "afade", "aloop",
    "aselect", "atempo", "asetrate", "asettb", "asetnsamples", "pan", "channelmap",
    "amix", "amerge", "asplit", "anull", "acopy", "areverse", "lowpass", "highpass",
})

#: demuxers a recipe's own input file may be read with: plain media files,
#: none of which opens another file or URL named inside it (HLS, concat
#: lists, image sequences do)
INPUT_FORMATS = ("mov", "matroska", "ogg", "wav", "w64", "mp3", "flac", "aac", "ac3", "avi",
                 "flv", "mpegts", "mpeg", "asf", "aiff", "au", "caf", "ivf", "h264", "hevc",
                 "m4v", "nut", "wv", "tta", "yuv4mpegpipe")
#: muxers a recipe may name for its output: each writes the one file it is given
OUTPUT_FORMATS = frozenset({
    "mp4", "mov", "3gp", "3g2", "ipod", "matroska", "webm", "ogg", "oga", "ogv", "opus",
    "avi", "flv", "wav", "w64", "mp3", "flac", "adts", "ac3", "mpegts", "mpeg", "asf",
    "aiff", "au", "caf", "ivf", "h264", "hevc", "m4v", "nut", "wv", "tta", "mjpeg",
    "rawvideo", "yuv4mpegpipe",
})
#: sample extensions whose muxer (FFmpeg picks it by the extension) writes
#: more files beside the output: playlists and their segments
MULTI_FILE_EXTENSIONS = frozenset({".m3u8", ".m3u", ".mpd", ".f4m", ".ism", ".isml"})

_SPECIFIER = re.compile(r"[A-Za-z0-9:#]+")
_FILTER_NAME = re.compile(r"([a-z0-9_]+)(@[A-Za-z0-9_]+)?")
_PROTOCOL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
ALLOWED = ("a recipe may use listed options, lavfi sources ('-f', 'lavfi', '-i', GRAPH) "
           "and files inside the manifest's folder as inputs, and no output of its own")


def ffmpeg_arguments(manifest: Manifest, spec: SampleSpec) -> list[str]:
    """The recipe of `spec` as FFmpeg arguments before the output, its own
    input files read safely (`file:` paths of the manifest's folder, the
    demuxers of INPUT_FORMATS only), or ManifestError saying what it may not do."""
    assert spec.ffmpeg is not None
    return _Reader(manifest, spec).read(spec.ffmpeg)


def remux_arguments(manifest: Manifest, spec: SampleSpec, first: Path) -> list[str]:
    """The arguments of a recipe's second pass (`remux`): the first pass's
    output `first` as its one input, then the remux's output options, read
    as the recipe's are, with no input of their own."""
    assert spec.remux is not None
    reader = _Reader(manifest, spec, key="remux")
    if any(word == "-i" or word.startswith("-i:") for word in spec.remux):
        raise reader.refuse("a second pass reads the first one's output, no input of its own")
    return ["-protocol_whitelist", "file", "-i", f"file:{Path(first).resolve()}",
            *reader.read(spec.remux)]


class _Reader:
    """Reads a recipe's words as FFmpeg does: options apply to the next file."""

    def __init__(self, manifest: Manifest, spec: SampleSpec, key: str = "ffmpeg") -> None:
        self.manifest = manifest
        self.spec = spec
        self.key = key
        self.folder = manifest.path.parent.resolve()

    def refuse(self, problem: str) -> ManifestError:
        return ManifestError(self.manifest.path,
                             f"sample {self.spec.name!r} key {self.key!r}: {problem}; {ALLOWED}")

    def read(self, words: tuple[str, ...]) -> list[str]:
        extension = Path(self.spec.name).suffix.lower()
        if extension in MULTI_FILE_EXTENSIONS:
            raise self.refuse(f"a {extension} sample makes FFmpeg write more files than the sample")
        out: list[str] = []
        pending_format: str | None = None  # -f before the next file
        index = 0
        while index < len(words):
            word = words[index]
            if not word.startswith("-") or word == "-":
                raise self.refuse(f"{word[:80]!r} would be one more output (the builder adds "
                                  "the sample's own)")
            name, _, specifier = word[1:].partition(":")
            if specifier and not _SPECIFIER.fullmatch(specifier):
                raise self.refuse(f"{word[:80]!r} is not an option with a stream specifier")
            if name in FLAGS and not specifier:
                out.append(word)
                index += 1
                continue
            if name not in VALUE_OPTIONS:
                raise self.refuse(f"the option {word[:80]!r} is not one a recipe may use")
            if index + 1 >= len(words):
                raise self.refuse(f"the option {word!r} has no value")
            value = words[index + 1]
            index += 2
            if name == "f" and not specifier:
                pending_format = value
                continue
            if name in ("i", "f") and specifier:
                raise self.refuse(f"{word!r} takes no stream specifier")
            if name == "i":
                out.extend(self.input(pending_format, value))
                pending_format = None
                continue
            if name in _FILTER_OPTIONS:
                self.check_graph(value)
            out.extend((word, value))
        if pending_format is not None:
            if pending_format not in OUTPUT_FORMATS:
                raise self.refuse(f"the output format {pending_format[:40]!r} is not one of "
                                  f"{', '.join(sorted(OUTPUT_FORMATS))}")
            out.extend(("-f", pending_format))
        return out

    def input(self, fmt: str | None, value: str) -> list[str]:
        if fmt == "lavfi":
            self.check_graph(value)
            return ["-f", "lavfi", "-i", value]
        if fmt is not None:
            raise self.refuse(f"an input of format {fmt[:40]!r}: inputs are lavfi graphs or "
                              "files (FFmpeg finds their format)")
        return ["-protocol_whitelist", "file", "-format_whitelist", ",".join(INPUT_FORMATS),
                "-i", f"file:{self.input_file(value)}"]

    def input_file(self, value: str) -> Path:
        if not value or _PROTOCOL.match(value):
            raise self.refuse(f"the input {value[:80]!r} is a URL or protocol, not a file of "
                              "the manifest's folder")
        path = (self.folder / value).resolve()  # links followed: where it really is
        if not path.is_relative_to(self.folder):
            raise self.refuse(f"the input {value[:80]!r} is outside the manifest's folder "
                              f"{self.folder}")
        return path

    def check_graph(self, graph: str) -> None:
        for name in filter_names(graph):
            if not _FILTER_NAME.fullmatch(name):
                raise self.refuse(f"{name[:40]!r} in the filter graph {graph[:80]!r} is not "
                                  "a filter name")
            plain = name.partition("@")[0]
            if plain not in FILTERS:
                raise self.refuse(f"the filter {plain!r} is not one a recipe may use")


def filter_names(graph: str) -> list[str]:
    """The name of each filter of a filter graph, as FFmpeg's graph parser
    splits it: filters end at ',' or ';' outside quotes ('...') and escapes
    (backslash); [labels] stand around them; a name ends at '='. A name
    keeps any quote or backslash it holds (the caller refuses it)."""
    names: list[str] = []
    current: list[str] = []
    quoted = escaped = in_label = False
    for char in graph + ";":
        if escaped:
            current.append(char)
            escaped = False
        elif quoted:
            current.append(char)
            quoted = char != "'"
        elif in_label:
            in_label = char != "]"
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == "'":
            current.append(char)
            quoted = True
        elif char == "[":
            in_label = True
        elif char in ",;":
            text = "".join(current).strip()
            if text:
                names.append(text.partition("=")[0].strip())
            current = []
        else:
            current.append(char)
    return names
