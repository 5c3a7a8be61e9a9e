"""End to end: the pictures pyglet shows, compared with FFmpeg's own decode.

pyglet 2.1.19 converts every video with the BT.601 matrix; FFmpeg honours
the BT.709 tag HD files carry. One play of each of two clips alike but for
that tag: the tagged one fails with picture_differs naming the colour
matrix, the other is perfect.
"""
from __future__ import annotations

import os
import shutil

import pytest


def test_a_bt709_clip_shows_bt601_colours_and_an_untagged_one_is_perfect(
        pytester: pytest.Pytester, inner_run_env: pytest.MonkeyPatch, picture_clips):
    assert os.environ.get("DISPLAY") is None
    samples = pytester.path / "samples"
    shutil.copytree(picture_clips, samples)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mp-samples-dir=samples",
                                           "--mp-retries=1", "-v", timeout=120)
    out = result.stdout.str()
    assert "samples/untagged.mp4::play PASSED" in out
    assert "samples/bt709.mp4::play FAILED" in out
    assert ("picture_differs: 2 of 2 pictures compared are not FFmpeg's picture of the same "
            "file frame: frame 0.000 s: PSNR ") in out
    assert ("Likely cause: colour matrix: the file says BT.709; pyglet's picture matches a "
            "BT.601 conversion") in out
    # the only defect: every frame shown, on time
    assert "bt709.mp4: 2 defects while playing" in out
    # full pictures live only while they are judged; FFmpeg's are kept with the reference
    session = samples / "testrun_00"
    assert not list((session / "dbg").glob("*.pictures"))
    assert sorted(p.name for p in (session / "reference").glob("*.frames")) == \
        ["bt709.mp4.frames", "untagged.mp4.frames"]
