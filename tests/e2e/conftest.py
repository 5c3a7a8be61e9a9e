"""End-to-end fixtures: tiny clips made once per test session, played for real.

Everything under tests/e2e really plays media (pyglet headless, FFmpeg), runs
the ffmpeg tool, or opens a page in headless Chromium.

The clips are generated with the ffmpeg command line tool into
session-scoped folders (`e2e_corpus`, `clips`, `real_clip`, `av_clips`); each test copies
them into its own pytester folder and runs the plugin with the real player.
`browser` is headless Chromium (mp_support.browser); missing, it is a
failure, not a skip: the project's ./run installs it.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from mp_support import junit
from mp_support.inner_runs import processes_mentioning
from mp_support.browser import Browser, find_chromium

from pytest_pyglet_media.play import sound_servers

VIDEO = "testsrc2=size=160x120:rate=25:duration={d}"
AUDIO = "sine=frequency=440:sample_rate={rate}:duration={d}"

#: sample -> expectation entry for samples.toml
MANIFEST = '''[corpus]
version = "e2e-1"

[samples."h264_aac.mp4"]
expect = "pass"

[samples."tone.wav"]
expect = "pass"

[samples."not_media.mp4"]
expect = "broken"
reason = "a text file named .mp4"
strict = true

[samples."truncated.webm"]
expect = "broken"
reason = "truncated WebM ends early"
strict = true
'''
SAMPLES = ("h264_aac.mp4", "not_media.mp4", "tone.wav", "truncated.webm")


@pytest.fixture(scope="session")
def e2e_corpus(tmp_path_factory: pytest.TempPathFactory, ffmpeg) -> Path:
    folder = tmp_path_factory.mktemp("e2e_corpus")
    ffmpeg("-f", "lavfi", "-i", VIDEO.format(d=0.5),
            "-f", "lavfi", "-i", AUDIO.format(rate=44100, d=0.5),
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-t", "0.5", str(folder / "h264_aac.mp4"))
    ffmpeg("-f", "lavfi", "-i", AUDIO.format(rate=44100, d=0.5),
            "-c:a", "pcm_s16le", str(folder / "tone.wav"))
    # 1.5 s, so that the quarter kept ends the play far (>1 s) before the
    # duration the header announces: "ended early" does not hang on timing
    full = folder / "full.webm.tmp"
    ffmpeg("-f", "lavfi", "-i", VIDEO.format(d=1.5),
            "-f", "lavfi", "-i", AUDIO.format(rate=48000, d=1.5),
            "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k",
            "-c:a", "libvorbis", "-t", "1.5", "-f", "webm", str(full))
    data = full.read_bytes()
    (folder / "truncated.webm").write_bytes(data[: len(data) // 4])
    full.unlink()
    (folder / "not_media.mp4").write_text("this is not media\n")
    return folder


#: seconds of the `av_clips`: a whole play, and a play long enough to be caught mid-way
AV_CLIP_SECONDS = (1, 3)


@pytest.fixture(scope="session")
def av_clips(tmp_path_factory: pytest.TempPathFactory, ffmpeg) -> Path:
    """H.264 + AAC clips, `av_1s.mp4` and `av_3s.mp4`, for the real audio
    drivers: at least a second of audio, as pyglet 2.1.19's PulseAudio driver
    may never end the play of a shorter one (no end of stream)."""
    folder = tmp_path_factory.mktemp("av_clips")
    for seconds in AV_CLIP_SECONDS:
        ffmpeg("-f", "lavfi", "-i", VIDEO.format(d=seconds),
               "-f", "lavfi", "-i", AUDIO.format(rate=44100, d=seconds),
               "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
               "-c:a", "aac", "-t", str(seconds), str(folder / f"av_{seconds}s.mp4"))
    return folder


@dataclass
class E2ERun:
    result: pytest.RunResult
    samples: Path

    @property
    def out(self) -> str:
        return self.result.stdout.str()

    def sessions(self) -> list[str]:
        # hidden folders are the store's own (its reference cache), not sessions
        return sorted(p.name for p in self.samples.iterdir()
                      if p.is_dir() and not p.name.startswith("."))

    def statuses(self) -> dict[str, str]:
        """sample -> final status, from -v output (serial or xdist)."""
        found = {}
        status = r"(PASSED|FAILED|XFAIL|XPASS|ERROR)"
        for line in self.out.splitlines():
            m = re.match(rf"^samples/(.+?)::play {status}", line)  # serial
            if m is None:  # xdist
                m = re.match(rf"^\[gw\d+\] \[\s*\d+%\] {status} samples/(.+?)::play", line)
                if m:
                    m = _Swapped(m)
            if m:
                assert m.group(1) not in found, f"{m.group(1)} reported twice"
                found[m.group(1)] = m.group(2)
        return found


class _Swapped:
    """An xdist line's match, with groups in the serial line's order."""

    def __init__(self, match: "re.Match[str]") -> None:
        self.match = match

    def group(self, n: int) -> str:
        return self.match.group(3 - n)


class E2E:
    def __init__(self, pytester: pytest.Pytester, corpus: Path) -> None:
        self.pytester = pytester
        self.samples = pytester.path / "samples"
        self.samples.mkdir()
        self.corpus = corpus

    def add(self, *names: str, manifest: bool = True) -> None:
        for name in names:
            shutil.copy(self.corpus / name, self.samples / name)
        if manifest:
            (self.samples / "samples.toml").write_text(MANIFEST)

    def run(self, *args: str) -> E2ERun:
        # pictures off unless asked: FFmpeg's decode of each video sample's
        # frames adds 0.1-0.3 s a play; test_pictures_e2e compares them
        pictures = () if any(a.startswith("--mp-pictures") for a in args) else \
            ("--mp-pictures=off",)
        result = self.pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "--mp-samples-dir=samples", "--mp-timeout=60",
            "--mp-retries=1", *pictures, *args, timeout=120)
        return E2ERun(result, self.samples)

    @staticmethod
    def junit_cases(path: Path) -> dict[str, dict[str, str]]:
        return junit.cases(path)


@pytest.fixture
def e2e(pytester: pytest.Pytester, inner_run_env: pytest.MonkeyPatch,
        e2e_corpus: Path) -> E2E:
    assert os.environ.get("DISPLAY") is None  # headless, as in CI
    return E2E(pytester, e2e_corpus)


@pytest.fixture
def av_e2e(pytester: pytest.Pytester, inner_run_env: pytest.MonkeyPatch,
           av_clips: Path) -> E2E:
    """`e2e` with the `av_clips` to add instead of the e2e corpus."""
    assert os.environ.get("DISPLAY") is None  # headless, as in CI
    return E2E(pytester, av_clips)


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory, ffmpeg) -> Path:
    """Tiny real clips (made with the ffmpeg tool) for the real player."""
    folder = tmp_path_factory.mktemp("reliability_clips")
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050:duration=0.3",
            "-c:a", "pcm_s16le", str(folder / "tone.wav"))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25:duration=0.6",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            str(folder / "clip.mp4"))
    return folder


@pytest.fixture(scope="session")
def picture_clips(tmp_path_factory: pytest.TempPathFactory, ffmpeg) -> Path:
    """Tiny H.264 clips alike but for what they say of their pictures:
    `bt709.mp4` (tagged BT.709, as every HD file is), `bt601.mp4` (tagged
    BT.601), `untagged.mp4`, `rotated.mp4` (90 degrees in its display
    matrix), `yuv444.mp4`; and `full_range.avi` (MJPEG, yuvj420p). No
    B-frames: pyglet 2.1.19 shows pictures of B-frame H.264 damaged."""
    folder = tmp_path_factory.mktemp("picture_clips")
    source = ("-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10:duration=0.3")
    recipe = (*source, "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0")
    ffmpeg(*recipe, "-pix_fmt", "yuv420p", "-colorspace", "bt709", str(folder / "bt709.mp4"))
    ffmpeg(*recipe, "-pix_fmt", "yuv420p", "-colorspace", "smpte170m",
           str(folder / "bt601.mp4"))
    ffmpeg(*recipe, "-pix_fmt", "yuv420p", str(folder / "untagged.mp4"))
    ffmpeg(*recipe, "-pix_fmt", "yuv444p", str(folder / "yuv444.mp4"))
    # FFmpeg 5.1 writes the display matrix only when copying the stream
    ffmpeg("-i", str(folder / "untagged.mp4"), "-c", "copy", "-metadata:s:v:0", "rotate=90",
           str(folder / "rotated.mp4"))
    ffmpeg(*source, "-c:v", "mjpeg", "-pix_fmt", "yuvj420p", str(folder / "full_range.avi"))
    return folder


@pytest.fixture(scope="session")
def real_clip(tmp_path_factory, ffmpeg) -> Path:
    target = tmp_path_factory.mktemp("real_clip") / "clip.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30:duration=0.5",
           "-f", "lavfi", "-i", "sine=duration=0.5", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-c:a", "aac", str(target))
    return target


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    exe = find_chromium()
    if exe is None:
        pytest.fail("headless Chromium is needed by the timeline page tests and is not "
                    "installed: apt-get install chromium", pytrace=False)
    if not sys.platform.startswith("linux"):
        pytest.fail("the browser tests drive Chromium through Linux file descriptors",
                    pytrace=False)
    instance = Browser(exe, tmp_path_factory.mktemp("chromium"))
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def sound_tmp(inner_run_env: pytest.MonkeyPatch) -> Iterator[Path]:
    """The inner run's TMPDIR: short (unix socket paths are), and its own.

    The user's PulseAudio, if any, is hidden from the inner run (no
    PULSE_SERVER, a session runtime folder without a socket), so that it
    starts its private daemon here; OpenAL Soft chooses its own backend.
    """
    folder = Path(tempfile.mkdtemp(prefix="mp-a-", dir="/tmp"))
    inner_run_env.setenv("TMPDIR", str(folder))
    inner_run_env.setenv("XDG_RUNTIME_DIR", str(folder))
    for name in ("PULSE_SERVER", "PULSE_COOKIE", sound_servers.PRIVATE_PULSE_ENV,
                 "ALSOFT_DRIVERS"):
        inner_run_env.delenv(name, raising=False)
    yield folder
    # a failed test must not leave a daemon running either
    for pid in processes_mentioning(str(folder)):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    shutil.rmtree(folder, ignore_errors=True)
