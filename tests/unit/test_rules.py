"""The defect rules (judge/rules.py), and every reader holding to them.

One table says which event is which defect, on which condition
(rules.EVENT_RULES), one lists every kind with its description
(rules.DEFECT_KINDS), one matcher says which file frame a video time names
(file_checks.FrameMatcher). The readers: analysis (its fast scan and its
careful count), the timeline's marks and frames plot, the text reports, the
failure message, the index page, the baseline.

A new rule's tests go here: that every reader follows it (the tests below
that change the table), and that the readers still agree at random.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from mp_support.recordings import DT, play

from pytest_pyglet_media.core.events import EVENTS
from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.judge import baseline as bl
from pytest_pyglet_media.judge import file_checks as fc
from pytest_pyglet_media.judge import results as res
from pytest_pyglet_media.judge import rules
from pytest_pyglet_media.judge.rules import DEFECT_KINDS, EVENT_RULES, EventRule
from pytest_pyglet_media.report import index_page, text_reports, timeline
from pytest_pyglet_media.store.reference import Reference, Stream

# -- what every reader says of one recording ------------------------------------------


def read_by_all(events: list[tuple]) -> dict:
    """Each reader's view of a recording's defects."""
    rec = an.judge(events)
    return {
        "fast": an._fast_scan(events, True),  # None: the fast scan left it to the careful path
        "careful": an._analyse_slow(events),
        "verdict": rec.verdict,
        "marks": timeline.defect_marks(rec),
        "report": text_reports.report_anomalies(rec).splitlines(),
    }


def report_lines(lines: list[str], rule: EventRule) -> list[str]:
    """The anomalies report's lines of a rule's event."""
    if rule.only_if_negative:
        head = f"!!! {DEFECT_KINDS[rule.kind].description},"
    else:
        head = EVENTS[rule.event].desc
    return [line for line in lines if line[5:].startswith(head)]


def assert_readers_agree(events: list[tuple]) -> dict:
    """Analysis' two paths, the timeline marks and the anomalies report say
    the same defects; returns every reader's view."""
    seen = read_by_all(events)
    verdict = seen["verdict"]
    assert repr(seen["careful"]) == repr(verdict)
    if seen["fast"] is not None:
        assert repr(seen["fast"]) == repr(verdict)
    marks = seen["marks"]
    assert Counter(m.kind for m in marks) == verdict.counts
    assert [(m.index, m.frame, m.kind) for m in marks][:an.MAX_ANOMALIES] == [
        (a.index, a.frame, a.kind) for a in verdict.anomalies]
    for mark, anomaly in zip(marks, verdict.anomalies):
        rule = EVENT_RULES.get(DEFECT_KINDS[mark.kind].event)
        if rule is not None and rule.keeps_value:
            assert repr(mark.value) == repr(anomaly.value)
    body = an.validate(events)
    noise = rules.end_noise(body)
    for rule in EVENT_RULES.values():
        excused = sum(1 for i in noise if body[i][0] == rule.event)
        shown = len(report_lines(seen["report"], rule))
        # the report shows the end-of-stream noise, the verdict does not count it
        assert shown == verdict.counts.get(rule.kind, 0) + excused, rule.kind
    return seen


def every_rule_broken(**kw) -> list[tuple]:
    """A play with a defect of every event rule, and pyglet's end-of-stream noise."""
    return play(30, late=frozenset({3}), no_image=frozenset({5}), past=frozenset({7}),
                inject={9: [("p.P.ut.1.7", 0.02)]}, **kw)


# -- the tables ------------------------------------------------------------------------


def test_every_rule_names_an_event_and_a_described_kind():
    for event, rule in EVENT_RULES.items():
        assert rule.event == event and event in EVENTS
        assert DEFECT_KINDS[rule.kind].event == event
        assert DEFECT_KINDS[rule.kind].description == rule.description


def test_every_kind_is_listed_once_with_a_description():
    kinds = ({rule.kind for rule in EVENT_RULES.values()} | {"ended_early"}
             | set(rules.FILE_KINDS) | {rules.DRIVER_NOT_USED})
    assert set(DEFECT_KINDS) == kinds
    for key, kind in DEFECT_KINDS.items():
        assert kind.key == key and kind.description.strip()
    for key, description in rules.FILE_KINDS.items():
        assert DEFECT_KINDS[key].event == rules.AGAINST_THE_FILE
        assert DEFECT_KINDS[key].description == description
    assert an.LATE_KINDS <= set(DEFECT_KINDS)


