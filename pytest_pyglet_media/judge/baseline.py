"""Known behaviour kept as a baseline: load, validate, compare, update, render.

A baseline file (default `samples.baseline.json` in the samples folder)
holds, per sample, what its last regenerating run saw: the defect counts by
kind of a play, or the outcome of a run that was not a play (crashed,
timeout, unplayable, unreadable, missing, overloaded). `--mp-baseline-update`
rewrites the entries of the samples it played, as pytest-regressions'
`--force-regen` and syrupy's `--snapshot-update` do; later runs fail a
sample only where its play exceeds its entry (`compare`): any count above
the entry's, where comparing two sessions (comparison.regressed) looks for
new kinds of trouble only.

Everything here but `load` and `write` is pure: data in, data out. The item
judges with `judge`; the controller's reporter writes with `write` and
renders the reports' columns with `render_entry` and `describe`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection, Iterable, Mapping

from .. import __version__
from ..core import atomic
from ..core.errors import BadFileError
from ..core.names import sample_name_problem
from . import analysis as an

DEFAULT_NAME = "samples.baseline.json"
FORMAT = "pytest-pyglet-media baseline"
FORMAT_VERSION = 1
WRITTEN_BY = f"pytest-pyglet-media {__version__}"
#: the outcome of an entry whose run played the sample (perfectly or not)
PLAYED = "played"
#: outcomes an entry may hold: a play, or an outcome that is not a play
OUTCOMES = (PLAYED, *sorted(an.NOT_RELEVANT))
#: counts above this are not counts of one play (and would hide any regression)
MAX_COUNT = 10_000_000
#: a baseline larger than this is not one we wrote
MAX_BYTES = 64 * 1024 * 1024
_TOP_KEYS = ("format", "version", "written_by", "samples")
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class BaselineError(BadFileError):
    """The baseline file cannot be used: not JSON, wrong types, bad names..."""


@dataclass(frozen=True)
class Entry:
    """One sample's known behaviour: a play's counts (nonzero only), or an outcome."""

    outcome: str
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def played(self) -> bool:
        return self.outcome == PLAYED


@dataclass(frozen=True)
class Baseline:
    path: Path
    entries: Mapping[str, Entry]
    #: how messages name the file (its name when it is in the samples folder)
    shown: str = ""

    @property
    def name(self) -> str:
        return self.shown or str(self.path)


@dataclass(frozen=True)
class Change:
    """How a play compares with its entry, as "kind 1 -> 3" descriptions."""

    #: where the play exceeds its entry (see `compare`); reports call it "worse"
    exceeds: tuple[str, ...] = ()
    better: tuple[str, ...] = ()


@dataclass(frozen=True)
class BaselineCheck:
    """The item's verdict against the baseline; `note` explains it in one line."""

    passed: bool
    note: str = ""
    change: Change = Change()


# -- audio drivers -----------------------------------------------------------------


def driver_key(sample: str, driver: str | None) -> str:
    """The entry name of a sample played with one driver (--mp-drivers):
    `clip.mp4[pulse]`; the sample's own name without a driver."""
    return sample if driver is None else f"{sample}[{driver}]"


def entry_for(baseline: Baseline | None, sample: str, driver: str | None) -> Entry | None:
    """The entry a play is judged by: its driver's (`clip.mp4[pulse]`) where
    the file has one, else the sample's, which holds for every driver."""
    if baseline is None:
        return None
    own = baseline.entries.get(driver_key(sample, driver))
    return own if own is not None else baseline.entries.get(sample)


def for_driver(baseline: Baseline, driver: str, samples: Iterable[str]) -> Baseline:
    """The baseline as one driver's plays see it, keyed by sample (for the
    reports of that driver's group)."""
    entries = {s: e for s in samples if (e := entry_for(baseline, s, driver)) is not None}
    return Baseline(baseline.path, entries, baseline.shown)


# -- paths -------------------------------------------------------------------------


def resolve_path(samples_dir: Path, option: str | None) -> Path:
    """--mp-baseline=FILE (relative to the current folder), else the default."""
    return Path(option).expanduser() if option else Path(samples_dir) / DEFAULT_NAME


