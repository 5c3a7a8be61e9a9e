"""The order samples are collected, and so played: longest first.

Plays are real time: under xdist, a long sample handed out last plays alone
at the end of the run. pytest-xdist hands items out in collection order, so
collecting the longest samples first lets the short ones fill in at the end.

Durations are known without starting a process: the seconds a play of
the sample took, from the samples folder's durations file (the one shards
weigh by, store/durations.py) where it names the sample, since a play may
take longer than its file (pyglet never ending a play runs 5 s past the
end; a sample played under three drivers plays three times); else the
session's stored reference (the file's length from ffprobe,
Reference.length, written at a sample's first play in the session) while it
still matches the file's size; else the store's reference cache (by the
file's device, inode, size and time, without hashing it: a session's first
run in a store that played the sample before); otherwise the file's size
stands in, turned into seconds at the bytes-per-second of the samples whose
duration is known (by size alone when none is). Ties keep name order.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from ..core.errors import BadReferenceError
from ..store import reference
from ..store.stored_references import Stored

#: --mp-order's values (options.ORDER_CHOICES)
LONGEST = "longest"
PLAYLIST = "playlist"


def longest_first(samples: Iterable[str], durations: Mapping[str, float | None],
                  sizes: Mapping[str, int | None]) -> list[str]:
    """The samples, longest first; ties (and unknown lengths, last) by name.

    A sample without a duration is estimated from its size at the
    bytes-per-second of the samples having both; with no such sample, sizes
    are compared with sizes and durations with durations, durations first.
    """
    samples = list(samples)
    known = {s: d for s in samples if (d := durations.get(s)) is not None and d > 0}
    rated = [(sizes[s], known[s]) for s in known if sizes.get(s)]
    rate = sum(b for b, _ in rated) / sum(d for _, d in rated) if rated else None

    def key(sample: str) -> tuple[int, float, str]:
        if sample in known:
            return (0, -known[sample], sample)
        size = sizes.get(sample)
        if size is None:
            return (2, 0.0, sample)
        if rate:
            return (0, -size / rate, sample)
        return (1, -float(size), sample)

    return sorted(samples, key=key)


def stored_duration(reference_path: Path, size: int | None,
                    load: Callable[[Path], Stored] = reference.load) -> float | None:
    """The file's length (Reference.length) from a stored reference that still fits the file's
    size (no hashing: a wrong guess only misplaces a sample in the order).
    `load` reads it (the run's StoredReferences.load keeps it for the play)."""
    try:
        key, ref = load(reference_path)
    except BadReferenceError:
        return None
    return ref.length if size is not None and key.get("size") == size else None


def _size(path: Path) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def play_order(how: str, playlist: Sequence[str], samples_dir: Path,
               reference_of: Callable[[str], Path] | None,
               load: Callable[[Path], Stored] = reference.load,
               played: Mapping[str, float] | None = None,
               cached_length: Callable[[Path], float | None] | None = None) -> list[str]:
    """The collection order of `playlist` for --mp-order `how`.

    `played` holds the seconds past plays of samples took (the durations
    file), `reference_of` gives a sample's stored reference (None: no
    session yet), `load` reads one (stored_duration); `cached_length` gives
    a file's length from the store's reference cache (a session's first run
    in a store that played the samples before).
    """
    if how == PLAYLIST:
        return list(playlist)
    played = played or {}
    sizes = {s: _size(samples_dir / s) for s in playlist}

    def duration(sample: str) -> float | None:
        if sample in played:
            return played[sample]
        found = stored_duration(reference_of(sample), sizes[sample], load) \
            if reference_of else None
        if found is None and cached_length is not None:
            found = cached_length(samples_dir / sample)
        return found

    durations = {s: duration(s) for s in playlist}
    return longest_first(playlist, durations, sizes)
