"""The timeline page with the file's view: the A/V offset plot, the file's
frames against the frames shown, the stalls as bands.

Synthetic recordings (mp_support.recordings) judged against synthetic
references (reference.Reference), read back from the bokeh document the page
embeds. No play, no ffprobe.
"""
from __future__ import annotations

import math

import pytest
from mp_support.bokeh_doc import by_id, columns, embedded_models, named, renderers_with_glyph, text
from mp_support.recordings import DT

from pytest_pyglet_media.judge import file_checks
from pytest_pyglet_media.judge.analysis import judge
from pytest_pyglet_media.judge.file_checks import (
    AV_AUDIO_AHEAD_MAX,
    AV_AUDIO_BEHIND_MAX,
    FileChecks,
)
from pytest_pyglet_media.report import session_writer, timeline
from pytest_pyglet_media.store.reference import Reference, Stream

N = 90
EXTRA = 5  # frames at the end of the file the play never reaches
FROZEN = 40  # the picture freezes on this frame ...
THAWED = 50  # ... until this one
DISCARDED = range(41, 45)  # frames discarded late during the freeze
LOST = range(45, 50)  # frames pyglet never mentions
AHEAD = range(60, 70)  # audio 80 ms ahead of the picture

TIMELINE = "clip.mp4: media time and frame number vs wall time"
RESCHEDULING = "clip.mp4: rescheduling time vs wall time"
AV_TITLE = "clip.mp4: A/V offset (audio - picture) vs wall time"
FRAMES_TITLE = "clip.mp4: file frames vs frames shown"


def a_reference(frame_times, *, audio: bool = True, video_start: float = 0.0) -> Reference:
    duration = (N + EXTRA) * DT
    streams = [Stream(0, "video", "h264", video_start, duration)]
    if audio:
        streams.append(Stream(1, "audio", "aac", 0.0, duration))
    return Reference(duration=duration, start=0.0, streams=tuple(streams), video_index=0,
                     frame_times=tuple(frame_times))


def file_frames() -> list[float]:
    return [i * DT for i in range(N + EXTRA)]


def a_frozen_play(make_play) -> list[tuple]:
    """A play that freezes on frame FROZEN until THAWED, discarding DISCARDED late
    meanwhile, with the audio AHEAD for a while."""
    inject = {45 + k: [("p.P.ut.1.5", i * DT)] for k, i in enumerate(DISCARDED)}
    events = []
    block = -1
    for event in make_play(N, audio_lag=0.02, inject=inject):
        if event[0] == "p.P.ut.1.0":
            block += 1
            if block in AHEAD:
                event = event[:3] + (event[2] + 0.08, event[4])
        elif event[0] == "p.P.ut.1.6" and event[1] is not None and FROZEN < block < THAWED:
            event = ("p.P.ut.1.6", FROZEN * DT)
        events.append(event)
    return events


@pytest.fixture
def frozen(make_play):
    events = a_frozen_play(make_play)
    ref = a_reference(file_frames())
    checks = file_checks.check(events, ref)
    rec = judge(events)
    return rec, ref, checks, timeline.render_page(rec, "clip.mp4", checks, ref)


def figures(models) -> dict[str, dict]:
    ids = by_id(models)
    return {text(ids[f["attributes"]["title"]["id"]]["attributes"]["text"]): f
            for f in named(models, "Figure")}


def glyph_sources(models, glyph: str, figure: dict | None = None) -> list[dict[str, list]]:
    """The columns of every `glyph` renderer (of one figure, when given)."""
    wanted = None
    if figure is not None:
        wanted = {r["id"] for r in figure["attributes"]["renderers"]}
    return [columns(source) for renderer, _g, source in renderers_with_glyph(models, glyph)
            if wanted is None or renderer["id"] in wanted]


def legend_labels(models) -> list[str]:
    return [text(m["attributes"]["label"]) for m in named(models, "LegendItem")]


# -- the page without the file's view --------------------------------------------


def test_without_checks_the_page_has_its_two_plots(make_play):
    rec = judge(a_frozen_play(make_play))
    models = embedded_models(timeline.render_page(rec, "clip.mp4"))

    assert sorted(figures(models)) == [TIMELINE, RESCHEDULING]
    assert not named(models, "VStrip") and not named(models, "HStrip")
    assert not named(models, "Div")