def shown_name(path: Path, samples_dir: Path) -> str:
    return path.name if path.parent.resolve() == Path(samples_dir).resolve() else str(path)


# -- load and validate -------------------------------------------------------------


def load(path: Path, *, shown: str = "") -> Baseline:
    """Read and validate a baseline file; BaselineError naming the problem."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise BaselineError(path, f"cannot read the baseline: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise BaselineError(path, f"the baseline is larger than {MAX_BYTES // 2**20} MiB; "
                                  "it is not one this tool wrote")
    return parse(data, path, shown=shown)


def parse(data: bytes, path: Path, *, shown: str = "") -> Baseline:
    """Validate the bytes of a baseline file; `path` only names it in errors."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BaselineError(path, f"not UTF-8 text (byte {exc.start}); regenerate it with "
                                  "--mp-baseline-update") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(path, f"not valid JSON ({exc.msg} at line {exc.lineno}); fix it "
                                  "or regenerate it with --mp-baseline-update") from None
    except (ValueError, RecursionError) as exc:  # a 5000-digit number, deep nesting
        raise BaselineError(path, f"not a baseline: {str(exc)[:80]}") from None
    return Baseline(Path(path), _entries(path, document), shown)


def _entries(path: Path, document: Any) -> dict[str, Entry]:
    if not isinstance(document, dict):
        raise BaselineError(path, f"expected a JSON object, found {_json_type(document)}")
    unknown = sorted(set(document) - set(_TOP_KEYS))
    if unknown:
        raise BaselineError(path, f"unknown key {unknown[0]!r} (allowed: {', '.join(_TOP_KEYS)})")
    if document.get("format") != FORMAT:
        raise BaselineError(path, f"'format' is {document.get('format')!r}, not {FORMAT!r}: "
                                  "not a baseline of this tool")
    version = document.get("version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise BaselineError(path, f"baseline format version {version!r}; this tool reads "
                                  f"version {FORMAT_VERSION}")
    if not isinstance(document.get("written_by", ""), str):
        raise BaselineError(path, "'written_by' must be a string")
    samples = document.get("samples")
    if not isinstance(samples, dict):
        raise BaselineError(path, f"'samples' must be an object of sample names, found "
                                  f"{_json_type(samples)}")
    return {name: _entry(path, name, value) for name, value in samples.items()}


def _entry(path: Path, name: str, value: Any) -> Entry:
    problem = sample_name_problem(name)
    if problem:
        raise BaselineError(path, f"{name[:80]!r} is not a sample name: it {problem}")
    where = f"sample {name!r}"
    if not isinstance(value, dict):
        raise BaselineError(path, f"{where}: expected an object, found {_json_type(value)}")
    extra = sorted(set(value) - {"outcome", "counts"})
    if extra:
        raise BaselineError(path, f"{where}: unknown key {extra[0]!r} (allowed: counts, outcome)")
    outcome = value.get("outcome")
    if outcome not in OUTCOMES:
        raise BaselineError(path, f"{where}: 'outcome' is {outcome!r:.40}, not one of "
                                  f"{', '.join(OUTCOMES)}")
    counts = value.get("counts", {})
    if outcome != PLAYED:
        if counts:
            raise BaselineError(path, f"{where}: only a played sample has counts "
                                      f"(outcome {outcome!r})")
        return Entry(outcome)
    if "counts" not in value or not isinstance(counts, dict):
        raise BaselineError(path, f"{where}: a played sample needs 'counts', an object of "
                                  "defect kinds (empty for a perfect play)")
    return Entry(PLAYED, _counts(path, where, counts))


