"""Fixtures for the `pyglet-mp` tests: a samples folder, in-process runs, doubles.

Most tests call `cli.main([...])` in-process; commands that play samples run
pytest in-process too, with a player double from `doubles_cli/` selected by
`--mp-player` (or PYTEST_ADDOPTS for retry-crashed, which takes no pytest args).
No test here plays a sample with pyglet.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_pyglet_media import cli, recording
from pytest_pyglet_media import session as store

HERE = Path(__file__).resolve().parent
PERFECT = "doubles_cli.perfect_player"
CRASH = "doubles_cli.crash_player"
FAKE_VERSIONS = {"pyglet": "9.9.9-fake", "ffmpeg": "0.0-fake", "python": "3.x-fake",
                 "platform": "FakeOS", "pyglet_revision": "fake revision"}
SAMPLES = ("a.mp4", "b.ogv", "c.mkv")


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err

    def assert_one_line_error(self, *fragments: str) -> None:
        """The documented error shape: one line on stderr, no traceback."""
        assert "Traceback" not in self.output
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, f"expected a one-line error, got:\n{self.err}"
        for fragment in fragments:
            assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """No samples folder, pytest options or double log leak in from outside."""
    for name in (store.SAMPLES_DIR_ENV, "PYTEST_ADDOPTS", "CLI_DOUBLE_LOG",
                 "PYTEST_MP_RETRIES", "PYTEST_MP_TIMEOUT", "PYTEST_MP_AUDIO"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_versions(monkeypatch):
    """Session creation without spawning the real player's --info."""
    calls = []

    def capture(player_module=None):
        calls.append(player_module)
        return dict(FAKE_VERSIONS)

    monkeypatch.setattr("pytest_pyglet_media.versions.capture", capture)
    return calls


@pytest.fixture
def samples_dir(tmp_path, monkeypatch, fake_versions) -> Path:
    """A samples folder named by pyglet_mp_samples_dir, with 3 samples and 1 non-sample."""
    folder = tmp_path / "samples"
    folder.mkdir()
    for name in SAMPLES:
        (folder / name).write_bytes(b"not really media")
    (folder / "notes.txt").write_text("not a sample\n")
    monkeypatch.setenv(store.SAMPLES_DIR_ENV, str(folder))
    return folder.resolve()


@pytest.fixture
def mp(capsys):
    """Run `pyglet-mp ARGS` in-process: mp("new", "s1") -> Result."""
    def run(*args: str) -> Result:
        capsys.readouterr()
        code = cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return Result(code, out, err)
    return run


@pytest.fixture
def doubles(monkeypatch, tmp_path):
    """Make doubles_cli importable by the player child; returns the play log path."""
    log = tmp_path / "plays.log"
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv("CLI_DOUBLE_LOG", str(log))
    return log


class Helpers:
    """Small helpers for the tests, exposed as the `h` fixture (no conftest imports)."""

    PERFECT = PERFECT
    CRASH = CRASH
    FAKE_VERSIONS = FAKE_VERSIONS
    SAMPLES = SAMPLES

    @staticmethod
    def plays(log: Path) -> list[str]:
        """Lines "<double> <sample>" the doubles logged, in order."""
        return log.read_text().splitlines() if log.exists() else []

    @staticmethod
    def paths(samples_dir: Path, name: str) -> store.SessionPaths:
        return store.SessionPaths(samples_dir, name)

    @staticmethod
    def config(samples_dir: Path, name: str) -> dict:
        return json.loads(Helpers.paths(samples_dir, name).configuration.read_text())

    @staticmethod
    def set_config(samples_dir: Path, name: str, **changes) -> None:
        p = Helpers.paths(samples_dir, name).configuration
        p.write_text(json.dumps({**json.loads(p.read_text()), **changes}))

    @staticmethod
    def perfect_events(name: str) -> list[tuple]:
        return [("version", 1.1), ("mp.im", name), ("p.P._sp", 0.0), ("mp.end", 0.5),
                ("p.P.oe",)]

    @staticmethod
    def write_recording(samples_dir: Path, session: str, sample: str, *, crashed: bool) -> Path:
        target = Helpers.paths(samples_dir, session).recording(sample)
        recording.save(target, recording.crash_placeholder(sample) if crashed
                       else Helpers.perfect_events(sample))
        return target


@pytest.fixture
def h() -> type[Helpers]:
    return Helpers
