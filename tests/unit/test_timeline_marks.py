"""Defect marks: every defect analysis counts is marked on the timeline page,
where it happened (the wall time of its update_texture call).

Checked twice: on `defect_marks` (plain data) and on the bokeh document the
page embeds (one glyph data row per defect, a legend entry per kind).
"""
from __future__ import annotations

import math
import random
from collections import Counter

import pytest
from mp_support.bokeh_doc import columns, embedded_models, named, renderers_with_glyph, text
from mp_support.recordings import DT, PAST_DELAY

from pytest_pyglet_media.judge.analysis import DEFECT_KINDS, MAX_ANOMALIES, judge
from pytest_pyglet_media.report import timeline


def page_marks(page: str) -> dict[str, dict[str, list]]:
    """The columns of the defect marks in a page, by kind."""
    found: dict[str, dict[str, list]] = {}
    for _renderer, _glyph, source in renderers_with_glyph(embedded_models(page), "Scatter"):
        data = columns(source)
        if "kind" in data:
            (kind,) = set(data["kind"])
            assert kind not in found, f"two glyph sets for {kind}"
            found[kind] = data
    return found


def legend_labels(page: str) -> list[str]:
    return [text(m["attributes"]["label"]) for m in named(embedded_models(page), "LegendItem")]


def a_4k_play(make_play, n_discarded: int = 81):
    """Late frames by the dozen: 27 discarded in each of three update_texture calls."""
    per_call = n_discarded // 3
    inject = {k: [("p.P.ut.1.5", k * DT + j * 0.001) for j in range(per_call)]
              for k in (5, 6, 7)}
    return make_play(12, inject=inject)


def test_81_discarded_frames_give_81_marks(make_play):
    rec = judge(a_4k_play(make_play))
    assert rec.verdict.counts == {"discarded_late": 81}

    marks = page_marks(timeline.render_page(rec, "4k.mp4"))

    assert set(marks) == {"discarded_late"}
    data = marks["discarded_late"]
    assert len(data["wall"]) == 81
    # all 27 of a call share its wall time, and stay separate rows
    walls = Counter(data["wall"])
    assert sorted(walls) == pytest.approx([k * DT + 0.001 for k in (5, 6, 7)])
    assert list(walls.values()) == [27, 27, 27]
    assert data["value"] == pytest.approx(
        [k * DT + j * 0.001 for k in (5, 6, 7) for j in range(27)])
    # y: the discarded frame's own video_time, so a call's discards fan out
    assert data["media_time"] == data["value"]
    assert len(set(data["event"])) == 81
    assert "discarded_late (81)" in legend_labels(timeline.render_page(rec, "4k.mp4"))


def test_every_kind_is_marked_as_often_as_analysis_counts_it(make_play):
    events = make_play(60, late=frozenset({3, 4, 40}), no_image=frozenset({7, 8}),
                       past=frozenset({10, 11, 12, 50}),
                       inject={20: [("p.P.ut.1.7", 0.02)], 21: [("p.P.ut.1.7", None)]},
                       duration=10.0)
    rec = judge(events)
    assert rec.verdict.counts == {"discarded_late": 3, "no_image": 2, "scheduling_in_past": 4,
                                   "no_video_time": 2, "ended_early": 1}

    page = timeline.render_page(rec, "clip.mp4")
    marks = page_marks(page)

    assert {kind: len(data["wall"]) for kind, data in marks.items()} == rec.verdict.counts
    assert Counter(m.kind for m in timeline.defect_marks(rec)) == rec.verdict.counts
    labels = legend_labels(page)
    for kind, n in rec.verdict.counts.items():
        assert f"{kind} ({n})" in labels


def test_marks_sit_at_the_wall_time_of_their_update_texture_call(make_play):
    events = make_play(30, late=frozenset({0, 9}), no_image=frozenset({14}),
                       past=frozenset({22}), inject={25: [("p.P.ut.1.7", 0.02)]})
    marks = page_marks(timeline.render_page(judge(events), "clip.mp4"))

    def at(i):
        return pytest.approx(i * DT + 0.001)

    # block 0 has no timeline row (the first is bogus), its defect is marked all the same
    assert marks["discarded_late"]["wall"] == [at(0), at(9)]
    assert marks["no_image"]["wall"] == [at(14)]
    assert marks["scheduling_in_past"]["wall"] == [at(22)]
    assert marks["scheduling_in_past"]["value"] == [PAST_DELAY]
    assert marks["scheduling_in_past"]["media_time"] == [pytest.approx(22 * DT)]
    assert marks["no_video_time"]["wall"] == [at(25)]
    assert marks["no_video_time"]["value"] == [0.02]
    assert all(all(data["wall_known"]) for data in marks.values())