def test_the_conditions_of_pyglets_rules():
    past = EVENT_RULES["p.P.ut.1.9"]
    assert past.kind == "scheduling_in_past"
    assert rules.broken_rule(("p.P.ut.1.9", -0.01, 0.1)) is past
    for value in (0.0, -0.0, 0.01, None):
        assert rules.broken_rule(("p.P.ut.1.9", value, 0.1)) is None
    no_video_time = EVENT_RULES["p.P.ut.1.7"]
    assert rules.broken_rule(("p.P.ut.1.7", 0.02)) is no_video_time
    assert rules.broken_rule(("p.P.ut.1.7", 0.02), end_noise=True) is None
    assert rules.broken_rule(("p.P.ut.1.5", 0.1), end_noise=True).kind == "discarded_late"
    assert rules.broken_rule(("p.P.ut.1.6", 0.1)) is None


def test_end_noise_is_where_countbads_drops_it():
    events = play(10)
    noise = rules.end_noise(events)
    assert [events[i] for i in noise] == [("p.P.ut.1.7", 0.0333)]
    assert sorted(noise) == [len(events) - 3]  # the 2nd pyglet event from the end (mp.end skipped)


def test_every_markable_kind_has_a_look_and_a_value_name():
    for kind in {rule.kind for rule in EVENT_RULES.values()} | set(timeline.END_OF_PLAY_KINDS):
        assert kind in DEFECT_KINDS
        assert kind in timeline.COLORS and kind in timeline.DEFECT_MARKERS
        timeline.value_name(kind)


def test_the_tooltip_names_the_rule_events_own_field():
    assert {kind: timeline.value_name(kind) for kind in (
        "discarded_late", "no_video_time", "no_image", "scheduling_in_past", "ended_early",
        "short_play")} == {
        "discarded_late": "video_time", "no_video_time": "rescheduling_time", "no_image": "",
        "scheduling_in_past": "rescheduling_time", "ended_early": "end_wall_time",
        "short_play": "end_wall_time"}


def test_every_kind_is_a_baseline_kind(tmp_path: Path):
    counts = {key: 1 for key in DEFECT_KINDS}
    base = bl.Baseline(tmp_path / "b.json", {"a.mp4": bl.entry_of(an.DEFECTS, counts)})
    parsed = bl.parse(bl.render(base).encode(), base.path)
    assert parsed.entries["a.mp4"].counts == counts


# -- the readers agree, by hand and at random --------------------------------------------------


@pytest.mark.parametrize("header", [True, False])
def test_every_reader_sees_every_rule(header):
    seen = assert_readers_agree(every_rule_broken(header=header))
    assert seen["fast"] is not None
    assert seen["verdict"].counts == {"discarded_late": 1, "no_image": 1,
                                      "scheduling_in_past": 1, "no_video_time": 1}


def random_play(rng: random.Random) -> list[tuple]:
    """A valid play with defects of every rule at random, sometimes cut short,
    ended early or ended by what looks like end-of-stream noise."""
    n = rng.randint(0, 60)

    def some() -> frozenset[int]:
        return frozenset(rng.sample(range(n), rng.randint(0, min(n, 12))))

    inject = {i: [rng.choice([("p.P.ut.1.7", 0.01), ("p.P.ut.1.7", None),
                              ("p.P.ut.1.5", i * DT), ("p.P.ut.1.5", None), ("p.P.ut.1.8",),
                              ("p.P.ut.1.9", -0.5, None), ("p.P.ut.1.9", 0.0, None),
                              ("p.P.ut.1.9", None, 0.1), ("p.P.sk", 1.0)])
                  for _ in range(rng.randint(1, 4))] for i in some()}
    header = rng.random() < 0.7
    events = play(n, late=some(), no_image=some(), past=some(), inject=inject, header=header,
                  ended=rng.random() < 0.9, none_current=some(),
                  duration=rng.choice([None, n * DT * 3]) if header else None)
    if rng.random() < 0.3:  # end-of-stream noise, and what looks like it
        for k in rng.sample([2, 3, 6, 10, 11], rng.randint(1, 4)):
            if k < len(events) - 1:
                events[-k] = ("p.P.ut.1.7", rng.choice([0.0333, None]))
    return events


