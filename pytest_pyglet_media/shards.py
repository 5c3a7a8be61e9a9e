"""Shards: one part of the playlist per CI job (`--mp-shard=K/N`).

Every job computes the split over the WHOLE playlist from the same inputs,
so the split is identical on every machine: the shards are disjoint and
cover the playlist. The weight of a sample is its file size in bytes, a
proxy of its play time that every machine holding the samples reads the
same way and at no cost. ffprobe's duration was not chosen: it depends on
what is installed (a machine without ffprobe, or another FFmpeg version,
would split differently and play some samples twice, others never), and a
session's stored references exist only on the machine that made them.

Samples are assigned greedily, longest processing time first: the heaviest
sample goes to the lightest shard (ties: the lower shard number); samples of
equal weight are taken in name order.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

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


def shard_samples(samples_dir: Path, playlist: Sequence[str], shard: tuple[int, int]
                  ) -> frozenset[str]:
    """The samples of `playlist` that shard K of N plays."""
    k, n = shard
    weights = {sample: weight(samples_dir / sample) for sample in playlist}
    return frozenset(split(weights, n)[k - 1])
