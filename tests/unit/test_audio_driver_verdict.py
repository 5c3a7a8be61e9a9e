"""The audio driver pyglet really used (the player's mp.drv event): carried by the
verdict across xdist, shown in junit, the summary, 03_pyglet_info.txt and the index."""
from __future__ import annotations

import pickle

import pytest
from mp_support.recordings import play

from pytest_pyglet_media import items
from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.judge import results as res
from pytest_pyglet_media.report import index_page, text_reports

PULSE = ("mp.drv", "pulse", "server unix:/tmp/mp-pulse-1/pulse/native", "")
FELL_BACK = ("mp.drv", "silent", "", "pulse: PulseAudioException: [6] Connection refused")


def with_driver(event: tuple) -> list[tuple]:
    events = play(10)
    return events[:2] + [event] + events[2:]


@pytest.mark.parametrize("event", [PULSE, FELL_BACK])
def test_the_verdict_names_the_driver_on_both_paths(event):
    events = with_driver(event)
    fast = an.analyse(events)
    careful = an._analyse_slow(events)
    assert fast.audio_driver == careful.audio_driver == event[1:]
    assert fast.outcome == an.PERFECT  # the driver changes no verdict by itself


def test_a_recording_without_the_event_names_no_driver():
    assert an.analyse(play(10)).audio_driver is None


def test_the_driver_crosses_xdist_as_builtins():
    result = res.SampleResult("clip.mp4", an.analyse(with_driver(PULSE)))
    data = pickle.loads(pickle.dumps(result.to_builtins()))
    assert res.SampleResult.from_builtins(data).verdict.audio_driver == PULSE[1:]


@pytest.mark.parametrize("field", [1, 2, 3])
def test_a_driver_field_that_is_not_text_is_unreadable(field):
    bad = PULSE[:field] + (3,) + PULSE[field + 1:]
    result = an.analyse(with_driver(bad))
    assert result.outcome == an.UNREADABLE and "(mp.drv)" in result.reason


def test_junit_names_the_driver_used():
    result = res.SampleResult("clip.mp4", an.analyse(with_driver(PULSE)))
    props = dict(items.junit_properties(result))
    assert props["mp_audio_driver"] == "pulse (server unix:/tmp/mp-pulse-1/pulse/native)"
    assert "mp_audio_driver" not in dict(items.junit_properties(
        res.SampleResult("clip.mp4", an.analyse(play(10)))))


def test_the_summary_counts_drivers_and_names_the_plays_that_fell_back():
    results = {"a.mp4": res.SampleResult("a.mp4", an.analyse(with_driver(PULSE))),
               "b.mp4": res.SampleResult("b.mp4", an.analyse(with_driver(FELL_BACK))),
               "c.mp4": res.SampleResult("c.mp4", an.analyse(play(10)))}
    text = text_reports.audio_drivers_section(results, ["pulse", "silent"])
    assert text.splitlines()[0] == (
        "Audio drivers pyglet used (asked for: pulse, silent): "
        "pulse (server unix:/tmp/mp-pulse-1/pulse/native): 1 sample, silent: 1 sample")
    assert "*** 1 sample did not play on pulse, the first driver asked for:" in text
    assert "\tb.mp4: silent (pulse: PulseAudioException: [6] Connection refused)" in text
    assert "a.mp4" not in text


def test_no_section_when_no_recording_names_a_driver():
    results = {"c.mp4": res.SampleResult("c.mp4", an.analyse(play(10)))}
    assert text_reports.audio_drivers_section(results, ["silent"]) == ""


def test_pyglet_info_shows_the_drivers_used_beside_the_ones_asked_for():
    section = "Audio drivers pyglet used (asked for: openal): openal (device OpenAL Soft): 2 samples\n"
    info = text_reports.pyglet_info({"pyglet": "2.1.19", "audio": ["openal"]}, section)
    assert "audio drivers (--mp-audio): ['openal']" in info
    assert info.rstrip("\n").endswith(section.rstrip("\n"))


def test_the_index_has_an_audio_column_only_when_a_play_names_its_driver():
    results = {"a.mp4": res.SampleResult("a.mp4", an.analyse(with_driver(PULSE)))}
    totals = res.session_totals(results.values(), results)
    page = index_page.render("s", "v", totals, results, [], "headline",
                             drivers={"a.mp4": "pulse (server x)"})
    assert "<th>audio</th>" in page and "<td>pulse (server x)</td>" in page
    assert "<th>audio</th>" not in index_page.render("s", "v", totals, results, [], "headline")


@pytest.mark.parametrize("kept, asked", [("pulse,silent", ["pulse", "silent"]),
                                         (["openal"], ["openal"]), ("", None), (None, None),
                                         (3, None)])
def test_the_drivers_asked_for_are_read_as_the_session_kept_them(kept, asked):
    from pytest_pyglet_media.judge import groups

    assert groups.asked_drivers({} if kept is None else {"audio": kept}) == asked
