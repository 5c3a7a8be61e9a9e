"""costs.py: a play's expected share of a CPU, from its last play or the file."""
from __future__ import annotations

import pytest

from pytest_pyglet_media.play import costs
from pytest_pyglet_media.store.reference import Reference, Stream


def _ref(width: int | None, height: int | None, fps: float = 30.0, seconds: float = 2.0,
         video: bool = True, audio: bool = True) -> Reference:
    streams = []
    if video:
        streams.append(Stream(0, "video", "h264", 0.0, seconds, width=width, height=height))
    if audio:
        streams.append(Stream(1, "audio", "aac", 0.0, seconds))
    frames = tuple(n / fps for n in range(int(seconds * fps))) if video else ()
    return Reference(duration=seconds, start=0.0, streams=tuple(streams),
                     video_index=0 if video else None, frame_times=frames)


def test_bigger_pictures_and_faster_frames_cost_more():
    small = costs.from_reference(_ref(320, 240))
    hd = costs.from_reference(_ref(1280, 720))
    full_hd = costs.from_reference(_ref(1920, 1080))
    fast = costs.from_reference(_ref(1920, 1080, fps=60))
    assert small < hd < full_hd < fast <= costs.MAX_COST


def test_the_estimate_matches_the_measurements_it_was_fitted_on():
    # measured main-thread shares (module docstring), times SAFETY
    for (w, h), measured in {(640, 360): 0.044, (1280, 720): 0.086, (1920, 1080): 0.14}.items():
        estimate = costs.from_reference(_ref(w, h)) / costs.SAFETY
        assert estimate == pytest.approx(measured, rel=0.15), (w, h)


def test_audio_only_is_cheap_and_unknown_is_assumed_heavy():
    audio = costs.from_reference(_ref(None, None, video=False))
    unknown_size = costs.from_reference(_ref(None, None))
    assert audio < costs.from_reference(_ref(320, 240)) < unknown_size
    assert costs.from_reference(None) == unknown_size == costs.UNKNOWN * costs.SAFETY


def test_a_measured_play_replaces_the_estimate():
    events = [("version", 1.1), ("mp.cpu", 0.3, 0.01), ("mp.end", 2.0), ("p.P.oe",)]
    assert costs.from_recording(events) == pytest.approx(
        0.3 / 2.0 / costs.MAIN_THREAD_SHARE * costs.SAFETY)


@pytest.mark.parametrize("events", [
    [],
    [("p.P.oe",)],
    [("mp.cpu", 0.3, 0.01), ("p.P.oe",)],  # no mp.end
    [("mp.cpu", 0.01, 0.0), ("mp.end", 0.1), ("p.P.oe",)],  # too short to tell
    [("mp.cpu", True, 0.0), ("mp.end", 2.0), ("p.P.oe",)],  # not a number
    [("mp.cpu", float("nan"), 0.0), ("mp.end", 2.0), ("p.P.oe",)],
    [("mp.cpu",), ("mp.end", 2.0), ("p.P.oe",)],
    ["mp.cpu", None, 3],
])
def test_no_measure_when_the_recording_does_not_say(events):
    assert costs.from_recording(events) is None


def test_costs_never_exceed_one_cpu():
    events = [("mp.cpu", 50.0, 0.0), ("mp.end", 1.0), ("p.P.oe",)]
    assert costs.from_recording(events) == costs.MAX_COST
    assert costs.from_reference(_ref(7680, 4320, fps=120)) == costs.MAX_COST


def test_a_file_ffprobe_cannot_describe_is_not_started_alone_as_a_heavy_play():
    from pytest_pyglet_media.play.ahead import HEAVY_COST
    assert costs.from_reference(None) < HEAVY_COST
