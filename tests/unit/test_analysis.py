"""analysis.py: verdict of one recording, serialisation, session totals."""
from __future__ import annotations

import pickle

import pytest

from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.judge import results as res

BOTH_FORMS = pytest.mark.parametrize("header", [True, False], ids=["ours", "pyglet"])


def prefix(rec, header):
    return rec.OUR_PREFIX if header else rec.PYGLET_PREFIX


# -- perfect plays -----------------------------------------------------------


@BOTH_FORMS
def test_perfect_play(rec, header):
    events = rec.play(60, header=header)
    result = an.analyse(events)
    assert result.outcome == an.PERFECT
    assert result.counts == {}
    assert result.anomalies == ()
    assert result.total_defects == 0
    assert result.n_events == len(events)
    assert result.reason == ""


def test_our_header_facts_are_kept(rec):
    result = an.analyse(rec.play(60, duration=2.0, end_wall=1.99))
    assert result.outcome == an.PERFECT
    assert result.duration == 2.0
    assert result.end_wall_time == 1.99
    assert result.video_format == (320, 240, 1.0, 30.0)
    assert result.audio_format == (2, 16, 44100)


def test_pyglet_form_has_no_facts(rec):
    result = an.analyse(rec.pyglet_play(10))
    assert result.duration is None and result.end_wall_time is None
    assert result.video_format is None and result.audio_format is None


def test_exact_pyglet_buffered_logger_recording():
    # byte for byte the shape pyglet 2.1's BufferedLogger writes
    events = [("p.P._sp", 0.0)]
    for i in range(5):
        events += [("p.P.ut.1.0", 0.0334, i * 0.0334, i * 0.0334, 0.01 + i * 0.0334),
                   ("p.P.ut.1.6", i * 0.0333),
                   ("p.P.ut.1.9", 0.031, (i + 1) * 0.0333)]
    events += [("p.P.ut.1.0", 0.0334, 0.17, 0.17, 0.18), ("p.P.ut.1.6", None),
               ("p.P.ut.1.7", 0.0333), ("p.P.oe",)]
    assert an.analyse(events).outcome == an.PERFECT


# -- each defect kind ----------------------------------------------------------


@BOTH_FORMS
@pytest.mark.parametrize("event, key", [
    (("p.P.ut.1.5", 0.2), "discarded_late"),
    (("p.P.ut.1.7", 0.0333), "no_video_time"),
    (("p.P.ut.1.8",), "no_image"),
    (("p.P.ut.1.9", -0.05, 0.3), "scheduling_in_past"),
])
def test_each_defect_kind(rec, header, event, key):
    events = rec.play(20, header=header, inject={5: [event]})
    result = an.analyse(events)
    assert result.outcome == an.DEFECTS
    assert result.counts == {key: 1}
    assert result.total_defects == 1
    (anomaly,) = result.anomalies
    assert anomaly.kind == key
    # right after the ("p.P.ut.1.0", ...) of frame block 5, header included
    assert anomaly.index == prefix(rec, header) + 5 * 3 + 1
    assert events[anomaly.index] == event
    # the frame counter: 5 blocks done; 1.5 and 1.9 advance it themselves
    assert anomaly.frame == (6 if event[0] in ("p.P.ut.1.5", "p.P.ut.1.9") else 5)
    expected_value = {"p.P.ut.1.5": 0.2, "p.P.ut.1.9": -0.05}.get(event[0])
    assert anomaly.value == expected_value


def test_scheduling_in_past_counts_only_the_19_event(rec):
    # the state keeps the negative rescheduling time until the next 1.9; the
    # events in between (1.0, 1.6 of the next block) are not defects
    events = rec.play(20, inject={3: [("p.P.ut.1.9", -0.5, 0.1)]})
    result = an.analyse(events)
    assert result.counts == {"scheduling_in_past": 1}
    # also when the negative 1.9 is the last one before the end of stream
    events = rec.play(4)
    last_19 = max(i for i, e in enumerate(events) if e[0] == "p.P.ut.1.9")
    events[last_19] = ("p.P.ut.1.9", -0.01, 0.2)
    result = an.analyse(events)
    assert result.counts == {"scheduling_in_past": 1}
    assert result.anomalies[0].index == last_19