# -- the scenario, as file_checks sees it ------------------------------------------


def test_the_scenario_holds_what_the_plots_show(frozen):
    _rec, _ref, checks, _page = frozen

    assert checks.missing_frames == pytest.approx(
        [i * DT for i in LOST] + [i * DT for i in range(N, N + EXTRA)])
    assert len(checks.stalls) == 1
    assert checks.counts["av_offset"] >= 1


# -- the A/V offset plot ---------------------------------------------------------------


def test_av_offset_plot_columns_are_the_checks_samples(frozen):
    _rec, _ref, checks, page = frozen
    models = embedded_models(page)
    plot = figures(models)[AV_TITLE]

    sources = [s for s in glyph_sources(models, "Scatter", plot) if "av_offset" in s]
    every, outside = sorted(sources, key=lambda s: -len(s["wall"]))
    assert list(zip(every["wall"], every["av_offset"])) == list(checks.av_offsets)
    expected_out = [(w, o) for w, o in checks.av_offsets
                    if o > AV_AUDIO_AHEAD_MAX or o < -AV_AUDIO_BEHIND_MAX]
    assert list(zip(outside["wall"], outside["av_offset"])) == expected_out
    assert every["outside"] == [(w, o) in expected_out for w, o in checks.av_offsets]
    assert f"outside the window ({len(expected_out)})" in legend_labels(models)


def test_av_offset_plot_draws_the_bt1359_window(frozen):
    models = embedded_models(frozen[3])
    plot = figures(models)[AV_TITLE]

    (band,) = glyph_sources(models, "HStrip", plot)
    assert band == {"bottom": [-0.125], "top": [0.045]}
    assert (band["bottom"][0], band["top"][0]) == (-AV_AUDIO_BEHIND_MAX, AV_AUDIO_AHEAD_MAX)
    assert ("ITU-R BT.1359 window (audio 45 ms ahead to 125 ms behind)"
            in legend_labels(models))


def test_av_offset_plot_shares_the_wall_time_axis(frozen):
    models = embedded_models(frozen[3])
    plots = figures(models)

    x_ranges = {plots[t]["attributes"]["x_range"]["id"] for t in (TIMELINE, RESCHEDULING,
                                                                   AV_TITLE)}
    assert len(x_ranges) == 1
    assert plots[FRAMES_TITLE]["attributes"]["x_range"]["id"] not in x_ranges


def test_synthetic_checks_are_plotted_as_given(make_play):
    checks = FileChecks(av_offsets=((0.1, -0.02), (0.2, 0.08), (0.3, -0.2), (0.4, 0.045)),
                        stalls=((0.5, 0.9, 0.4, 0.0333),))
    models = embedded_models(timeline.render_page(judge(make_play(30)), "clip.mp4", checks))
    plots = figures(models)

    assert sorted(plots) == sorted([TIMELINE, RESCHEDULING, AV_TITLE])  # no reference
    sources = [s for s in glyph_sources(models, "Scatter", plots[AV_TITLE]) if "av_offset" in s]
    every, outside = sorted(sources, key=lambda s: -len(s["wall"]))
    assert every["av_offset"] == [-0.02, 0.08, -0.2, 0.045]
    assert every["outside"] == [False, True, True, False]  # the window's edges are in it
    assert outside == {"wall": [0.2, 0.3], "av_offset": [0.08, -0.2]}
    (stall,) = glyph_sources(models, "VStrip", plots[TIMELINE])
    assert (stall["start"], stall["end"], stall["file_time"]) == ([0.5], [0.9], [0.4])
    assert stall["held"] == [pytest.approx(0.4)]


def test_no_av_sample_says_why(make_play):
    models = embedded_models(timeline.render_page(judge(make_play(30)), "clip.mp4",
                                                  FileChecks()))

    assert AV_TITLE in figures(models)
    (div,) = named(models, "Div")
    assert "No A/V offset sample" in div["attributes"]["text"]


def test_checks_not_judged_are_named_not_plotted(make_play):
    events = make_play(30, ended=False)
    ref = a_reference([i * DT for i in range(30)])
    checks = file_checks.check(events, ref)
    assert not checks.judged

    models = embedded_models(timeline.render_page(judge(events), "clip.mp4", checks, ref))

    assert sorted(figures(models)) == sorted([TIMELINE, RESCHEDULING, FRAMES_TITLE])
    (div,) = named(models, "Div")
    assert "Not checked against the file: the play did not finish" in div["attributes"]["text"]


