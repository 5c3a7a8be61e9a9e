"""The files of the samples folder, and of its subfolders under --mp-recursive.

A sample found in a subfolder is named by its path relative to the samples
folder, with '/' (`live/concert.mkv`). The walk never leaves the folder: a
link to a folder is not followed (it may lead outside, or loop), and the
store's own folders (a session, a store holding activation.json) and hidden
folders are never searched. Without --mp-recursive, each subfolder that would
have been searched is named once, so that none is passed over in silence.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..core.errors import UsageError
from ..core.names import FOLDER_SEPARATOR
from .sample_selection import SkippedFile

#: deeper folders are not searched (a bind mount may loop where links cannot)
MAX_DEPTH = 32
#: how the summary names a subfolder: its relative path and this
FOLDER_MARK = FOLDER_SEPARATOR
NOT_SEARCHED = "a subfolder, not searched (--mp-recursive searches subfolders)"
LINKED_FOLDER = "a link to a folder, not followed (it may lead out of the samples folder)"
TOO_DEEP = f"a folder deeper than {MAX_DEPTH} levels, not searched"


@dataclass(frozen=True)
class Listing:
    #: the files, by name relative to the samples folder, not yet judged
    files: tuple[str, ...]
    #: folders not searched, named `live/`, with the reason
    folders: tuple[SkippedFile, ...]


def list_samples_folder(samples_dir: Path, *, recursive: bool,
                        is_own_folder: Callable[[Path], bool]) -> Listing:
    """Every entry of the folder that is not a folder (special files
    included: they are judged and listed as skipped), and the folders left
    out. `is_own_folder`: the store's folders, never searched nor named."""
    files: list[str] = []
    folders: list[SkippedFile] = []
    _walk(samples_dir, "", 0, recursive, is_own_folder, files, folders)
    return Listing(tuple(files), tuple(sorted(folders, key=lambda f: f.name)))


def _walk(folder: Path, prefix: str, depth: int, recursive: bool,
          is_own_folder: Callable[[Path], bool], files: list[str],
          folders: list[SkippedFile]) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        if not prefix:
            raise UsageError(f"cannot list samples folder {folder}: {exc.strerror}") from None
        folders.append(SkippedFile(prefix, f"cannot be listed ({exc.strerror})"))
        return
    for entry in entries:
        name = prefix + entry.name
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if not is_dir:
            files.append(name)
            continue
        path = Path(entry.path)
        if entry.name.startswith(".") or is_own_folder(path):
            continue
        shown = name + FOLDER_MARK
        if not recursive:
            folders.append(SkippedFile(shown, NOT_SEARCHED))
        elif entry.is_symlink():
            folders.append(SkippedFile(shown, LINKED_FOLDER))
        elif depth + 1 >= MAX_DEPTH:
            folders.append(SkippedFile(shown, TOO_DEEP))
        else:
            _walk(path, shown, depth + 1, recursive, is_own_folder, files, folders)
