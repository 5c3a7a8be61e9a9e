"""--mp-shard=K/N: a run plays one shard of the playlist; the session keeps all of it."""
from __future__ import annotations

import pytest

from pytest_pyglet_media import shards
from pytest_pyglet_media.store import durations

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


def test_stored_durations_are_written_and_then_balance_the_shards(mp):
    make(mp)
    run = mp.run("--mp-store-durations", "--mp-shard=1/2")
    assert "pyglet-media: shard 1 of 2: 1 sample, 900 bytes, by file size (no " \
           "samples.durations.json; write it with --mp-store-durations)" in run.out
    assert "durations samples.durations.json written: 1 sample of this run, 0 others " \
           "kept" in run.out
    path = durations.path_in(mp.samples)
    written = durations.load(path).seconds
    assert list(written) == ["perfect_long.mp4"] and 0 < written["perfect_long.mp4"] < 60
    # four samples of one play time: two a shard, though one file is 3x the others' size
    durations.update_file(path, {sample: 1.5 for sample in SIZES})
    listed = mp.run("--collect-only", "-q", "--mp-shard=1/2")
    assert "pyglet-media: shard 1 of 2: 2 samples, 3.0 expected seconds, from " \
           "samples.durations.json" in listed.out
    assert len([line for line in listed.out.splitlines() if line.startswith("samples/")]) == 2
    # and the run plays what took longest first, whatever the files' lengths
    durations.update_file(path, {"perfect_c.wav": 9.0})
    ordered = mp.run("--collect-only", "-q")
    assert [line for line in ordered.out.splitlines()
            if line.startswith("samples/")][0] == mp.nodeid("perfect_c.wav")


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


#: the README's CI recipe, here: 4 shard jobs, bundles, one merge
CORPUS = {"perfect_a.mp4": 500, "perfect_b.mkv": 200, "defects_c.mp4": 400,
          "segfault_d.ogv": 100, "flaky_e.mp4": 300, "perfect_f.wav": 150,
          "defects_g.mp3": 250, "perfect_h.webm": 350}


def _verdicts(summary: str) -> list[str]:
    """The summary without its first line (it names the session) and without
    the reasons of samples not checked against the file: a live run gives
    ffprobe's error, a session read afterwards (merge, summarize) says it
    holds no reference; the samples listed are the same."""
    lines = summary.splitlines()[1:]
    return [line.split(":")[0] if line.startswith("\t") else line for line in lines]


def test_four_shards_bundled_and_merged_equal_one_run(mp, tmp_path, monkeypatch):
    from pytest_pyglet_media.cli import main as cli
    from pytest_pyglet_media.report.session_writer import session_results
    from pytest_pyglet_media.store import sessions

    for name, size in CORPUS.items():
        mp.add(name, content=b"x" * size)
    single = mp.run("--mp-session=single", "-n", "2")
    played = set()
    for k in range(1, 5):
        run = mp.run(f"--mp-session=shard-{k}", f"--mp-shard={k}/4", "-v")
        ran = set(run.statuses())
        assert not ran & played  # disjoint
        played |= ran
        assert cli.main(["--samples-dir", str(mp.samples), "bundle", f"shard-{k}",
                         "--output", str(tmp_path / f"shard-{k}.mp-bundle.tar.gz")]) == 0
    assert played == {mp.nodeid(s) for s in CORPUS}  # covering
    bundles = sorted(str(p) for p in tmp_path.glob("*.mp-bundle.tar.gz"))
    assert cli.main(["--samples-dir", str(mp.samples), "merge", "all", *bundles,
                     "--plots=none"]) == 0
    assert _verdicts(single.summary("all")) == _verdicts(single.summary("single"))
    outcomes = {name: {s: r.outcome if r else None for s, r in
                       session_results(sessions.SessionPaths(mp.samples, name)).items()}
                for name in ("single", "all")}
    assert outcomes["all"] == outcomes["single"] and len(outcomes["all"]) == len(CORPUS)
    merged = sessions.SessionPaths(mp.samples, "all")
    assert sorted(p.name for p in merged.dbg_dir.glob("*.dbg")) == \
        sorted(f"{s}.dbg" for s in CORPUS)
    assert (merged.reports_dir / "index.html").is_file()
    assert single.ret == 1  # the corpus has failures: the same ones, merged or not


def test_a_matrix_of_two_audio_drivers_by_two_shards_merges_into_two_groups(mp, tmp_path):
    """Each "platform" (here: audio drivers) plays the whole
    playlist in 2 shards; one merge of the 4 bundles holds each platform as
    a group with every sample, and compares the groups sample by sample."""
    from pytest_pyglet_media.cli import main as cli
    from pytest_pyglet_media.report.session_writer import session_results
    from pytest_pyglet_media.store import sessions

    corpus = {name: CORPUS[name] for name in ("perfect_a.mp4", "defects_c.mp4",
                                              "perfect_f.wav", "defects_g.mp3")}
    for name, size in corpus.items():
        mp.add(name, content=b"x" * size)
    assert mp.run("--mp-session=single").ret == 1  # the corpus has defects
    for audio in ("silent", "openal,silent"):
        for k in (1, 2):
            name = f"{audio.replace(',', '-')}-{k}"
            mp.run(f"--mp-session={name}", f"--mp-shard={k}/2", f"--mp-audio={audio}")
            assert cli.main(["--samples-dir", str(mp.samples), "bundle", name, "--output",
                             str(tmp_path / f"{name}.mp-bundle.tar.gz")]) == 0
    bundles = sorted(str(p) for p in tmp_path.glob("*.mp-bundle.tar.gz"))
    assert cli.main(["--samples-dir", str(mp.samples), "merge", "all", *bundles,
                     "--plots=none"]) == 2      # two places: --allow-mixed says so
    assert cli.main(["--samples-dir", str(mp.samples), "merge", "all", *bundles,
                     "--allow-mixed", "--plots=none"]) == 0
    merged = sessions.SessionPaths(mp.samples, "all")
    expected = {s: r.outcome if r else None
                for s, r in session_results(sessions.SessionPaths(mp.samples, "single")).items()}
    assert merged.group_numbers() == [1, 2]
    for number in (1, 2):
        group = merged.group(number)
        assert {s: r.outcome if r else None
                for s, r in session_results(group).items()} == expected
    summary = merged.special_report("summary").read_text()
    assert "audio openal,silent" in summary and "4 in common, 0 regressed" in summary
    assert cli.main(["--samples-dir", str(mp.samples), "compare", "--session", "all",
                     "--between", "1", "2"]) == 0
    text = (merged.reports_dir / "comparison_group02_group01.txt").read_text()
    assert "Regressed in" in text and "(new defects, a crash or a timeout): 0" in text
