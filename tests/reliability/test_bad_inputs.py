"""Bad inputs: each gives a clear message and no internal error.

Names and folders are checked with the player doubles. Contents only the real
player can judge (empty, truncated, random bytes, text named as video,
unreadable) are played by it in tests/e2e/test_bad_media_real_player.py.
"""
from __future__ import annotations

import os

import pytest

USAGE_ERROR = int(pytest.ExitCode.USAGE_ERROR)

LONG = "perfect_" + "x" * (255 - len("perfect_") - len(".mp4")) + ".mp4"
ODD = ("perfect with spaces.mp4", "-perfect_dash.mp4", "perfect_ñandú_日本.webm", LONG)
NON_UTF8 = b"perfect_\xff\xfe.mp4"


def _odd_folder(mp, tmp_path):
    mp.add(*ODD)
    assert len(LONG.encode()) == 255
    os.close(os.open(os.fsencode(mp.samples) + b"/" + NON_UTF8, os.O_CREAT | os.O_WRONLY))
    (mp.samples / "folder.mp4").mkdir()  # a folder named like a sample
    (mp.samples / "folder.mp4" / "inner.mp4").write_bytes(b"x")
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(b"outside the samples folder")
    (mp.samples / "link_out.mp4").symlink_to(outside)


def test_odd_names_are_played_and_bad_ones_left_out_with_a_warning(mp, tmp_path,
                                                                    no_internal_error):
    _odd_folder(mp, tmp_path)
    run = mp.run("-v", "-p", "no:xdist")
    no_internal_error(run.out + run.err)
    assert run.statuses() == {mp.nodeid(s): "PASSED" for s in ODD}, run.out
    assert run.ret == 0
    # left out, each with a warning naming it
    warnings = run.out[run.out.index("warnings summary"):]
    assert "link_out.mp4" in warnings and "outside the samples folder" in warnings
    assert "not valid UTF-8" in warnings and "perfect_\\udcff\\udcfe.mp4" not in warnings
    assert "'perfect_\ufffd\ufffd.mp4'" in warnings
    assert "folder.mp4" not in run.out  # a folder is simply not a sample, nor collected
    playlist = (run.session_dir() / "dbg" / "_session_playlist.txt").read_text()
    assert sorted(playlist.splitlines()) == sorted(ODD)
    # the 255-byte name: played, its recording and reports have shortened names
    dbg = run.session_dir() / "dbg"
    long_recording = [p for p in dbg.glob("perfect_xxx*") if p.suffix == ".dbg"]
    assert len(long_recording) == 1 and len(long_recording[0].name.encode()) <= 255
    assert long_recording[0].name != LONG + ".dbg"
    from pytest_pyglet_media.store import recording as rec
    assert ("mp.im", LONG) in rec.load(long_recording[0])
    for sample in ODD[:3]:
        assert rec.load(dbg / f"{sample}.dbg")[1] == ("mp.im", sample)


def test_odd_long_name_reports_are_shortened(mp, no_internal_error):
    long_defect = "defects_" + "y" * (255 - len("defects_") - len(".mp4")) + ".mp4"
    mp.add(long_defect)
    run = mp.run()
    no_internal_error(run.out + run.err)
    assert run.outcomes() == {"failed": 1}
    names = [p.name for p in (run.session_dir() / "reports").iterdir()]
    sample_reports = [n for n in names if n.startswith("defects_yyy")]
    assert len(sample_reports) >= 2, names  # .all.txt and .anomalies.txt at least
    for name in sample_reports:
        assert len(name.encode()) <= 255
    assert any(n.endswith(".anomalies.txt") for n in sample_reports)
    assert f"Sample: {long_defect}" in run.summary()


@pytest.mark.parametrize("keyword, sample", [("spaces", ODD[0]), ("-perfect_dash", ODD[1]),
                                             ("ñandú_日本", ODD[2])])
