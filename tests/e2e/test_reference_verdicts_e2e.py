"""End to end: the plugin probes each real clip with ffprobe, stores the
reference in the session, reuses it, and judges the real play against it.

Clips are tiny (1 s, 160x120) and made once per test session. The verdicts
on frames are exact (pyglet 2.1.19, FFmpeg 5.1, see DESIGN.md 8).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

V = "testsrc2=size=160x120:rate=25:duration={d}"
A = "sine=frequency=440:sample_rate=44100:duration={d}"
H264 = ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")

RECIPES: dict[str, tuple[str, ...]] = {
    # x264's ultrafast preset turns B-frames off: ask for them
    "h264_bf.mp4": ("-f", "lavfi", "-i", V.format(d=1), "-f", "lavfi", "-i", A.format(d=1),
                    *H264, "-bf", "3", "-c:a", "aac"),
    "vp8.webm": ("-f", "lavfi", "-i", V.format(d=1), "-f", "lavfi",
                 "-i", "sine=frequency=440:sample_rate=48000:duration=1",
                 "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k",
                 "-c:a", "libvorbis"),
    "cover.mp3": ("-f", "lavfi", "-i", A.format(d=1), "-i", "{cover}", "-map", "0",
                  "-map", "1", "-c:a", "libmp3lame", "-c:v", "png",
                  "-disposition:v", "attached_pic", "-id3v2_version", "3"),
    # the audio starts 0.5 s late: pyglet skips the video before it, ends early
    "late_audio.mp4": ("-f", "lavfi", "-i", V.format(d=1), "-itsoffset", "0.5",
                       "-f", "lavfi", "-i", A.format(d=0.5), *H264, "-bf", "3",
                       "-c:a", "aac"),
}


@pytest.fixture(scope="session")
def reference_clips(tmp_path_factory: pytest.TempPathFactory, ffmpeg) -> Path:
    if shutil.which("ffprobe") is None:
        pytest.fail("ffprobe is missing: apt-get install ffmpeg (./run test installs it)")
    folder = tmp_path_factory.mktemp("reference_clips")
    cover = folder / "cover.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x64:rate=1:duration=1", "-frames:v", "1",
           str(cover))
    for name, recipe in RECIPES.items():
        ffmpeg(*(arg.replace("{cover}", str(cover)) for arg in recipe), str(folder / name))
    cover.unlink()
    return folder


@pytest.fixture
def plays(e2e, reference_clips: Path):
    """conftest's E2E runner, adding these clips."""
    e2e.corpus = reference_clips
    return e2e


def test_b_frames_fail_naming_the_frames_never_shown(plays):
    plays.add("h264_bf.mp4", "vp8.webm", "cover.mp3", manifest=False)
    run = plays.run("-v", "--mp-plots=none")
    assert run.statuses() == {"h264_bf.mp4": "FAILED", "vp8.webm": "PASSED",
                              "cover.mp3": "PASSED"}, run.out
    assert ("frames_not_shown: 4 of 25 frames never shown: 2 at the start (0.04 s, 0.16 s), "
            "2 at the end (0.92 s, 0.96 s) (video stream 0, file times)") in run.out
    assert "not checked against the file" not in run.out
    anomalies = (plays.samples / "testrun_00" / "reports" / "h264_bf.mp4.anomalies.txt")
    assert "frames never shown, file times:\n  0.040 s\n  0.160 s\n  0.920 s\n  0.960 s\n" \
        in anomalies.read_text()
    stored = plays.samples / "testrun_00" / "reference"
    assert sorted(p.name for p in stored.iterdir()) == [
        "cover.mp3.json", "h264_bf.mp4.json", "vp8.webm.json"]
    cover = json.loads((stored / "cover.mp3.json").read_text())["reference"]
    assert cover["video_index"] is None and any(s["attached_pic"] for s in cover["streams"])


def test_reference_reused_then_renewed_when_the_clip_changes(plays, reference_clips):
    plays.add("h264_bf.mp4", manifest=False)
    baseline = plays.pytester.path / "baseline.json"
    first = plays.run("--mp-session=s", f"--mp-baseline={baseline}", "--mp-baseline-update")
    assert first.result.ret == 0, first.out
    assert json.loads(baseline.read_text())["samples"]["h264_bf.mp4"]["counts"] == {
        "frames_not_shown": 4}
    stored = plays.samples / "s" / "reference" / "h264_bf.mp4.json"
    mtime = stored.stat().st_mtime_ns

    second = plays.run("--mp-session=s", f"--mp-baseline={baseline}")
    assert second.result.ret == 0, second.out
    assert stored.stat().st_mtime_ns == mtime  # reused, not probed again

    # the same name, now a clip whose audio starts late: more frames lost
    shutil.copy(reference_clips / "late_audio.mp4", plays.samples / "h264_bf.mp4")
    third = plays.run("-v", "--mp-session=s", f"--mp-baseline={baseline}", "--mp-plots=none")
    assert third.statuses() == {"h264_bf.mp4": "FAILED"}, third.out
    assert stored.stat().st_mtime_ns != mtime
    assert len(json.loads(stored.read_text())["reference"]["frame_times"]) == 25
    text = third.out
    assert "worse than its baseline: frames_not_shown 4 -> " in text
    assert "short_play 0 -> 1" in text
    assert "frames never shown: " in text and " at the start (0.00 s to " in text
    assert "the play lasted " in text and "(ffprobe; pyglet reported " in text
