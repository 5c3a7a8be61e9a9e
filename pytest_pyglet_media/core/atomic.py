"""Atomic file writes: a kill at any moment leaves the old file or the new one.

Every file the project writes goes through here: the bytes go to a temporary
file in the same folder (same file system, so the rename is atomic), are
flushed to disk, then renamed over the target.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # Windows: one update at a time is the user's to keep
    fcntl = None  # type: ignore[assignment]


def write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    path = Path(path)
    # 40 characters of the name keep the temporary name under NAME_MAX in any script
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp",
                                        dir=path.parent)
    except OSError as exc:
        # name the file being written, not the random temporary one
        # ('.00_summary.txt.zsqnkbar.tmp'); OSError(errno, ...) keeps the
        # subclass (PermissionError, ...)
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        # also on KeyboardInterrupt: never leave temporary files behind
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise


def write_text(path: Path, text: str, *, mode: int = 0o644) -> None:
    write_bytes(path, text.encode("utf-8"), mode=mode)


@contextmanager
def folder_locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on `folder` itself, for a read-merge-write of a file
    in it (the baseline, the durations file): flock on the folder leaves no
    lock file beside the samples and is released when the process ends,
    however it ends."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
