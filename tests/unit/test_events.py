"""events.py: the event table, body(), iter_states() and crashed()."""
from __future__ import annotations

import pytest

from pytest_pyglet_media.core import events as ev


def test_module_imports_nothing_heavy():
    # analysing must never need pyglet: events.py imports only the stdlib
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(ev))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names}
    modules = {node.module.split(".")[0] for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and node.module}
    assert modules <= {"__future__", "dataclasses", "typing"}
    assert "pyglet" not in imported


def test_version_and_table():
    assert ev.VERSION == 1.1
    # the events of pyglet's instrumentation.py 1.1, with their field counts
    expected_arity = {
        "version": 2, "crash": 2, "mp.im": 2, "p.P._sp": 2, "p.P.sk": 2,
        "p.P.ut.1.0": 5, "p.P.ut.1.5": 2, "p.P.ut.1.6": 2, "p.P.ut.1.7": 2,
        "p.P.ut.1.8": 1, "p.P.ut.1.9": 3, "p.P.oe": 1,
        "mp.src": 4, "mp.err": 2, "mp.end": 2, "mp.noeos": 3, "mp.cpu": 3, "mp.drv": 4, "mp.wait": 4,
    }
    assert {k: s.arity for k, s in ev.EVENTS.items()} == expected_arity
    assert ev.EVENTS["p.P.ut.1.0"].fields == (
        "pyglet_dt", "current_time", "audio_time", "wall_time")
    assert ev.EVENTS["p.P.ut.1.9"].fields == ("rescheduling_time", "next_video_time")
    assert ev.END_OF_PLAY == "p.P.oe"
    assert ev.FRAME_EVENTS == {"p.P.ut.1.5", "p.P.ut.1.9"}


def test_every_state_field_is_known():
    fields = {f for spec in ev.EVENTS.values() for f in spec.fields + spec.shown_with}
    assert fields <= set(ev.STATE_FIELDS)


def test_body_strips_header_only_when_present(rec):
    ours = rec.play(3)
    assert ev.body(ours) == ours[1:]
    pyglets = rec.pyglet_play(3)
    assert ev.body(pyglets) == pyglets
    assert ev.body([]) == []


def test_iter_states_frames_time_and_fields(rec):
    events = ev.body(rec.pyglet_play(3))
    states = [dict(s) for s in ev.iter_states(events)]
    assert len(states) == len(events)
    assert [s["evnum"] for s in states] == list(range(len(events)))
    assert [s["evname"] for s in states] == [e[0] for e in events]
    # frame advances on each 1.9 (and 1.5), never on 1.0/1.6/1.7
    frames = [s["frame_num"] for s in states]
    assert frames == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]
    # pyglet_time sums pyglet_dt over the update_texture calls (4 here)
    assert states[-1]["pyglet_time"] == pytest.approx(4 * rec.DT)
    # fields persist in the state until overwritten
    last_19 = max(i for i, e in enumerate(events) if e[0] == "p.P.ut.1.9")
    assert states[last_19]["rescheduling_time"] == pytest.approx(rec.DT)
    assert states[-1]["rescheduling_time"] == 0.0333  # overwritten by the final 1.7
    assert states[-1]["video_time"] is None  # the ("p.P.ut.1.6", None) of end of stream


def test_iter_states_discarded_frame_counts_and_none_dt():
    events = [("p.P._sp", 0.0), ("p.P.ut.1.0", None, 0.0, 0.0, 0.0),
              ("p.P.ut.1.5", 0.1), ("p.P.ut.1.8",), ("p.P.oe",)]
    states = [dict(s) for s in ev.iter_states(events)]
    assert [s["frame_num"] for s in states] == [0, 0, 1, 1, 1]
    assert states[1]["pyglet_time"] == 0.0  # a None dt is not added
    assert states[2]["video_time"] == 0.1


def test_iter_states_our_events_fill_the_state(rec):
    states = [dict(s) for s in ev.iter_states(ev.body(rec.play(2, end_wall=0.5)))]
    assert states[0]["sample"] == rec.SAMPLE
    assert states[1]["duration"] == pytest.approx(2 * rec.DT)
    assert states[1]["video_format"] == (320, 240, 1.0, 30.0)
    assert states[1]["audio_format"] == (2, 16, 44100)
    assert states[-1]["end_wall_time"] == 0.5


def test_crashed(rec):
    assert not ev.crashed(rec.play(3))
    assert not ev.crashed(rec.pyglet_play(3))
    assert ev.crashed(rec.play(3, ended=False))
    assert ev.crashed(rec.placeholder())
    assert ev.crashed([])
