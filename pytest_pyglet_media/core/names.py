"""What may be a sample's name, and the names the store keeps for itself.

One rule for every place a sample name enters: the implicit playlist, a
playlist file, a session's own playlist, samples.toml, a baseline file, a
bundle. A sample name becomes a file name in the samples folder, a line of
a playlist, a report file name and junit XML text, so it must be all four.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import PurePath

#: the corpus manifest beside the samples
MANIFEST_NAME = "samples.toml"
#: session archives (bundle.py) live beside the samples but are never samples
BUNDLE_SUFFIX = ".mp-bundle.tar.gz"
#: never samples: the original scripts' list, plus the manifest's .toml
EXCLUDED_EXTENSIONS = frozenset(
    {".dbg", ".htm", ".html", ".json", ".log", ".pkl", ".py", ".txt", ".toml"})
#: longest file name most file systems allow, in bytes
NAME_MAX = 255

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def sample_name_problem(name: str) -> str | None:
    """Why `name` cannot name a sample, as a predicate ("has ..."), or None.

    Callers say `f"{name!r} {problem}"`; a name that is not valid UTF-8
    (a surrogate-escaped file name) is named by the caller's own repr.
    """
    if not name:
        return "is empty"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8"
    if "/" in name or "\\" in name or name in (".", ".."):
        return "is not a file name in the samples folder (it holds a path separator)"
    if _CONTROL.search(name):
        return "holds a line break or another control character, which a playlist line " \
               "cannot hold"
    if name != name.strip():
        return "starts or ends with white space, which a playlist line cannot hold"
    if name.startswith("#"):
        return "starts with '#' (a comment in a playlist)"
    if name.startswith("."):
        return "starts with '.' (hidden files are not samples)"
    if ".." in name:
        return "contains '..'"
    if "::" in name:
        # pytest splits a node id at its first '::': `a::b.mp4::play` names
        # the file `a`, so its item could never be run again by its id
        return "contains '::', which pytest reads as the end of the file's path in a " \
               "node id; rename the file"
    if len(name.encode("utf-8")) > NAME_MAX:
        return f"is longer than {NAME_MAX} bytes"
    if name.endswith(BUNDLE_SUFFIX):
        return f"is a session bundle ({BUNDLE_SUFFIX}), not a sample"
    suffix = PurePath(name).suffix.lower()
    if suffix in EXCLUDED_EXTENSIONS:
        return f"has an excluded extension ({suffix} is never a sample's)"
    return None


def fit_file_name(stem: str, suffix: str) -> str:
    """`stem + suffix`, or, when that is too long for a file name, the stem
    shortened and made unique with a hash of the whole stem.

    A sample may be named with up to NAME_MAX bytes; its recording adds
    ".dbg" and its reports ".anomalies.txt", which would not fit.
    """
    name = stem + suffix
    if len(name.encode("utf-8", "surrogateescape")) <= NAME_MAX:
        return name
    digest = hashlib.sha1(stem.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    room = NAME_MAX - len(f"~{digest}{suffix}".encode("utf-8"))
    short = stem.encode("utf-8", "surrogateescape")[:room].decode("utf-8", "ignore")
    return f"{short}~{digest}{suffix}"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """"1 sample", "2 samples": a count with its noun in the right number."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