def test_zero_and_none_rescheduling_time_are_fine(rec):
    events = rec.play(5, inject={1: [("p.P.ut.1.9", 0.0, 0.1)], 2: [("p.P.ut.1.9", None, None)]})
    assert an.analyse(events).outcome == an.PERFECT


def test_several_defects_counted_and_ordered(rec):
    events = rec.play(30, inject={
        2: [("p.P.ut.1.5", 0.0)], 4: [("p.P.ut.1.5", 0.1), ("p.P.ut.1.8",)],
        6: [("p.P.ut.1.9", -1.0, 0.2)], 8: [("p.P.ut.1.7", 0.01)]})
    result = an.analyse(events)
    assert result.counts == {"discarded_late": 2, "no_image": 1,
                             "scheduling_in_past": 1, "no_video_time": 1}
    assert result.total_defects == 5
    assert [a.kind for a in result.anomalies] == [
        "discarded_late", "discarded_late", "no_image", "scheduling_in_past", "no_video_time"]
    indexes = [a.index for a in result.anomalies]
    assert indexes == sorted(indexes)
    assert [events[i][0] for i in indexes] == [
        "p.P.ut.1.5", "p.P.ut.1.5", "p.P.ut.1.8", "p.P.ut.1.9", "p.P.ut.1.7"]
    # frame numbers: each 1.5 advances the counter too
    assert [a.frame for a in result.anomalies] == [3, 6, 6, 9, 11]


def test_describe_counts_most_frequent_first():
    lines = an.describe_counts({"no_image": 1, "discarded_late": 3, "no_video_time": 0})
    assert lines == ["   3 Discard video frame too old,",
                     "   1 Image frame is None (?)"]


# -- ended early ------------------------------------------------------------------


@pytest.mark.parametrize("end_wall, early", [(0.2, True), (1.5, True), (1.95, False),
                                             (2.0, False), (2.5, False)])
def test_ended_early(rec, end_wall, early):
    events = rec.play(6, duration=2.0, end_wall=end_wall)
    result = an.analyse(events)
    if early:
        assert result.outcome == an.DEFECTS
        assert result.counts == {"ended_early": 1}
        (anomaly,) = result.anomalies
        assert anomaly.kind == "ended_early"
        assert anomaly.value == end_wall
        assert anomaly.index == len(events) - 1
        assert f"at {end_wall:.2f} s of wall time" in anomaly.describe()
    else:
        assert result.outcome == an.PERFECT, result


def test_ended_early_needs_both_thresholds(rec):
    # 0.3 s short of a 10 s source: more than 0.25 s but less than 10 %
    assert an.analyse(rec.play(6, duration=10.0, end_wall=9.7)).outcome == an.PERFECT
    # 20 % short of a 1 s source but only 0.2 s
    assert an.analyse(rec.play(6, duration=1.0, end_wall=0.8)).outcome == an.PERFECT


@pytest.mark.parametrize("duration", [None, 0.0, -1.0])
def test_no_usable_duration_is_not_ended_early(rec, duration):
    events = rec.play(6, end_wall=0.1)
    events[2] = ("mp.src", duration, None, None)
    assert an.analyse(events).outcome == an.PERFECT


def test_no_mp_end_is_not_ended_early(rec):
    events = [e for e in rec.play(6, duration=5.0) if e[0] != "mp.end"]
    assert an.analyse(events).outcome == an.PERFECT


# -- end-of-stream noise ------------------------------------------------------------

