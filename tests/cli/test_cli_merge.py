"""`pyglet-mp merge OUT SOURCES...`: shards' sessions and bundles into one session.

Every refusal is one line, exit status 2, and leaves nothing in the store:
no OUT, no hidden staging or unpacking folder.
"""
from __future__ import annotations

import json

import pytest
from mp_support.recordings import bare_play

from pytest_pyglet_media.store import recording
from pytest_pyglet_media.store import sessions

PLAYLIST = ["a.mp4", "b.ogv", "c.mkv", "d.wav"]


def crashed(sample):
    return recording.crash_placeholder(sample)


def shard(samples, name, played, playlist=PLAYLIST):
    """A shard's session: the whole playlist, recordings of `played` only."""
    return samples.session(name, {s: (played[s] if s in played else None) for s in playlist})


def assert_nothing_written(samples_dir, out="all"):
    assert not (samples_dir / out).exists()
    assert not [p.name for p in samples_dir.iterdir() if p.name.startswith(".")]


@pytest.fixture
def two_shards(samples):
    shard(samples, "shard-1", {"a.mp4": bare_play("a.mp4"), "c.mkv": crashed("c.mkv")})
    shard(samples, "shard-2", {"b.ogv": bare_play("b.ogv"), "d.wav": bare_play("d.wav")})
    return samples


def test_merge_two_shards_into_one_session(two_shards, mp):
    samples_dir = two_shards.samples_dir
    one = sessions.SessionPaths(samples_dir, "shard-1")
    (one.dbg_dir / "_crash_retries.json").write_text(json.dumps(
        {"c.mkv": {"attempts": 6, "crashed_attempts": 6},
         "b.ogv": {"attempts": 9, "crashed_attempts": 9}}))  # b.ogv: shard 2 played it
    result = mp("merge", "all", "shard-1", str(samples_dir / "shard-2"), "--plots=none")
    assert result.code == 0, result.output
    assert "4 of 4 samples recorded" in result.out
    merged = sessions.SessionPaths(samples_dir, "all")
    assert sessions.session_playlist(merged) == PLAYLIST
    assert all(merged.recording(s).is_file() for s in PLAYLIST)
    assert sessions.load_retry_state(merged) == {"c.mkv": {"attempts": 6, "crashed_attempts": 6}}
    summary = merged.special_report("summary").read_text()
    assert "session: all" in summary and "All samples have a .dbg recording." in summary
    assert "Samples that always crashed (in every attempt to play)\nc.mkv" in summary
    assert merged.special_report("index").is_file()
    assert not [p.name for p in samples_dir.iterdir() if p.name.startswith(".")]


def test_the_same_recording_in_two_sources_is_no_conflict(samples, mp):
    shard(samples, "s1", {"a.mp4": bare_play("a.mp4")})
    shard(samples, "s2", {"a.mp4": bare_play("a.mp4"), "b.ogv": bare_play("b.ogv")})
    assert mp("merge", "all", "s1", "s2", "--plots=none").code == 0


def test_a_sample_recorded_differently_twice_is_refused_unless_prefer_last(samples, mp):
    shard(samples, "s1", {"a.mp4": bare_play("a.mp4")})
    shard(samples, "s2", {"a.mp4": crashed("a.mp4")})
    mp("merge", "all", "s1", "s2").one_line_error(
        "'a.mp4' was played by s1 and s2 with different recordings", "--prefer-last")
    assert_nothing_written(samples.samples_dir)
    assert mp("merge", "all", "s1", "s2", "--prefer-last", "--plots=none").code == 0
    merged = sessions.SessionPaths(samples.samples_dir, "all")
    assert merged.recording("a.mp4").read_bytes() == \
        sessions.SessionPaths(samples.samples_dir, "s2").recording("a.mp4").read_bytes()


def _set_versions(samples_dir, session, **changes):
    paths = sessions.SessionPaths(samples_dir, session)
    paths.versions.write_text(json.dumps({**sessions.load_versions(paths), **changes}))


