"""render_page / write_plot, checked on the bokeh document the page embeds.

(The browser test checks that the page really renders; these check what is in it.)
"""
from __future__ import annotations

import json
import os
import re
import sys

import pytest
from mp_support.bokeh_doc import column, embedded_models, named

from pytest_pyglet_media.core.errors import UnreadableRecordingError
from pytest_pyglet_media.judge import analysis
from pytest_pyglet_media.judge.analysis import RecordingProblem, judge
from pytest_pyglet_media.report import session_writer, timeline

DT = 1 / 30  # the frame interval of the make_play recordings (mp_support.recordings.DT)

def write_plot(paths, sample):
    """`pyglet-mp plot`'s path: read and judge the recording once, render its page."""
    return session_writer.write_timeline_page(paths, sample,
                                              analysis.read(paths.recording(sample)))



def _marker(scatter: dict) -> str:
    # bokeh leaves out properties at their default ("circle")
    return scatter["attributes"].get("marker", {"value": "circle"})["value"]


@pytest.fixture
def page(make_play) -> str:
    events = make_play(40, audio_lag=0.1, none_current=frozenset({10, 11}),
                       none_audio=frozenset({20}))
    return timeline.render_page(judge(events), "clip.mp4")


def test_page_inlines_bokeh_and_links_nothing(page):
    assert "cdn.bokeh.org" not in page
    assert not re.search(r"<script[^>]*\ssrc=", page)
    assert not re.search(r"<link[^>]*\shref=", page)
    assert "Bokeh" in page and len(page) > 200_000  # the JavaScript itself is in the page


def test_page_title_names_the_sample(page):
    assert "<title>clip.mp4: timeline</title>" in page
    titles = [m["attributes"].get("text") for m in named(embedded_models(page), "Title")]
    assert "clip.mp4: media time and frame number vs wall time" in titles
    assert "clip.mp4: rescheduling time vs wall time" in titles


def test_page_has_two_plots_with_the_tools(page):
    models = embedded_models(page)

    assert len(named(models, "Figure")) == 2
    for tool in ("PanTool", "WheelZoomTool", "BoxZoomTool", "ResetTool", "SaveTool"):
        assert len(named(models, tool)) == 2, tool
    wheel_ids = {m["id"] for m in named(models, "WheelZoomTool")}
    toolbars = named(models, "Toolbar")
    assert len(toolbars) == 2
    assert {t["attributes"]["active_scroll"]["id"] for t in toolbars} == wheel_ids


def test_frame_number_has_its_own_y_axis(page):
    models = embedded_models(page)

    frame_axes = [m for m in named(models, "LinearAxis")
                  if m["attributes"].get("y_range_name") == "frames"]
    assert len(frame_axes) == 1
    assert frame_axes[0]["attributes"]["axis_label"] == "frame number"
    frame_lines = [m for m in named(models, "GlyphRenderer")
                   if m["attributes"].get("y_range_name") == "frames"]
    assert len(frame_lines) == 1


def test_media_time_axis_fits_the_media_times_only(page):
    models = embedded_models(page)
    frame_line = {m["id"] for m in named(models, "GlyphRenderer")
                  if m["attributes"].get("y_range_name") == "frames"}
    default_ranges = [m for m in named(models, "DataRange1d")
                      if m["attributes"].get("renderers")]

    # the timeline's y range: its media time lines, not the frame numbers
    (y_range,) = default_ranges
    fitted = {r["id"] for r in y_range["attributes"]["renderers"]}
    assert len(fitted) >= 2 and not fitted & frame_line


def test_plotted_columns(page, make_play):
    rows = timeline.build_timeline(judge(make_play(40, audio_lag=0.1, none_current=frozenset({10, 11}),
                                             none_audio=frozenset({20}))))
    sources = [m for m in named(embedded_models(page), "ColumnDataSource")
               if "entries" in m["attributes"].get("data", {})
               and "wall_time" in dict(m["attributes"]["data"]["entries"])]
    assert len(sources) == 1
    data = sources[0]["attributes"]["data"]

    assert column(data, "wall_time") == [r.wall_time for r in rows]
    assert column(data, "frame_num") == [r.frame_num for r in rows]
    # the lines carry the previous value where current_time was None
    current = column(data, "current_time")
    assert current[10] == current[11] == rows[9].current_time
    assert current[12] == rows[12].current_time


def test_missing_values_get_markers_at_the_previous_value(page):
    models = embedded_models(page)
    renderers = {m["id"]: m for m in named(models, "GlyphRenderer")}
    scatters = {m["id"]: m for m in named(models, "Scatter")}
    marker_data = {}
    for renderer in renderers.values():
        glyph_id = renderer["attributes"]["glyph"]["id"]
        source = renderer["attributes"]["data_source"]
        # the markers of missing values have their own (x, y) sources
        if glyph_id in scatters and "x" in dict(source.get("attributes", {})
                                                 .get("data", {}).get("entries", [])):
            marker = _marker(scatters[glyph_id])
            data = source["attributes"]["data"]
            marker_data[marker] = list(zip(column(data, "x"), column(data, "y")))

    assert marker_data["x"] == [  # current_time None at rows 10 and 11
        (pytest.approx(10 * DT + 0.001), pytest.approx(9 * DT)),
        (pytest.approx(11 * DT + 0.001), pytest.approx(9 * DT))]
    assert marker_data["diamond"] == [  # audio_time None at row 20
        (pytest.approx(20 * DT + 0.001), pytest.approx(19 * DT - 0.1))]


