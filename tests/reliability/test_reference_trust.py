"""An edited stored reference never lets a defective play pass (issue 20, demand 4).

A session's `reference/<sample>.json` is a file anyone can edit, and bundles
and merges bring them from other machines: it is shown as it came, but a new
play is judged against the store's reference cache, which only probing
fills. The player is the `by_name` double (its play of `perfect_*` shows 12
frames of 0.04 s); ffprobe is a stand-in saying the file holds 14: two
frames are never shown, whatever the stored reference is made to say.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from doubles import ffprobe_stand_in

from pytest_pyglet_media.store import sessions

FOURTEEN_FRAMES = {
    "packets": [{"stream_index": 0, "pts_time": f"{i * 0.04:.6f}", "flags": "__"}
                for i in range(14)],
    "streams": [
        {"index": 0, "codec_name": "h264", "codec_type": "video",
         "start_time": "0.000000", "duration": "0.560000"},
        {"index": 1, "codec_name": "aac", "codec_type": "audio",
         "start_time": "0.000000", "duration": "0.560000"}],
    "format": {"start_time": "0.000000", "duration": "0.560000"},
}


@pytest.fixture
def probes(mp, inner_run_env) -> Path:
    bin_dir = mp.pytester.path / "bin"
    log = mp.pytester.path / "probes.log"
    ffprobe_stand_in.write(bin_dir, stdout=json.dumps(FOURTEEN_FRAMES), calls=log)
    ffprobe_stand_in.alone_on_path(inner_run_env, bin_dir)
    return log


def without_video(stored: Path) -> None:
    """The edit of the hostile review: the key kept, the video gone."""
    document = json.loads(stored.read_text())
    document["reference"]["streams"] = document["reference"]["streams"][1:]
    document["reference"]["video_index"] = None
    document["reference"]["frame_times"] = []
    stored.write_text(json.dumps(document))


def test_an_edited_or_merged_reference_does_not_make_a_defective_play_pass(
        mp, probes, pyglet_mp):
    mp.add("perfect_a.mp4")
    first = mp.run("--mp-session=s", "--mp-plots=none")
    assert first.outcomes() == {"failed": 1}
    stored = sessions.SessionPaths(mp.samples, "s").reference("perfect_a.mp4")
    without_video(stored)
    merged = pyglet_mp("merge", "m", "s", "--samples-dir=samples")
    assert merged.code == 0, merged
    copy = sessions.SessionPaths(mp.samples, "m").reference("perfect_a.mp4")
    assert json.loads(copy.read_text())["reference"]["frame_times"] == []  # as it came

    again = mp.run("--mp-session=s", "--mp-plots=none", "-v")
    assert again.outcomes() == {"failed": 1}
    assert "frames_not_shown: 2 of 14 frames never shown" in again.section("perfect_a.mp4")
    # not probed again (the store's cache holds the file's), and the
    # session's copy now holds what the play was judged against
    assert ffprobe_stand_in.calls_made(probes) == 1
    assert len(json.loads(stored.read_text())["reference"]["frame_times"]) == 14

    # the merged session, on a machine whose cache never saw the file
    for entry in sessions.reference_cache_dir(mp.samples).iterdir():
        entry.unlink()
    merged_run = mp.run("--mp-session=m", "--mp-plots=none", "-v")
    assert merged_run.outcomes() == {"failed": 1}
    assert "frames_not_shown: 2 of 14 frames never shown" in \
        merged_run.section("perfect_a.mp4")
    assert ffprobe_stand_in.calls_made(probes) == 2  # it probed the file itself
