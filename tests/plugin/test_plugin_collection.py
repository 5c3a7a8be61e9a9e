"""Collection: one item per sample of the playlist, and nothing else."""
from __future__ import annotations

import json

SAMPLES = ("perfect_a.mp4", "perfect_b.wav", "perfect_c.ogv")
NOT_SAMPLES = ("notes.txt", "data.json", "script.py", "old.dbg", "page.html", "run.log",
               "x.pkl", "page.htm", "extra.toml", ".hidden.mp4")


def _corpus(mp):
    mp.add(*SAMPLES)
    mp.add(*NOT_SAMPLES)
    mp.manifest('[samples."perfect_a.mp4"]\nexpect = "pass"\n')
    sub = mp.samples / "subfolder"
    sub.mkdir()
    (sub / "perfect_d.mp4").write_bytes(b"x")
    # a session folder left by an earlier run
    old = mp.samples / "old_session"
    (old / "dbg").mkdir(parents=True)
    (old / "configuration.json").write_text(json.dumps({"protect_raw_data": False}))
    (old / "dbg" / "perfect_e.mp4").write_bytes(b"x")


def _listed(run):
    return [line for line in run.out.splitlines() if "::" in line]


def test_collect_only_lists_one_item_per_sample(mp):
    _corpus(mp)
    before = sorted(p.name for p in mp.samples.iterdir())
    run = mp.run("--collect-only", "-q")
    assert run.ret == 0, run.err
    assert sorted(_listed(run)) == sorted(mp.nodeid(s) for s in SAMPLES)
    # listing creates no session folder and touches nothing
    assert sorted(p.name for p in mp.samples.iterdir()) == before


def test_each_listed_node_id_runs_exactly_that_sample(mp):
    _corpus(mp)
    listed = _listed(mp.run("--collect-only", "-q"))
    assert len(listed) == len(SAMPLES)
    for number, node in enumerate(listed):
        run = mp.run("-v", node, f"--mp-session=s{number}")
        assert run.outcomes() == {"passed": 1}, run.out
        assert run.statuses() == {node: "PASSED"}
        dbg = mp.samples / f"s{number}" / "dbg"
        sample = node.split("/", 1)[1].split("::")[0]
        assert sorted(p.name for p in dbg.glob("*.dbg")) == [f"{sample}.dbg"]


def test_keyword_selects_samples(mp):
    mp.add(*SAMPLES)
    run = mp.run("-v", "-k", "perfect_b.wav")
    assert run.outcomes() == {"passed": 1, "deselected": 2}
    assert run.statuses() == {mp.nodeid("perfect_b.wav"): "PASSED"}
    run = mp.run("-v", "-k", "not perfect_b")
    assert set(run.statuses()) == {mp.nodeid("perfect_a.mp4"), mp.nodeid("perfect_c.ogv")}


def test_run_plays_playlist_only_and_ignores_other_files(mp):
    _corpus(mp)
    run = mp.run("-v")
    assert run.statuses() == {mp.nodeid(s): "PASSED" for s in SAMPLES}
    assert run.outcomes() == {"passed": 3}
    dbg = mp.samples / "testrun_00" / "dbg"
    assert sorted(p.name for p in dbg.glob("*.dbg")) == sorted(f"{s}.dbg" for s in SAMPLES)


def test_plugin_is_off_without_samples_dir(mp):
    mp.add(*SAMPLES)
    mp.pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    run = mp.run(samples_dir=None, player=None)
    assert run.outcomes() == {"passed": 1}
    assert not any(p.is_dir() for p in mp.samples.iterdir())


def test_odd_sample_names_round_trip_as_node_ids(mp):
    odd = ("perfect with space.mp4", "perfect_ñandú.webm")
    mp.add(*odd)
    listed = _listed(mp.run("--collect-only", "-q"))
    assert sorted(listed) == sorted(mp.nodeid(s) for s in odd)
    for number, node in enumerate(listed):
        run = mp.run("-v", node, f"--mp-session=s{number}")
        assert run.outcomes() == {"passed": 1}, run.out
        sample = node.split("/", 1)[1].split("::")[0]
        dbg = mp.samples / f"s{number}" / "dbg"
        assert sorted(p.name for p in dbg.glob("*.dbg")) == [f"{sample}.dbg"]


def test_bracketed_sample_name_is_collected_and_selectable_with_k(mp):
    # pytest refuses "[...]" in the path part of a node id given as an
    # argument ("path cannot contain [] parametrization"): such samples are
    # selected with -k instead
    mp.add("perfect [1080p].mkv", "perfect_b.mp4")
    listed = _listed(mp.run("--collect-only", "-q"))
    assert sorted(listed) == sorted([mp.nodeid("perfect [1080p].mkv"), mp.nodeid("perfect_b.mp4")])
    run = mp.run("-v", "-k", "1080p")
    assert run.statuses() == {mp.nodeid("perfect [1080p].mkv"): "PASSED"}