def _tail_with_17_at(positions, mp_end_at=(), length=14):
    """A finished pyglet play whose last `length` events are 1.0 fillers, with
    p.P.ut.1.7 at the given positions counted from the end (1 = p.P.oe), and
    ("mp.end", 1.0) inserted right after the event at each position in mp_end_at."""
    tail = [("mp.src", None, None, None), ("p.P._sp", 0.0)]
    for k in range(length, 0, -1):
        if k == 1:
            event = ("p.P.oe",)
        elif k in positions:
            event = ("p.P.ut.1.7", 0.0333)
        else:
            event = ("p.P.ut.1.0", 0.03, 1.0, 1.0, 1.0)
        tail.append(event)
        if k in mp_end_at:
            tail.append(("mp.end", 1.0))
    return [("version", 1.1), ("mp.im", "s")] + tail


@pytest.mark.parametrize("positions, counted", [
    ((2,), 0),
    ((2, 6), 0),
    ((2, 6, 10), 0),
    ((2, 6, 10, 13), 1),   # only three are dropped
    ((6,), 1),             # 6 is noise only after 2
    ((2, 10), 1),          # 10 is noise only after 6
    ((3,), 1),
    ((2, 3), 1),
    ((2, 5, 6), 1),
])
def test_end_of_stream_noise(positions, counted):
    result = an.analyse(_tail_with_17_at(positions))
    assert result.counts.get("no_video_time", 0) == counted
    assert result.outcome == (an.DEFECTS if counted else an.PERFECT)


@pytest.mark.parametrize("mp_end_at", [(2,), (3,), (5, 9), (2, 6, 10)])
def test_our_mp_events_do_not_shift_the_noise_positions(mp_end_at):
    result = an.analyse(_tail_with_17_at((2, 6, 10), mp_end_at=mp_end_at))
    assert result.outcome == an.PERFECT, result.counts


@BOTH_FORMS
def test_real_end_of_stream_is_noise(rec, header):
    # the builders end like pyglet: ... 1.0, ("p.P.ut.1.6", None), 1.7, [mp.end], oe
    events = rec.play(10, header=header)
    assert [e[0] for e in events if e[0] == "p.P.ut.1.7"] == ["p.P.ut.1.7"]
    assert an.analyse(events).outcome == an.PERFECT


def test_short_recording_noise_rule_does_not_fail():
    assert an.analyse([("p.P._sp", 0.0), ("p.P.ut.1.7", 0.1), ("p.P.oe",)]).outcome \
        == an.PERFECT
    assert an.analyse([("p.P._sp", 0.0), ("p.P.oe",)]).outcome == an.PERFECT


@pytest.mark.parametrize("events, lacking", [
    ([("p.P.oe",)], "start of play (p.P._sp)"),
    ([("version", 1.1), ("p.P.ut.1.7", 0.1), ("p.P.oe",)], "start of play (p.P._sp)"),
    ([("version", 1.1), ("mp.im", "a"), ("p.P._sp", 0.0), ("mp.end", 1.0), ("p.P.oe",)],
     "source (mp.src)"),
])
def test_a_recording_that_is_not_a_whole_play_is_not_perfect(events, lacking):
    """Only the end of play (or no start, or our end without a source) is not a whole play."""
    result = an.analyse(events)
    assert result.outcome == an.CRASHED
    assert result.reason == (f"the recording ends with the end of play but shows no {lacking}: "
                             "it is not a whole play")


@pytest.mark.parametrize("value, problem", [
    (float("nan"), "non-finite"), (float("inf"), "non-finite"), (10 ** 5000, "out of range"),
    (True, "a bool"), (None, None)], ids=["nan", "inf", "5000-digit", "bool", "none"])
def test_numbers_are_finite_and_in_range(value, problem):
    """A crafted value is unreadable, never a traceback in a reader."""
    events = [("version", 1.1), ("p.P._sp", 0.0), ("p.P.ut.1.0", value, 0.0, 0.0, 0.0),
              ("p.P.oe",)]
    result = an.analyse(events)
    if problem is None:
        assert result.outcome == an.PERFECT
    else:
        assert result.outcome == an.UNREADABLE
        assert problem in result.reason and "pyglet_dt" in result.reason
        assert len(result.reason) < 200


