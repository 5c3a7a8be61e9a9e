"""Reading and writing recordings (.dbg files): safe loading, atomic writes.

A recording is a pickle of a list of event tuples, the format of pyglet's
BufferedLogger. Recordings travel in bug reports, so loading one must never
run code, nor take more time or memory than a small multiple of its size: an
opcode check admits only what a recording holds before the C unpickler runs.
"""
from __future__ import annotations

import io
import os
import pickle
import pickletools
import re
import warnings
from pathlib import Path
from typing import Any, NoReturn

from ..core import atomic
from ..core.errors import UnreadableRecordingError, quote
from ..core.events import VERSION, Event

#: recordings are written read-only so that nobody overwrites one by mistake
RECORDING_MODE = 0o444
#: a larger file is not a recording of a short sample; refuse to load it whole
MAX_RECORDING_BYTES = 512 * 1024 * 1024


class _BuiltinsOnlyUnpickler(pickle.Unpickler):
    """Refuses every global: tuples, lists, str, numbers, bool and None need none.

    The opcode check refuses globals first; this stays as a second line.
    """

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(_refers_to(f"{module}.{name}"))


# -- the opcode check ---------------------------------------------------------

#: containers (the list, tuples) nest at most this deep: a recording needs 3
#: (list > event tuple > format tuple)
MAX_NESTING = 8
#: integers beyond this many bits are refused (a recording's are timestamps,
#: sizes and rates)
MAX_INT_BITS = 128
#: loading a recording may take at most this many bytes of memory per byte of
#: file, as estimated before unpickling (real ones: estimated 8-15, take 5-9),
#: plus MEMORY_ALLOWANCE
MAX_MEMORY_FACTOR = 20
MEMORY_ALLOWANCE = 1024 * 1024

#: what a refused opcode would have built (by opcode byte)
_REFUSED = {
    **dict.fromkeys(b"}dsu", "a dict"),
    **dict.fromkeys(b"\x8f\x90", "a set"),
    0x91: "a frozenset",
    **dict.fromkeys(b"BC\x8e", "bytes"),
    0x96: "a bytearray",
    **dict.fromkeys(b"\x97\x98", "an out-of-band buffer"),
    **dict.fromkeys(b"STU", "a Python 2 byte string"),
    **dict.fromkeys(b"ci\x93", "a reference to a class or function"),
    **dict.fromkeys(b"Rbo\x81\x92", "an object built by a call"),
    **dict.fromkeys(b"PQ", "a persistent id"),
    **dict.fromkeys(b"\x82\x83\x84", "an extension code"),
    0x8b: f"an integer of more than {MAX_INT_BITS} bits",
    0x8d: "a string longer than 4 GiB",
    **dict.fromkeys(b"012", "stack operations no recording needs (POP, DUP)"),
}
# Estimated peak bytes (64-bit CPython) of loading, conservatively: the data
# itself (held while loading); each object as the allocator rounds it
# (float 32, int 32..48, tuple 48, str 80 + 4 per byte at worst); each
# pushed item's slot in the tuple or list that holds it; for the outermost
# list, over-allocation and a copy while it grows (the allocator may move
# it); for the unpickler's stack, its peak height in slots, over-allocated
# and copied likewise; each memo entry.
# Measured peaks stay below the estimate on every machine tried, which differ
# by up to 16 bytes per item in how they grow arrays (tests/reliability
# measures the peak against this estimate).
_PUSH = 8
_LIST_GROWTH = 16
_STACK = 24
_MEMO = 24
_ADMITTED = "not a list of tuples of str, int, float, bool and None"
_LIST_HEIGHT = 1 << 20        # the outermost list, as an item: nests too deep
_DIGITS = re.compile(rb"-?[0-9]+")
_INT_LINE_MAX = 2 + (MAX_INT_BITS * 30103 + 99999) // 100000   # sign, digits, 'L'


class _Refused(pickle.UnpicklingError):
    def __init__(self, message: str, *, names_global: bool = False) -> None:
        super().__init__(message)
        #: the data up to the refused opcode was admitted: unpickling it names the global
        self.names_global = names_global


def _refers_to(name: str) -> str:
    return f"it refers to {quote(name)}; a recording holds only builtin data"


