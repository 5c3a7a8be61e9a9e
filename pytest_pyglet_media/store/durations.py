"""The durations file: each sample's play time, kept beside the samples.

As pytest-split keeps `.test_durations`, `samples.durations.json` in the
samples folder holds, per sample, the seconds a run took to play it. A run
with `--mp-store-durations` merges its samples' times into it; the user
commits it, so every CI job reads the same file and shards.py splits the
playlist by expected play time alike on every machine.

The file is read whole and validated: a bad one is refused with one line
naming it and the problem, never half used (a job that skipped a bad entry
would split differently from a job that did not).
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..core import atomic
from ..core.errors import BadFileError, quote
from ..core.names import sample_name_problem

DEFAULT_NAME = "samples.durations.json"
FORMAT = "pytest-pyglet-media durations"
FORMAT_VERSION = 1
_TOP_KEYS = ("format", "version", "samples")
#: a file larger than this is not one we wrote (a million samples fit in 64 MiB)
MAX_BYTES = 64 * 1024 * 1024
#: no play lasts longer than a week (the longest --mp-timeout)
MAX_SECONDS = 7 * 24 * 3600.0
#: seconds are kept to the hundredth: finer is noise, and churns the committed file
DIGITS = 2


class DurationsError(BadFileError):
    """The durations file cannot be used: not JSON, wrong types, bad names..."""


@dataclass(frozen=True)
class Durations:
    path: Path
    #: sample name -> seconds its play took
    seconds: Mapping[str, float]

    @property
    def name(self) -> str:
        return self.path.name


def path_in(samples_dir: Path) -> Path:
    """Where the durations file of a samples folder is kept."""
    return Path(samples_dir) / DEFAULT_NAME


def load(path: Path) -> Durations:
    """Read and validate a durations file; DurationsError naming the problem."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise DurationsError(path, f"cannot read the durations file: "
                                   f"{exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise DurationsError(path, f"the durations file is larger than {MAX_BYTES // 2**20} "
                                   "MiB; it is not one this tool wrote")
    return parse(data, path)


def load_if_present(path: Path) -> Durations | None:
    """The durations file, or None when there is none."""
    return load(path) if path.exists() else None


def parse(data: bytes, path: Path) -> Durations:
    """Validate the bytes of a durations file; `path` only names it in errors."""
    again = "; fix it or write it again with --mp-store-durations"
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DurationsError(path, f"not UTF-8 text (byte {exc.start}){again}") from None
    except json.JSONDecodeError as exc:
        raise DurationsError(path, f"not valid JSON ({exc.msg} at line {exc.lineno})"
                                   f"{again}") from None
    except (ValueError, RecursionError) as exc:  # a 5000-digit number, deep nesting
        raise DurationsError(path, f"not a durations file: {str(exc)[:80]}") from None
    return Durations(Path(path), _samples(path, document))


def _samples(path: Path, document: Any) -> dict[str, float]:
    if not isinstance(document, dict):
        raise DurationsError(path, f"expected a JSON object, found {_json_type(document)}")
    unknown = sorted(set(document) - set(_TOP_KEYS))
    if unknown:
        raise DurationsError(path, f"unknown key {quote(unknown[0], 40)} (allowed: "
                                   f"{', '.join(_TOP_KEYS)})")
    if document.get("format") != FORMAT:
        raise DurationsError(path, f"'format' is {_shown(document.get('format'))}, "
                                   f"not {FORMAT!r}: not a durations file of this tool")
    version = document.get("version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise DurationsError(path, f"durations format version {_shown(version)}; "
                                   f"this tool reads version {FORMAT_VERSION}")
    samples = document.get("samples")
    if not isinstance(samples, dict):
        raise DurationsError(path, "'samples' must be an object of sample names and "
                                   f"seconds, found {_json_type(samples)}")
    return {name: _seconds(path, name, value) for name, value in samples.items()}


def _seconds(path: Path, name: str, value: Any) -> float:
    problem = sample_name_problem(name)
    if problem:
        raise DurationsError(path, f"{quote(name)} is not a sample name: it {problem}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DurationsError(path, f"sample {quote(name)}: its play time must be a number "
                                   f"of seconds, found {_json_type(value)}")
    # an int is compared as it is: math.isfinite cannot take a 400-digit one
    if not (0 <= value <= MAX_SECONDS and math.isfinite(value)):
        shown = str(value) if len(str(value)) <= 20 else f"a {len(str(value))}-digit number"
        raise DurationsError(path, f"sample {quote(name)}: play time {shown} is outside "
                                   f"0..{MAX_SECONDS:.0f} seconds")
    return float(value)


def _shown(value: Any) -> str:
    """A value read from the file, for a message: its repr, at most 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


# -- writing ---------------------------------------------------------------------


def merged(old: Durations | None, path: Path, run: Mapping[str, float]) -> Durations:
    """The file after an update: the run's samples replace their times, the
    others are kept (a shard, or a -k run, updates only what it played)."""
    seconds = dict(old.seconds) if old else {}
    seconds.update({s: round(t, DIGITS) for s, t in run.items()})
    return Durations(Path(path), seconds)


def render(durations: Durations) -> str:
    """The file's text: sorted, one sample a line, so its diffs review well."""
    document = {"format": FORMAT, "version": FORMAT_VERSION,
                "samples": dict(sorted(durations.seconds.items()))}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def update_file(path: Path, run: Mapping[str, float]) -> Durations:
    """Merge a run's play times into the file, atomically (a kill leaves the
    old file or the new one). Runs updating one file at once are serialised
    by a lock on its folder, and each merges into the file as it is when its
    turn comes: two shards' runs on one machine both keep theirs."""
    with atomic.folder_locked(path.parent):
        new = merged(load_if_present(path), path, run)
        atomic.write_text(path, render(new))
        return new


def require_updatable(path: Path) -> None:
    """Refuse, before anything plays, an update that could only fail at the
    end: a bad file already there, or a folder this user cannot write."""
    load_if_present(path)
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DurationsError(path, f"cannot write the durations file: the folder {folder} "
                                   "is read-only for this user")

