"""Fixtures for the `pyglet-mp` tests: a samples folder, in-process runs, doubles.

Most tests call `cli.main([...])` in-process (`mp`, or `mpcli` from
tests/conftest.py: the same runner, giving a mp_support CliResult); commands
that play samples run pytest in-process too, with a player double from
tests/doubles (`doubles.cli_perfect`, `doubles.cli_crash`) selected by
`--mp-player` (or PYTEST_ADDOPTS for retry-crashed, which takes no pytest args).
No test here plays a sample with pyglet: those are in tests/e2e.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from doubles._common import PLAYS_ENV
from mp_support.recordings import bare_play
from mp_support.sessions import FAKE_VERSIONS, Store

from pytest_pyglet_media.store import recording
from pytest_pyglet_media.store import sessions

PERFECT = "doubles.cli_perfect"
CRASH = "doubles.cli_crash"
SAMPLES = ("a.mp4", "b.ogv", "c.mkv")


@pytest.fixture(autouse=True)
def _clean_env(inner_run_env):
    """Nothing of the outer run leaks in (mp_support.env: the option table's
    variables, the samples folder, PYTEST_ADDOPTS, xdist's, the doubles' own),
    and the doubles are importable by the player children."""


@pytest.fixture
def fake_versions(monkeypatch):
    """Session creation without spawning the real player's --info."""
    calls = []

    def capture(player_module=None):
        calls.append(player_module)
        return dict(FAKE_VERSIONS)

    monkeypatch.setattr("pytest_pyglet_media.play.versions.capture", capture)
    return calls


@pytest.fixture
def samples_dir(tmp_path, monkeypatch, fake_versions) -> Path:
    """A samples folder named by PYTEST_MP_SAMPLES_DIR, with 3 samples and 1 non-sample."""
    folder = tmp_path / "samples"
    folder.mkdir()
    for name in SAMPLES:
        (folder / name).write_bytes(b"not really media")
    (folder / "notes.txt").write_text("not a sample\n")
    monkeypatch.setenv(sessions.SAMPLES_DIR_ENV, str(folder))
    return folder.resolve()


@pytest.fixture
def mp(mpcli):
    """Run `pyglet-mp ARGS` in-process: mp("new", "s1") -> CliResult."""
    return mpcli


@pytest.fixture
def doubles(monkeypatch, tmp_path):
    """The cli_* doubles log their plays here; returns the play log path.
    (tests/ is on PYTHONPATH already: the autouse `_clean_env`.)"""
    log = tmp_path / "plays.log"
    monkeypatch.setenv(PLAYS_ENV, str(log))
    return log


class Helpers:
    """Small helpers for the tests, exposed as the `h` fixture."""

    PERFECT = PERFECT
    CRASH = CRASH
    FAKE_VERSIONS = FAKE_VERSIONS
    SAMPLES = SAMPLES

    @staticmethod
    def plays(log: Path) -> list[str]:
        """Lines "<double> <sample>" the doubles logged, in order."""
        return log.read_text().splitlines() if log.exists() else []

    @staticmethod
    def paths(samples_dir: Path, name: str) -> sessions.SessionPaths:
        return sessions.SessionPaths(samples_dir, name)

    @staticmethod
    def config(samples_dir: Path, name: str) -> dict:
        return json.loads(Helpers.paths(samples_dir, name).configuration.read_text())

    @staticmethod
    def set_config(samples_dir: Path, name: str, **changes) -> None:
        p = Helpers.paths(samples_dir, name).configuration
        p.write_text(json.dumps({**json.loads(p.read_text()), **changes}))

    @staticmethod
    def perfect_events(name: str) -> list[tuple]:
        """What doubles.cli_perfect records."""
        return bare_play(name)

    @staticmethod
    def write_recording(samples_dir: Path, session: str, sample: str, *, crashed: bool) -> Path:
        target = Helpers.paths(samples_dir, session).recording(sample)
        recording.save(target, recording.crash_placeholder(sample) if crashed
                       else Helpers.perfect_events(sample))
        return target


@pytest.fixture
def h() -> type[Helpers]:
    return Helpers


# -- sessions built from synthetic recordings (test_cli_reading.py) ---------------------


@pytest.fixture
def samples(tmp_path, monkeypatch, fake_versions) -> Store:
    folder = tmp_path / "samples"
    folder.mkdir()
    monkeypatch.setenv(sessions.SAMPLES_DIR_ENV, str(folder))
    return Store(folder.resolve())