def test_no_markers_without_missing_values(make_play):
    models = embedded_models(timeline.render_page(judge(make_play(10)), "clip.mp4"))
    markers = {_marker(m) for m in named(models, "Scatter")}

    assert markers == {"circle"}  # only the rescheduling points
    legend_labels = [json.dumps(m["attributes"]) for m in named(models, "LegendItem")]
    assert not any("is None" in label for label in legend_labels)


def test_sample_name_is_escaped_in_the_page(make_play):
    page = timeline.render_page(judge(make_play(5)), "a&<b>.mp4")

    assert "<title>a&amp;&lt;b&gt;.mp4: timeline</title>" in page
    assert "a&<b>.mp4" not in page


@pytest.mark.parametrize("events, why", [
    ([("version", 1.1), ("crash", "a.mp4")], "crashed"),
    ([("version", 1.1), ("mp.im", "a.ogg"), ("p.P._sp", 0.0), ("p.P.oe",)], "audio only"),
], ids=["crash", "audio-only"])
def test_page_without_frames_says_why(events, why):
    page = timeline.render_page(judge(events), "a.mp4")

    assert '<p id="no-timeline">No timeline' in page
    assert why in page
    assert "<title>a.mp4: timeline</title>" in page


def test_render_page_refuses_an_invalid_recording():
    with pytest.raises(RecordingProblem, match="unknown name"):
        timeline.render_page(judge([("bogus",)]), "a.mp4")


def test_write_plot_writes_the_page(session_paths, save_recording, make_play):
    events = make_play(12)
    save_recording(events)

    out = write_plot(session_paths, "a.mp4")

    assert out == session_paths.reports_dir / "a.mp4.timeline.html"
    text = out.read_text(encoding="utf-8")
    assert "<title>a.mp4: timeline</title>" in text
    assert len(named(embedded_models(text), "Figure")) == 2
    # the session's pages share one copy of bokeh's script, linked relatively
    save_recording(events, sample="b.mp4")
    other = write_plot(session_paths, "b.mp4")
    (script,) = timeline.page_scripts(text)
    assert timeline.page_scripts(other.read_text(encoding="utf-8")) == [script]
    assert sorted(os.listdir(session_paths.reports_dir)) == sorted([out.name, other.name,
                                                                    script])
    assert len(text) < 100_000 < (session_paths.reports_dir / script).stat().st_size
    assert not re.search(r'src="(?:https?:|/)', text)
    assert '<a id="mp-index" href="index.html">' in text


def test_the_page_starts_with_the_sample_its_verdict_and_defects(make_play):
    rec = judge(make_play(40, past=frozenset({10, 20})))
    page = timeline.render_page(rec, "clip.mp4", index="index.html")
    body = page.split("<body>", 1)[1]
    heading = body[:body.index("</header>")]
    assert "<h1>clip.mp4</h1>" in heading
    assert "Verdict: <strong>defects</strong>" in heading
    assert "2 Scheduling in the past" in heading
    assert '<a id="mp-index" href="index.html">' in heading
    assert body.index("</header>") < body.index("<script")  # before any plot


def test_the_plot_showing_the_defect_comes_first():
    def verdict(**counts):
        return analysis.Verdict(analysis.DEFECTS, counts=counts)

    assert timeline.first_plot(verdict(scheduling_in_past=2)) == "timeline"
    assert timeline.first_plot(verdict(av_offset=5, stall=1)) == "av_offset"
    assert timeline.first_plot(verdict(frames_not_shown=9, av_offset=5)) == "frames"
    assert timeline.first_plot(analysis.Verdict(analysis.PERFECT)) == "timeline"


def test_an_unplayable_files_page_says_unplayable_not_crashed():
    events = [("version", 1.1), ("crash", "a.mp4")]
    unplayable = analysis.Verdict(analysis.UNPLAYABLE, reason="Invalid data found")
    page = timeline.render_page(judge(events), "a.mp4", verdict=unplayable)
    assert "crashed" not in page
    assert "pyglet could not play the file: Invalid data found" in page
    assert "Verdict: <strong>unplayable</strong>" in page


def test_write_plot_of_a_crash_writes_the_explaining_page(session_paths, save_recording):
    save_recording([("version", 1.1), ("crash", "a.mp4")])

    out = write_plot(session_paths, "a.mp4")

    assert "No timeline" in out.read_text(encoding="utf-8")


def test_write_plot_of_an_invalid_recording_names_the_file(session_paths, save_recording):
    path = save_recording([("version", 2.0)])

    with pytest.raises(UnreadableRecordingError, match="version") as info:
        write_plot(session_paths, "a.mp4")

    assert info.value.path == path
    assert os.listdir(session_paths.reports_dir) == []


def test_without_bokeh_render_raises_import_error_and_writes_nothing(
        monkeypatch, session_paths, save_recording, make_play):
    save_recording(make_play(5))
    monkeypatch.setitem(sys.modules, "bokeh.embed", None)  # as if bokeh were not installed

    with pytest.raises(ImportError):
        write_plot(session_paths, "a.mp4")

    assert os.listdir(session_paths.reports_dir) == []
