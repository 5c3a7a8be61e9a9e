"""build_timeline on synthetic recordings (no pyglet, no bokeh needed)."""
from __future__ import annotations

import pytest

from pytest_pyglet_media.judge.analysis import RecordingProblem, judge
from pytest_pyglet_media.report.timeline import TimelineRow, build_timeline

DT = 1 / 30  # the frame interval of the make_play recordings (mp_support.recordings.DT)


def test_one_row_per_update_texture_but_the_first(make_play):
    # 5 frame blocks + 1 end-of-stream update_texture = 6 calls, 5 intervals
    rows = build_timeline(judge(make_play(5)))

    assert len(rows) == 5
    assert all(isinstance(row, TimelineRow) for row in rows)


def test_rows_hold_the_state_before_each_update_texture(make_play):
    rows = build_timeline(judge(make_play(5)))

    # row k: the state at the end of update_texture call k (frame block k)
    for k, row in enumerate(rows):
        assert row.wall_time == pytest.approx(k * DT + 0.001)
        assert row.current_time == pytest.approx(k * DT)
        assert row.audio_time == pytest.approx(k * DT)
        assert row.pyglet_time == pytest.approx((k + 1) * DT)
        assert row.frame_num == k + 1
        assert row.rescheduling_time == pytest.approx(DT)


def test_first_row_is_discarded(make_play):
    rows = build_timeline(judge(make_play(3)))

    # the bogus row would be the state before the first call: no wall time
    assert rows[0].wall_time is not None
    assert rows[0].frame_num == 1


def test_with_and_without_header_alike(make_play):
    assert build_timeline(judge(make_play(8, header=False))) == build_timeline(judge(make_play(8)))


def test_missing_values_stay_none_and_zero_stays_zero(make_play):
    rows = build_timeline(judge(make_play(6, none_current=frozenset({2}), none_audio=frozenset({4}))))

    assert rows[0].current_time == 0.0 and rows[0].current_time is not None
    assert rows[0].audio_time == 0.0 and rows[0].audio_time is not None
    assert rows[2].current_time is None
    assert rows[2].audio_time == pytest.approx(2 * DT)
    assert rows[4].audio_time is None
    assert rows[4].current_time == pytest.approx(4 * DT)


def test_rescheduling_time_unknown_before_the_first_reschedule():
    events = [("p.P._sp", 0.0),
              ("p.P.ut.1.0", DT, 0.0, 0.0, 0.001),
              ("p.P.ut.1.6", 0.0),
              ("p.P.ut.1.0", DT, DT, DT, DT + 0.001),
              ("p.P.ut.1.6", DT),
              ("p.P.ut.1.9", -0.005, 2 * DT),
              ("p.P.ut.1.0", DT, 2 * DT, 2 * DT, 2 * DT + 0.001),
              ("p.P.oe",)]

    rows = build_timeline(judge(events))

    assert [r.rescheduling_time for r in rows] == [None, -0.005]
    assert [r.frame_num for r in rows] == [0, 1]


def test_none_pyglet_dt_adds_nothing_and_discarded_frames_count():
    events = [("version", 1.1), ("p.P._sp", 0.0),
              ("p.P.ut.1.0", None, 0.0, 0.0, 0.001),
              ("p.P.ut.1.5", 0.0),  # a late frame discarded still advances the count
              ("p.P.ut.1.9", 0.01, 0.04),
              ("p.P.ut.1.0", 0.04, 0.04, 0.04, 0.041),
              ("p.P.ut.1.0", 0.01, 0.05, 0.05, 0.051),
              ("p.P.oe",)]

    rows = build_timeline(judge(events))

    assert rows == [TimelineRow(0.001, 0.0, 0.0, 0.0, 2, 0.01),
                    TimelineRow(0.041, 0.04, 0.04, 0.04, 2, 0.01)]


@pytest.mark.parametrize("events", [
    [("version", 1.1), ("crash", "a.mp4")],  # the placeholder of a crashed play
    [("version", 1.1), ("mp.im", "a.ogg"), ("p.P._sp", 0.0), ("p.P.oe",)],  # audio only
    [("p.P._sp", 0.0), ("p.P.ut.1.0", DT, 0.0, 0.0, 0.001), ("p.P.oe",)],  # one call
], ids=["crash", "audio-only", "single-call"])
def test_no_interval_gives_no_rows(events):
    assert build_timeline(judge(events)) == []


@pytest.mark.parametrize("events, reason", [
    ([], "empty"),
    ("not a list", "expected a list"),
    ([("version", 1.0), ("p.P.oe",)], "version"),
    ([("p.P.zz", 1)], "unknown name"),
    ([("p.P.ut.1.0", DT, 0.0, 0.0)], "expected 4"),
    ([("p.P.ut.1.0", DT, "zero", 0.0, 0.001)], "current_time.*'zero'"),
    ([("p.P.ut.1.9", True, 0.1)], "has a bool rescheduling_time: True"),
])
def test_unreadable_recordings_raise_a_clear_error(events, reason):
    with pytest.raises(RecordingProblem, match=reason):
        build_timeline(judge(events))


def test_bad_field_error_names_the_event_position():
    events = [("version", 1.1), ("p.P._sp", 0.0), ("p.P.ut.1.0", DT, 0.0, 0.0, "late")]

    with pytest.raises(RecordingProblem, match=r"event 2 \(p\.P\.ut\.1\.0\).*wall_time"):
        build_timeline(judge(events))
