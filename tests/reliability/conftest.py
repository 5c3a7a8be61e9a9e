"""Fixtures for the reliability tests: hostile inputs, kills, interrupts, faults.

The `mp` fixture (MediaTester) comes from tests/conftest.py. Here: the
`setpriv` wrapper that makes root obey permission bits, the `pyglet-mp`
command run in a subprocess, and tiny real clips for the real player.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

#: what no message of ours may hold
INTERNAL = ("INTERNALERROR", "Traceback")


def assert_no_internal_error(text: str) -> None:
    for word in INTERNAL:
        assert word not in text, f"{word} in:\n{text}"


@pytest.fixture(scope="session")
def setpriv() -> tuple[str, ...]:
    """A command prefix under which root obeys permission bits.

    As root, unreadable files and read-only folders are not: root holds
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH. setpriv drops them from the
    bounding set, so the process it starts (and its children) lose them.
    """
    tool = shutil.which("setpriv")
    if tool is None:
        pytest.fail("these tests need setpriv (util-linux) to take root's permission "
                    "overrides away: apt-get install util-linux")
    return (tool, "--bounding-set", "-dac_override,-dac_read_search")


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


@pytest.fixture
def pyglet_mp(mp, inner_run_env):
    """Runs `pyglet-mp ARGS` in a subprocess, in the samples' parent folder."""

    def run(*args: str, prefix: tuple[str, ...] = ()) -> CliResult:
        proc = subprocess.run([*prefix, sys.executable, "-m", "pytest_pyglet_media", *args],
                              cwd=mp.pytester.path, capture_output=True, text=True,
                              errors="replace", timeout=120, stdin=subprocess.DEVNULL)
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


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


@pytest.fixture
def no_internal_error():
    """assert_no_internal_error, for test modules (they never import a conftest)."""
    return assert_no_internal_error
