"""What a run learned of each sample, and the statistics of a session.

`SampleResult` is the verdict of a sample's last play plus its retries; it
converts to builtins because it travels from xdist workers to the
controller as an attribute of the test report. `session_totals` classifies
a session's samples as pyglet's original summarize did.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ..core.file_stamp import FileStamp
from .analysis import (
    CRASHED,
    DEFECTS,
    INTERRUPTED,
    MISSING,
    OVERLOADED,
    PERFECT,
    PLAYING,
    RETRYABLE,
    TIMEOUT,
    UNPLAYABLE,
    UNREADABLE,
    Verdict,
)


#: why a play was played again, as every report names it (RETRY_KINDS' keys);
#: UNRECORDED: a retry of an older run, whose state kept no reason
RETRY_KINDS = {CRASHED: "crash", TIMEOUT: "timeout", OVERLOADED: "overload"}
UNRECORDED = "unrecorded"


def retry_reason(verdict: Verdict) -> tuple[str, str]:
    """(kind, words) of why a play with this verdict is played again:
    ("crashed", "crashed: killed by SIGSEGV"), ("timeout", "timed out: ..."),
    ("overloaded", "overloaded: waited 0.42 s of a 2.10 s play")."""
    outcome = verdict.outcome
    if outcome == OVERLOADED:
        wall = verdict.end_wall_time
        if verdict.waited is not None and wall:
            return outcome, f"overloaded: waited {verdict.waited:.2f} s of a {wall:.2f} s play"
        return outcome, f"overloaded: {verdict.reason}"
    if outcome == TIMEOUT:
        return outcome, f"timed out: {verdict.reason}"
    return outcome, f"{outcome}: {verdict.reason}"


@dataclass(frozen=True)
class SampleResult:
    """What the run learned of one sample: the last attempt's analysis plus retries."""

    sample: str
    verdict: Verdict
    attempts: int = 1
    crashed_attempts: int = 0
    recording: str = ""
    #: the version of the recording the analysis judged (None: none was
    #: judged, or not by this run): while the file is still that version,
    #: the end of the run takes its events as judged (judge.rereading)
    recording_stamp: FileStamp | None = None
    #: why each play before the last was played again: (kind, words), as
    #: retry_reason gives them; empty for a result without retries, or one
    #: of an older run that kept none
    retry_reasons: tuple[tuple[str, str], ...] = ()

    @property
    def retries_by_kind(self) -> dict[str, int]:
        """How many retries of each kind (crashed, timeout, overloaded).

        An older run kept no reasons: its crashed attempts (timeouts among
        them, which it did not tell apart) count as crashes, any other
        retry as UNRECORDED."""
        kinds: dict[str, int] = {}
        for kind, _ in self.retry_reasons:
            kinds[kind] = kinds.get(kind, 0) + 1
        rest = self.attempts - 1 - len(self.retry_reasons)
        if rest > 0 and not self.retry_reasons:
            crashes = min(rest, self.crashed_attempts)
            if crashes:
                kinds[CRASHED] = crashes
            rest -= crashes
        if rest > 0:
            kinds[UNRECORDED] = rest
        return kinds

    @property
    def outcome(self) -> str:
        return self.verdict.outcome

    def to_builtins(self) -> dict[str, Any]:
        stamp = self.recording_stamp
        return {"sample": self.sample, "verdict": self.verdict.to_builtins(),
                "attempts": self.attempts, "crashed_attempts": self.crashed_attempts,
                "recording": self.recording,
                "recording_stamp": None if stamp is None else stamp.to_builtins(),
                "retry_reasons": [list(r) for r in self.retry_reasons]}

    @classmethod
    def from_builtins(cls, data: Mapping[str, Any]) -> "SampleResult":
        return cls(sample=data["sample"], verdict=Verdict.from_builtins(data["verdict"]),
                   attempts=data["attempts"], crashed_attempts=data["crashed_attempts"],
                   recording=data["recording"],
                   recording_stamp=FileStamp.from_builtins(data.get("recording_stamp")),
                   retry_reasons=tuple(tuple(r) for r in data.get("retry_reasons", ())))