def _opname(op: int) -> str:
    for info in pickletools.opcodes:
        if info.code == chr(op):
            return info.name
    return f"byte 0x{op:02x}"  # callers tell this form by its lowercase "b"


def _check_opcodes(data: bytes) -> int:
    """Refuse a pickle that builds anything but a list of tuples of scalars.

    Walks the opcodes once, without building anything: admitted are only the
    opcodes Python's pickler writes, at protocols 0 to 5, for a list of tuples
    of str, int, float, bool and None; the list only as the outermost object;
    tuples nested at most MAX_NESTING deep (a memo reference counts as deep as
    what it refers to); integers of at most MAX_INT_BITS bits; memo indexes
    numbered as a pickler numbers them; and an estimate of the memory the
    unpickled objects take (by type, conservatively) within MAX_MEMORY_FACTOR
    bytes per byte of data, plus MEMORY_ALLOWANCE. The C unpickler then
    builds what was checked: time and memory linear in the size of the data.
    Returns the estimate.
    """
    end = len(data)
    stack: list[int] = []      # heights of the items: 0 for a scalar
    push = stack.append
    marks: list[int] = []      # stack lengths at each MARK
    memo: list[int] = []       # heights of the memoized items
    have_list = False
    cost = end                 # estimated peak bytes: the data, then what it builds
    high = 0                   # the stack's peak height so far, charged _STACK a slot
    budget = MAX_MEMORY_FACTOR * end + MEMORY_ALLOWANCE
    pos = 0
    if data[:1] == b"\x80":
        if data[1:2] > b"\x05":
            raise _Refused(f"unsupported pickle protocol {data[1:2].hex()}")
        pos = 2

    def refuse(why: str) -> NoReturn:
        raise _Refused(f"{why} (at byte {op_pos})")

    def line(limit: int, too_long: str = "") -> bytes:
        nonlocal pos
        nl = data.find(b"\n", pos, pos + limit + 1)
        if nl < 0:
            refuse(too_long or f"a text argument of {_opname(op)} longer than {limit} bytes"
                   if end > pos + limit else "the data is truncated")
        text = data[pos:nl]
        pos = nl + 1
        return text

    def index(text: bytes) -> int:
        if not text.isdigit():
            refuse(f"a memo index that is not a number: {quote(text)}")
        return int(text)

    def integer(text: bytes) -> None:
        if not _DIGITS.fullmatch(text) or int(text).bit_length() > MAX_INT_BITS:
            refuse(f"an integer of more than {MAX_INT_BITS} bits or not a number: "
                   f"{quote(text)}")

    op_pos = pos
    try:
        while True:
            op_pos = pos
            op = data[pos]
            pos += 1
            if op == 0x47:                                   # G BINFLOAT
                pos += 8
                push(0)
                cost += _PUSH + 32
            elif op == 0x28:                                 # ( MARK
                marks.append(len(stack))
                if len(marks) > MAX_NESTING:
                    refuse(f"containers nested more than {MAX_NESTING} deep")
                cost += 8
                if cost > budget:
                    refuse(_too_big(end))
            elif op == 0x68:                                 # h BINGET
                i = data[pos]
                pos += 1
                if i >= len(memo):
                    refuse(f"memo index {i} refers to nothing")
                push(memo[i])
                cost += _PUSH
            elif op == 0x74:                                 # t TUPLE
                if not marks:
                    refuse("TUPLE without MARK")
                m = marks.pop()
                if len(stack) > high:
                    cost += _STACK * (len(stack) - high)
                    high = len(stack)
                h = max(stack[m:], default=0) + 1
                if h > MAX_NESTING:
                    refuse(_too_deep(h))
                del stack[m:]
                push(h)
                cost += _PUSH + 48
            elif op == 0x94:                                 # MEMOIZE
                if len(stack) <= (marks[-1] if marks else 0):
                    refuse("MEMOIZE of nothing")
                memo.append(stack[-1])
                cost += _MEMO
            elif op == 0x71 or op == 0x72 or op == 0x70:     # q BINPUT, r LONG_BINPUT, p PUT
                if op == 0x71:
                    i = data[pos]
                    pos += 1
                elif op == 0x72:
                    i = int.from_bytes(data[pos:pos + 4], "little")
                    pos += 4
                else:
                    i = index(line(20))
                if len(stack) <= (marks[-1] if marks else 0):
                    refuse("PUT of nothing")
                if i < len(memo):
                    memo[i] = stack[-1]
                elif i == len(memo):
                    memo.append(stack[-1])
                else:
                    refuse(f"memo index {i} skips indexes (a pickler numbers them in order)")
                cost += _MEMO
            elif op == 0x6a or op == 0x67:                   # j LONG_BINGET, g GET
                if op == 0x6a:
                    i = int.from_bytes(data[pos:pos + 4], "little")
                    pos += 4
                else:
                    i = index(line(20))
                if i >= len(memo):
                    refuse(f"memo index {i} refers to nothing")
                push(memo[i])
                cost += _PUSH
            elif op == 0x85 or op == 0x86 or op == 0x87:     # TUPLE1, TUPLE2, TUPLE3
                n = op - 0x84
                m = len(stack) - n
                if m + n > high:
                    cost += _STACK * (m + n - high)
                    high = m + n
                if m < (marks[-1] if marks else 0):
                    refuse(f"{_opname(op)} of too few items")
                h = max(stack[m:]) + 1
                if h > MAX_NESTING:
                    refuse(_too_deep(h))
                del stack[m:]
                push(h)
                cost += _PUSH + 48
            elif op == 0x65 or op == 0x61:                   # e APPENDS, a APPEND
                if op == 0x65:
                    m = marks.pop() if marks else -1
                else:
                    m = len(stack) - 1
                if m != 1 or marks or not have_list:
                    refuse(f"{_opname(op)} to something other than the outermost list")
                h = max(stack[1:], default=0) + 1
                if h > MAX_NESTING:
                    refuse(_too_deep(h))
                if len(stack) > high:
                    cost += _STACK * (len(stack) - high)
                    high = len(stack)
                cost += _LIST_GROWTH * (len(stack) - 1)
                del stack[1:]
            elif op == 0x8c or op == 0x58 or op == 0x56:     # SHORT_BINUNICODE, X BINUNICODE, V UNICODE
                if op == 0x8c:
                    n = data[pos]
                    pos += 1 + n
                elif op == 0x58:
                    n = int.from_bytes(data[pos:pos + 4], "little")
                    pos += 4 + n
                else:
                    n = len(line(end))
                if pos > end:
                    refuse("the data is truncated")
                push(0)
                cost += _PUSH + 80 + 4 * n
            elif op == 0x4b or op == 0x4e or op == 0x88 or op == 0x89:  # K BININT1, N NONE, NEWTRUE, NEWFALSE
                pos += op == 0x4b
                push(0)
                cost += _PUSH
            elif op == 0x4d or op == 0x4a:                   # M BININT2, J BININT
                pos += 2 if op == 0x4d else 4
                push(0)
                cost += _PUSH + 32
            elif op == 0x8a:                                 # LONG1
                n = data[pos]
                pos += 1 + n
                if n * 8 > MAX_INT_BITS:
                    refuse(f"an integer of more than {MAX_INT_BITS} bits")
                push(0)
                cost += _PUSH + 48
            elif op == 0x49 or op == 0x4c:                   # I INT, L LONG
                text = line(_INT_LINE_MAX, f"an integer of more than {MAX_INT_BITS} bits")
                integer(text[:-1] if op == 0x4c and text.endswith(b"L") else text)
                push(0)
                cost += _PUSH + 48
            elif op == 0x46:                                 # F FLOAT
                nl = data.find(b"\n", pos, pos + 65)   # line(64), inlined: hot at protocol 0
                if nl < 0:
                    line(64)
                pos = nl + 1
                push(0)
                cost += _PUSH + 32
            elif op == 0x29:                                 # ) EMPTY_TUPLE
                push(1)
                cost += _PUSH
            elif op == 0x5d or op == 0x6c:                   # ] EMPTY_LIST, l LIST
                if op == 0x6c:
                    m = marks.pop() if marks else -1
                else:
                    m = len(stack)
                if have_list or m != 0 or marks:
                    refuse("a list inside a list or tuple (only the outermost "
                           "object is a list)")
                h = max(stack, default=0) + 1
                if h > MAX_NESTING:
                    refuse(_too_deep(h))
                if len(stack) > high:           # LIST takes the items after its MARK
                    cost += (_STACK + _LIST_GROWTH) * (len(stack) - high)
                    high = len(stack)
                del stack[:]
                push(_LIST_HEIGHT)
                have_list = True
                cost += _PUSH + 56
            elif op == 0x95:                                 # FRAME
                n = int.from_bytes(data[pos:pos + 8], "little")
                pos += 8
                if n > end - pos:
                    refuse("the data is truncated (FRAME)")
            elif op == 0x2e:                                 # . STOP
                break
            elif op == 0x63 or op == 0x69:                   # c GLOBAL, i INST
                module = line(256).decode("utf-8", "replace")
                name = line(256).decode("utf-8", "replace")
                refuse(_refers_to(f"{module}.{name}"))
            elif op == 0x93 and cost <= budget:              # STACK_GLOBAL
                # the C unpickler gets there safely: it names the global
                raise _Refused(f"it refers to a global (at byte {op_pos})", names_global=True)
            else:
                what = _REFUSED.get(op) or ("an opcode no recording needs" if _opname(op)[0] != "b"
                                            else "a byte that is no pickle opcode")
                raise _Refused(f"it holds {what} ({_opname(op)} at byte {op_pos}): "
                               f"{_ADMITTED}")
    except IndexError:
        raise _Refused("the data is truncated") from None
    if pos > end:
        raise _Refused("the data is truncated")
    if len(stack) != 1 or marks:
        raise _Refused("it ends with leftovers on the unpickling stack: not one object")
    if cost > budget:
        raise _Refused(_too_big(end))
    return cost


