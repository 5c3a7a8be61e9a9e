"""`-W error` never turns one of the plugin's warnings into an INTERNALERROR."""
from __future__ import annotations


def test_a_left_out_file_under_w_error_is_a_usage_error(mp, no_internal_error):
    mp.add("a.mp4", "#hash.mp4")
    run = mp.run("-W", "error", player="perfect")
    no_internal_error(run.out + run.err)
    assert run.ret == 4
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    assert "left out of the playlist: '#hash.mp4'" in lines[0] and "-W error" in lines[0]
    assert run.sessions() == []  # the new session is not kept


def test_a_clean_folder_under_w_error_plays(mp, no_internal_error):
    mp.add("a.mp4", "b.webm")
    run = mp.run("-W", "error", player="perfect")
    no_internal_error(run.out + run.err)
    assert run.ret == 0 and run.outcomes() == {"passed": 2}