@pytest.mark.parametrize("event, problem", [
    (("mp.err", "bad \udc80 text"), "not valid Unicode"),
    (("mp.err", "x" * 5000), "5000 characters"),
    (("mp.err", None), "a NoneType"),
    (("mp.src", 1.0, (1, 2, float("nan")), None), "non-finite"),
    (("mp.src", 1.0, tuple(range(20)), None), "20 items"),
    (("mp.src", 1.0, ([[[]]],), None), "a list item"),
])
def test_every_field_value_is_checked(event, problem):
    result = an.analyse([("version", 1.1), event, ("p.P._sp", 0.0), ("p.P.oe",)])
    assert result.outcome == an.UNREADABLE
    assert problem in result.reason


# -- crash, unplayable ------------------------------------------------------------------


def test_placeholder_is_a_crash(rec):
    result = an.analyse(rec.placeholder("x"))
    assert result.outcome == an.CRASHED
    assert "'crash'" in result.reason
    assert result.n_events == 2


@pytest.mark.parametrize("header", [True, False])
def test_play_without_end_is_a_crash_and_keeps_defects(rec, header):
    events = rec.play(10, header=header, inject={2: [("p.P.ut.1.8",)]}, ended=False)
    result = an.analyse(events)
    assert result.outcome == an.CRASHED
    assert result.counts == {"no_image": 1}
    assert "p.P.ut.1.9" in result.reason


def test_header_only_is_a_crash():
    assert an.analyse([("version", 1.1)]).outcome == an.CRASHED


def test_mp_err_is_unplayable(rec):
    events = [("version", 1.1), ("mp.im", "bad.mp4"),
              ("mp.err", "pyglet could not open it (MediaDecodeException)"), ("p.P.oe",)]
    result = an.analyse(events)
    assert result.outcome == an.UNPLAYABLE
    assert result.reason == "pyglet could not open it (MediaDecodeException)"
    # unplayable wins over crash (our player saves without p.P.oe)
    result = an.analyse(events[:-1])
    assert result.outcome == an.UNPLAYABLE


# -- unreadable --------------------------------------------------------------------------

UNREADABLE_CASES = {
    "empty list": [],
    "not a list": ("version", 1.1),
    "a dict": {"events": []},
    "None": None,
    "wrong version": [("version", 1.0), ("p.P.oe",)],
    "version as str": [("version", "1.1"), ("p.P.oe",)],
    "version without value": [("version",), ("p.P.oe",)],
    "unknown event": [("version", 1.1), ("p.P.xx", 1), ("p.P.oe",)],
    "wrong field count": [("version", 1.1), ("p.P.ut.1.9", -1.0), ("p.P.oe",)],
    "too many fields": [("version", 1.1), ("p.P.oe", 1)],
    "list event": [("version", 1.1), ["p.P.oe"]],
    "empty event": [("version", 1.1), (), ("p.P.oe",)],
    "non-str name": [("version", 1.1), (3,), ("p.P.oe",)],
    "unhashable name": [("version", 1.1), ([],), ("p.P.oe",)],
    "string rescheduling time": [("version", 1.1), ("p.P.ut.1.9", "-1", 0.1), ("p.P.oe",)],
    "string discarded time": [("version", 1.1), ("p.P.ut.1.5", "late"), ("p.P.oe",)],
    "string pyglet_dt": [("p.P._sp", 0.0), ("p.P.ut.1.0", "x", 0.0, 0.0, 0.0), ("p.P.oe",)],
    "dict seek time": [("p.P._sp", 0.0), ("p.P.sk", {}), ("p.P.oe",)],
    "string duration": [("version", 1.1), ("mp.src", "2.0", None, None),
                        ("mp.end", 0.1), ("p.P.oe",)],
    "string end wall time": [("version", 1.1), ("mp.src", 2.0, None, None),
                             ("mp.end", "0.1"), ("p.P.oe",)],
}