@pytest.mark.parametrize("seed", range(30))
def test_the_readers_agree_at_random(seed):
    rng = random.Random(7000 + seed)
    vouched = 0
    for _ in range(20):
        seen = assert_readers_agree(random_play(rng))
        vouched += seen["fast"] is not None
    assert vouched == 20  # exact types only: the fast scan judges them all


# -- a changed table changes every reader -------------------------------------------------


def test_a_rule_removed_is_gone_from_every_reader(monkeypatch):
    events = every_rule_broken()
    monkeypatch.delitem(EVENT_RULES, "p.P.ut.1.8")

    seen = assert_readers_agree(events)

    assert seen["fast"] is not None
    assert "no_image" not in seen["verdict"].counts
    assert not any("Image frame is None" in line for line in seen["report"])


def test_noise_no_longer_excused_is_counted_by_every_reader(monkeypatch):
    events = every_rule_broken()
    monkeypatch.setitem(EVENT_RULES, "p.P.ut.1.7",
                        replace(EVENT_RULES["p.P.ut.1.7"], excused_at_end=False))

    seen = assert_readers_agree(events)

    assert rules.end_noise(events) == set()
    assert seen["verdict"].counts["no_video_time"] == 2  # the one injected, and the noise
    assert [m.kind for m in seen["marks"]].count("no_video_time") == 2


def test_a_condition_dropped_reaches_every_reader(monkeypatch):
    """Every re-scheduling a defect: the fast scan, which writes that rule
    out, leaves the judging to the careful path, which reads the table."""
    events = every_rule_broken()
    monkeypatch.setitem(EVENT_RULES, "p.P.ut.1.9",
                        replace(EVENT_RULES["p.P.ut.1.9"], only_if_negative=False))

    seen = assert_readers_agree(events)

    assert seen["fast"] is None
    assert seen["verdict"].counts["scheduling_in_past"] == 30
    assert not any("!!!" in line for line in seen["report"])
    assert sum(line[5:].startswith("Re-scheduling,") for line in seen["report"]) == 30


def new_kind(monkeypatch, event: str, kind: str, description: str, **conditions) -> None:
    """A rule added as a new line of the tables would add it."""
    monkeypatch.setitem(EVENT_RULES, event, EventRule(event, kind, description, **conditions))
    monkeypatch.setitem(DEFECT_KINDS, kind, rules.DefectKind(kind, event, description))


def test_a_new_rule_on_a_rare_event_reaches_every_reader(monkeypatch):
    events = every_rule_broken()
    new_kind(monkeypatch, "p.P._sp", "started", "Play started", keeps_value=True)

    seen = assert_readers_agree(events)

    verdict = seen["verdict"]
    assert seen["fast"] is not None
    assert verdict.counts["started"] == 1
    assert verdict.anomalies[0].describe() == "frame 0: Play started (0)"
    assert "   1 Play started" in an.describe_counts(verdict.counts)
    assert any(line.startswith("   0 Start playing") for line in seen["report"])


def test_a_new_rule_on_a_frequent_event_reaches_every_reader(monkeypatch):
    events = every_rule_broken()
    new_kind(monkeypatch, "p.P.ut.1.6", "frame_shown", "A frame was shown")

    seen = assert_readers_agree(events)

    assert seen["fast"] is None  # not written out in the fast scan: the careful path judged
    assert seen["verdict"].counts["frame_shown"] == 31  # 30 frames, and the end of stream's