def _counts(path: Path, where: str, counts: dict[str, Any]) -> dict[str, int]:
    checked = {}
    for kind, n in counts.items():
        if not _KIND.match(kind):
            raise BaselineError(path, f"{where}: {kind[:40]!r} is not a defect kind")
        if not isinstance(n, int) or isinstance(n, bool):
            found = repr(n) if isinstance(n, float) else _json_type(n)  # name the value
            raise BaselineError(path, f"{where}: count of {kind} must be a whole number, "
                                      f"found {found}")
        if not 0 <= n <= MAX_COUNT:
            shown = str(n) if len(str(n)) <= 20 else f"a {len(str(n))}-digit number"
            raise BaselineError(path, f"{where}: count of {kind} is {shown}, outside "
                                      f"0..{MAX_COUNT}")
        if n:
            checked[kind] = n
    return checked


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


# -- entries of a run ---------------------------------------------------------------


def entry_of(outcome: str, counts: Mapping[str, int]) -> Entry:
    """A play's entry: counts for a play (perfect or not), else the outcome alone."""
    if outcome in (an.PERFECT, an.DEFECTS):
        return Entry(PLAYED, {k: n for k, n in sorted(counts.items()) if n})
    return Entry(outcome)


def not_updatable(old: Baseline | None, run: Mapping[str, Entry]) -> dict[str, str]:
    """The run's samples whose entry an update keeps, and why: a play that did
    not happen (a crash, a timeout, an overloaded machine, ...) never replaces
    a play the baseline recorded, whose counts still say what to expect."""
    kept = {}
    for sample, now in run.items():
        before = old.entries.get(sample) if old else None
        if not now.played and before is not None and before.played:
            kept[sample] = f"{now.outcome} this time; its recorded play is kept"
    return kept


def updated(old: Baseline | None, path: Path, run: Mapping[str, Entry], shown: str = ""
            ) -> Baseline:
    """The baseline after an update: the run's samples replace their entries,
    the others are kept (a -k run updates only what it played), and so are
    the recorded plays of samples that did not play this time (not_updatable)."""
    entries = dict(old.entries) if old else {}
    keep = not_updatable(old, run)
    entries.update({s: e for s, e in run.items() if s not in keep})
    return Baseline(path, entries, shown)


def render(baseline: Baseline) -> str:
    """The file's text: sorted keys, one sample per block, a trailing newline."""
    samples = {name: ({"outcome": e.outcome, "counts": dict(e.counts)} if e.played
                      else {"outcome": e.outcome})
               for name, e in baseline.entries.items()}
    document = {"format": FORMAT, "version": FORMAT_VERSION, "written_by": WRITTEN_BY,
                "samples": samples}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(baseline: Baseline) -> None:
    """Atomically (a kill leaves the old file or the new one)."""
    atomic.write_text(baseline.path, render(baseline))


def update_file(path: Path, run: Mapping[str, Entry], shown: str = ""
                ) -> tuple[Baseline, dict[str, str]]:
    """Update the baseline file with a run's entries; (the new baseline, the
    samples not updated and why: not_updatable).

    Runs updating one baseline at once are serialised by a lock beside it,
    and each merges into the file as it is when its turn comes, not as it was
    when the run started: two runs of different samples both keep theirs.
    """
    with atomic.folder_locked(path.parent):
        old = load(path, shown=shown) if path.exists() else None
        new = updated(old, path, run, shown)
        write(new)
        return new, not_updatable(old, run)



# -- comparing and judging -----------------------------------------------------------


def compare(base: Entry, now: Entry) -> Change:
    """Where the play exceeds the baseline's entry, and where it does better.

    A play exceeds its entry with any count above the entry's (a new kind
    is one above 0), or with another outcome than a play where the entry
    has something else. Stricter than comparing two sessions, where only a
    new kind of trouble is a regression (comparison.regressed) and more of a
    kind both plays have is a mere change.
    """
    if base.played and now.played:
        exceeds, better = [], []
        for kind in sorted(set(base.counts) | set(now.counts)):
            was, is_ = base.counts.get(kind, 0), now.counts.get(kind, 0)
            text = f"{kind} {was} -> {is_}" + (" (new kind)" if not was else "")
            if is_ > was:
                exceeds.append(text)
            elif is_ < was:
                better.append(f"{kind} {was} -> {is_}")
        return Change(tuple(exceeds), tuple(better))
    if base.outcome == now.outcome:
        return Change()
    if now.played:
        return Change(better=(f"played, where the baseline has {base.outcome}",))
    return Change(exceeds=(f"{now.outcome}, where the baseline has {render_entry(base)}",))


