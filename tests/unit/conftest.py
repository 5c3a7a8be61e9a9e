"""Fixtures of the unit tests: pure modules, no processes, never pyglet.

Synthetic recordings come from mp_support.recordings (the `rec` fixture, tests/conftest.py);
the bundle tests get a real session and hand-crafted tarballs
(mp_support.bundles, the `kit` and `craft` fixtures).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import pytest
from mp_support.bundles import Entry, Kit, write_tar
from mp_support.recordings import placeholder

from pytest_pyglet_media.store import recording
from pytest_pyglet_media.store import sessions as session


@pytest.fixture(autouse=True)
def _no_pyglet_imported(no_pyglet_imported):
    """Every unit test must run without importing pyglet (other suites may have)."""


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