@pytest.mark.parametrize("key", ["pyglet", "ffmpeg"])
def test_other_versions_are_refused_unless_allow_mixed(two_shards, mp, key):
    samples_dir = two_shards.samples_dir
    _set_versions(samples_dir, "shard-2", **{key: "2.0-other"})
    mp("merge", "all", "shard-1", "shard-2").one_line_error(
        "played by different versions", "shard-1: pyglet", "--allow-mixed")
    assert_nothing_written(samples_dir)
    result = mp("merge", "all", "shard-1", "shard-2", "--allow-mixed", "--plots=none")
    assert result.code == 0 and "with mixed versions: 2 groups" in result.out
    merged = sessions.SessionPaths(samples_dir, "all")
    summary = merged.special_report("summary").read_text()
    assert "*** Mixed versions" in summary and "2.0-other" in summary
    assert sessions.load_versions(merged)["mixed_versions"]["b.ogv"]["source"] == "shard-2"
    # summarize keeps the section: it is kept in the session, not only in the report
    assert mp("summarize", "--session", "all").code == 0
    assert "*** Mixed versions" in merged.special_report("summary").read_text()


def test_other_playlists_are_refused_unless_allow_mixed(samples, mp):
    shard(samples, "s1", {"a.mp4": bare_play("a.mp4")}, playlist=["a.mp4", "b.ogv"])
    shard(samples, "s2", {"c.mkv": bare_play("c.mkv")}, playlist=["c.mkv"])
    mp("merge", "all", "s1", "s2").one_line_error("different playlists",
                                                  "s1: 2 samples; s2: 1 sample")
    assert_nothing_written(samples.samples_dir)
    assert mp("merge", "all", "s1", "s2", "--allow-mixed", "--plots=none").code == 0
    merged = sessions.SessionPaths(samples.samples_dir, "all")
    assert sessions.session_playlist(merged) == ["a.mp4", "b.ogv", "c.mkv"]


def test_a_bundle_that_fails_verification_is_refused(two_shards, mp, tmp_path):
    samples_dir = two_shards.samples_dir
    assert mp("bundle", "shard-1", "--output", str(tmp_path / "one.mp-bundle.tar.gz")).code == 0
    bad = tmp_path / "two.mp-bundle.tar.gz"
    bad.write_bytes(b"\x1f\x8b not a real archive")
    mp("merge", "all", str(tmp_path / "one.mp-bundle.tar.gz"), str(bad)).one_line_error(
        str(bad), "is not a bundle")
    assert_nothing_written(samples_dir)


def test_an_existing_out_or_an_unknown_source_is_refused(two_shards, mp):
    mp("merge", "shard-1", "shard-2").one_line_error("session 'shard-1' already exists")
    mp("merge", "all", "shard-1", "nowhere").one_line_error(
        "source 'nowhere' is neither a session")
    assert_nothing_written(two_shards.samples_dir)


def test_a_shard_that_crashed_mid_run_leaves_its_samples_listed_as_played_by_none(
        samples, mp, tmp_path):
    """Shard 2's job died after its first sample: its bundle has fewer
    recordings; the merged summary lists the samples no shard played."""
    shard(samples, "shard-1", {"a.mp4": bare_play("a.mp4"), "c.mkv": bare_play("c.mkv")})
    shard(samples, "shard-2", {"b.ogv": bare_play("b.ogv")})  # d.wav never played
    bundles = []
    for name in ("shard-1", "shard-2"):
        target = tmp_path / f"{name}.mp-bundle.tar.gz"
        assert mp("bundle", name, "--output", str(target)).code == 0
        bundles.append(str(target))
    result = mp("merge", "all", *bundles, "--plots=none")
    assert result.code == 0 and "1 played by no source" in result.out
    summary = sessions.SessionPaths(samples.samples_dir, "all").special_report("summary") \
        .read_text()
    assert "Samples with no .dbg recording: 1" in summary
    assert "Appendix, list of samples without dbg\n\td.wav" in summary
    assert_nothing_written(samples.samples_dir, out="nothing")