def test_odd_names_are_selected_with_k(mp, keyword, sample):
    mp.add(*ODD)
    run = mp.run("-v", f"-k={keyword}", "-p", "no:xdist")
    assert run.statuses() == {mp.nodeid(sample): "PASSED"}, run.out
    assert run.outcomes() == {"passed": 1, "deselected": len(ODD) - 1}


def _assert_usage_error(run, *fragments):
    assert run.ret == USAGE_ERROR, run.out + run.err
    assert "INTERNALERROR" not in run.out + run.err
    assert "Traceback" not in run.out + run.err
    for fragment in fragments:
        assert fragment in run.err, f"{fragment!r} not in:\n{run.err}"
    assert not any(p.is_dir() and p.name.startswith("testrun") for p in run.samples.iterdir())


def test_playlist_names_every_bad_line(mp, tmp_path):
    _odd_folder(mp, tmp_path)
    mp.add("notes.txt")
    playlist = mp.pytester.path / "bad playlist.txt"
    playlist.write_text("# one good, every other line bad\n" + ODD[0] + "\n"
                        "ghost.mp4\nnotes.txt\nfolder.mp4\nlink_out.mp4\n../escape.mp4\n"
                        "samples.toml\n")
    run = mp.run(f"--mp-playlist={playlist}")
    _assert_usage_error(run, str(playlist), "'ghost.mp4' is not a file",
                        "'notes.txt' has an excluded extension", "'folder.mp4' is not a file",
                        "'link_out.mp4' is a link to", "outside the samples folder",
                        "'../escape.mp4' leads out of its folder", "'samples.toml' has an excluded")


@pytest.mark.parametrize("where", ["missing", "read-only"])
def test_unusable_samples_folder_is_a_usage_error(mp, setpriv, pyglet_mp, where):
    mp.add("perfect_a.mp4")
    if where == "missing":
        folder, prefix = "nowhere", ()
        words = ("nowhere", "does not exist")
    else:
        os.chmod(mp.samples, 0o555)
        folder, prefix = "samples", setpriv
        words = (str(mp.samples.resolve()), "Permission denied")
    run = mp.run(samples_dir=folder, prefix=prefix)
    _assert_usage_error(run, *words)
    # the same from the session command
    cli = pyglet_mp("new", "s1", f"--samples-dir={folder}", prefix=prefix)
    assert cli.code == 2, cli.output
    assert "Traceback" not in cli.output and len(cli.err.strip().splitlines()) == 1
    for word in words:
        assert word in cli.err
    if where == "read-only":
        assert sorted(p.name for p in mp.samples.iterdir()) == ["perfect_a.mp4"]


@pytest.mark.parametrize("content, words", [
    ("{oops", "is not valid JSON"),
    ('{"protect_raw_data": "yes"}', "protect_raw_data must be true or false"),
    ("[]", "is not a JSON object"),
])
def test_corrupt_configuration_is_a_usage_error_naming_it(mp, content, words):
    mp.add("perfect_a.mp4")
    assert mp.run("--mp-session=s").ret == 0
    configuration = mp.samples / "s" / "configuration.json"
    configuration.write_text(content)
    run = mp.run("--mp-session=s")
    _assert_usage_error(run, str(configuration), words)


@pytest.mark.parametrize("content, words", [
    ("{not json", "is not valid JSON"),
    ("42\n", "must hold a session name"),
    (b"\xff\xfe\n", "is not UTF-8"),
])
def test_corrupt_activation_is_a_usage_error_naming_it(mp, content, words):
    mp.add("perfect_a.mp4")
    activation = mp.samples / "activation.json"
    if isinstance(content, bytes):
        activation.write_bytes(content)
    else:
        activation.write_text(content)
    run = mp.run()
    _assert_usage_error(run, str(activation), words)


