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


#: separates the folders of a sample found in a subfolder (--mp-recursive):
#: `live/concert.mkv`, on every system
FOLDER_SEPARATOR = "/"
#: stands for FOLDER_SEPARATOR in the store's file names (store_stem): no
#: sample name holds "..", so a nested name never becomes a flat one's
_FLAT_SEPARATOR = ".."
#: longest sample name with its folders, in bytes (PATH_MAX is 4096 on Linux)
PATH_NAME_MAX = 1024


def sample_name_problem(name: str) -> str | None:
    """Why `name` cannot name a sample, as a predicate ("has ..."), or None.

    A sample in a subfolder is named by its relative path with '/'
    (`live/concert.mkv`); each folder's name and the file's follow the rule.
    Callers say `f"{name!r} {problem}"`; a name that is not valid UTF-8
    (a surrogate-escaped file name) is named by the caller's own repr.
    """
    if not name:
        return "is empty"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8"
    if "\\" in name or name.startswith(FOLDER_SEPARATOR) or name.endswith(FOLDER_SEPARATOR) \
            or "//" in name:
        return "is not a file name in the samples folder (a path is written " \
               "folder/file.mkv, relative to the samples folder, with '/')"
    if len(name.encode("utf-8")) > PATH_NAME_MAX:
        return f"is longer than {PATH_NAME_MAX} bytes"
    parts = name.split(FOLDER_SEPARATOR)
    if any(part in (".", "..") for part in parts):
        return "leads out of its folder ('.' or '..' in its path): not a file name in the " \
               "samples folder"
    for folder in parts[:-1]:
        problem = _part_problem(folder)
        if problem is not None:
            return f"has a folder {folder[:60]!r} that {problem}"
    problem = _part_problem(parts[-1])
    if problem is not None:
        return problem
    if "::" in name:
        # pytest splits a node id at its first '::': `a::b.mp4::play` names
        # the file `a`, so its item could never be run again by its id
        return "contains '::', which pytest reads as the end of the file's path in a " \
               "node id; rename the file"
    if name.endswith(BUNDLE_SUFFIX):
        return f"is a session bundle ({BUNDLE_SUFFIX}), not a sample"
    suffix = PurePath(name).suffix.lower()
    if suffix in EXCLUDED_EXTENSIONS:
        return f"has an excluded extension ({suffix} is never a sample's)"
    return None


def _part_problem(part: str) -> str | None:
    """Why one file or folder name of a sample name cannot be one."""
    if _CONTROL.search(part):
        return "holds a line break or another control character, which a playlist line " \
               "cannot hold"
    if part != part.strip():
        return "starts or ends with white space, which a playlist line cannot hold"
    if part.startswith("#"):
        return "starts with '#' (a comment in a playlist)"
    if part.startswith("."):
        return "starts with '.' (hidden files are not samples)"
    if ".." in part:
        return "contains '..'"
    if len(part.encode("utf-8")) > NAME_MAX:
        return f"is longer than {NAME_MAX} bytes"
    return None


def store_stem(sample: str) -> str:
    """The sample's name as one file name of the store (dbg/, reports/, ...):
    `live/concert.mkv` is kept as `live..concert.mkv`, never in a subfolder
    of the session. No sample name holds '..', so two samples never share
    a stem."""
    return sample.replace(FOLDER_SEPARATOR, _FLAT_SEPARATOR)


def fit_file_name(stem: str, suffix: str) -> str:
    """`stem + suffix`, or, when that is too long for a file name, the stem
    shortened and made unique with a hash of the whole stem.

    A sample may be named with up to NAME_MAX bytes; its recording adds
    ".dbg" and its reports ".anomalies.txt", which would not fit. A sample
    in a subfolder is kept under its store_stem.
    """
    stem = store_stem(stem)
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
