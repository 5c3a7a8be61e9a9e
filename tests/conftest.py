"""Fixtures shared by the tests that run the plugin: a samples folder and runs
with player doubles (tests/plugin, tests/reliability, ...).

Every run is a fresh pytest in a subprocess (the plugin starts children);
the doubles (tests/doubles) become importable in the players through
PYTHONPATH, which the inner pytest and its players inherit.

Moved here from tests/plugin/conftest.py so that every folder under tests/
sees the `mp` fixture (a conftest must never be imported by another).
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import pytest


#: node id of a sample's item, relative to the rootdir (pytester.path)
def nodeid(sample: str) -> str:
    return f"samples/{sample}::play"


@dataclass
class MediaRun:
    """One inner pytest run and where to look at what it left."""

    result: pytest.RunResult
    samples: Path

    @property
    def out(self) -> str:
        return self.result.stdout.str()

    @property
    def err(self) -> str:
        return self.result.stderr.str()

    @property
    def ret(self) -> int:
        return int(self.result.ret)

    def outcomes(self) -> dict[str, int]:
        return self.result.parseoutcomes()

    def sessions(self) -> list[str]:
        return sorted(p.name for p in self.samples.iterdir() if p.is_dir())

    def session_dir(self, name: str = "testrun_00") -> Path:
        return self.samples / name

    def reports(self, name: str = "testrun_00") -> Path:
        return self.samples / name / "reports"

    def summary(self, name: str = "testrun_00") -> str:
        return (self.samples / name / "reports" / "00_summary.txt").read_text()

    def recording(self, sample: str, session: str = "testrun_00") -> Path:
        return self.samples / session / "dbg" / f"{sample}.dbg"

    def section(self, sample: str) -> str:
        """The failure section pytest printed for a sample."""
        match = re.search(rf"_+ play {re.escape(sample)} _+\n(.*?)(?=\n_{{3,}} |\n=+ )",
                          self.out, re.S)
        assert match, f"no failure section for {sample} in:\n{self.out}"
        return match.group(1)

    def statuses(self) -> dict[str, str]:
        """node id -> PASSED/FAILED/XFAIL/... from a -v run's progress lines."""
        found = {}
        status = r"(PASSED|FAILED|XFAIL|XPASS|ERROR)"
        for line in self.out.splitlines():
            m = re.match(rf"^(samples/.+?::play) {status}", line)  # serial
            if m:
                found[m.group(1)] = m.group(2)
                continue
            m = re.match(rf"^\[gw\d+\] \[\s*\d+%\] {status} (samples/.+?::play)", line)  # xdist
            if m:
                assert m.group(2) not in found, f"{m.group(2)} reported twice"
                found[m.group(2)] = m.group(1)
        return found


class MediaTester:
    """Makes samples and runs the plugin with a player double."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.samples = pytester.path / "samples"
        self.samples.mkdir()

    def add(self, *names: str, content: bytes = b"not really media\n") -> None:
        """Fake sample files: the doubles never read them."""
        for name in names:
            (self.samples / name).write_bytes(content)

    def manifest(self, body: str, version: str = "test-1") -> None:
        (self.samples / "samples.toml").write_text(
            f'[corpus]\nversion = "{version}"\n\n' + body)

    def run(self, *args: str, player: str | None = "by_name",
            samples_dir: str | None = "samples", prefix: Sequence[str] = ()) -> MediaRun:
        """An inner pytest run; `prefix` runs it under a wrapper command (setpriv ...)."""
        argv: list[str] = ["-p", "no:cacheprovider"]
        if samples_dir is not None:
            argv.append(f"--mp-samples-dir={samples_dir}")
        if player is not None:
            argv.append(f"--mp-player=doubles.{player}")
        argv.extend(args)
        if prefix:
            basetemp = self.pytester.path / f"runpytest-{uuid.uuid4().hex[:8]}"
            result = self.pytester.run(*prefix, sys.executable, "-m", "pytest",
                                       f"--basetemp={basetemp}", *argv, timeout=120)
        else:
            result = self.pytester.runpytest_subprocess(*argv, timeout=120)
        return MediaRun(result, self.samples)


@pytest.fixture
def mp(pytester: pytest.Pytester, inner_run_env: pytest.MonkeyPatch) -> MediaTester:
    return MediaTester(pytester)


def junit_cases(path: Path) -> dict[str, dict[str, str]]:
    """testcase name -> its properties, from a --junitxml file."""
    cases = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        key = f"{case.get('classname')}::{case.get('name')}"
        assert key not in cases, f"testcase {key} twice"
        cases[key] = props
    return cases


def live_processes_with(marker: str) -> list[tuple[int, str]]:
    """Processes (not zombies) whose command line holds `marker` (a /proc scan)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            found.append((int(entry.name), cmdline))
    return found


# test modules cannot import this conftest reliably (several conftest.py in tests/):
# they reach the helpers through the fixture
MediaTester.nodeid = staticmethod(nodeid)
MediaTester.junit_cases = staticmethod(junit_cases)
MediaTester.live_processes_with = staticmethod(live_processes_with)


#: the ffmpeg tool, quiet and never waiting for input
FFMPEG = ("ffmpeg", "-v", "error", "-y", "-nostdin")


@pytest.fixture(scope="session")
def ffmpeg() -> Callable[..., None]:
    """Runs the ffmpeg tool to make clips for the real player.

    The tests that play real media need the ffmpeg tool and pyglet; without
    them they fail (never skip, which would hide an untested feature):
    `./run test` installs both.
    """
    if shutil.which("ffmpeg") is None:
        pytest.fail("the ffmpeg command line tool is missing: apt-get install ffmpeg "
                    "(./run test installs it)")
    if importlib.util.find_spec("pyglet") is None:
        pytest.fail("pyglet is missing: pip install -e . (./run test installs it)")

    def run(*args: str) -> None:
        subprocess.run([*FFMPEG, *args], check=True, timeout=60,
                       stdin=subprocess.DEVNULL, capture_output=True)

    return run
