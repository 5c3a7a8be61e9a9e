"""Which candidate files of the samples folder are samples: the sniff
(media_sniff.py), steered by include and exclude globs as `python_files` is.

Exclude wins over include (a file both name is left out: leaving out is the
safer surprise), and include cannot force in a special file: opening a FIFO
blocks the run.
"""
from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from . import media_sniff

_SEPARATORS = re.compile(r"[,\s]+")


@dataclass(frozen=True)
class SkippedFile:
    name: str
    reason: str


@dataclass(frozen=True)
class Selection:
    samples: tuple[str, ...]
    skipped: tuple[SkippedFile, ...]


def parse_patterns(value: str) -> tuple[str, ...]:
    """Comma- or space-separated fnmatch patterns (as pytest's python_files)."""
    return tuple(p for p in _SEPARATORS.split(value) if p)


def first_match(name: str, patterns: Sequence[str]) -> str | None:
    return next((p for p in patterns if fnmatch.fnmatch(name, p)), None)


def judge(path: Path, include: Sequence[str] = (), exclude: Sequence[str] = ()
          ) -> SkippedFile | None:
    """Why `path` is no sample (None: it is one)."""
    name = path.name
    pattern = first_match(name, exclude)
    if pattern is not None:
        return SkippedFile(name, f"excluded by the pattern {pattern!r} (--mp-exclude)")
    if include and first_match(name, include) is not None:
        kind = _special_kind(path)
        return None if kind is None else SkippedFile(name, kind)
    sniffed = media_sniff.sniff_file(path)
    return None if sniffed.is_media else SkippedFile(name, sniffed.reason)


def _special_kind(path: Path) -> str | None:
    try:
        kind = media_sniff.special_file_kind(os.stat(path).st_mode)
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    return None if kind is None else f"{kind}, not a file"


def select(folder: Path, names: Iterable[str], include: Sequence[str] = (),
           exclude: Sequence[str] = ()) -> Selection:
    """Split `names` (files of `folder`) into samples and skipped files, sorted."""
    samples: list[str] = []
    skipped: list[SkippedFile] = []
    for name in sorted(names):
        why_not = judge(folder / name, include, exclude)
        if why_not is None:
            samples.append(name)
        else:
            skipped.append(why_not)
    return Selection(tuple(samples), tuple(skipped))


def skipped_section(skipped: Sequence[SkippedFile]) -> str:
    """The summary's list of the files the implicit playlist left out."""
    if not skipped:
        return ""
    lines = [f"Skipped files (not media): {len(skipped)}"]
    lines += [f"  {f.name}: {f.reason}" for f in skipped]
    return "\n".join(lines) + "\n"


def to_text(skipped: Sequence[SkippedFile]) -> str:
    """One file a line, name TAB reason (a sample name holds no tab)."""
    return "".join(f"{f.name}\t{f.reason}\n" for f in skipped)


def from_text(text: str) -> tuple[SkippedFile, ...]:
    files = []
    for line in text.splitlines():
        name, _, reason = line.partition("\t")
        if name:
            files.append(SkippedFile(name, reason))
    return tuple(files)
