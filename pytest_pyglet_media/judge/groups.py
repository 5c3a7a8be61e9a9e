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

#: the key of _versions.json holding each sample's versions (--allow-mixed)
MIXED_VERSIONS_KEY = "mixed_versions"
#: the key of a group's _versions.json naming the sources merged into it
SOURCES_KEY = "merged_from"


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


#: one group of a session: its label and the results of the samples it played
Row = tuple[str, Mapping[str, Any]]


def rows_of_mixed_versions(versions: Mapping[str, Any], results: Mapping[str, Any],
                           mixed_key: str = "mixed_versions") -> list[Row]:
    """The groups of a session merged before groups had sessions of their own
    (each sample in one group, named by `mixed_key` of its versions)."""
    played_by = sample_groups(versions, mixed_key)
    rows: dict[str, dict[str, Any]] = {}
    for sample, label in played_by.items():
        if sample in results:
            rows.setdefault(label, {})[sample] = results[sample]
    return sorted(rows.items())


def played_by(rows: list[Row]) -> dict[str, str]:
    """The index's "played by" column: the group that played each sample, or,
    for a sample several groups played, each group with its verdict."""
    by_sample: dict[str, list[tuple[str, Any]]] = {}
    for label, results in rows:
        for sample, result in results.items():
            by_sample.setdefault(sample, []).append((label, result))
    return {sample: (played[0][0] if len(played) == 1 else "; ".join(
                f"{label}: {getattr(result, 'outcome', 'no recording')}"
                for label, result in played))
            for sample, played in by_sample.items()}


def side_by_side(rows: list[Row], playlist: list[str] | tuple[str, ...]) -> str:
    """The summary's table of a session played in several places: per group,
    the samples it played and their totals (results.session_totals) side by
    side; playlist samples no group played are counted on a "(not played)"
    row.

    `rows`: per group, sample -> results.SampleResult (None: no result).
    """
    from . import results as res

    if not rows:
        return ""
    played = {sample for _label, results in rows for sample in results}
    not_played = {s: None for s in playlist if s not in played}
    head = ("group", "samples", "perfect", "defects", "crashed", "unplayable", "other",
            "defects/sample")
    lines = []
    for label, results in [*rows, *([("(not played)", not_played)] if not_played else [])]:
        samples = list(results)
        totals = res.session_totals([r for r in results.values() if r], samples)
        other = len(samples) - len(totals.perfect) - len(totals.non_perfect) \
            - len(totals.crashed) - len(totals.unplayable)
        score = totals.defects_per_sample
        lines.append((label, str(len(samples)), str(len(totals.perfect)),
                      str(len(totals.non_perfect)), str(len(totals.crashed)),
                      str(len(totals.unplayable)), str(other),
                      "-" if score is None else f"{score:.3f}"))
    widths = [max(len(r[i]) for r in [head, *lines]) for i in range(len(head))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join(["*** Side by side: where the samples were played (one row per group; "
                      "other: missing, unreadable, overloaded or interrupted)",
                      line(head), *(line(r) for r in lines)]) + "\n"


def _verdict_words(result: Any) -> str:
    counts = getattr(getattr(result, "verdict", None), "counts", None) or {}
    outcome = getattr(result, "outcome", "no recording")
    if counts and outcome != "perfect":
        return f"{outcome} ({', '.join(f'{k} {n}' for k, n in sorted(counts.items()))})"
    return outcome


def differences(rows: list[Row]) -> str:
    """The samples the groups disagree on, first those only one group plays
    badly: "clip.mp4: audio pulse: defects (av_start_late 1); perfect in the
    others". What reads at a glance before the table of totals."""
    if len(rows) < 2:
        return ""
    by_sample: dict[str, list[tuple[str, Any]]] = {}
    for label, results in rows:
        for sample, result in results.items():
            by_sample.setdefault(sample, []).append((label, result))
    alone: list[str] = []
    other: list[str] = []
    for sample, played in sorted(by_sample.items()):
        bad = [(label, r) for label, r in played if getattr(r, "outcome", None) != "perfect"]
        if not bad or len(bad) == len(played) and len({_verdict_words(r) for _l, r in bad}) == 1:
            continue  # every group agrees
        words = "; ".join(f"{label}: {_verdict_words(r)}" for label, r in bad)
        if len(bad) == 1:
            alone.append(f"\t{sample}: {words}; perfect in the others")
        else:
            other.append(f"\t{sample}: {words}")
    if not alone and not other:
        return "*** The groups agree on every sample they all played\n"
    lines = []
    if alone:
        lines += ["*** Played badly in one group only (the others played it perfectly):",
                  *alone]
    if other:
        lines += ["*** Played differently by the groups:", *other]
    return "\n".join(lines) + "\n"


def against_first(rows: list[Row]) -> str:
    """Each later group compared with the first, on the samples both played
    (comparison.compare): what `pyglet-mp compare --between` details."""
    from . import comparison

    if len(rows) < 2:
        return ""
    (first, baseline), rest = rows[0], rows[1:]
    lines = [f"*** Groups against the first, {first!r}, on the samples both played "
             "(details: pyglet-mp compare --between 1 N)"]
    for number, (label, results) in enumerate(rest, start=2):
        common = set(results) & set(baseline)
        compared = comparison.compare(label, {s: results[s] for s in common}, first,
                                      {s: baseline[s] for s in common}, kind="group")
        lines.append(f"\t{number} {label}: {len(common)} in common, "
                     f"{len(compared.regressed)} regressed, {len(compared.fixed)} fixed, "
                     f"{len(compared.changed)} changed"
                     + "".join(f"\n\t\tregressed: {c.describe()}" for c in compared.regressed))
    return "\n".join(lines) + "\n"


def asked_drivers(versions: Mapping[str, Any]) -> list[str] | None:
    """The --mp-audio drivers the session was created with, in pyglet's order
    of preference (kept as "pulse,silent"; a list is read alike), or None."""
    audio = versions.get("audio")
    if isinstance(audio, (list, tuple)):
        audio = ",".join(str(a) for a in audio)
    if not isinstance(audio, str) or not audio.strip():
        return None
    return [d.strip() for d in audio.split(",") if d.strip()]
