"""End to end: files whose timestamps start late, played for real and judged
against ffprobe's view of them.

A file starting at 10 s (or 50,000 s) plays from its first timestamp: its
length is its streams' span (Reference.length), not the container's
duration, which Matroska, WebM and mp4 give as the end time. pyglet 2.1.19
plays such Matroska, WebM, mka and mp4 files whole, and an MPEG-TS with
H.264 without B-frames: they are perfect. An MPEG-TS of MPEG-2 video starting
late is a real pyglet defect (none of its frames is shown) and stays one.

Clips: 1.2 s, 160x120 at 25 fps, with 1.2 s of 48 kHz audio (over the 1 s
that pyglet's pulse driver needs to end a play), made once per session.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

SECONDS = 1.2
V = f"testsrc2=size=160x120:rate=25:duration={SECONDS}"
A = f"sine=frequency=440:sample_rate=48000:duration={SECONDS}"
H264 = ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")
VP8 = ("-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k")
AV = ("-f", "lavfi", "-i", V, "-f", "lavfi", "-i", A)
LATE = ("-output_ts_offset", "10")

RECIPES: dict[str, tuple[str, ...]] = {
    # ffprobe: format duration 11.2 (the end time), streams 9.979/10.0 to 11.2
    "late.mkv": (*AV, *H264, "-c:a", "aac", *LATE),
    # format duration 11.2 too: mp4 gives the end time as well
    "late.mp4": (*AV, *H264, "-c:a", "aac", *LATE),
    "late.webm": (*AV, *VP8, "-c:a", "libopus", *LATE),
    # audio only: Matroska's end time again
    "late.mka": ("-f", "lavfi", "-i", A, "-c:a", "libvorbis", *LATE),
    # format duration 50001.2 for 1.2 s of media
    "late_50000s.mp4": (*AV, *H264, "-c:a", "aac", "-output_ts_offset", "50000"),
    # MPEG-TS adds its 1.4 s muxing delay: streams start at 11.39/11.4 s;
    # its container gives the length (1.21 s), not the end time
    "late_h264.ts": (*AV, *H264, "-c:a", "aac", *LATE),
    # FFmpeg's own codecs for .ts
    "late.ts": (*AV, "-c:v", "mpeg2video", "-c:a", "mp2", *LATE),
}
#: played whole by pyglet 2.1.19: no defect of any kind
PERFECT = ("late.mkv", "late.mp4", "late.webm", "late.mka", "late_50000s.mp4", "late_h264.ts")
#: pyglet 2.1.19 shows none of the frames of a late MPEG-2 video in MPEG-TS
#: (nor of H.264 with B-frames; ultrafast H.264 has none and plays whole):
#: a real defect, frames_not_shown
TS = "late.ts"
TS_FRAMES = int(SECONDS * 25)


@pytest.fixture(scope="session")
def late_clips(tmp_path_factory: pytest.TempPathFactory, ffmpeg) -> Path:
    if shutil.which("ffprobe") is None:
        pytest.fail("ffprobe is missing: apt-get install ffmpeg (./run test installs it)")
    folder = tmp_path_factory.mktemp("late_clips")
    for name, recipe in RECIPES.items():
        ffmpeg(*recipe, str(folder / name))
    return folder


@pytest.fixture
def plays(e2e, late_clips: Path):
    """conftest's E2E runner, adding these clips."""
    e2e.corpus = late_clips
    return e2e


def _not_played_message(out: str) -> list[str]:
    return re.findall(r"short_play: [^\n]*", out)


@pytest.mark.parametrize("driver", ["silent", "openal"])
def test_late_starts_play_perfect_and_a_late_mpeg_ts_keeps_its_defect(plays, driver):
    plays.add(*PERFECT, TS, manifest=False)
    run = plays.run("-v", f"--mp-audio={driver}", "--mp-plots=none")
    statuses = run.statuses()
    assert statuses == {**{name: "PASSED" for name in PERFECT}, TS: "FAILED"}, run.out
    assert _not_played_message(run.out) == [], run.out
    assert "not checked against the file" not in run.out
    # the MPEG-TS: pyglet showed none of its frames, and said it played them
    assert (f"frames_not_shown: {TS_FRAMES} of {TS_FRAMES} frames never shown: none was "
            f"(11.40 s to 12.56 s) (video stream 0, file times)") in run.out, run.out
    summary = (run.samples / "testrun_00" / "reports" / "00_summary.txt").read_text()
    assert f"(asked for: {driver}): {driver}" in summary


def test_a_late_matroska_plays_perfect_through_pulse(plays, sound_tmp):
    plays.add("late.mkv", manifest=False)
    run = plays.run("-v", "--mp-audio=pulse", "--mp-plots=none")
    # the late timestamps raise no alarm; a real PulseAudio play's clock
    # varies run to run on a loaded machine (audio a little behind the
    # picture), so only the kinds a late start would cause are asserted away
    assert run.statuses()["late.mkv"] in ("PASSED", "FAILED"), run.out
    for kind in ("frames_not_shown", "short_play", "audio_late_start", "no_frame"):
        assert f"{kind}:" not in run.out, run.out
    summary = (run.samples / "testrun_00" / "reports" / "00_summary.txt").read_text()
    assert "(asked for: pulse): pulse" in summary