def _too_deep(height: int) -> str:
    if height > _LIST_HEIGHT:
        return "a list inside a list or tuple (only the outermost object is a list)"
    return f"containers nested more than {MAX_NESTING} deep"


def _too_big(size: int) -> str:
    return (f"it would take more than {MAX_MEMORY_FACTOR} bytes of memory per byte of "
            f"its {size} bytes")


def loads_builtin_data(data: bytes) -> Any:
    """Unpickle a list of tuples of str, int, float, bool and None (see _check_opcodes)."""
    # Invalid escapes in a protocol-0 STRING warn (DeprecationWarning); under
    # `-W error` that warning escaped load() as an exception (unit tests).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            _check_opcodes(data)
        except _Refused as exc:
            if not exc.names_global:
                raise
            # what comes before the global was admitted: unpickling stops at it
            _BuiltinsOnlyUnpickler(io.BytesIO(data)).load()
            raise
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
        raise UnreadableRecordingError(path, f"not a recording: {_describe(exc)}") from None
    if not isinstance(events, list):
        raise UnreadableRecordingError(
            path, f"not a recording: holds a {type(events).__name__}, not a list of events")
    return events


def _describe(exc: BaseException) -> str:
    """One line, bounded: the message may quote the data."""
    return " ".join(str(exc).split())[:240] or type(exc).__name__