def test_shards_played_on_two_platforms_are_shown_side_by_side(two_shards, mp):
    """One shard per OS (or audio driver), merged with --allow-mixed:
    the summary has a row per platform, the index a "played by" column."""
    samples_dir = two_shards.samples_dir
    _set_versions(samples_dir, "shard-1", platform="Linux-6.1.0-x86_64-with-glibc2.36",
                  machine="x86_64", audio="openal")
    _set_versions(samples_dir, "shard-2", platform="Windows-10-10.0.19045-SP0",
                  machine="AMD64", audio="openal")
    mp("merge", "all", "shard-1", "shard-2").one_line_error(
        "different versions or platforms", "shard-1: pyglet 9.9.9-fake", "Linux, x86_64",
        "shard-2: pyglet 9.9.9-fake", "Windows, AMD64")
    assert mp("merge", "all", "shard-1", "shard-2", "--allow-mixed", "--plots=none").code == 0
    merged = sessions.SessionPaths(samples_dir, "all")
    assert sessions.load_versions(merged)["mixed_versions"]["d.wav"]["os"] == "Windows"
    assert mp("summarize", "--session", "all").code == 0
    summary = merged.special_report("summary").read_text()
    table = summary.split("*** Side by side", 1)[1].splitlines()
    assert table[2].split() == ["Linux,", "x86_64", "2", "1", "0", "1", "0", "0", "0.000"]
    assert table[3].split() == ["Windows,", "AMD64", "2", "2", "0", "0", "0", "0", "0.000"]
    assert "\t2 Windows, AMD64: pyglet 9.9.9-fake, FFmpeg 0.0-fake, Windows, AMD64, " \
        "Python 3.x-fake, audio openal; 2 samples played; from shard-2" in summary
    assert "show group 1's recordings; of a later group for the samples group 1 did not " \
        "play: b.ogv, d.wav." in summary
    index = merged.special_report("index").read_text()
    assert "<th>played by</th>" in index and "<td>a.mp4</td><td>Linux, x86_64</td>" in index


def test_an_index_of_shards_played_alike_has_no_played_by_column(two_shards, mp):
    assert mp("merge", "all", "shard-1", "shard-2", "--plots=none").code == 0
    merged = sessions.SessionPaths(two_shards.samples_dir, "all")
    assert "played by" not in merged.special_report("index").read_text()
    assert "Side by side" not in merged.special_report("summary").read_text()


@pytest.fixture
def two_platforms(samples):
    """The whole playlist played on Linux and on Windows (one job
    per OS, each maybe sharded): every sample has a recording from each."""
    shard(samples, "linux", {s: bare_play(s) for s in PLAYLIST})
    shard(samples, "win-1", {"a.mp4": crashed("a.mp4"), "b.ogv": bare_play("b.ogv")})
    shard(samples, "win-2", {"c.mkv": bare_play("c.mkv")})   # d.wav: not played on Windows
    for name, platform, machine in (("linux", "Linux-6.1.0-x86_64-with-glibc2.36", "x86_64"),
                                    ("win-1", "Windows-10-10.0.19045-SP0", "AMD64"),
                                    ("win-2", "Windows-10-10.0.22631-SP0", "AMD64")):
        _set_versions(samples.samples_dir, name, platform=platform, machine=machine)
    return samples


