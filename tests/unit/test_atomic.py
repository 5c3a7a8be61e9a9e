"""atomic.py: whole-file replacement, no temporary files left behind."""
from __future__ import annotations

import os
import stat

import pytest

from pytest_pyglet_media.core import atomic


def test_creates_and_replaces(tmp_path):
    path = tmp_path / "f.txt"
    atomic.write_text(path, "old\n")
    assert path.read_text() == "old\n"
    atomic.write_text(path, "new é\n")
    assert path.read_bytes() == "new é\n".encode("utf-8")
    assert os.listdir(tmp_path) == ["f.txt"]


def test_mode(tmp_path):
    path = tmp_path / "f.bin"
    atomic.write_bytes(path, b"\x00\x01")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    atomic.write_bytes(path, b"x", mode=0o444)
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    # a read-only file is still replaced (the folder is writable)
    atomic.write_bytes(path, b"y", mode=0o600)
    assert path.read_bytes() == b"y"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_long_names(tmp_path):
    path = tmp_path / ("n" * 200 + ".txt")
    atomic.write_text(path, "ok")
    assert path.read_text() == "ok"


def test_error_while_writing_keeps_old_content(tmp_path, monkeypatch):
    path = tmp_path / "f.txt"
    atomic.write_text(path, "old")

    def boom(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", boom)
    with pytest.raises(OSError, match="No space"):
        atomic.write_text(path, "new")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["f.txt"]


def test_interrupt_while_writing_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "f.txt"
    atomic.write_text(path, "old")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_text(path, "new")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["f.txt"]


def test_bad_data_leaves_nothing(tmp_path):
    path = tmp_path / "f.txt"
    with pytest.raises(TypeError):
        atomic.write_bytes(path, "not bytes")  # type: ignore[arg-type]
    assert os.listdir(tmp_path) == []


def test_target_is_a_folder(tmp_path):
    target = tmp_path / "d"
    target.mkdir()
    (target / "inside").write_text("x")
    with pytest.raises(OSError):
        atomic.write_text(target, "x")
    assert sorted(os.listdir(tmp_path)) == ["d"]
    assert (target / "inside").read_text() == "x"


def test_missing_folder_raises(tmp_path):
    with pytest.raises(OSError):
        atomic.write_text(tmp_path / "nope" / "f.txt", "x")
    assert os.listdir(tmp_path) == []
