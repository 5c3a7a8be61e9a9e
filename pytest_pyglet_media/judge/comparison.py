"""Comparing two sessions: the original's scores, plus what changed per sample.

Each sample common to both is fixed, regressed (`regressed`: a new kind of
trouble), changed (other counts or outcome) or the same. This is not a
baseline's judgement (baseline.py), which fails any count above its entry.

Data in, data out: callers load each session's results (from a run or from
recordings on disk) and render the comparison with `render`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from . import analysis as an
from . import results as res

#: how a sample's play changed from the other session to this one
FIXED = "fixed"
REGRESSED = "regressed"
CHANGED = "changed"


@dataclass(frozen=True)
class SampleChange:
    sample: str
    before: an.Verdict  # in the other (baseline) session
    after: an.Verdict  # in this session

    def describe(self) -> str:
        def side(a: an.Verdict) -> str:
            if a.outcome == an.DEFECTS:
                return ", ".join(f"{k} {n}" for k, n in sorted(a.counts.items()))
            return a.outcome
        return f"{self.sample}: {side(self.before)} -> {side(self.after)}"


@dataclass(frozen=True)
class Comparison:
    session: str
    other: str
    samples: frozenset[str]
    other_samples: frozenset[str]
    no_dbg: frozenset[str]
    other_no_dbg: frozenset[str]
    crashed: frozenset[str]
    other_crashed: frozenset[str]
    compared: tuple[str, ...]
    defects_per_sample: float | None
    other_defects_per_sample: float | None
    fixed: tuple[SampleChange, ...]
    #: the samples with a new kind of trouble (`regressed`)
    regressed: tuple[SampleChange, ...]
    changed: tuple[SampleChange, ...]
    #: what is compared: two sessions, or two groups of a merged session
    kind: str = "session"
    #: plays stopped at their limit: a timeout, never counted as a crash
    timed_out: frozenset[str] = frozenset()
    other_timed_out: frozenset[str] = frozenset()

    @property
    def common(self) -> frozenset[str]:
        return self.samples & self.other_samples

    def confidence_guess(self) -> float:
        """1 (most meaningful) to 0: the more samples left out, the less it says."""
        most = max(len(self.samples), len(self.other_samples))
        return len(self.compared) / most if most else 0.0

    @property
    def regressions_from_perfect(self) -> tuple[SampleChange, ...]:
        """Samples that played perfectly in the other session and now do not."""
        return tuple(c for c in self.regressed if c.before.outcome == an.PERFECT)


def regressed(before: an.Verdict, after: an.Verdict) -> bool:
    """Whether the sample shows a new kind of trouble in this session (`after`)
    than in the other (`before`): the player crashed or timed out where it
    did not, a perfect play is no longer perfect, or the play has a defect
    kind the other's did not have.

    More of a kind both plays have is not a regression, only a change: two
    sessions compare kinds of trouble, as pyglet's original compare did.
    A baseline is stricter (baseline.compare: any count above its entry
    exceeds it). Late frames of an overloaded machine compare nothing.
    """
    if an.OVERLOADED in (before.outcome, after.outcome) or after.outcome == an.PERFECT:
        return False
    if after.outcome in an.RETRYABLE and before.outcome not in an.RETRYABLE:
        return True
    if before.outcome == an.PERFECT:
        return True
    return bool(set(after.counts) - set(before.counts))


def _classify(before: an.Verdict, after: an.Verdict) -> str | None:
    """FIXED, REGRESSED, CHANGED, or None: the same, or nothing to compare."""
    if before.outcome == after.outcome == an.PERFECT:
        return None
    if an.OVERLOADED in (before.outcome, after.outcome):
        return None  # late frames of an overloaded machine compare nothing
    if regressed(before, after):
        return REGRESSED
    if after.outcome == an.PERFECT:
        return FIXED
    if dict(after.counts) != dict(before.counts) or after.outcome != before.outcome:
        return CHANGED
    return None


#: the seed's guess, kept under its old name for the original scripts' users:
#: said in words because the name alone does not say how it is computed
CONFIDENCE_MEANS = ("  (the samples both scores count, relevant in both, divided by the "
                    "larger playlist: the more samples left out, the less the scores say)")


def _per_sample_score(results: Mapping[str, res.SampleResult], samples: Sequence[str]
                      ) -> float | None:
    if not samples:
        return None
    return sum(results[s].verdict.total_defects for s in samples) / len(samples)


def compare(session: str, results: Mapping[str, res.SampleResult | None],
            other: str, other_results: Mapping[str, res.SampleResult | None], *,
            kind: str = "session") -> Comparison:
    """`results` maps every playlist sample to its result, None without recording."""
    def missing(rs: Mapping[str, res.SampleResult | None]) -> frozenset[str]:
        return frozenset(s for s, r in rs.items() if r is None)

    def crashed(rs: Mapping[str, res.SampleResult | None]) -> frozenset[str]:
        return frozenset(s for s, r in rs.items() if r is not None and r.outcome == an.CRASHED)

    def timed_out(rs: Mapping[str, res.SampleResult | None]) -> frozenset[str]:
        return frozenset(s for s, r in rs.items() if r is not None and r.outcome == an.TIMEOUT)

    common = sorted(set(results) & set(other_results))
    fixed, regressions, changed = [], [], []
    compared = []
    for sample in common:
        mine, theirs = results[sample], other_results[sample]
        if mine is None or theirs is None:
            continue
        how = _classify(theirs.verdict, mine.verdict)
        change = SampleChange(sample, theirs.verdict, mine.verdict)
        {FIXED: fixed, REGRESSED: regressions, CHANGED: changed}.get(how, []).append(change)
        if mine.outcome not in an.NOT_RELEVANT and theirs.outcome not in an.NOT_RELEVANT:
            compared.append(sample)
    present = {s: r for s, r in results.items() if r is not None}
    other_present = {s: r for s, r in other_results.items() if r is not None}
    return Comparison(
        session=session, other=other,
        samples=frozenset(results), other_samples=frozenset(other_results),
        no_dbg=missing(results), other_no_dbg=missing(other_results),
        crashed=crashed(results), other_crashed=crashed(other_results),
        timed_out=timed_out(results), other_timed_out=timed_out(other_results),
        compared=tuple(compared),
        defects_per_sample=_per_sample_score(present, compared),
        other_defects_per_sample=_per_sample_score(other_present, compared),
        fixed=tuple(fixed), regressed=tuple(regressions), changed=tuple(changed), kind=kind)


def render(c: Comparison) -> str:
    """comparison_<session>_<other>.txt: the original report, then per-sample changes."""
    k = c.kind
    def score(value: float | None) -> str:
        return f"{value:18.3f}" if value is not None else f"{'n/a':>18}"

    lines = [f"Comparison of {k} '{c.session}' with {k} '{c.other}'", "",
             f"crashes | Defects per sample | {k}",
             f"{len(c.crashed):7d} | {score(c.defects_per_sample)} | {c.session}",
             f"{len(c.other_crashed):7d} | {score(c.other_defects_per_sample)} | {c.other}",
             "", f"Confidence guess, from 1(highest) to 0(lowest): {c.confidence_guess():.2f}",
             CONFIDENCE_MEANS,
             "", "Summary samples ignored for scores", "qtty | reason"]
    rows = [
        (c.samples - c.common, f"only on playlist {k} '{c.session}'"),
        (c.other_samples - c.common, f"only on playlist {k} '{c.other}'"),
        (c.no_dbg & c.other_no_dbg, f"no .dbg in both {k}s"),
        ((c.no_dbg - c.other_no_dbg) & c.common, f".dbg missing only on {k} '{c.session}'"),
        ((c.other_no_dbg - c.no_dbg) & c.common, f".dbg missing only on {k} '{c.other}'"),
        (c.crashed & c.other_crashed, f"crashed in both {k}s"),
        ((c.crashed - c.other_crashed) & c.common, f"crashed only on {k} '{c.session}'"),
        ((c.other_crashed - c.crashed) & c.common, f"crashed only on {k} '{c.other}'"),
        (c.timed_out & c.other_timed_out, f"timed out in both {k}s"),
        ((c.timed_out - c.other_timed_out) & c.common, f"timed out only on {k} '{c.session}'"),
        ((c.other_timed_out - c.timed_out) & c.common, f"timed out only on {k} '{c.other}'"),
    ]
    lines.extend(f"{len(group):4d}   {reason}" for group, reason in rows)
    for group, reason in rows:
        if group:
            lines.append("")
            lines.append(f"Samples {reason}:")
            lines.extend(f"\t{s}" for s in sorted(group))
    for title, changes in ((f"Regressed in '{c.session}' (new defects, a crash or a timeout)", c.regressed),
                           (f"Fixed in '{c.session}' (defects gone)", c.fixed),
                           ("Defect counts changed", c.changed)):
        lines.append("")
        lines.append(f"{title}: {len(changes)}")
        lines.extend(f"\t{change.describe()}" for change in changes)
    return "\n".join(lines) + "\n"