def test_a_sample_played_on_two_platforms_is_kept_for_each(two_platforms, mp):
    samples_dir = two_platforms.samples_dir
    result = mp("merge", "all", "linux", "win-1", "win-2", "--allow-mixed", "--plots=none")
    assert result.code == 0, result.output
    merged = sessions.SessionPaths(samples_dir, "all")
    assert merged.group_numbers() == [1, 2]
    linux, windows = merged.group(1), merged.group(2)
    assert sessions.session_playlist(windows) == PLAYLIST
    assert all(linux.recording(s).is_file() for s in PLAYLIST)
    assert [s for s in PLAYLIST if windows.recording(s).is_file()] == ["a.mp4", "b.ogv", "c.mkv"]
    assert windows.recording("a.mp4").read_bytes() == \
        sessions.SessionPaths(samples_dir, "win-1").recording("a.mp4").read_bytes()
    assert sessions.load_versions(windows)["platform"].startswith("Windows")
    # the top level (per-sample reports, timelines) is the first group's
    assert merged.recording("a.mp4").read_bytes() == linux.recording("a.mp4").read_bytes()
    summary = merged.special_report("summary").read_text()
    table = summary.split("*** Side by side", 1)[1].splitlines()
    assert table[2].split() == ["Linux,", "x86_64", "4", "4", "0", "0", "0", "0", "0.000"]
    assert table[3].split() == ["Windows,", "AMD64", "3", "2", "0", "1", "0", "0", "0.000"]
    assert "\t2 Windows, AMD64: 3 in common, 1 regressed, 0 fixed, 0 changed" in summary
    assert "regressed: a.mp4: perfect -> crashed" in summary
    index = merged.special_report("index").read_text()
    assert "<td>a.mp4</td><td>Linux, x86_64: perfect; Windows, AMD64: crashed</td>" in index
    assert "<td>d.wav</td><td>Linux, x86_64</td>" in index
    # a record of other machines' plays: recording into it is refused
    assert not sessions.load_configuration(merged).raw_data_writable
    assert sessions.load_configuration(merged).reports_writable


def test_compare_between_two_groups_of_a_merged_session(two_platforms, mp):
    samples_dir = two_platforms.samples_dir
    assert mp("merge", "all", "linux", "win-1", "win-2", "--allow-mixed",
              "--plots=none").code == 0
    result = mp("compare", "--session", "all", "--between", "1", "windows, amd64")
    assert result.code == 0, result.output
    assert "regressed: a.mp4: perfect -> crashed" in result.out
    target = result.out.splitlines()[0]
    assert target.endswith("all/reports/comparison_group02_group01.txt")
    text = (samples_dir / "all/reports/comparison_group02_group01.txt").read_text()
    assert text.startswith("Comparison of group 'Windows, AMD64' with group 'Linux, x86_64'")
    assert "   1   .dbg missing only on group 'Windows, AMD64'" in text
    assert "Regressed in 'Windows, AMD64' (new defects, a crash or a timeout): 1\n\ta.mp4" in text
    mp("compare", "--session", "all", "--between", "1", "3").one_line_error(
        "session all has no group '3'", "1: Linux, x86_64; 2: Windows, AMD64")
    mp("compare", "--session", "linux", "--between", "1", "2").one_line_error(
        "session linux has no groups to compare")
    mp("compare", "--session", "all").one_line_error("name the OTHER session")


def test_a_merged_session_travels_and_merges_again_with_its_groups(two_platforms, mp, tmp_path):
    samples_dir = two_platforms.samples_dir
    assert mp("merge", "all", "linux", "win-1", "win-2", "--allow-mixed",
              "--plots=none").code == 0
    archive = tmp_path / "all.mp-bundle.tar.gz"
    assert mp("bundle", "all", "--output", str(archive)).code == 0
    assert mp("merge", "again", str(archive), "--plots=none").code == 0
    again = sessions.SessionPaths(samples_dir, "again")
    assert again.group_numbers() == [1, 2]
    assert [s for s in PLAYLIST if again.group(2).recording(s).is_file()] == \
        ["a.mp4", "b.ogv", "c.mkv"]
    assert mp("compare", "--session", "again", "--between", "1", "2").code == 0


def test_two_shards_of_one_platform_still_conflict_in_a_mixed_merge(two_platforms, mp):
    shard(two_platforms, "win-3", {"a.mp4": bare_play("a.mp4")})
    _set_versions(two_platforms.samples_dir, "win-3", platform="Windows-10-10.0.1-SP0",
                  machine="AMD64")
    mp("merge", "all", "linux", "win-1", "win-3", "--allow-mixed").one_line_error(
        "'a.mp4' was played by win-1 and win-3 with different recordings")
    assert_nothing_written(two_platforms.samples_dir)