# -- the file's frames against the frames shown ---------------------------------------------


def frame_lanes(models) -> dict[str, dict[str, list]]:
    plot = figures(models)[FRAMES_TITLE]
    found = {}
    for data in glyph_sources(models, "Scatter", plot):
        (state,) = set(data["status"])
        found[state] = data
    return found


def test_frames_plot_has_a_lane_per_state(frozen):
    rec, _ref, checks, page = frozen
    lanes = frame_lanes(embedded_models(page))

    assert set(lanes) == set(timeline.FRAME_STATES)
    assert lanes["never shown"]["file_time"] == list(checks.missing_frames)
    assert lanes["discarded"]["file_time"] == pytest.approx([i * DT for i in DISCARDED])
    assert len(lanes["shown"]["file_time"]) == checks.frames_shown - len(DISCARDED)
    assert sum(len(d["file_time"]) for d in lanes.values()) == checks.frames_in_file
    for state, data in lanes.items():
        assert set(data["lane"]) == {timeline.FRAME_LANES[state]}
    # every file frame once, with its index in the file
    indexes = sorted(j for data in lanes.values() for j in data["frame_index"])
    assert indexes == list(range(N + EXTRA))


def test_frames_plot_wall_times(frozen):
    lanes = frame_lanes(embedded_models(frozen[3]))

    shown = dict(zip(lanes["shown"]["frame_index"], lanes["shown"]["wall"]))
    assert shown[0] == pytest.approx(0.001)
    assert shown[FROZEN] == pytest.approx(FROZEN * DT + 0.001)
    assert shown[THAWED] == pytest.approx(THAWED * DT + 0.001)
    # discarded during the freeze, at the wall time of the call that dropped them
    assert lanes["discarded"]["wall"] == pytest.approx(
        [(45 + k) * DT + 0.001 for k in range(len(DISCARDED))])
    assert all(math.isnan(w) for w in lanes["never shown"]["wall"])


def test_missing_frames_are_highlighted_across_the_plot(frozen):
    _rec, _ref, checks, page = frozen
    models = embedded_models(page)

    (lines,) = glyph_sources(models, "VSpan", figures(models)[FRAMES_TITLE])
    assert lines["file_time"] == list(checks.missing_frames)
    labels = legend_labels(models)
    assert f"never shown ({len(checks.missing_frames)} of {N + EXTRA})" in labels


def test_stalls_are_bands_on_both_timelines(frozen):
    _rec, _ref, checks, page = frozen
    models = embedded_models(page)
    plots = figures(models)
    (start_wall, end_wall, frame_time, _expected), = checks.stalls

    (on_wall,) = glyph_sources(models, "VStrip", plots[TIMELINE])
    assert (on_wall["start"], on_wall["end"]) == ([start_wall], [end_wall])
    assert on_wall["start"] == [pytest.approx(FROZEN * DT + 0.001)]
    assert on_wall["end"] == [pytest.approx(THAWED * DT + 0.001)]
    # on the file's time: from the frozen frame to the next frame shown
    (on_file,) = glyph_sources(models, "VStrip", plots[FRAMES_TITLE])
    assert on_file["start"] == [frame_time] == [pytest.approx(FROZEN * DT)]
    assert on_file["end"] == [pytest.approx(THAWED * DT)]
    assert legend_labels(models).count("stall (1)") == 2


def test_frame_status_undoes_pyglets_start_time(make_play):
    # mkv: video starts at 0.023 s, audio at 0: pyglet logs 0.0, 0.0333, ...
    ref = a_reference([0.023 + i * DT for i in range(12)], video_start=0.023)
    status = timeline.frame_status(judge(make_play(10)), ref)

    assert status.file_times == ref.frame_times
    assert status.status == ("shown",) * 10 + ("never shown",) * 2
    assert status.times("never shown") == pytest.approx([0.023 + 10 * DT, 0.023 + 11 * DT])


def test_no_frames_plot_for_a_file_without_video(make_play):
    ref = Reference(duration=1.0, start=0.0,
                    streams=(Stream(0, "audio", "aac", 0.0, 1.0),
                             Stream(1, "video", "png", 0.0, 1.0, attached_pic=True)))
    models = embedded_models(timeline.render_page(judge(make_play(10)), "clip.mp4",
                                                  None, ref))

    assert sorted(figures(models)) == [TIMELINE, RESCHEDULING]


