"""The up-front FFmpeg check: finds pyglet's libraries without loading them.

Here the library search is a stand-in; the real machine's libraries are
looked for in tests/e2e/test_ffmpeg_on_this_machine.py.
"""
from __future__ import annotations

import ctypes.util
import sys

import pytest

from pytest_pyglet_media.core.errors import UsageError
from pytest_pyglet_media.play import ffmpeg_check

pytestmark = pytest.mark.skipif(sys.platform.startswith("win"), reason="not checked on Windows")


@pytest.fixture
def finder(monkeypatch):
    """ctypes.util.find_library finding only the names in `found`."""
    found: set[str] = set()
    monkeypatch.setattr(ctypes.util, "find_library",
                        lambda name: f"lib{name}.so.1" if name in found else None)
    monkeypatch.delenv("LD_LIBRARY_PATH", raising=False)
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    return found


def test_all_libraries_found_passes(finder):
    finder.update(ffmpeg_check.LIBRARIES)
    assert ffmpeg_check.missing_libraries() == []
    ffmpeg_check.require_ffmpeg()


def test_missing_libraries_are_named_in_one_line_with_the_install_command(finder):
    finder.update({"avutil", "swscale"})
    assert ffmpeg_check.missing_libraries() == ["swresample", "avcodec", "avformat"]
    with pytest.raises(UsageError) as caught:
        ffmpeg_check.require_ffmpeg()
    message = str(caught.value)
    assert "\n" not in message
    assert "libswresample, libavcodec, libavformat" in message
    assert "apt-get install ffmpeg" in message and "brew install ffmpeg" in message


def test_a_library_in_ld_library_path_counts(finder, tmp_path, monkeypatch):
    finder.update(set(ffmpeg_check.LIBRARIES) - {"avcodec"})
    name = "libavcodec.61.dylib" if sys.platform == "darwin" else "libavcodec.so.61"
    (tmp_path / name).write_bytes(b"")
    monkeypatch.setenv("LD_LIBRARY_PATH", f"/no/such/folder:{tmp_path}")
    assert ffmpeg_check.missing_libraries() == []