def test_a_description_changed_reaches_every_text(monkeypatch):
    for kind, description in (("no_image", "No picture"),
                              ("scheduling_in_past", "Late re-scheduling")):
        monkeypatch.setitem(DEFECT_KINDS, kind,
                            replace(DEFECT_KINDS[kind], description=description))
    rec = an.judge(every_rule_broken())
    result = rec.verdict
    sample = res.SampleResult("a.mp4", result)
    texts = {
        "failure message": text_reports.failure_message("a.mp4", result, "a.dbg"),
        "counter": text_reports.report_counter(rec),
        "summary": text_reports.summary("s", "v", res.session_totals([sample])),
        "index": index_page.render("s", "v", res.session_totals([sample]), {"a.mp4": sample},
                                   [], "h"),
    }
    for name, text in texts.items():
        assert "No picture" in text and "Late re-scheduling" in text, name
        assert "Image frame is None" not in text, name
    assert "!!! Late re-scheduling, rescheduling_time: -0.010000" in \
        text_reports.report_anomalies(rec)


# -- one frame matcher ------------------------------------------------------------------------


def a_reference(frame_times, video_start: float = 0.0) -> Reference:
    duration = (max(frame_times) if frame_times else 0.0) + DT
    streams = (Stream(0, "video", "h264", video_start, duration),
               Stream(1, "audio", "aac", 0.0, duration))
    return Reference(duration=duration, start=0.0, streams=streams, video_index=0,
                     frame_times=tuple(frame_times))


def test_the_matcher_names_frames_within_its_tolerance():
    matcher = fc.FrameMatcher.of([0.0, 0.04, 0.04, 0.08], shift=0.5)
    assert matcher.frames == (0.0, 0.04, 0.08)
    assert matcher.tolerance == fc.MATCH_TOLERANCE
    assert matcher.frame_of(-0.5) == 0 and matcher.frame_of(-0.46 + 0.0015) == 1
    assert matcher.frame_of(-0.44) is None
    assert matcher.frames_of([-0.5, -0.42, -0.3, -0.5]) == {0, 2}
    dense = fc.FrameMatcher.of([0.0, 0.001, 0.002])
    assert dense.tolerance == pytest.approx(0.00045)


@pytest.mark.parametrize("seed", range(15))
def test_timeline_frames_and_file_checks_match_alike_at_random(seed):
    rng = random.Random(9000 + seed)
    n = rng.randint(2, 50)
    start = rng.choice([0.0, 0.1, 0.0335])
    frames = sorted(start + i * DT + rng.choice([0.0, 0.0004, -0.0012]) for i in range(n))
    reference = a_reference(frames, video_start=start)
    shift = reference.pyglet_start
    lost = set(rng.sample(range(n), rng.randint(0, n // 3)))
    late = set(rng.sample(range(n), rng.randint(0, n // 4))) - lost
    events = play(n, late=frozenset(late), duration=n * DT + DT)
    jitter = {}
    rebuilt = []
    for event in events:  # shift the play's video times to file times minus pyglet's shift
        if event[0] in ("p.P.ut.1.6", "p.P.ut.1.5") and event[1] is not None:
            i = round(event[1] / DT)
            if event[0] == "p.P.ut.1.6" and i in lost:
                continue
            t = jitter.setdefault((event[0], i), frames[i] - shift + rng.choice(
                [0.0, 0.0015, -0.0015, 0.004]))
            event = (event[0], t)
        rebuilt.append(event)
    rec = an.judge(rebuilt)

    status = timeline.frame_status(rec, reference)
    checks = fc.check(rebuilt, reference)

    assert status.file_times == tuple(fc.FrameMatcher.of(frames).frames)
    assert tuple(status.times(timeline.NEVER_SHOWN)) == checks.missing_frames
    assert checks.frames_shown == len(frames) - len(status.times(timeline.NEVER_SHOWN))


def test_a_tolerance_changed_reaches_both_frame_readers(monkeypatch):
    frames = [i * DT for i in range(10)]
    events = [e if e[0] != "p.P.ut.1.6" or e[1] is None else (e[0], e[1] + 0.0015)
              for e in play(10, duration=11 * DT)]
    reference = a_reference(frames)
    rec = an.judge(events)
    assert timeline.frame_status(rec, reference).times(timeline.NEVER_SHOWN) == []
    assert fc.check(events, reference).missing_frames == ()

    monkeypatch.setattr(fc, "MATCH_TOLERANCE", 0.001)

    assert timeline.frame_status(rec, reference).times(timeline.NEVER_SHOWN) == frames
    assert fc.check(events, reference).missing_frames == tuple(frames)
