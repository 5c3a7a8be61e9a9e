"""End to end: tiny clips probed with ffprobe, played by the real player, judged
against the file (reference.py + file_checks.py).

The verdicts are exact, negatives included. Two of the rules (av_offset,
stall) measure time: a machine busy with other test runs can freeze a
player. A correct file's timing verdicts must vanish on a quiet replay, so a
play that shows one is replayed (up to REPLAYS times); the other verdicts
must be the same in every replay.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_pyglet_media.judge import analysis, file_checks
from pytest_pyglet_media.store import recording, reference

V = "testsrc2=size=160x120:rate=25:duration={d}"
A = "sine=frequency=440:sample_rate=44100:duration={d}"
H264 = ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")
#: x264's ultrafast preset turns B-frames off: ask for them (has_b_frames 2)
BF = ("-bf", "3")
NO_BF = ("-bf", "0")
TIMING_KINDS = {"av_offset", "stall"}
REPLAYS = 3
#: clips played at once while the fixture judges them (timing kinds are
#: replayed anyway, so a little load costs at most a replay)
PLAYS_AT_ONCE = 3

#: clip -> ffmpeg arguments (output appended)
RECIPES: dict[str, tuple[str, ...]] = {
    "h264_bf.mp4": ("-f", "lavfi", "-i", V.format(d=1), "-f", "lavfi", "-i", A.format(d=1),
                    *H264, *BF, "-c:a", "aac"),
    "h264_bf.mkv": ("-f", "lavfi", "-i", V.format(d=1), "-f", "lavfi", "-i", A.format(d=1),
                    *H264, *BF, "-c:a", "aac"),
    "h264_nobf.mp4": ("-f", "lavfi", "-i", V.format(d=1), "-f", "lavfi", "-i", A.format(d=1),
                      *H264, *NO_BF, "-c:a", "aac"),
    "vp8.webm": ("-f", "lavfi", "-i", V.format(d=1), "-f", "lavfi",
                 "-i", "sine=frequency=440:sample_rate=48000:duration=1",
                 "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k",
                 "-c:a", "libvorbis"),
    # audio starting 0.5 s after the video (0.476 s: AAC's priming samples)
    "itsoffset.mp4": ("-f", "lavfi", "-i", V.format(d=2), "-itsoffset", "0.5",
                      "-f", "lavfi", "-i", A.format(d=1.5), *H264, *NO_BF, "-c:a", "aac"),
    "itsoffset.mkv": ("-f", "lavfi", "-i", V.format(d=2), "-itsoffset", "0.5",
                      "-f", "lavfi", "-i", A.format(d=1.5), *H264, *NO_BF, "-c:a", "aac"),
    # variable frame rate: 13 frames, a 2 s gap, 12 frames; audio throughout
    "vfr_gap.mkv": ("-f", "lavfi", "-i", V.format(d=1), "-f", "lavfi", "-i", A.format(d=3),
                    "-vf", "setpts='if(gte(N,13),PTS+2/TB,PTS)'", "-fps_mode", "vfr",
                    *H264, *NO_BF, "-c:a", "aac", "-t", "3"),
    "short_video.mp4": ("-f", "lavfi", "-i", V.format(d=0.5), "-f", "lavfi",
                        "-i", A.format(d=1.5), *H264, *NO_BF, "-c:a", "aac"),
    "tone.wav": ("-f", "lavfi", "-i", A.format(d=1), "-c:a", "pcm_s16le"),
    "cover.mp3": ("-f", "lavfi", "-i", A.format(d=1), "-i", "{cover}", "-map", "0", "-map", "1",
                  "-c:a", "libmp3lame", "-c:v", "png", "-disposition:v", "attached_pic",
                  "-id3v2_version", "3"),
    "cover.m4a": ("-f", "lavfi", "-i", A.format(d=1), "-i", "{cover}", "-map", "0", "-map", "1",
                  "-c:a", "aac", "-c:v", "png", "-disposition:v", "attached_pic"),
    "one_frame.mp4": ("-f", "lavfi", "-i", V.format(d=1), "-frames:v", "1", *H264),
}

#: clip -> exact verdict counts (pyglet 2.1.19, FFmpeg 5.1)
EXPECTED: dict[str, dict[str, int]] = {
    "h264_bf.mp4": {"frames_not_shown": 4},
    "h264_bf.mkv": {"frames_not_shown": 2},
    "itsoffset.mp4": {"frames_not_shown": 11, "short_play": 1},
    "itsoffset.mkv": {"frames_not_shown": 11, "short_play": 1},
    "h264_nobf.mp4": {}, "vp8.webm": {}, "vfr_gap.mkv": {}, "short_video.mp4": {},
    "tone.wav": {}, "cover.mp3": {}, "cover.m4a": {}, "one_frame.mp4": {},
}


@dataclass
class Clip:
    path: Path
    ref: reference.Reference
    checks: file_checks.FileChecks
    plays: int


def _play(path: Path, out: Path) -> list:
    done = subprocess.run([sys.executable, "-m", "pytest_pyglet_media.play.player", str(path),
                           str(out)], capture_output=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    events = recording.load(out)
    analysis.validate(events)
    return events


def _judge(path: Path, ref: reference.Reference) -> Clip:
    first = None
    for attempt in range(1, REPLAYS + 1):
        events = _play(path, path.with_name(f"{path.name}.{attempt}.dbg"))
        checks = file_checks.check(events, ref)
        steady = {k: n for k, n in checks.counts.items() if k not in TIMING_KINDS}
        if first is None:
            first = steady
        assert steady == first, f"{path.name}: replay {attempt} says {steady}, first {first}"
        if not set(checks.counts) & TIMING_KINDS:
            break
    return Clip(path, ref, checks, attempt)


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory, ffmpeg) -> dict[str, Clip]:
    if shutil.which("ffprobe") is None:
        pytest.fail("ffprobe is missing: apt-get install ffmpeg (./run test installs it)")
    folder = tmp_path_factory.mktemp("file_reference")
    cover = folder / "cover.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x64:rate=1:duration=1", "-frames:v", "1",
           str(cover))
    for name, recipe in RECIPES.items():
        ffmpeg(*(arg.replace("{cover}", str(cover)) for arg in recipe), str(folder / name))
    # the plays wait for their media's clock far more than they use a CPU:
    # a few at once keep the fixture's wall time near its longest clip's
    with ThreadPoolExecutor(max_workers=PLAYS_AT_ONCE) as pool:
        judged = {name: pool.submit(_judge, folder / name, reference.probe(folder / name))
                  for name in RECIPES}
        return {name: future.result() for name, future in judged.items()}


def test_every_clip_has_a_verdict(clips):
    assert set(clips) == set(EXPECTED) == set(RECIPES)


@pytest.mark.parametrize("name", EXPECTED)
def test_exact_verdict(clips, name):
    clip = clips[name]
    assert clip.checks.judged
    assert dict(clip.checks.counts) == EXPECTED[name], clip.checks.messages


def test_references(clips):
    facts = {name: (len(c.ref.frame_times), c.ref.has_video, c.ref.has_audio, c.ref.cover_art)
             for name, c in clips.items()}
    assert facts == {
        "h264_bf.mp4": (25, True, True, False), "h264_bf.mkv": (25, True, True, False),
        "h264_nobf.mp4": (25, True, True, False), "vp8.webm": (25, True, True, False),
        "itsoffset.mp4": (50, True, True, False), "itsoffset.mkv": (50, True, True, False),
        "vfr_gap.mkv": (25, True, True, False), "short_video.mp4": (13, True, True, False),
        "tone.wav": (0, False, True, False), "cover.mp3": (0, False, True, True),
        "cover.m4a": (0, False, True, True), "one_frame.mp4": (1, True, False, False),
    }
    gap = clips["vfr_gap.mkv"].ref.frame_times
    assert max(b - a for a, b in zip(gap, gap[1:])) == pytest.approx(2.04)
    late = clips["itsoffset.mp4"].ref
    assert late.audio.start == pytest.approx(0.476, abs=0.002)
    assert late.duration == pytest.approx(2.0)


def test_b_frames_in_mp4_lose_two_frames_at_each_end(clips):
    checks = clips["h264_bf.mp4"].checks
    assert checks.missing_frames == (0.04, 0.16, 0.92, 0.96)
    assert checks.messages["frames_not_shown"] == (
        "4 of 25 frames never shown: 2 at the start (0.04 s, 0.16 s), "
        "2 at the end (0.92 s, 0.96 s) (video stream 0, file times)")
    assert (checks.frames_in_file, checks.frames_shown) == (25, 21)


def test_b_frames_in_mkv_lose_the_last_two(clips):
    checks = clips["h264_bf.mkv"].checks
    assert checks.missing_frames == (0.943, 0.983)  # file times: the video starts at 0.023
    assert checks.time_shift == pytest.approx(0.023)


@pytest.mark.parametrize("name", ["itsoffset.mp4", "itsoffset.mkv"])
def test_late_audio_cuts_the_video_start_and_the_play(clips, name):
    checks = clips[name].checks
    assert checks.missing_frames == tuple(round(0.04 * i, 2) for i in range(11))
    assert checks.messages["frames_not_shown"].startswith(
        "11 of 50 frames never shown: 11 at the start (0.00 s to 0.40 s)")
    assert checks.pyglet_duration == pytest.approx(1.523, abs=0.002)
    assert checks.file_duration == pytest.approx(2.0)
    assert "of the file's 2.00 s (ffprobe; pyglet reported 1.52 s)" in checks.messages["short_play"]


def test_stored_reference_round_trip_and_staleness(clips, tmp_path):
    clip = clips["h264_bf.mkv"]
    stored = tmp_path / "h264_bf.mkv.json"
    key = reference.file_key(clip.path)
    reference.save(stored, clip.ref, key)
    loaded_key, loaded = reference.load(stored)
    assert loaded == clip.ref and reference.is_current(loaded_key, clip.path)
    assert not reference.is_current(loaded_key, clips["h264_bf.mp4"].path)


def test_probe_refuses_what_is_not_media(clips, tmp_path):
    text = tmp_path / "not_media.mp4"
    text.write_text("this is not media\n")
    with pytest.raises(reference.ProbeFailed, match="Invalid data found"):
        reference.probe(text)


#: decodes a source's video frames with no Player, no clock, no GL texture
#: (run in a child: only children import pyglet)
DECODE_ONLY = """
import sys, json, pyglet
pyglet.options['headless'] = True
pyglet.options['audio'] = ('silent',)
import pyglet.media
source = pyglet.media.load(sys.argv[1], streaming=True)
times = []
while (t := source.get_next_video_timestamp()) is not None:
    source.get_next_video_frame()
    times.append(t)
print(json.dumps(times))
"""


@pytest.mark.parametrize("name", ["h264_bf.mp4", "h264_bf.mkv"])
def test_lost_frames_are_pyglets_decoder_not_our_start_up(clips, name):
    """The tool must never blame pyglet for its own start-up: the frames a
    play misses are missing from pyglet's decoder itself, read at leisure."""
    clip = clips[name]
    done = subprocess.run([sys.executable, "-c", DECODE_ONLY, str(clip.path)],
                          capture_output=True, timeout=60, check=True, text=True,
                          stdin=subprocess.DEVNULL)
    decoded = [t + clip.ref.pyglet_start for t in json.loads(done.stdout)]
    frames = clip.ref.frame_times
    never_decoded = [t for t in frames if all(abs(t - d) > 0.002 for d in decoded)]
    assert never_decoded == pytest.approx(list(clip.checks.missing_frames), abs=1e-6)
