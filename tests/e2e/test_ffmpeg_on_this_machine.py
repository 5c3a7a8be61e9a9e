"""The up-front FFmpeg check on this machine: the real library search
(ctypes.util.find_library runs ldconfig) finds every library pyglet loads.

The check's logic, with a stand-in search, is in tests/unit/test_ffmpeg_check.py.
"""
from __future__ import annotations

import sys

import pytest

from pytest_pyglet_media.play import ffmpeg_check

pytestmark = pytest.mark.skipif(sys.platform.startswith("win"), reason="not checked on Windows")


def test_the_real_machine_has_ffmpeg():
    """./run test installs FFmpeg: the e2e tests play real media with it."""
    assert ffmpeg_check.missing_libraries() == []