def test_a_source_given_twice_is_refused_naming_it(two_shards, mp):
    mp("merge", "all2", "shard-1", "shard-1").one_line_error(
        "source 'shard-1' is given twice")
    assert_nothing_written(two_shards.samples_dir, out="all2")


def test_one_session_given_by_name_and_by_path_is_refused_naming_both(two_shards, mp):
    folder = str(two_shards.samples_dir / "shard-2")
    mp("merge", "all", "shard-2", "shard-1", folder).one_line_error(
        f"sources 'shard-2' and {folder!r} are the same session")
    assert_nothing_written(two_shards.samples_dir)


def test_one_bundle_given_twice_is_refused(two_shards, mp, tmp_path):
    archive = tmp_path / "one.mp-bundle.tar.gz"
    assert mp("bundle", "shard-1", "--output", str(archive)).code == 0
    mp("merge", "all", str(archive), "shard-2", str(archive)).one_line_error(
        f"source {str(archive)!r} is given twice")
    assert_nothing_written(two_shards.samples_dir)


def test_one_merged_source_says_one_source(two_shards, mp):
    result = mp("merge", "all", "shard-1", "--plots=none", "--allow-mixed")
    assert result.code == 0, result.output
    assert "merged 1 source into session all" in result.out


def test_ci_jobs_split_by_audio_driver_merge_as_shards_do(samples, mp):
    """Each job played `--mp-drivers=<its driver>`: their driver groups merge
    without --allow-mixed, one group per driver, side by side."""
    from pytest_pyglet_media.store import driver_groups

    samples_dir = samples.samples_dir
    for job, driver in (("job-silent", "silent"), ("job-pulse", "pulse")):
        paths = shard(samples, job, {})
        group = driver_groups.ensure_groups(paths, [driver], sessions.load_versions(paths))
        for sample in PLAYLIST:
            recording.save(group[driver].recording(sample), bare_play(sample))
    result = mp("merge", "all", "job-silent", "job-pulse", "--plots=none")
    assert result.code == 0, result.output
    merged = sessions.SessionPaths(samples_dir, "all")
    assert [sessions.load_versions(merged.group(n))["audio"] for n in (1, 2)] == \
        ["silent", "pulse"]
    top = sessions.load_versions(merged)
    assert top[driver_groups.DRIVERS_KEY] == ["silent", "pulse"]
    assert driver_groups.DRIVER_GROUP_KEY not in top
    summary = merged.special_report("summary").read_text()
    assert summary.startswith("Played once per audio driver (--mp-drivers): audio silent: "
                              "perfect; audio pulse: perfect")
    # other differences than the driver still need --allow-mixed
    _set_versions(samples_dir, "job-pulse/groups/01", pyglet="2.0-other")
    mp("merge", "again", "job-silent", "job-pulse").one_line_error(
        "played by different versions")


def test_merge_keeps_the_pictures_numbers_and_previews_with_the_recording(two_shards, mp):
    """The numbers of a play's compared pictures name its recording by content,
    so they count in the merged session as in the shard; their previews follow."""
    from pytest_pyglet_media.store import pictures

    samples_dir = two_shards.samples_dir
    two = sessions.SessionPaths(samples_dir, "shard-2")
    checks = {"compared": [[0.0, 6, 4, [6, 4], 28.1, 43, [1, 2], ""]], "note": ""}
    pictures.save_checks(two.picture_checks("b.ogv"),
                         pictures.recording_digest(two.recording("b.ogv")), checks)
    two.picture_preview("b.ogv", 1).write_bytes(b"png")
    result = mp("merge", "all", "shard-1", "shard-2", "--plots=none")
    assert result.code == 0, result.output
    merged = sessions.SessionPaths(samples_dir, "all")
    assert merged.picture_preview("b.ogv", 1).read_bytes() == b"png"
    assert pictures.load_checks(merged.picture_checks("b.ogv"))[1] == checks
