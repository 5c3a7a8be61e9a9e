"""Which version of a file was read: its device, inode, size and mtime.

The project writes every file atomically (atomic.py: a new file renamed over
the old one), so a rewritten file is another inode; recordings are also
read-only. A version therefore keeps its content: a file whose stamp is the
one taken before an earlier read holds what that read saw, and need not be
read again (playback's placeholder check relies on the same fields).

A stamp is taken *before* the read it vouches for: a file replaced between
the stamp and the read then only looks changed later, and is read again;
taken after, the new file would vouch for the old content.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class FileStamp:
    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of_stat(cls, stat: os.stat_result) -> "FileStamp":
        return cls(stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)

    @classmethod
    def of(cls, path: Path | str) -> "FileStamp | None":
        """The file's stamp now; None when there is no file to stamp."""
        try:
            return cls.of_stat(os.stat(path))
        except (OSError, ValueError):  # ValueError: a path with a NUL byte
            return None

    def to_builtins(self) -> list[int]:
        return [self.device, self.inode, self.size, self.mtime_ns]

    @classmethod
    def from_builtins(cls, data: Any) -> "FileStamp | None":
        """The stamp `to_builtins` gave; None for anything else (a stamp only
        spares a read: a wrong one must cost that read, never an error)."""
        if isinstance(data, (list, tuple)) and len(data) == 4 \
                and all(type(n) is int for n in data):
            return cls(*data)
        return None
