"""Reading and writing recordings (.dbg files): safe loading, atomic writes.

A recording is a pickle of a list of event tuples, the format of pyglet's
BufferedLogger. Recordings travel in bug reports, so loading one must never
run code: the unpickler admits builtin data only.
"""
from __future__ import annotations

import io
import pickle
import pickletools
import warnings
from pathlib import Path
from typing import Any

from . import atomic
from .analysis import RecordingProblem, ValidRecording, judge
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


_PUT_OPCODES = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})


def _check_memo_indexes(data: bytes) -> None:
    """Refuse memo indexes no pickler would write.

    Fix (unit tests): the C unpickler grows its memo array up to a PUT's index,
    so 25 bytes holding LONG_BINPUT 1330563209 made it allocate ~10 GB (30 s,
    or an out-of-memory kill) before failing. A pickler numbers its memo
    entries from 0, one per object, so an index is always below the data size.
    """
    limit = len(data)
    for opcode, arg, _pos in pickletools.genops(data):
        if opcode.name in _PUT_OPCODES and int(arg) > limit:
            raise pickle.UnpicklingError(f"memo index {arg} is out of range")


def loads_builtin_data(data: bytes) -> Any:
    """Unpickle data that may hold only builtins (no class, no function)."""
    # Invalid escapes in a protocol-0 STRING warn (DeprecationWarning); under
    # `-W error` that warning escaped load() as an exception (unit tests).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        _check_memo_indexes(data)
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
    # OverflowError added (unit tests): random bytes can declare a FRAME or
    # BINBYTES length beyond sys.maxsize, which escaped as OverflowError.
    except (pickle.UnpicklingError, EOFError, ValueError, IndexError, KeyError,
            AttributeError, TypeError, MemoryError, RecursionError, OverflowError) as exc:
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


def read(path: Path) -> ValidRecording:
    """Load, validate and judge a recording: the one way reports and
    timelines get events. UnreadableRecordingError names the file and the
    problem, whether the pickle or the events are at fault."""
    events = load(path)
    try:
        return judge(events)
    except RecordingProblem as problem:
        raise UnreadableRecordingError(path, str(problem)) from None
