"""--mp-shard=K/N: a run plays one shard of the playlist; the session keeps all of it."""
from __future__ import annotations

import pytest

from pytest_pyglet_media import shards

#: sizes chosen so that shard 1 of 2 is the one long sample
SIZES = {"perfect_long.mp4": 900, "perfect_a.mp4": 300, "defects_b.mp4": 300,
         "perfect_c.wav": 300}


def make(mp):
    for name, size in SIZES.items():
        mp.add(name, content=b"x" * size)


def test_collect_only_lists_the_shards_samples(mp):
    make(mp)
    listed = {}
    for k in (1, 2):
        run = mp.run("--collect-only", "-q", f"--mp-shard={k}/2")
        listed[k] = {line.split("/", 1)[1].split("::")[0] for line in run.out.splitlines()
                     if line.startswith("samples/")}
    assert listed[1] == {"perfect_long.mp4"}  # balanced by size, not by count
    assert listed[2] == {"perfect_a.mp4", "defects_b.mp4", "perfect_c.wav"}
    assert not [p for p in mp.samples.iterdir() if p.is_dir()]  # listing creates no session


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_a_shard_plays_its_samples_and_lists_the_others_as_not_played(mp, xdist):
    make(mp)
    run = mp.run("-v", "--mp-shard=2/2", *xdist)
    assert set(run.statuses()) == {mp.nodeid(s) for s in
                                   ("perfect_a.mp4", "defects_b.mp4", "perfect_c.wav")}
    summary = run.summary()
    assert "Samples in the playlist: 4" in summary
    assert "Appendix, list of samples without dbg\n\tperfect_long.mp4" in summary
    assert not run.recording("perfect_long.mp4").exists()


def test_gitlab_variables_choose_the_shard(mp, monkeypatch):
    make(mp)
    monkeypatch.setenv(shards.CI_NODE_INDEX, "1")
    monkeypatch.setenv(shards.CI_NODE_TOTAL, "2")
    run = mp.run("-v")
    assert set(run.statuses()) == {mp.nodeid("perfect_long.mp4")}


@pytest.mark.parametrize("arg, source", [
    ("--mp-shard=3/2", "from --mp-shard on the command line: K must be between 1 and 2"),
    ("--mp-shard=0/2", "from --mp-shard on the command line: K must be between 1 and 2"),
    ("--mp-shard=two", "write it as K/N")])
def test_a_bad_shard_is_a_one_line_usage_error(mp, arg, source):
    make(mp)
    run = mp.run(arg)
    assert run.ret == 4
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "--mp-shard: bad value" in lines[0] and source in lines[0]
    assert not [p for p in mp.samples.iterdir() if p.is_dir()]
