"""comparison.compare / render on synthetic SampleResults: every category."""
from __future__ import annotations

import pytest

from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.judge import baseline, comparison, results


def res(sample, outcome=an.PERFECT, **counts):
    if counts and outcome == an.PERFECT:
        outcome = an.DEFECTS
    return results.SampleResult(sample, an.Verdict(outcome, counts=counts))


@pytest.fixture
def cmp():
    mine = {
        "same.mp4": res("same.mp4"),
        "fixed.mp4": res("fixed.mp4"),
        "newdefect.mp4": res("newdefect.mp4", discarded_late=2),
        "newcrash.mp4": res("newcrash.mp4", an.CRASHED),
        "newkind.mp4": res("newkind.mp4", discarded_late=1, scheduled_in_past=1),
        "fewer.mp4": res("fewer.mp4", discarded_late=1),
        "bothcrash.mp4": res("bothcrash.mp4", an.CRASHED),
        "nodbg_mine.mp4": None,
        "nodbg_both.mp4": None,
        "nodbg_theirs.mp4": res("nodbg_theirs.mp4"),
        "only_mine.mp4": res("only_mine.mp4"),
    }
    theirs = {
        "same.mp4": res("same.mp4"),
        "fixed.mp4": res("fixed.mp4", discarded_late=3),
        "newdefect.mp4": res("newdefect.mp4"),
        "newcrash.mp4": res("newcrash.mp4", discarded_late=1),
        "newkind.mp4": res("newkind.mp4", discarded_late=1),
        "fewer.mp4": res("fewer.mp4", discarded_late=4),
        "bothcrash.mp4": res("bothcrash.mp4", an.TIMEOUT),
        "nodbg_mine.mp4": res("nodbg_mine.mp4"),
        "nodbg_both.mp4": None,
        "nodbg_theirs.mp4": None,
        "only_theirs.mp4": res("only_theirs.mp4", an.CRASHED),
    }
    return comparison.compare("new", mine, "base", theirs)


def names(changes):
    return sorted(c.sample for c in changes)


def test_categories(cmp):
    assert names(cmp.fixed) == ["fixed.mp4"]
    assert names(cmp.regressed) == ["newcrash.mp4", "newdefect.mp4", "newkind.mp4"]
    # same kinds, other counts; a timeout become a crash is a change too
    assert names(cmp.changed) == ["bothcrash.mp4", "fewer.mp4"]
    assert names(cmp.regressions_from_perfect) == ["newdefect.mp4"]
    assert cmp.no_dbg == {"nodbg_mine.mp4", "nodbg_both.mp4"}
    assert cmp.other_no_dbg == {"nodbg_both.mp4", "nodbg_theirs.mp4"}
    assert cmp.crashed == {"newcrash.mp4", "bothcrash.mp4"}
    # a timeout is a timeout, never counted as a crash
    assert cmp.other_crashed == {"only_theirs.mp4"}
    assert cmp.other_timed_out == {"bothcrash.mp4"} and cmp.timed_out == set()
    assert cmp.common == set(cmp.samples) - {"only_mine.mp4"}


def test_scores_and_confidence(cmp):
    # compared: recorded, relevant in both sessions
    assert sorted(cmp.compared) == ["fewer.mp4", "fixed.mp4", "newdefect.mp4",
                                    "newkind.mp4", "same.mp4"]
    assert cmp.defects_per_sample == pytest.approx((0 + 0 + 2 + 2 + 1) / 5)
    assert cmp.other_defects_per_sample == pytest.approx((0 + 3 + 0 + 1 + 4) / 5)
    assert cmp.confidence_guess() == pytest.approx(5 / 11)


def test_render_lists_every_category(cmp):
    text = comparison.render(cmp)
    assert text.startswith("Comparison of session 'new' with session 'base'")
    lines = text.splitlines()
    assert "      2 |              1.000 | new" in lines
    assert "      1 |              1.600 | base" in lines
    assert "Confidence guess, from 1(highest) to 0(lowest): 0.45" in lines
    confidence = lines.index("Confidence guess, from 1(highest) to 0(lowest): 0.45")
    assert lines[confidence + 1] == (
        "  (the samples both scores count, relevant in both, divided by the larger playlist: "
        "the more samples left out, the less the scores say)")
    for qtty, reason in ((1, "only on playlist session 'new'"),
                         (1, "only on playlist session 'base'"),
                         (1, "no .dbg in both sessions"),
                         (1, ".dbg missing only on session 'new'"),
                         (1, ".dbg missing only on session 'base'"),
                         (0, "crashed in both sessions"),
                         (2, "crashed only on session 'new'"),
                         (1, "timed out only on session 'base'")):
        assert f"{qtty:4d}   {reason}" in lines, reason

    def block(title):
        start = lines.index(title)
        out = []
        for line in lines[start + 1:]:
            if not line.startswith("\t"):
                break
            out.append(line.strip())
        return out

    assert block("Samples only on playlist session 'new':") == ["only_mine.mp4"]
    assert block("Samples only on playlist session 'base':") == ["only_theirs.mp4"]
    assert block("Samples timed out only on session 'base':") == ["bothcrash.mp4"]
    assert "Samples crashed in both sessions:" not in lines
    assert block("Samples .dbg missing only on session 'new':") == ["nodbg_mine.mp4"]
    assert block("Regressed in 'new' (new defects, a crash or a timeout): 3") == [
        "newcrash.mp4: discarded_late 1 -> crashed",
        "newdefect.mp4: perfect -> discarded_late 2",
        "newkind.mp4: discarded_late 1 -> discarded_late 1, scheduled_in_past 1"]
    assert block("Fixed in 'new' (defects gone): 1") == ["fixed.mp4: discarded_late 3 -> perfect"]
    assert block("Defect counts changed: 2") == ["bothcrash.mp4: timeout -> crashed",
                                                 "fewer.mp4: discarded_late 4 -> discarded_late 1"]


def test_nothing_to_compare():
    c = comparison.compare("a", {}, "b", {})
    assert c.confidence_guess() == 0.0
    text = comparison.render(c)
    assert "n/a" in text
    assert "Regressed in 'a' (new defects, a crash or a timeout): 0" in text


def test_identical_sessions_report_no_change():
    results = {"x.mp4": res("x.mp4", discarded_late=2), "y.mp4": res("y.mp4")}
    c = comparison.compare("a", results, "b", dict(results))
    assert (c.fixed, c.regressed, c.changed) == ((), (), ())
    assert c.confidence_guess() == 1.0


@pytest.mark.parametrize("before, after, regressed, exceeds", [
    ({"discarded_late": 1}, {"discarded_late": 4}, False, True),   # more of a kind both have
    ({"discarded_late": 1}, {"discarded_late": 1, "no_image": 1}, True, True),  # a new kind
    ({}, {"no_image": 1}, True, True),                              # perfect no more
    ({"discarded_late": 4}, {"discarded_late": 1}, False, False),  # fewer
])
def test_a_regression_is_a_new_kind_where_a_baseline_counts_every_increase(
        before, after, regressed, exceeds):
    """Two names for two rules: comparing sessions looks for new kinds of
    trouble (comparison.regressed), a baseline fails any count above its
    entry (baseline.compare's `exceeds`)."""
    def play(counts):
        return an.Verdict(an.DEFECTS if counts else an.PERFECT, counts=counts)

    assert comparison.regressed(play(before), play(after)) is regressed
    change = baseline.compare(baseline.entry_of(play(before).outcome, before),
                              baseline.entry_of(play(after).outcome, after))
    assert bool(change.exceeds) is exceeds
