"""What is played again, how, and how it is said (playback.play_with_retries,
results.retry_reason): fake plays, no process."""
from __future__ import annotations

import pytest

from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.judge import results as res
from pytest_pyglet_media.options import Settings
from pytest_pyglet_media.play import playback
from pytest_pyglet_media.report import text_reports

OVERLOADED = an.Verdict(an.OVERLOADED, counts={"discarded_late": 2}, end_wall_time=2.1,
                        waited=0.42, reason="the player waited ...")
CRASHED = an.Verdict(an.CRASHED, reason="the player was killed by signal 11 (SIGSEGV)")
TIMEOUT = an.Verdict(an.TIMEOUT, reason="still playing at the timeout (--mp-timeout 2 s)")


def plays(tmp_path, verdicts, retries=5, budget=None):
    """Play with verdicts in turn; returns the result and the modes asked."""
    modes = []
    left = list(verdicts)

    def play(previous, mode):
        modes.append(mode)
        return playback.Attempt(left.pop(0), None, tmp_path / "r.dbg")

    result, _ = playback.play_with_retries(Settings(retries=retries), tmp_path, "a.mp4",
                                           tmp_path / "r.dbg", play=play, budget=budget)
    return result, modes


def test_an_overloaded_play_is_replayed_among_the_others_then_alone(tmp_path):
    perfect = an.Verdict(an.PERFECT)
    result, modes = plays(tmp_path, [OVERLOADED, OVERLOADED, OVERLOADED, perfect])
    assert modes == [playback.AT_ONCE, playback.AMONG_OTHERS, playback.ALONE, playback.ALONE]
    assert result.outcome == an.PERFECT and result.attempts == 4
    assert result.retry_reasons == (
        (an.OVERLOADED, "overloaded: waited 0.42 s of a 2.10 s play"),) * 3
    assert result.retries_by_kind == {an.OVERLOADED: 3} and result.crashed_attempts == 0


def test_crashes_and_timeouts_are_played_again_at_once_and_said_apart(tmp_path):
    result, modes = plays(tmp_path, [CRASHED, TIMEOUT, an.Verdict(an.PERFECT)])
    assert modes == [playback.AT_ONCE] * 3
    assert result.retry_reasons == (
        (an.CRASHED, "crashed: the player was killed by signal 11 (SIGSEGV)"),
        (an.TIMEOUT, "timed out: still playing at the timeout (--mp-timeout 2 s)"))
    assert result.retries_by_kind == {an.CRASHED: 1, an.TIMEOUT: 1}
    assert res.SampleResult.from_builtins(result.to_builtins()) == result


def test_defects_are_never_played_again(tmp_path):
    result, modes = plays(tmp_path, [an.Verdict(an.DEFECTS, counts={"stall": 1})])
    assert modes == [playback.AT_ONCE] and result.retry_reasons == ()


def test_the_budget_caps_the_overloaded_plays_played_again(tmp_path):
    budget = playback.ReplayBudget(samples=3)
    assert budget.total == 1
    first, _ = plays(tmp_path, [OVERLOADED, an.Verdict(an.PERFECT)], budget=budget)
    assert first.outcome == an.PERFECT and first.attempts == 2
    second, modes = plays(tmp_path, [OVERLOADED, an.Verdict(an.PERFECT)], budget=budget)
    assert modes == [playback.AT_ONCE] and second.outcome == an.OVERLOADED
    assert second.verdict.reason.endswith("not played again: the run replayed 1 overloaded "
                                          "play already, its budget (one per 10 samples)")
    # crashes are not counted against it
    third, _ = plays(tmp_path, [CRASHED, an.Verdict(an.PERFECT)], budget=budget)
    assert third.attempts == 2


@pytest.mark.parametrize("samples, processes, total", [
    (1, 1, 1), (10, 1, 1), (19, 1, 1), (20, 1, 2), (35, 1, 3), (35, 2, 1), (400, 1, 40)])
def test_one_replay_per_ten_samples(samples, processes, total):
    assert playback.ReplayBudget(samples, processes).total == total


def test_totals_count_each_kind_and_crash_retries_count_crashes_only(tmp_path):
    crashy, _ = plays(tmp_path, [CRASHED, TIMEOUT, an.Verdict(an.PERFECT)])
    busy, _ = plays(tmp_path, [OVERLOADED, an.Verdict(an.PERFECT)])
    hung = res.SampleResult("h.mp4", TIMEOUT, attempts=2, crashed_attempts=2,
                            retry_reasons=(res.retry_reason(TIMEOUT),))
    older = res.SampleResult("o.mp4", an.Verdict(an.PERFECT), attempts=3, crashed_attempts=2)
    totals = res.session_totals([crashy, res.SampleResult("b.mp4", busy.verdict, 2, 0,
                                                          retry_reasons=busy.retry_reasons),
                                 hung, older])
    assert totals.retries_by_kind == {an.CRASHED: 3, an.TIMEOUT: 2, an.OVERLOADED: 1}
    assert totals.crash_retries == 3  # older runs kept no reason: their crashes count
    assert totals.timed_out == ("h.mp4",)
    headline = text_reports.headline(totals)
    assert ", 1 timed out," in headline and " crashed," not in headline
    assert headline.endswith("3 crash retries, 2 timeout retries, 1 overload retry")
    text = text_reports.summary("s", "v", totals)
    assert "Samples that always timed out: 1" in text
    assert "Samples that always crashed:" not in text
    assert "Samples that always timed out (in every attempt to play)\nh.mp4" in text
    assert "Retries in this run: 6 (3 crash retries, 2 timeout retries, 1 overload retry)" \
        in text
    assert "Crash retries in this run: 3" in text
    assert "\ta.mp4: timed out: still playing at the timeout (--mp-timeout 2 s)" in text
