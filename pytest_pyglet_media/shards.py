"""Shards: one part of the playlist per CI job (`--mp-shard=K/N`).

Every job computes the split over the WHOLE playlist from the same inputs,
so the split is identical on every machine: the shards are disjoint and
cover the playlist. The inputs are only what every job holding the samples
has: the durations file committed beside them (store/durations.py: each
sample's play time, written by a run with --mp-store-durations) and the
samples' file sizes. ffprobe's duration was not chosen: it depends on what
is installed (a machine without ffprobe, or another FFmpeg version, would
split differently and play some samples twice, others never), and a
session's stored references exist only on the machine that made them.

A sample's weight is its expected play time: the file's seconds for the
samples it lists; for the others, their size turned into seconds at the
median bytes per second of the listed samples of the playlist (a median,
so one odd file does not skew the rest). Without a file, or when it lists
no sample of the playlist with a size and a time, every sample weighs its
size in bytes. Weights are whole milliseconds (or bytes), so the shards'
sums are exact integers on every machine.

Samples are assigned greedily, longest processing time first: the heaviest
sample goes to the lightest shard (ties: the lower shard number); samples of
equal weight are taken in name order.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

#: the durations file's default name (store/durations.py checks it is the same):
#: said here so that the options, read by every pytest run, need not import it
DURATIONS_NAME = "samples.durations.json"

#: GitLab CI's parallel jobs: 1-based index and total
CI_NODE_INDEX = "CI_NODE_INDEX"
CI_NODE_TOTAL = "CI_NODE_TOTAL"
CI_ENV_VARS = (CI_NODE_INDEX, CI_NODE_TOTAL)


#: more shards than any CI matrix runs jobs: the split allocates one list per
#: shard, so an absurd count (1/10000000) would cost gigabytes for a few samples
MAX_SHARDS = 1000
#: at most this many characters of K/N are read (a 20-digit count is nonsense)
_MAX_TEXT = 20


def parse(value: str) -> tuple[int, int]:
    """'K/N' -> (K, N), 1 <= K <= N; ValueError saying what is wrong."""
    text = value.strip()
    if len(text) > _MAX_TEXT:
        raise ValueError(f"N, the number of shards, must be at most {MAX_SHARDS} "
                         "(one CI job each)")
    k_text, sep, n_text = text.partition("/")
    try:
        if not sep:
            raise ValueError
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise ValueError("write it as K/N, e.g. 2/4 (shard K of N, counted from 1)") from None
    if n < 1:
        raise ValueError("N, the number of shards, must be 1 or more")
    if n > MAX_SHARDS:
        raise ValueError(f"N, the number of shards, must be at most {MAX_SHARDS} "
                         "(one CI job each)")
    if not 1 <= k <= n:
        raise ValueError(f"K must be between 1 and {n} (shards are counted from 1)")
    return k, n


def weight(path: Path) -> int:
    """A sample's weight: its size in bytes (0 when it cannot be read)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def split(weights: Mapping[str, int], n: int) -> list[list[str]]:
    """The samples of `weights` in n shards (index 0 is shard 1), balanced
    by weight; each shard's samples in name order."""
    loads = [0] * n
    shards: list[list[str]] = [[] for _ in range(n)]
    for sample in sorted(weights, key=lambda s: (-weights[s], s)):
        lightest = min(range(n), key=lambda i: (loads[i], i))
        shards[lightest].append(sample)
        loads[lightest] += weights[sample]
    return [sorted(s) for s in shards]


#: how a split weighed its samples
BY_DURATIONS = "durations"
BY_SIZE = "size"


@dataclass(frozen=True)
class Split:
    """The playlist in shards, and how it was weighed (for the line a run shows)."""

    #: index 0 is shard 1; each shard's samples in name order
    shards: tuple[tuple[str, ...], ...]
    #: each sample's weight: milliseconds (BY_DURATIONS) or bytes (BY_SIZE)
    weights: Mapping[str, int]
    by: str
    #: the samples weighed from their size at `rate` bytes per second
    estimated: frozenset[str] = frozenset()
    rate: float | None = None
    #: the durations file's name (messages), "" when there is none
    source: str = ""
    #: why a split went by size (BY_SIZE), for the line
    why_size: str = ""

    def samples(self, k: int) -> frozenset[str]:
        return frozenset(self.shards[k - 1])

    def describe(self, k: int) -> str:
        """One line: shard K of N, its samples, their expected seconds, from what."""
        part = self.shards[k - 1]
        head = f"shard {k} of {len(self.shards)}: {len(part)} sample{'s' * (len(part) != 1)}"
        load = sum(self.weights[s] for s in part)
        if self.by == BY_SIZE:
            return f"{head}, {load} bytes, by file size ({self.why_size})"
        text = f"{head}, {load / 1000:.1f} expected seconds, from {self.source}"
        guessed = len(self.estimated.intersection(part))
        if guessed:
            text += (f" ({guessed} not listed there, estimated from file size at "
                     f"{self.rate:.0f} bytes per second)")
        return text


def median_rate(seconds: Mapping[str, float], sizes: Mapping[str, int]) -> float | None:
    """The median bytes per second of the samples having both a size and a
    time (None when none has)."""
    rates = sorted(sizes[s] / t for s, t in seconds.items() if t > 0 and sizes.get(s, 0) > 0)
    if not rates:
        return None
    middle = len(rates) // 2
    return rates[middle] if len(rates) % 2 else (rates[middle - 1] + rates[middle]) / 2


def plan(sizes: Mapping[str, int], n: int, listed: Mapping[str, float] | None = None,
         source: str = "") -> Split:
    """The split of the samples of `sizes` (the playlist) in n shards, by the
    play times of `listed` (the durations file's, named `source`), else by size."""
    known = {s: t for s, t in (listed or {}).items() if s in sizes}
    rate = median_rate(known, sizes)
    unlisted = frozenset(s for s in sizes if s not in known)
    if not known or (unlisted and rate is None):
        if not source:
            why = f"no {DURATIONS_NAME}; write it with --mp-store-durations"
        elif not known:
            why = f"{source} lists none of the playlist's samples"
        else:  # seconds and bytes cannot be mixed without a rate
            why = (f"{source} times no sample of known size, so the {len(unlisted)} it "
                   "does not list cannot be timed")
        return Split(_tuples(split(sizes, n)), dict(sizes), BY_SIZE, source=source,
                     why_size=why)
    weights = {s: round(known[s] * 1000) for s in known}
    if rate is not None:
        weights.update({s: round(sizes[s] * 1000 / rate) for s in unlisted})
    return Split(_tuples(split(weights, n)), weights, BY_DURATIONS, unlisted, rate, source)


def _tuples(parts: list[list[str]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(p) for p in parts)


def plan_for(samples_dir: Path, playlist: Sequence[str], n: int) -> Split:
    """The split of `playlist` by the samples folder's durations file (a bad
    one: DurationsError naming it) and its files' sizes."""
    from .store import durations as durations_file  # only when sharding

    sizes = {sample: weight(samples_dir / sample) for sample in playlist}
    found = durations_file.load_if_present(durations_file.path_in(samples_dir))
    if found is None:
        return plan(sizes, n)
    return plan(sizes, n, found.seconds, found.name)


def shard_samples(samples_dir: Path, playlist: Sequence[str], shard: tuple[int, int]
                  ) -> frozenset[str]:
    """The samples of `playlist` that shard K of N plays."""
    k, n = shard
    return plan_for(samples_dir, playlist, n).samples(k)
