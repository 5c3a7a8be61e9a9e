"""Fixtures shared by every kind of test (unit, plugin, cli, e2e, reliability).

- `inner_run_env`: the environment of the runs, commands and players a test
  starts (mp_support.env, derived from the option table);
- `mp`: pytest runs of the plugin in a subprocess (pytester) with the player
  doubles of tests/doubles (`--mp-player=doubles.NAME`); `plug`: the same
  without crash retries; `mpcli`: `pyglet-mp` in-process;
- `ffmpeg`, `setpriv`, `no_internal_error`, `no_pyglet_imported`, `index_page`;
- `make_play`, `session_paths`, `save_recording`: one synthetic recording in a
  session folder (the timeline tests, unit and browser).

Every run is a fresh pytest in a subprocess (the plugin starts children);
the doubles (tests/doubles) and mp_support become importable in the players
through PYTHONPATH, which the inner pytest and its players inherit.
Helpers live in tests/mp_support and are imported normally (a conftest is
never imported by another module).
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import pytest
from mp_support import junit, recordings
from mp_support.cli_result import CliResult, run_in_process
from mp_support.env import clear_inner_env
from mp_support.sessions import check_index

from pytest_pyglet_media.store import recording
from pytest_pyglet_media.store import sessions as session


@pytest.fixture
def inner_run_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Environment for the pytest runs, `pyglet-mp` commands and players a test starts.

    Nothing of the outer run leaks in (mp_support.env.CLEARED_ENV_VARS, derived
    from the option table), playback is headless as in CI, and the player
    doubles (tests/doubles) are importable by the child players.
    """
    clear_inner_env(monkeypatch)
    return monkeypatch


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
        # hidden folders are the store's own (its reference cache), not sessions
        return sorted(p.name for p in self.samples.iterdir()
                      if p.is_dir() and not p.name.startswith("."))

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
            m = re.match(rf"^(samples/.+?::play(?:\[\w+\])?) {status}", line)  # serial
            if m:
                found[m.group(1)] = m.group(2)
                continue
            m = re.match(rf"^\[gw\d+\] \[\s*\d+%\] {status} (samples/.+?::play(?:\[\w+\])?)",
                         line)  # xdist
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
    """sample (testcase name) -> its facts, from a --junitxml file of any family."""
    return junit.cases(path)


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


# the tests reach these helpers through the `mp` fixture
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


#: what no message of ours may hold
INTERNAL = ("INTERNALERROR", "Traceback")


def assert_no_internal_error(text: str) -> None:
    for word in INTERNAL:
        assert word not in text, f"{word} in:\n{text}"


@pytest.fixture
def no_internal_error():
    """assert_no_internal_error, for test modules."""
    return assert_no_internal_error


@pytest.fixture
def no_pyglet_imported():
    """The test must run without importing pyglet in this process (other suites may have)."""
    before = "pyglet" in sys.modules
    yield
    assert before or "pyglet" not in sys.modules, \
        "a unit test (or the code under test) imported pyglet"


# -- in-process pyglet-mp ----------------------------------------------------------


@pytest.fixture
def mpcli(capsys):
    """Run `pyglet-mp ARGS` in-process: mpcli("report", ...) -> CliResult."""
    def run(*args) -> CliResult:
        return run_in_process(capsys, *args)
    return run


# -- plugin runs without retries (reading what a run leaves) ----------------------------


class Plug:
    """The shared plugin runner (`mp`), without crash retries:
    these tests read what a run leaves, one play per sample."""

    def __init__(self, mp) -> None:
        self.mp = mp
        self.samples = mp.samples

    def add(self, *names: str) -> None:
        self.mp.add(*names)

    def run(self, *args: str, player: str | None = "by_name"):
        return self.mp.run("--mp-retries=0", *args, player=player)


@pytest.fixture(scope="session")
def _bokeh_before_pytester() -> None:
    """Import bokeh (and numpy) before any pytester snapshot of sys.modules.

    pytester restores sys.modules when a test ends; a test that also plots
    in-process would otherwise drop numpy from sys.modules, and numpy cannot
    be imported twice in one process: later plotting tests in the same worker
    would fail with "cannot load module more than once per process".
    """
    import bokeh.embed  # noqa: F401,E401
    import bokeh.layouts
    import bokeh.models
    import bokeh.plotting
    import bokeh.resources


@pytest.fixture
def plug(_bokeh_before_pytester, mp) -> Plug:
    return Plug(mp)


@pytest.fixture
def index_page():
    """check_index: parse reports/index.html; every href must resolve."""
    return check_index


@pytest.fixture
def rec() -> type[recordings.Rec]:
    """The synthetic recording builders (mp_support.recordings)."""
    return recordings.Rec


# -- one synthetic recording in a session folder (the timeline tests) -------------------

#: the sample of `session_paths`, and of the recordings `make_play` builds
TIMELINE_SAMPLE = "a.mp4"


@pytest.fixture
def make_play():
    """mp_support.recordings.play, for the sample of `session_paths`."""
    def play(n: int = 60, **kw):
        return recordings.play(n, sample=TIMELINE_SAMPLE, **kw)
    return play


@pytest.fixture
def session_paths(tmp_path: Path) -> session.SessionPaths:
    samples_dir = tmp_path / "samples"
    samples_dir.mkdir()
    (samples_dir / TIMELINE_SAMPLE).write_bytes(b"not really a video")
    return session.create_session(samples_dir, "s", [TIMELINE_SAMPLE], has_playlist=False,
                                  versions={}, samples_version="t")


@pytest.fixture
def save_recording(session_paths):
    def save(events: list[tuple], sample: str = TIMELINE_SAMPLE) -> Path:
        path = session_paths.recording(sample)
        if path.exists():
            path.unlink()  # recordings are written read-only
        recording.save(path, events)
        return path
    return save