def test_write_timeline_page_passes_the_file_view_on(session_paths, make_play):
    events = a_frozen_play(make_play)
    ref = a_reference(file_frames())
    checks = file_checks.check(events, ref)

    out = session_writer.write_timeline_page(session_paths, "a.mp4", judge(events),
                                             checks=checks, reference=ref)

    titles = sorted(figures(embedded_models(out.read_text(encoding="utf-8"))))
    assert titles == sorted(t.replace("clip.mp4", "a.mp4")
                            for t in (TIMELINE, RESCHEDULING, AV_TITLE, FRAMES_TITLE))


def test_the_audio_clocks_findings_are_marked_on_the_av_offset_plot(make_play):
    checks = FileChecks(av_offsets=((0.1, -0.1), (1.5, 0.0), (3.0, 0.05)),
                        clock_marks=(("audio_late_start", 0.0, 1.2, 0.0, 0.0),
                                     ("audio_clock_jump", 1.9, 2.0, 1.9, 2.5),
                                     ("audio_drift", 1.0, 11.0, -0.01, 0.05)))
    models = embedded_models(timeline.render_page(judge(make_play(30)), "clip.mp4", checks))
    plot = figures(models)[AV_TITLE]

    (late,) = glyph_sources(models, "VStrip", plot)
    assert (late["start"], late["end"]) == ([0.0], [1.2])
    (jump,) = glyph_sources(models, "VSpan", plot)
    assert jump["at"] == [2.0] and jump["to_clock"] == [2.5]
    labels = legend_labels(models)
    assert "audio_late_start: clock standing still" in labels
    assert "audio_clock_jump (1)" in labels and "audio_drift (+6.0 ms/s)" in labels


def test_the_clock_marks_are_the_checks_own(frozen):
    """The scenario's audio leaps ahead and back (no mp.drv: judged)."""
    _rec, _ref, checks, page = frozen
    models = embedded_models(page)
    plot = figures(models)[AV_TITLE]
    jumps = [m for m in checks.clock_marks if m[0] == "audio_clock_jump"]
    assert len(jumps) == checks.counts["audio_clock_jump"]
    (lines,) = glyph_sources(models, "VSpan", plot)
    assert lines["at"] == [m[2] for m in jumps]
    assert not glyph_sources(models, "VStrip", plot)  # no late start


# -- the pictures compared ----------------------------------------------------------------


def test_the_frames_whose_pictures_were_compared_have_a_lane_and_the_differing_ones_a_preview(
        make_play):
    from dataclasses import replace

    from pytest_pyglet_media.judge import analysis
    from pytest_pyglet_media.judge.pictures import Difference, PictureCheck, PictureChecks

    events = make_play(30)
    ref = a_reference(file_frames())
    rec = judge(events, ref)
    checks = PictureChecks((
        PictureCheck(0.0, 8, 6, (8, 6), Difference(math.inf, 0, (0, 0))),
        PictureCheck(10 * DT, 8, 6, (8, 6), Difference(28.1, 43, (1, 2)),
                     "colour matrix: the file says BT.709; pyglet's picture matches a BT.601 "
                     "conversion")))
    rec = replace(rec, verdict=analysis.with_pictures(rec.verdict, checks))
    page = timeline.render_page(rec, "clip.mp4", rec.checks_against(ref), ref)
    models = embedded_models(page)

    lanes = glyph_sources(models, "Scatter", figures(models)[FRAMES_TITLE])
    compared = [c for c in lanes if c.get("lane") and c["lane"][0] == timeline.COMPARED_LANE]
    assert [(c["file_time"], c["psnr"]) for c in compared] == [
        ([0.0], ["identical"]), ([pytest.approx(10 * DT)], ["28.1 dB"])]
    assert "same picture (1)" in legend_labels(models)
    assert "picture differs (1)" in legend_labels(models)
    previews = [text(d["attributes"]["text"]) for d in named(models, "Div")]
    assert len(previews) == 1 and 'src="../dbg/clip.mp4.picture-1.png"' in previews[0]
    assert "colour matrix: the file says BT.709" in previews[0]