@pytest.mark.parametrize("body, words", [
    ('[samples."perfect_a.mp4"\nexpect = "pass"\n', ("TOML syntax error",)),
    ('[samples."perfect_a.mp4"]\nexpect = "pass"\ncolour = "red"\n',
     ("'perfect_a.mp4'", "unknown key 'colour'")),
    ('[samples."perfect_a.mp4"]\nexpect = "pass"\nstrict = "yes"\n', ("strict",)),
])
def test_bad_manifest_is_a_usage_error_naming_file_and_key(mp, body, words):
    mp.add("perfect_a.mp4")
    mp.manifest(body)
    run = mp.run()
    _assert_usage_error(run, str(mp.samples / "samples.toml"), *words)


@pytest.mark.parametrize("folder", ["dbg", "reports"])
def test_read_only_session_folder_gives_a_clear_message(mp, setpriv, pyglet_mp, folder):
    mp.add("perfect_a.mp4")
    assert mp.run("--mp-session=s").ret == 0
    dbg = mp.samples / "s" / "dbg"
    before = {p.name: p.read_bytes() for p in dbg.iterdir()}
    read_only = mp.samples / "s" / folder
    os.chmod(read_only, 0o555)
    run = mp.run("--mp-session=s", prefix=setpriv)
    output = run.out + run.err
    assert "INTERNALERROR" not in output and "Traceback" not in output, output
    if folder == "dbg":  # refused before anything plays
        _assert_usage_error(run, f"cannot write recordings into {read_only}")
    else:  # played; the reports could not be written, and the run says where
        assert run.outcomes() == {"passed": 1}
        assert f"could not write the session reports: cannot write {read_only}/" in run.out
    assert {p.name: p.read_bytes() for p in dbg.iterdir()} == before
    cli = pyglet_mp("summarize", "--samples-dir=samples", "--session=s", prefix=setpriv)
    assert "Traceback" not in cli.output
    if folder == "dbg":  # summarize only reads the recordings
        assert cli.code == 0, cli.output
    else:
        assert cli.code == 2, cli.output
        assert len(cli.err.strip().splitlines()) == 1
        assert f"{read_only}/00_summary.txt" in cli.err and "Permission denied" in cli.err


UNFIT = {"new\nline.mp4": "line break", " lead.mp4": "white space",
         "trail.mp4 ": "white space", "#hash.mp4": "starts with '#'"}


def test_names_a_playlist_line_cannot_hold_are_left_out_with_a_warning(mp, no_internal_error):
    # played, they would be read back from the session playlist as other
    # names, and the summary would call them "not played"
    mp.add("perfect_a.mp4", *UNFIT)
    run = mp.run("-v", "-p", "no:xdist")
    no_internal_error(run.out + run.err)
    assert run.statuses() == {mp.nodeid("perfect_a.mp4"): "PASSED"}
    warnings = run.out[run.out.index("warnings summary"):]
    for name, words in UNFIT.items():
        assert f"left out of the playlist: {name!r}: its name" in warnings
        assert words in warnings
    summary = run.summary()
    assert "Samples in the playlist: 1" in summary
    assert "All samples have a .dbg recording." in summary
    assert (run.session_dir() / "dbg" / "_session_playlist.txt").read_text() == "perfect_a.mp4\n"


def test_session_playlist_naming_a_path_outside_is_a_usage_error(mp, tmp_path, pyglet_mp):
    mp.add("perfect_a.mp4")
    assert mp.run("--mp-session=s").ret == 0
    (mp.pytester.path / "escape.mp4").write_bytes(b"outside")
    playlist = mp.samples / "s" / "dbg" / "_session_playlist.txt"
    playlist.write_text("perfect_a.mp4\n../escape.mp4\n")  # edited, or sent by someone
    run = mp.run("--mp-session=s")
    _assert_usage_error(run, str(playlist), "'../escape.mp4' leads out of its folder")
    assert not (mp.samples / "s" / "dbg" / "escape.mp4.dbg").exists()
    cli = pyglet_mp("summarize", "--samples-dir=samples", "--session=s")
    assert cli.code == 2 and "Traceback" not in cli.output
    assert str(playlist) in cli.err
