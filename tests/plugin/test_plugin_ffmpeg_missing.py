"""Missing FFmpeg is one usage error up front.

In-process runs, so that the finder can be monkeypatched: the check runs
only for the real player, which these runs never reach.
"""
from __future__ import annotations

import pytest

from pytest_pyglet_media.play import ffmpeg_check


@pytest.fixture
def no_ffmpeg(monkeypatch):
    monkeypatch.setattr(ffmpeg_check, "locate",
                        lambda name: None if name in ("avcodec", "avformat") else f"lib{name}.so")


def test_missing_ffmpeg_refuses_the_run_before_anything_plays(mp, no_ffmpeg):
    mp.add("a.mp4", "b.webm")
    result = mp.pytester.runpytest_inprocess("-p", "no:cacheprovider", "--mp-samples-dir=samples")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "libavcodec, libavformat" in err and "apt-get install ffmpeg" in err, err
    assert "brew install ffmpeg" in err
    assert "Traceback" not in err and "INTERNALERROR" not in err
    assert sorted(p.name for p in mp.samples.iterdir() if p.is_dir()) == []  # no session


def test_the_player_doubles_need_no_ffmpeg(mp, no_ffmpeg):
    mp.add("a.mp4")
    result = mp.pytester.runpytest_inprocess("-p", "no:cacheprovider", "--mp-samples-dir=samples",
                                             "--mp-player=doubles.perfect")
    assert result.ret == 0, result.stdout.str()


def test_collect_only_needs_no_ffmpeg(mp, no_ffmpeg):
    mp.add("a.mp4")
    result = mp.pytester.runpytest_inprocess("-p", "no:cacheprovider", "--mp-samples-dir=samples",
                                             "--collect-only", "-q")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["samples/a.mp4::play"])
