"""Progress of long plays is for terminals only: output to a pipe is unchanged."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("extra", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_no_progress_text_when_output_is_not_a_terminal(mp, extra):
    mp.add("hang_a.mp4")
    run = mp.run("--mp-timeout=3", "--mp-retries=0", "--color=yes", *extra, player="hang")
    assert run.ret == 1, run.out
    for text in ("\x1b7", "\x1b8", "\r", "hang_a.mp4 2.0 s", "hang_a.mp4 2.5 s"):
        assert text not in run.out + run.err