def dumps(events: list[Event]) -> bytes:
    return pickle.dumps(events, protocol=4)


def save(path: Path, events: list[Event]) -> None:
    """Write a recording atomically and read-only."""
    atomic.write_bytes(Path(path), dumps(events), mode=RECORDING_MODE)


def supersede(path: Path, aside: Path | None) -> str:
    """Move the recording at `path` out of the way, to `aside` (None: remove
    it): a play that
    could not write over it (a full disk) must not leave it standing as the
    play's result. Renaming needs no free space, and keeps what was played
    before; removing it is the last resort (its session let this play
    replace it anyway). Returns what was done, for the play's verdict.
    """
    path = Path(path)
    if aside is not None:
        try:
            os.replace(path, aside)
            return f"the previous recording was moved aside to {Path(aside).name}"
        except FileNotFoundError:
            if Path(aside).exists():  # an earlier attempt (a retry's) moved it
                return f"the previous recording is kept aside as {Path(aside).name}"
            return "there was no previous recording"
        except OSError:
            pass
    try:
        path.unlink()
        return "the previous recording was removed"
    except FileNotFoundError:
        return "there was no previous recording"
    except OSError as exc:
        return f"the previous recording {path} could not be moved aside either " \
               f"({exc.strerror or exc}): it is not this play's"


def crash_placeholder(sample: str) -> list[Event]:
    """The recording written before playing; a finished play replaces it.

    If the player dies, this is what remains, and it reads as a crash: the
    contract of pyglet's buffered logger and of the original playmany.
    """
    return [("version", VERSION), ("crash", sample)]
