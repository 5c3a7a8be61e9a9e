"""Bad media files played by the real player: each fails clearly, beside a clip that passes.

Contents only the real player can judge (empty, truncated, random bytes,
text named as video, unreadable) are played by it (moved from
tests/reliability/test_bad_inputs.py: it plays real media).
"""
from __future__ import annotations

import os
import random
import shutil

BAD_FILES = ("empty.mp4", "truncated.mp4", "random.mkv", "text.mp4", "unreadable.wav")


def test_bad_media_files_fail_clearly_with_the_real_player(mp, clips, setpriv, no_internal_error):
    shutil.copy(clips / "tone.wav", mp.samples / "tone.wav")
    (mp.samples / "empty.mp4").write_bytes(b"")
    data = (clips / "clip.mp4").read_bytes()
    (mp.samples / "truncated.mp4").write_bytes(data[: len(data) * 2 // 5])
    (mp.samples / "random.mkv").write_bytes(random.Random(5).randbytes(8192))
    (mp.samples / "text.mp4").write_text("this is a text file, not a video\n" * 20)
    shutil.copy(clips / "tone.wav", mp.samples / "unreadable.wav")
    os.chmod(mp.samples / "unreadable.wav", 0)
    run = mp.run("-v", "--mp-retries=1", "--mp-timeout=60", player=None, prefix=setpriv)
    no_internal_error(run.out + run.err)
    assert run.statuses() == {mp.nodeid("tone.wav"): "PASSED",
                              **{mp.nodeid(s): "FAILED" for s in BAD_FILES}}, run.out
    for sample in BAD_FILES:
        text = run.section(sample)
        first = text.splitlines()[0]
        assert first.startswith(f"{sample}: cannot be played: "), text
        assert len(text.splitlines()) <= 3, text  # a reason, not a dump
    for sample in ("truncated.mp4", "random.mkv", "text.mp4"):
        assert "does not recognise it as media" in run.section(sample)
    assert "cannot read" in run.section("unreadable.wav")
    assert "Permission denied" in run.section("unreadable.wav")
    summary = run.summary()
    assert "Samples the player could not open: 5" in summary
    assert "Relevant samples with perfect play: 1 / 1" in summary
    assert "Appendix, samples the player could not open\n" + \
        "".join(f"\t{s}\n" for s in sorted(BAD_FILES)) in summary