def check_against(now: Entry, base: Entry | None, baseline_name: str, *, update: bool) -> BaselineCheck:
    """The verdict of a sample judged against a baseline.

    Defects pass when no count is above the entry's, the entry being a play
    (or when the run updates the baseline); a perfect play passes; what is
    not a play fails, whatever the baseline says (samples.toml's `expect = "broken"` is for known
    breakage); a sample without an entry fails on any defect, as without a
    baseline.
    """
    where = f"(baseline {baseline_name})"
    change = compare(base, now) if base is not None else Change()
    if not now.played:
        note = (f"{now.outcome}; the baseline {baseline_name} has {render_entry(base)}, "
                "and a baseline excuses defect counts only") if base else ""
        return BaselineCheck(False, note, change)
    if update:
        return BaselineCheck(True, f"baseline {baseline_name} updated by this run", change)
    if not now.counts:
        return BaselineCheck(True, _better(change, where), change)
    if base is None:
        return BaselineCheck(False, f"not in the baseline {baseline_name}: any defect fails "
                              "(add it with --mp-baseline-update)", change)
    if not base.played:
        # an entry of a crash, a timeout, an unplayable file ... holds no counts to
        # compare with: it excuses no defect
        return BaselineCheck(False, f"the baseline {baseline_name} has {base.outcome}, not a "
                                    "play: a baseline excuses the defect counts of plays only",
                             change)
    if change.exceeds:
        return BaselineCheck(False, f"worse than its baseline: {', '.join(change.exceeds)} {where}",
                       change)
    return BaselineCheck(True, _better(change, where) or f"within its baseline {where}", change)


def _better(change: Change, where: str) -> str:
    return f"better than baseline: {', '.join(change.better)} {where}" if change.better else ""


# -- rendering for the reports --------------------------------------------------------


def render_entry(entry: Entry | None) -> str:
    """"discarded_late=3, no_image=1", "none" (a perfect play), or the outcome."""
    if entry is None:
        return "not in baseline"
    if not entry.played:
        return entry.outcome
    return ", ".join(f"{k}={n}" for k, n in sorted(entry.counts.items())) or "none"


def describe(base: Entry | None, now: Entry) -> str:
    """One word or phrase: how now compares with the baseline (reports, junit)."""
    if base is None:
        return "not in baseline"
    change = compare(base, now)
    parts = ([f"worse: {', '.join(change.exceeds)}"] if change.exceeds else []) + \
        ([f"better: {', '.join(change.better)}"] if change.better else [])
    return "; ".join(parts) or "same"


def summary_section(baseline: Baseline, now: Mapping[str, Entry], *, updated_by_run: bool
                    ) -> str:
    """The 00_summary.txt section: each sample's counts now and in the baseline."""
    title = f"Baseline {baseline.name}" + (" (as it was before this run updated it)"
                                            if updated_by_run else "")
    lines = [title, "sample: now | baseline | change"]
    for sample in sorted(now):
        base = baseline.entries.get(sample)
        lines.append(f"\t{sample}: {render_entry(now[sample])} | {render_entry(base)} | "
                     f"{describe(base, now[sample])}")
    return "\n".join(lines) + "\n"


def better_notes(baseline: Baseline, now: Mapping[str, Entry],
                 ignored: Collection[str] = ()) -> list[str]:
    """`sample: kind 3 -> 1` for samples that improved on their entry and
    exceed it nowhere (time to regenerate); `ignored` samples (samples.toml's
    expectations win for them) are left out."""
    notes = []
    for sample in sorted(now):
        base = baseline.entries.get(sample)
        if base is None or sample in ignored:
            continue
        change = compare(base, now[sample])
        if change.better and not change.exceeds:
            notes.append(f"{sample}: {', '.join(change.better)}")
    return notes
