"""Reading and writing recordings (.dbg files): safe loading, atomic writes.

A recording is a pickle of a list of event tuples, the format of pyglet's
BufferedLogger. Recordings travel in bug reports, so loading one must never
run code: the unpickler admits builtin data only.
"""
from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

from . import atomic
from .errors import UnreadableRecordingError
from .events import VERSION, Event

#: recordings are written read-only so that nobody overwrites one by mistake
RECORDING_MODE = 0o444
#: a larger file is not a recording of a short sample; refuse to load it whole
MAX_RECORDING_BYTES = 512 * 1024 * 1024


class _BuiltinsOnlyUnpickler(pickle.Unpickler):
    """Refuses every global: tuples, lists, str, numbers, bool and None need none."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(
            f"it refers to {module}.{name}; a recording holds only builtin data")


def loads_builtin_data(data: bytes) -> Any:
    """Unpickle data that may hold only builtins (no class, no function)."""
    return _BuiltinsOnlyUnpickler(io.BytesIO(data)).load()


def load(path: Path) -> list[Event]:
    """Load a recording's event list, refusing anything but builtin data."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_RECORDING_BYTES:
            raise UnreadableRecordingError(path, f"{size} bytes is too large for a recording")
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableRecordingError(path, f"cannot read it: {exc.strerror or exc}") from None
    if not data:
        raise UnreadableRecordingError(path, "the file is empty")
    try:
        events = loads_builtin_data(data)
    except (pickle.UnpicklingError, EOFError, ValueError, IndexError, KeyError,
            AttributeError, TypeError, MemoryError, RecursionError) as exc:
        raise UnreadableRecordingError(path, f"not a recording: {exc}") from None
    if not isinstance(events, list):
        raise UnreadableRecordingError(
            path, f"not a recording: holds a {type(events).__name__}, not a list of events")
    return events


def dumps(events: list[Event]) -> bytes:
    return pickle.dumps(events, protocol=4)


def save(path: Path, events: list[Event]) -> None:
    """Write a recording atomically and read-only."""
    atomic.write_bytes(Path(path), dumps(events), mode=RECORDING_MODE)


def crash_placeholder(sample: str) -> list[Event]:
    """The recording written before playing; a finished play replaces it.

    If the player dies, this is what remains, and it reads as a crash: the
    contract of pyglet's buffered logger and of the original playmany.
    """
    return [("version", VERSION), ("crash", sample)]