def test_marks_agree_with_the_anomalies_of_the_verdict(make_play):
    events = make_play(40, late=frozenset({2, 30}), no_image=frozenset({5}),
                       past=frozenset({6, 7, 8, 9, 10, 11, 12, 13}), header=False)
    rec = judge(events)
    marks = timeline.defect_marks(rec)

    assert len(rec.verdict.anomalies) == MAX_ANOMALIES < len(marks) == 11
    assert [(m.index, m.frame, m.kind) for m in marks][:MAX_ANOMALIES] == [
        (a.index, a.frame, a.kind) for a in rec.verdict.anomalies]


def test_end_of_stream_noise_is_not_marked(make_play):
    rec = judge(make_play(20))
    assert rec.verdict.counts == {}

    assert timeline.defect_marks(rec) == []
    marks = page_marks(timeline.render_page(rec, "clip.mp4"))
    assert marks == {}
    assert not named(embedded_models(timeline.render_page(rec, "clip.mp4")), "HoverTool")


def test_ended_early_is_marked_at_the_end_of_play(make_play):
    rec = judge(make_play(30, duration=5.0))
    assert rec.verdict.counts == {"ended_early": 1}

    (mark,) = timeline.defect_marks(rec)

    assert mark.kind == "ended_early"
    assert mark.wall_time == mark.value == pytest.approx(30 * DT)
    assert mark.index == rec.verdict.anomalies[0].index


def test_a_call_without_wall_time_marks_at_the_previous_one(make_play):
    events = make_play(10, late=frozenset({4}))
    block = events.index(("p.P.ut.1.5", 4 * DT))
    name, dt, current, audio, _wall = events[block - 1]
    events[block - 1] = (name, dt, current, audio, None)

    (mark,) = timeline.defect_marks(judge(events))

    assert mark.wall_time == pytest.approx(3 * DT + 0.001)
    assert mark.wall_known is False


def test_a_discard_without_video_time_sits_at_the_current_time(make_play):
    events = make_play(10, inject={6: [("p.P.ut.1.5", None)]})

    (mark,) = timeline.defect_marks(judge(events))

    assert mark.value is None and mark.media_time == pytest.approx(6 * DT)
    marks = page_marks(timeline.render_page(judge(events), "clip.mp4"))
    assert math.isnan(marks["discarded_late"]["value"][0])
    assert marks["discarded_late"]["value_text"] == ["video_time = None"]


def test_the_tooltip_covers_the_marks_only(make_play):
    page = timeline.render_page(judge(make_play(20, late=frozenset({3}), past=frozenset({5}))),
                                "clip.mp4")
    models = embedded_models(page)
    mark_renderers = {r["id"] for r, _g, s in renderers_with_glyph(models, "Scatter")
                      if "kind" in columns(s)}

    (hover,) = named(models, "HoverTool")
    assert {r["id"] for r in hover["attributes"]["renderers"]} == mark_renderers
    fields = dict(hover["attributes"]["tooltips"])
    assert fields["defect"] == "@kind" and fields["value"] == "@value_text"


@pytest.mark.parametrize("seed", range(20))
def test_mark_counts_equal_analysis_counts_at_random(make_play, seed):
    rng = random.Random(seed)
    n = rng.randint(1, 80)

    def some():
        return frozenset(rng.sample(range(n), rng.randint(0, min(n, 10))))

    inject = {i: [rng.choice([("p.P.ut.1.7", 0.01), ("p.P.ut.1.5", i * DT), ("p.P.ut.1.8",),
                              ("p.P.ut.1.9", -0.5, None), ("p.P.ut.1.9", 0.0, None)])
                  for _ in range(rng.randint(1, 5))] for i in some()}
    events = make_play(n, late=some(), no_image=some(), past=some(), inject=inject,
                       header=rng.random() < 0.7, ended=rng.random() < 0.9,
                       duration=rng.choice([None, n * DT * 3]))
    rec = judge(events)

    assert Counter(m.kind for m in timeline.defect_marks(rec)) == rec.verdict.counts
    assert set(rec.verdict.counts) <= set(DEFECT_KINDS)