@dataclass(frozen=True)
class SessionTotals:
    """Session statistics, as pyglet's OverallDefectsCounter classified samples."""

    samples: tuple[str, ...]
    perfect: tuple[str, ...]
    non_perfect: Mapping[str, Mapping[str, int]]
    crashed: tuple[str, ...]
    unplayable: tuple[str, ...]
    unreadable: tuple[str, ...]
    missing: tuple[str, ...]
    overall_counts: Mapping[str, int]
    total_retries: int
    sometimes_crashed: tuple[str, ...]  # crashed, then played
    always_crashed: tuple[str, ...]
    #: late frames on an overloaded machine: not counted against the sample
    overloaded: tuple[str, ...] = ()
    #: interrupted while playing, or being played now: no verdict, no crash
    unfinished: tuple[str, ...] = ()
    #: retries by why (SampleResult.retries_by_kind), all samples together
    retries_by_kind: Mapping[str, int] = field(default_factory=dict)
    #: per sample played again, why each retry was (SampleResult.retry_reasons)
    retry_reasons: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    #: of `crashed`, the samples whose last play timed out (not a crash)
    timed_out: tuple[str, ...] = ()

    @property
    def crash_retries(self) -> int:
        """Retries after a crash, and only those (not timeouts nor overloads)."""
        return self.retries_by_kind.get(CRASHED, 0)

    @property
    def relevant(self) -> int:
        return len(self.perfect) + len(self.non_perfect)

    @property
    def defects_per_sample(self) -> float | None:
        if not self.relevant:
            return None
        return sum(self.overall_counts.values()) / self.relevant


def session_totals(results: Iterable[SampleResult], playlist: Iterable[str] = ()) -> SessionTotals:
    """Classify samples; playlist entries with no result count as missing."""
    by_sample = {r.sample: r for r in results}
    samples = sorted(set(by_sample) | set(playlist))
    groups: dict[str, list[str]] = {k: [] for k in
                                    (PERFECT, CRASHED, UNPLAYABLE, UNREADABLE, MISSING,
                                     OVERLOADED, INTERRUPTED)}
    non_perfect: dict[str, Mapping[str, int]] = {}
    overall: dict[str, int] = {}
    retries = 0
    by_kind: dict[str, int] = {}
    reasons: dict[str, tuple[tuple[str, str], ...]] = {}
    timed_out: list[str] = []
    sometimes: list[str] = []
    always: list[str] = []
    for sample in samples:
        result = by_sample.get(sample)
        if result is None:
            groups[MISSING].append(sample)
            continue
        retries += result.attempts - 1
        for kind, n in result.retries_by_kind.items():
            by_kind[kind] = by_kind.get(kind, 0) + n
        if result.retry_reasons:
            reasons[sample] = result.retry_reasons
        if result.outcome == TIMEOUT:
            timed_out.append(sample)
        # a crash known only from its recording (no retry state) still counts
        if result.outcome in RETRYABLE:
            always.append(sample)
        elif result.crashed_attempts and result.outcome not in (INTERRUPTED, PLAYING):
            sometimes.append(sample)
        outcome = result.outcome
        if outcome == DEFECTS:
            non_perfect[sample] = dict(result.verdict.counts)
            for key, n in result.verdict.counts.items():
                overall[key] = overall.get(key, 0) + n
        elif outcome in RETRYABLE:
            groups[CRASHED].append(sample)
        elif outcome == PLAYING:  # no verdict yet, like an interrupted play
            groups[INTERRUPTED].append(sample)
        else:
            groups[outcome].append(sample)
    return SessionTotals(
        samples=tuple(samples), perfect=tuple(groups[PERFECT]), non_perfect=non_perfect,
        crashed=tuple(groups[CRASHED]), unplayable=tuple(groups[UNPLAYABLE]),
        unreadable=tuple(groups[UNREADABLE]), missing=tuple(groups[MISSING]),
        overall_counts=overall, total_retries=retries,
        sometimes_crashed=tuple(sometimes), always_crashed=tuple(always),
        overloaded=tuple(groups[OVERLOADED]), unfinished=tuple(groups[INTERRUPTED]),
        retries_by_kind=by_kind, retry_reasons=reasons, timed_out=tuple(timed_out))
