"""The session's line in the terminal summary: coloured as pytest colours its
own summary line, and absent when --collect-only plays nothing.

The by_name double plays `defects_*` with discarded_late=3 and
scheduling_in_past=1 and `perfect_*` perfectly.
"""
from __future__ import annotations

import json
import re

from pytest_pyglet_media.judge import baseline as bl

RED, GREEN, YELLOW = "\x1b[31m", "\x1b[32m", "\x1b[33m"


def session_line_colour(out: str) -> str:
    """The escape sequence just before "session testrun_00:", one line only."""
    found = re.findall(r"(\x1b\[[0-9;]*m)session testrun_00: ", out)
    assert len(found) == 1, out
    return found[0]


def test_the_session_line_is_green_when_every_sample_played_perfectly(mp):
    mp.add("perfect_a.mp4", "perfect_b.mp4")
    run = mp.run("--color=yes", "-p", "no:xdist")
    assert run.ret == 0, run.out
    assert session_line_colour(run.out) == GREEN


def test_the_session_line_is_red_when_a_sample_failed(mp):
    mp.add("perfect_a.mp4", "defects_b.mp4")
    run = mp.run("--color=yes", "-p", "no:xdist")
    assert run.ret == 1, run.out
    assert session_line_colour(run.out) == RED


def test_the_session_line_is_yellow_when_all_passed_with_known_defects(mp):
    mp.add("perfect_a.mp4", "defects_b.mp4")
    known = {"outcome": "played", "counts": {"discarded_late": 3, "scheduling_in_past": 1}}
    document = {"format": bl.FORMAT, "version": bl.FORMAT_VERSION,
                "samples": {"defects_b.mp4": known}}
    (mp.samples / bl.DEFAULT_NAME).write_text(json.dumps(document))
    run = mp.run("--color=yes", "-p", "no:xdist")
    assert run.ret == 0, run.out
    assert session_line_colour(run.out) == YELLOW


def test_collect_only_with_an_existing_session_prints_nothing_of_it(mp):
    mp.add("perfect_a.mp4", "perfect_b.mp4")
    first = mp.run("--mp-session=keep", player="perfect")
    assert first.ret == 0 and "pyglet media session" in first.out
    listed = mp.run("--mp-session=keep", "--collect-only", "-q", player="perfect")
    assert listed.ret == 0, listed.out
    assert mp.nodeid("perfect_a.mp4") in listed.out
    assert "pyglet media session" not in listed.out
    assert "session keep" not in listed.out