@pytest.mark.parametrize("events", UNREADABLE_CASES.values(), ids=UNREADABLE_CASES.keys())
def test_unreadable_never_perfect_never_raises(events):
    result = an.analyse(events)
    assert result.outcome == an.UNREADABLE
    assert result.reason
    assert result.counts == {}


@pytest.mark.parametrize("events", UNREADABLE_CASES.values(), ids=UNREADABLE_CASES.keys())
def test_validate_raises_recording_problem(events):
    with pytest.raises(an.RecordingProblem):
        an.validate(events)


def test_unreadable_reasons_are_specific():
    assert "empty" in an.analyse([]).reason
    assert "list" in an.analyse(("x",)).reason
    assert "version" in an.analyse([("version", 2.0)]).reason
    assert "'p.P.xx'" in an.analyse([("p.P.xx",)]).reason
    reason = an.analyse([("version", 1.1), ("p.P.ut.1.9", -1.0)]).reason
    assert "event 1" in reason and "1 fields, expected 2" in reason
    reason = an.analyse(UNREADABLE_CASES["string rescheduling time"]).reason
    assert "event 1" in reason and "rescheduling_time" in reason


def test_none_fields_where_pyglet_writes_none_are_readable(rec):
    events = rec.pyglet_play(3)
    events.insert(1, ("p.P.ut.1.0", None, 0.0, None, 0.0))
    assert an.analyse(events).outcome == an.PERFECT


def test_validate_returns_the_body(rec):
    events = rec.play(2)
    assert an.validate(events) == events[1:]
    events = rec.pyglet_play(2)
    assert an.validate(events) == events


# -- anomalies cap -------------------------------------------------------------------------


def test_anomalies_capped_counts_not(rec):
    n = an.MAX_ANOMALIES + 7
    events = rec.play(n + 2, inject={i: [("p.P.ut.1.8",)] for i in range(n)})
    result = an.analyse(events)
    assert result.counts == {"no_image": n}
    assert len(result.anomalies) == an.MAX_ANOMALIES
    assert [a.frame for a in result.anomalies] == list(range(an.MAX_ANOMALIES))
    assert all(events[a.index] == ("p.P.ut.1.8",) for a in result.anomalies)


def test_ended_early_not_added_beyond_the_cap(rec):
    n = an.MAX_ANOMALIES
    events = rec.play(n + 2, duration=50.0, end_wall=1.0,
                      inject={i: [("p.P.ut.1.8",)] for i in range(n)})
    result = an.analyse(events)
    assert result.counts == {"no_image": n, "ended_early": 1}
    assert len(result.anomalies) == an.MAX_ANOMALIES


def test_anomaly_describe(rec):
    assert an.Anomaly(7, 3, "no_image", None).describe() == "frame 3: Image frame is None (?)"
    assert an.Anomaly(7, 3, "scheduling_in_past", -0.0123456).describe() == \
        "frame 3: Scheduling in the past (-0.01235)"


# -- serialisation ----------------------------------------------------------------------------


def _rich_analysis(rec):
    events = rec.play(20, duration=9.0, end_wall=1.0, inject={
        1: [("p.P.ut.1.5", 0.1)], 3: [("p.P.ut.1.9", -0.2, 0.3)]})
    result = an.analyse(events)
    assert result.outcome == an.DEFECTS and len(result.anomalies) == 3
    return result


