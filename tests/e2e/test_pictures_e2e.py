"""End to end: the pictures pyglet shows, compared with FFmpeg's own decode.

One run plays tiny clips alike but for what they say of their pictures.
pyglet 2.1.19 converts every video with the BT.601 matrix, shows a rotated
file unrotated and converts 4:4:4 wrongly; FFmpeg honours all three. Each
fails with picture_differs naming its cause; the untagged, BT.601-tagged
and full-range clips are perfect.
"""
from __future__ import annotations

import os
import re
import shutil

import pytest


def test_each_picture_pyglet_gets_wrong_is_named_and_the_right_ones_are_perfect(
        pytester: pytest.Pytester, inner_run_env: pytest.MonkeyPatch, picture_clips):
    assert os.environ.get("DISPLAY") is None
    samples = pytester.path / "samples"
    shutil.copytree(picture_clips, samples)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mp-samples-dir=samples",
                                           "--mp-retries=1", "-v", timeout=120)
    out = result.stdout.str()
    statuses = dict(re.findall(r"^samples/(\S+)::play (PASSED|FAILED)", out, re.M))
    assert statuses == {"untagged.mp4": "PASSED", "bt601.mp4": "PASSED",
                        "full_range.avi": "PASSED", "bt709.mp4": "FAILED",
                        "rotated.mp4": "FAILED", "yuv444.mp4": "FAILED"}, out
    assert ("picture_differs: 2 of 2 pictures compared are not FFmpeg's picture of the same "
            "file frame: frame 0.000 s: PSNR ") in out
    assert ("Likely cause: colour matrix: the file says BT.709; pyglet's picture matches a "
            "BT.601 conversion") in out
    assert ("frame 0.000 s: pyglet's picture is 96x64, FFmpeg's 64x96; frame 0.200 s: "
            "pyglet's picture is 96x64, FFmpeg's 64x96. Likely cause: rotation: the file says "
            "90°; pyglet's picture is not rotated") in out
    assert "Likely cause: chroma layout: the file is yuv444p (4:4:4)" in out
    for sample in ("bt709.mp4", "rotated.mp4", "yuv444.mp4"):  # the only defect each
        assert f"{sample}: 2 defects while playing" in out
    # full pictures live only while they are judged; FFmpeg's are kept in the
    # store's reference cache, for every session of the store (not per session)
    session = samples / "testrun_00"
    assert not list((session / "dbg").glob("*.pictures"))
    assert not list((session / "reference").glob("*.frames"))
    assert len(list((samples / ".reference-cache").glob("*.frames"))) == 6
    assert sorted(p.name for p in (session / "dbg").glob("*.png")) == [
        f"{s}.picture-{n}.png" for s in ("bt709.mp4", "rotated.mp4", "yuv444.mp4")
        for n in (1, 2)]
