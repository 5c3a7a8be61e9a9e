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


def judge(path: Path, include: Sequence[str] = (), exclude: Sequence[str] = (),
          name: str | None = None) -> SkippedFile | None:
    """Why `path` is no sample (None: it is one); `name`: the sample name it
    would have (`live/concert.mkv` in a subfolder; default the file name)."""
    name = path.name if name is None else name
    pattern = _matching(name, exclude)
    if pattern is not None:
        return SkippedFile(name, f"excluded by the pattern {pattern!r} (--mp-exclude)")
    if include and _matching(name, include) is not None:
        kind = _special_kind(path)
        return None if kind is None else SkippedFile(name, kind)
    sniffed = media_sniff.sniff_file(path)
    return None if sniffed.is_media else SkippedFile(name, sniffed.reason)


def _matching(name: str, patterns: Sequence[str]) -> str | None:
    """The first pattern naming the sample by its file name (as python_files
    does) or, in a subfolder, by its whole name (`live/*`)."""
    base = name.rsplit("/", 1)[-1]
    return first_match(base, patterns) or (first_match(name, patterns) if base != name
                                             else None)


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
        why_not = judge(folder / name, include, exclude, name)
        if why_not is None:
            samples.append(name)
        else:
            skipped.append(why_not)
    return Selection(tuple(samples), tuple(skipped))


def is_folder(skipped: SkippedFile) -> bool:
    """Whether the entry names a subfolder left out (`live/`), not a file."""
    return skipped.name.endswith("/")


def skipped_section(skipped: Sequence[SkippedFile]) -> str:
    """The summary's list of the files and subfolders the implicit playlist
    left out."""
    files = [f for f in skipped if not is_folder(f)]
    folders = [f for f in skipped if is_folder(f)]
    lines = []
    if files:
        lines.append(f"Skipped files (not media): {len(files)}")
        lines += [f"  {f.name}: {f.reason}" for f in files]
    if folders:
        lines.append(f"Subfolders not searched: {len(folders)}")
        lines += [f"  {f.name}: {f.reason}" for f in folders]
    return "\n".join(lines) + "\n" if lines else ""


def skipped_counts(skipped: Sequence[SkippedFile]) -> str:
    """"3 files skipped as not media, 1 subfolder not searched": the one
    line the terminal says of them."""
    files = sum(1 for f in skipped if not is_folder(f))
    folders = len(skipped) - files
    said = []
    if files:
        said.append(f"{files} {'file' if files == 1 else 'files'} skipped as not media")
    if folders:
        said.append(f"{folders} {'subfolder' if folders == 1 else 'subfolders'} not searched "
                    "(--mp-recursive searches them)")
    return ", ".join(said)


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