def test_play_analysis_round_trip(rec, is_builtins):
    result = _rich_analysis(rec)
    data = result.to_builtins()
    assert is_builtins(data)
    assert an.Verdict.from_builtins(data) == result
    # survives what xdist and JSON-like transports do: tuples become lists
    listy = pickle.loads(pickle.dumps(data))
    listy["anomalies"] = [list(a) for a in listy["anomalies"]]
    listy["video_format"] = list(listy["video_format"])
    listy["audio_format"] = list(listy["audio_format"])
    assert an.Verdict.from_builtins(listy) == result


@pytest.mark.parametrize("outcome", [an.CRASHED, an.UNPLAYABLE, an.UNREADABLE, an.TIMEOUT])
def test_round_trip_of_bare_outcomes(outcome, is_builtins):
    result = an.Verdict(outcome, reason="why")
    data = result.to_builtins()
    assert is_builtins(data)
    assert an.Verdict.from_builtins(data) == result


def test_sample_result_round_trip(rec, is_builtins):
    result = res.SampleResult("clip.mp4", _rich_analysis(rec), attempts=3,
                             crashed_attempts=2, recording="/s/dbg/clip.mp4.dbg")
    data = result.to_builtins()
    assert is_builtins(data)
    back = res.SampleResult.from_builtins(data)
    assert back == result
    assert back.outcome == an.DEFECTS


# -- session totals ---------------------------------------------------------------------------


def _result(sample, outcome, counts=None, attempts=1, crashed=0):
    return res.SampleResult(sample, an.Verdict(outcome, counts=counts or {}),
                           attempts=attempts, crashed_attempts=crashed)


def test_session_totals_classification():
    results = [
        _result("a", an.PERFECT),
        _result("b", an.DEFECTS, {"no_image": 2, "discarded_late": 1}),
        _result("c", an.DEFECTS, {"no_image": 3}),
        _result("d", an.CRASHED, attempts=6, crashed=6),
        _result("e", an.TIMEOUT, attempts=2, crashed=2),
        _result("f", an.UNPLAYABLE),
        _result("g", an.UNREADABLE),
        _result("h", an.PERFECT, attempts=3, crashed=2),  # crashed, then played
        _result("i", an.DEFECTS, {"no_image": 1}, attempts=2, crashed=1),
    ]
    totals = res.session_totals(results, playlist=["a", "b", "m1", "m2"])
    assert totals.samples == ("a", "b", "c", "d", "e", "f", "g", "h", "i", "m1", "m2")
    assert totals.perfect == ("a", "h")
    assert dict(totals.non_perfect) == {"b": {"no_image": 2, "discarded_late": 1},
                                        "c": {"no_image": 3}, "i": {"no_image": 1}}
    assert totals.crashed == ("d", "e")  # a timeout counts as a crash
    assert totals.unplayable == ("f",)
    assert totals.unreadable == ("g",)
    assert totals.missing == ("m1", "m2")
    assert dict(totals.overall_counts) == {"no_image": 6, "discarded_late": 1}
    assert totals.total_retries == 5 + 1 + 2 + 1
    assert totals.always_crashed == ("d", "e")
    assert totals.sometimes_crashed == ("h", "i")
    assert totals.relevant == 5
    assert totals.defects_per_sample == pytest.approx(7 / 5)


def test_crash_known_only_from_its_recording_is_always_crashed():
    # summarize from disk: a crashed recording and no retry state
    totals = res.session_totals([_result("c", an.CRASHED), _result("t", an.TIMEOUT)])
    assert totals.crashed == ("c", "t")
    assert totals.always_crashed == ("c", "t")
    assert totals.sometimes_crashed == ()
    assert totals.total_retries == 0


def test_session_totals_empty_and_missing_only():
    totals = res.session_totals([], playlist=["x", "y"])
    assert totals.missing == ("x", "y")
    assert totals.relevant == 0
    assert totals.defects_per_sample is None
    assert res.session_totals([]).samples == ()


def test_session_totals_is_picklable():
    totals = res.session_totals([_result("a", an.PERFECT)], ["a"])
    assert pickle.loads(pickle.dumps(totals)) == totals
