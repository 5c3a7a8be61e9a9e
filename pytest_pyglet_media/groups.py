"""Where a sample was played: its "group" in a session merged from runs on
other pyglet or FFmpeg versions, operating systems or audio drivers
(`pyglet-mp merge --allow-mixed`).

A group is what a run's versions (versions.capture, _versions.json) say
about where it played, reduced to what tells runs apart: pyglet, FFmpeg, the
operating system (the first word of platform.platform(): "Linux",
"Windows", "macOS"; not the kernel build, which differs between CI runners
of one image), the machine, Python's major.minor and the audio drivers
(--mp-audio, recorded when the plugin creates the session). Its label names
only the parts that differ between the groups of a session, so
"pyglet 2.1.19, FFmpeg 5.1, Linux x86_64" shrinks to "Linux" when only the
operating system differs.
"""
from __future__ import annotations

from typing import Any, Mapping

#: the parts of a group, in the order its label names them
PARTS = ("pyglet", "ffmpeg", "os", "machine", "python", "audio")
_NAMES = {"pyglet": "pyglet ", "ffmpeg": "FFmpeg ", "os": "", "machine": "",
          "python": "Python ", "audio": "audio "}


def where(versions: Mapping[str, Any]) -> dict[str, str]:
    """The parts of a run's versions that say where it played ("" unknown)."""
    platform_ = str(versions.get("platform") or versions.get("os") or "")
    python = str(versions.get("python") or "").split(" ")[0]
    if python.count(".") >= 2 and python.split(".")[1].isdigit():
        python = ".".join(python.split(".")[:2])
    audio = versions.get("audio") or ""
    if isinstance(audio, (list, tuple)):
        audio = ",".join(str(a) for a in audio)
    return {"pyglet": str(versions.get("pyglet") or ""),
            "ffmpeg": str(versions.get("ffmpeg") or ""),
            "os": platform_.split("-")[0],
            "machine": str(versions.get("machine") or ""),
            "python": python, "audio": str(audio)}


def key(info: Mapping[str, Any]) -> tuple[str, ...]:
    """A hashable group, from `where`'s parts (missing parts are "")."""
    return tuple(str(info.get(part) or "") for part in PARTS)


def labels(keys: set[tuple[str, ...]] | list[tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """Each group's label: only the parts that differ between the groups
    (every part when there is a single group); an unknown part reads "?"."""
    distinct = sorted(set(keys))
    differing = [i for i in range(len(PARTS)) if len({k[i] for k in distinct}) > 1] \
        or [i for i in range(len(PARTS)) if any(k[i] for k in distinct)]
    out = {}
    for k in distinct:
        words = [f"{_NAMES[PARTS[i]]}{k[i] or '?'}" for i in differing]
        out[k] = ", ".join(words) or "unknown"
    return out


def full_label(info: Mapping[str, Any]) -> str:
    """Every known part of a group: "pyglet 2.1.19, FFmpeg 5.1, Linux, x86_64"."""
    k = key(info)
    return ", ".join(f"{_NAMES[part]}{value}" for part, value in zip(PARTS, k) if value) \
        or "unknown"


def sample_groups(versions: Mapping[str, Any], mixed_key: str = "mixed_versions"
                  ) -> dict[str, str]:
    """sample -> its group's label, for a session merged with mixed versions;
    empty for any other session (one group: nothing to tell apart)."""
    per_sample = versions.get(mixed_key)
    if not isinstance(per_sample, dict):
        return {}
    keyed = {s: key(info) for s, info in per_sample.items() if isinstance(info, dict)}
    if len(set(keyed.values())) < 2:
        return {}
    named = labels(list(keyed.values()))
    return {s: named[k] for s, k in keyed.items()}


def side_by_side(played_by: Mapping[str, str], results: Mapping[str, Any],
                 playlist: list[str] | tuple[str, ...]) -> str:
    """The summary's table of a mixed session: per group, its samples and
    totals side by side (results.session_totals of its samples); playlist
    samples no source played are counted on a "(not played)" row.

    `results`: sample -> results.SampleResult (None or absent: no result).
    """
    from . import results as res

    if not played_by:
        return ""
    by_group: dict[str, list[str]] = {}
    for sample in playlist:
        by_group.setdefault(played_by.get(sample, "(not played)"), []).append(sample)
    head = ("group", "samples", "perfect", "defects", "crashed", "unplayable", "other",
            "defects/sample")
    rows = []
    for label in sorted(by_group, key=lambda g: (g == "(not played)", g)):
        samples = by_group[label]
        totals = res.session_totals([results[s] for s in samples if results.get(s)], samples)
        other = len(samples) - len(totals.perfect) - len(totals.non_perfect) \
            - len(totals.crashed) - len(totals.unplayable)
        score = totals.defects_per_sample
        rows.append((label, str(len(samples)), str(len(totals.perfect)),
                     str(len(totals.non_perfect)), str(len(totals.crashed)),
                     str(len(totals.unplayable)), str(other),
                     "-" if score is None else f"{score:.3f}"))
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join(["*** Side by side: where the samples were played (one row per group; "
                      "other: missing, unreadable, overloaded or interrupted)",
                      line(head), *(line(r) for r in rows)]) + "\n"
