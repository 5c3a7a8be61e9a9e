"""Fixtures of the unit tests: pure modules, no processes, never pyglet.

Both rules are enforced for every test here: `_no_process_started` makes
every way of starting a process raise (and fails a test that swallowed the
error), `_no_pyglet_imported` fails a test that imported pyglet.

Synthetic recordings come from mp_support.recordings (the `rec` fixture, tests/conftest.py);
the bundle tests get a real session and hand-crafted tarballs
(mp_support.bundles, the `kit` and `craft` fixtures).
"""
from __future__ import annotations

import _posixsubprocess
import multiprocessing.process
import os
import subprocess
from pathlib import Path
from typing import Any, Callable, Generator, Iterator, NoReturn

import pytest
from mp_support.bundles import Entry, Kit, write_tar
from mp_support.recordings import placeholder

from pytest_pyglet_media.store import recording
from pytest_pyglet_media.store import sessions as session


@pytest.fixture(autouse=True)
def _no_pyglet_imported(no_pyglet_imported):
    """Every unit test must run without importing pyglet (other suites may have)."""


#: where a test that starts a process goes instead
PROCESS_TESTS_GO_TO = (
    "unit tests start no processes. A test that needs one goes to tests/process "
    "(stand-ins from tests/doubles: a fake fork server, a stand-in ffprobe, a sleeper, "
    "a fresh interpreter), tests/plugin (a pytest run of the plugin), tests/cli "
    "(pyglet-mp in a subprocess), tests/reliability (kills, interruptions, hostile "
    "input) or tests/e2e (real media, FFmpeg, a browser).")

#: (owner, attribute) of every way a Python process starts another one:
#: subprocess.Popen forks through subprocess._fork_exec or os.posix_spawn; the
#: multiprocessing start methods through os.fork, _posixsubprocess.fork_exec
#: and Process.start; pty through os.forkpty. os.system is left alone:
#: test_recording.py pickles the real one to show a recording cannot call it.
PROCESS_STARTERS = (
    (subprocess, "_fork_exec"),
    (_posixsubprocess, "fork_exec"),
    (os, "fork"),
    (os, "forkpty"),
    (os, "posix_spawn"),
    (os, "posix_spawnp"),
    (multiprocessing.process.BaseProcess, "start"),
)


class UnitTestStartedAProcess(AssertionError):
    """A unit test (or the code it calls) tried to start a process."""


@pytest.fixture(autouse=True)
def _no_process_started(monkeypatch: pytest.MonkeyPatch,
                        request: pytest.FixtureRequest) -> Iterator[None]:
    """Every way of starting a process raises inside a unit test; a test whose
    code caught that error (a broad `except`) still fails, at its teardown."""
    attempts: list[str] = []

    def refuser(name: str) -> Callable[..., NoReturn]:
        def refuse(*args: Any, **kwargs: Any) -> NoReturn:
            attempts.append(name)
            raise UnitTestStartedAProcess(f"{name} called: {PROCESS_TESTS_GO_TO}")
        return refuse

    for owner, attribute in PROCESS_STARTERS:
        if hasattr(owner, attribute):  # posix_spawn and forkpty are not everywhere
            monkeypatch.setattr(owner, attribute,
                                refuser(f"{owner.__name__}.{attribute}"))
    yield
    if attempts and not request.node.stash.get(FAILED_SO_FAR, False):
        pytest.fail(f"{', '.join(attempts)} called and the error caught: "
                    f"{PROCESS_TESTS_GO_TO}", pytrace=False)


#: whether a test's setup or call failed already (the refusal, then, was reported)
FAILED_SO_FAR = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        item.stash[FAILED_SO_FAR] = True
    return report


def builtins_only(value) -> bool:
    """True when value holds only dict/list/tuple/str/int/float/bool/None."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, (list, tuple)):
        return all(builtins_only(v) for v in value)
    if isinstance(value, dict):
        return (all(isinstance(k, str) for k in value)
                and all(builtins_only(v) for v in value.values()))
    return False


@pytest.fixture
def is_builtins():
    return builtins_only


# -- bundles (test_bundle_*.py) ------------------------------------------------------


@pytest.fixture
def kit() -> type[Kit]:
    return Kit


@pytest.fixture
def craft(tmp_path: Path) -> Callable[..., Path]:
    inbox = tmp_path / "inbox"
    inbox.mkdir()

    def make(name: str, entries: list[Entry], **kwargs: Any) -> Path:
        return write_tar(inbox / name, entries, **kwargs)

    return make


@pytest.fixture
def src_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "src_samples"
    folder.mkdir()
    (folder / "a.mp4").write_bytes(b"not really a video")
    return folder


@pytest.fixture
def dst_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "dst_samples"
    folder.mkdir()
    return folder


@pytest.fixture
def made_session(src_dir: Path) -> session.SessionPaths:
    paths = session.create_session(src_dir, "s1", ["a.mp4"], has_playlist=False,
                                   versions={"pyglet": "2.1"}, samples_version="t")
    recording.save(paths.recording("a.mp4"), placeholder("a.mp4"))
    paths.special_report("summary").write_text("1 sample, 1 crash\n", encoding="utf-8")
    paths.report("a.mp4", "all").write_text("crash\n", encoding="utf-8")
    return paths


@pytest.fixture
def no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """Durability is not under test in the bundle tests; fsync on a busy disk costs seconds."""
    monkeypatch.setattr(os, "fsync", lambda fd: None)
