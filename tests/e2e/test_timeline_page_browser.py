"""The timeline page, opened from the file system in headless Chromium.

Checks what a user would see: the page loads offline without a JavaScript
error, requests nothing but the file itself, bokeh renders its plots (two;
four with the file's view), and the data glyphs and defect marks (not only
axes) are drawn in their colors.
"""
from __future__ import annotations

import json

from pytest_pyglet_media.judge import analysis, file_checks
from pytest_pyglet_media.report import session_writer, timeline
from pytest_pyglet_media.store.reference import Reference, Stream

# Counts, over every canvas of the page (bokeh 3 renders into shadow roots),
# the pixels close to each of the given colors.
_CANVAS_PIXELS = """
(() => {
  const colors = %s;
  const targets = Object.entries(colors).map(([name, hex]) =>
    [name, [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16))]);
  const canvases = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.tagName === "CANVAS") canvases.push(el);
      if (el.shadowRoot) visit(el.shadowRoot);
    }
  };
  visit(document);
  const counts = Object.fromEntries(targets.map(([name]) => [name, 0]));
  let drawn = 0, sized = 0;
  for (const canvas of canvases) {
    if (!canvas.width || !canvas.height) continue;
    sized += 1;
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] < 200) continue;
      drawn += 1;
      for (const [name, [r, g, b]] of targets) {
        if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 40) {
          counts[name] += 1;
        }
      }
    }
  }
  return {canvases: canvases.length, sized, drawn, counts};
})()
"""

_BOKEH_IDLE = ("!!(window.Bokeh && Bokeh.documents.length > 0 "
               "&& Bokeh.documents.every(d => d.is_idle))")
#: a data line spans the plot (400+ pixels of its color measured with
#: Chromium 156); a legend swatch alone is a few dozen
MIN_GLYPH_PIXELS = 150
#: the outline of a few defect marks (size 11) in their color
MIN_MARK_PIXELS = 20

def write_plot(paths, sample):
    """`pyglet-mp plot`'s path: read and judge the recording once, render its page."""
    return session_writer.write_timeline_page(paths, sample,
                                              analysis.read(paths.recording(sample)))



def test_page_renders_both_plots_offline(browser, session_paths, save_recording, make_play):
    events = make_play(90, audio_lag=0.2, none_current=frozenset({30, 31}),
                       none_audio=frozenset({50}), past=frozenset({10, 60}))
    save_recording(events)
    page = write_plot(session_paths, "a.mp4")

    load = browser.open(page)
    browser.wait_for(_BOKEH_IDLE, "finished rendering its bokeh document")

    assert load.errors() == []
    urls = load.requested_urls()
    assert urls and all(u.startswith(("file:", "data:", "blob:")) for u in urls), urls
    assert browser.evaluate("document.title") == "a.mp4: timeline"
    assert browser.evaluate("Bokeh.documents.length") == 1
    # bokeh's script is the session's shared file beside the page, not inlined
    assert any(u.startswith("file:") and u.endswith(".min.js") for u in urls), urls
    # the page starts with the sample, its verdict and a link back to the index
    assert browser.evaluate("document.querySelector('h1').textContent") == "a.mp4"
    assert "defects" in browser.evaluate("document.getElementById('mp-verdict').textContent")
    assert browser.evaluate("document.getElementById('mp-index').getAttribute('href')") \
        == "index.html"
    titles = browser.evaluate(
        "Bokeh.documents[0].all_models ? [...Bokeh.documents[0].all_models]"
        ".filter(m => m.type === 'Figure' || m.constructor.name === 'Figure')"
        ".map(m => m.title.text) : []")
    assert sorted(titles) == ["a.mp4: media time and frame number vs wall time",
                              "a.mp4: rescheduling time vs wall time"]

    drawn = browser.evaluate(_CANVAS_PIXELS % json.dumps(timeline.COLORS))
    assert drawn["sized"] >= 2, drawn
    for name in ("current_time", "audio_time", "frame_num", "rescheduling_time"):
        assert drawn["counts"][name] >= MIN_GLYPH_PIXELS, (name, drawn)


def test_page_without_frames_says_so(browser, session_paths, save_recording):
    save_recording([("version", 1.1), ("crash", "a.mp4")])
    page = write_plot(session_paths, "a.mp4")

    load = browser.open(page)
    text = browser.evaluate("document.getElementById('no-timeline').textContent")

    assert "No timeline" in text and "crashed" in text
    assert load.errors() == []


def test_errors_are_caught(browser, tmp_path):
    """The harness itself: a page that throws is reported (else the tests above prove nothing)."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><head><title>t</title>"
                    "<script>window.undefined_function_xyz();</script></head><body></body></html>")

    load = browser.open(page)

    errors = load.errors()
    assert len(errors) == 1 and "undefined_function_xyz" in errors[0], errors


def test_page_with_the_file_view_renders_four_plots(browser, session_paths, save_recording,
                                                    make_play):
    """Defect marks, the A/V offset plot and the file's frames, drawn for real."""
    dt = 1 / 30
    n = 90
    inject = {k: [("p.P.ut.1.5", k * dt + j * 0.001) for j in range(27)] for k in (20, 21, 22)}
    events = make_play(n, audio_lag=0.02, inject=inject, past=frozenset({10, 60}))
    save_recording(events)
    duration = (n + 10) * dt
    ref = Reference(duration=duration, start=0.0,
                    streams=(Stream(0, "video", "h264", 0.0, duration),
                             Stream(1, "audio", "aac", 0.0, duration)),
                    video_index=0, frame_times=tuple(i * dt for i in range(n + 10)))
    checks = file_checks.check(events, ref)
    assert checks.av_offsets and checks.missing_frames
    page = session_writer.write_timeline_page(
        session_paths, "a.mp4", analysis.read(session_paths.recording("a.mp4")),
        checks=checks, reference=ref)

    load = browser.open(page)
    browser.wait_for(_BOKEH_IDLE, "finished rendering its bokeh document")

    assert load.errors() == []
    urls = load.requested_urls()
    assert urls and all(u.startswith(("file:", "data:", "blob:")) for u in urls), urls
    titles = browser.evaluate(
        "[...Bokeh.documents[0].all_models]"
        ".filter(m => m.type === 'Figure' || m.constructor.name === 'Figure')"
        ".map(m => m.title.text)")
    assert sorted(titles) == ["a.mp4: A/V offset (audio - picture) vs wall time",
                              "a.mp4: file frames vs frames shown",
                              "a.mp4: media time and frame number vs wall time",
                              "a.mp4: rescheduling time vs wall time"]

    drawn = browser.evaluate(_CANVAS_PIXELS % json.dumps(timeline.COLORS))
    assert drawn["sized"] >= 4, drawn
    for name in ("current_time", "frame_num", "rescheduling_time", "av_offset",
                 "never shown"):
        assert drawn["counts"][name] >= MIN_GLYPH_PIXELS, (name, drawn)
    # the marks: 81 triangles of discarded frames, 2 of rescheduling in the past
    assert drawn["counts"]["discarded_late"] >= MIN_MARK_PIXELS, drawn
    assert drawn["counts"]["scheduling_in_past"] >= MIN_MARK_PIXELS, drawn
