"""One play's limit follows the sample's duration; --mp-timeout overrides it."""
from __future__ import annotations

import pytest

from pytest_pyglet_media.play import timeouts


@pytest.mark.parametrize("given, duration, limit", [
    (None, None, timeouts.DEFAULT),          # no reference: the old fixed limit
    (None, 0.0, timeouts.DEFAULT),
    (None, float("inf"), timeouts.DEFAULT),
    (None, 1.0, timeouts.MINIMUM),           # a short sample: the floor
    (None, 300.0, 630.0),                    # 5 minutes: 2x + 30 s, never killed at 120 s
    (7.0, 300.0, 7.0),                       # --mp-timeout wins
    (7.0, None, 7.0),
])
def test_play_limit(given, duration, limit):
    assert timeouts.play_limit(given, duration) == limit


def test_describe_names_where_the_limit_comes_from():
    assert timeouts.describe(5.0, 300.0) == "--mp-timeout 5 s"
    assert timeouts.describe(None, None) == "default limit 120 s (duration unknown)"
    assert timeouts.describe(None, 300.0) == "limit 630 s for a 300.0 s sample"


def test_item_limit_covers_every_play_and_retry():
    assert timeouts.item_limit(100.0, retries=2) == 300.0 + timeouts.ITEM_MARGIN


@pytest.mark.parametrize("outcome, plays", [
    ("crashed", 3), ("timeout", 3), ("overloaded", 3),   # retried: --mp-retries=2
    ("unplayable", 1), ("unreadable", 1), ("missing", 1), ("defects", 1), ("perfect", 1),
])
def test_retry_policy(monkeypatch, tmp_path, outcome, plays):
    """Only crashes, timeouts and overloaded plays are retried."""
    from pytest_pyglet_media.judge import analysis as an
    from pytest_pyglet_media.options import Settings
    from pytest_pyglet_media.play import playback

    calls = []

    def attempt(*args, **kwargs):
        calls.append(1)
        return playback.Attempt(an.Verdict(outcome), None, tmp_path / "r.dbg")

    monkeypatch.setattr(playback, "attempt", attempt)
    retried = []
    result, _ = playback.play_with_retries(Settings(retries=2), tmp_path, "a.mp4",
                                           tmp_path / "r.dbg", on_retry=retried.append)
    assert len(calls) == plays and len(retried) == plays - 1
    assert result.attempts == plays
    assert result.crashed_attempts == (plays if outcome in an.RETRYABLE else 0)
