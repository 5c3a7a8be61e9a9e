"""pyglet-mp session commands: new, activate, deactivate, protect, status, list, help.

Covers the commands, activation.json, the playlist copy, versions, corpus
version, playlists and session names.
"""
from __future__ import annotations

import json
import os

import pytest

from pytest_pyglet_media.play import versions
from pytest_pyglet_media.store import sessions

REAL_CAPTURE = versions.capture  # taken before any fixture fakes it


def activation(samples_dir):
    path = samples_dir / sessions.ACTIVATION_FILE
    return json.loads(path.read_text()) if path.exists() else None


def leftovers(samples_dir):
    """Folders in the samples folder: sessions and any half-made staging folder."""
    return sorted(p.name for p in samples_dir.iterdir() if p.is_dir())


# -- new -------------------------------------------------------------------------


def test_new_creates_session_layout_and_activates_it(mp, samples_dir, h, fake_versions):
    r = mp("new", "s1")
    assert r.code == 0, r.output
    assert "s1" in r.out and "3 samples" in r.out
    p = h.paths(samples_dir, "s1")
    assert p.configuration.is_file() and p.dbg_dir.is_dir() and p.reports_dir.is_dir()
    assert activation(samples_dir) == "s1"
    # no explicit playlist: every sample, the excluded .txt left out
    assert sessions.parse_playlist(p.playlist.read_text()) == ["a.mp4", "b.ogv", "c.mkv"]
    conf = h.config(samples_dir, "s1")
    assert conf["has_playlist"] is False
    assert conf["protect_raw_data"] is False and conf["protect_reports"] is False
    assert conf["dev_debug"] is False
    assert json.loads(p.versions.read_text()) == h.FAKE_VERSIONS
    assert len(fake_versions) == 1


def test_new_records_real_versions(mp, samples_dir, h, monkeypatch):
    """One session made with the real versions.capture (the player's --info)."""
    monkeypatch.setattr("pytest_pyglet_media.play.versions.capture", REAL_CAPTURE)
    r = mp("new", "real")
    assert r.code == 0, r.output
    info = json.loads(h.paths(samples_dir, "real").versions.read_text())
    for key in ("pyglet", "ffmpeg", "python", "platform", "pyglet_revision"):
        assert info.get(key), f"_versions.json lacks {key}: {info}"
    assert "error" not in info


def test_new_with_playlist_copies_it_as_the_authoritative_one(mp, samples_dir, h, tmp_path):
    playlist = tmp_path / "my.playlist"
    playlist.write_text("# only two\n\n  c.mkv  \n# a.mp4\na.mp4\n\n")
    r = mp("new", "pl", playlist)
    assert r.code == 0, r.output
    p = h.paths(samples_dir, "pl")
    assert sorted(sessions.parse_playlist(p.playlist.read_text())) == ["a.mp4", "c.mkv"]
    assert h.config(samples_dir, "pl")["has_playlist"] is True
    assert "2 samples" in r.out
    # the copy is what counts: the user's file can go away
    playlist.unlink()
    r = mp("status")
    assert r.code == 0, r.output
    assert "2 in the playlist" in r.out


def test_new_records_corpus_version_from_manifest(mp, samples_dir, h):
    (samples_dir / "samples.toml").write_text('[corpus]\nversion = "corpus-7.3"\n')
    (samples_dir / "_version.txt").write_text("ignored-when-a-manifest-says\n")
    assert mp("new", "s").code == 0
    assert h.paths(samples_dir, "s").samples_version.read_text().strip() == "corpus-7.3"
    # the manifest is never a sample
    assert "samples.toml" not in h.paths(samples_dir, "s").playlist.read_text()


def test_new_records_corpus_version_from_version_file(mp, samples_dir, h):
    (samples_dir / "_version.txt").write_text("  v2026.1  \n")
    assert mp("new", "s").code == 0
    assert h.paths(samples_dir, "s").samples_version.read_text().strip() == "v2026.1"


def test_new_with_bad_manifest_refused_and_leaves_nothing(mp, samples_dir):
    (samples_dir / "samples.toml").write_text("[corpus\nversion = 1\n")
    r = mp("new", "s")
    assert r.code == 2
    r.assert_one_line_error("samples.toml")
    assert leftovers(samples_dir) == []


def test_new_without_samples_dir_names_the_variable(mp, samples_dir, monkeypatch):
    monkeypatch.delenv(sessions.SAMPLES_DIR_ENV)
    r = mp("new", "s")
    assert r.code == 2
    r.assert_one_line_error("PYTEST_MP_SAMPLES_DIR", "--samples-dir")
    assert leftovers(samples_dir) == []


def test_samples_dir_option_overrides_the_environment(mp, samples_dir, tmp_path, monkeypatch):
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.webm").write_bytes(b"x")
    r = mp("new", "o", "--samples-dir", other)
    assert r.code == 0, r.output
    assert (other / "o" / "configuration.json").is_file()
    assert not (samples_dir / "o").exists()
    assert mp("list", "--samples-dir", other).out.split() == ["*", "o"]


def test_missing_samples_dir_refused(mp, tmp_path):
    r = mp("list", "--samples-dir", tmp_path / "nowhere")
    assert r.code == 2
    r.assert_one_line_error("nowhere", "does not exist")


# -- playlists -------------------------------------------------------------------


def test_playlist_every_bad_line_named_in_one_message(mp, samples_dir, tmp_path):
    (samples_dir / "player.py").write_text("")
    playlist = tmp_path / "bad.txt"
    playlist.write_text("a.mp4\nnotes.txt\n# gone.mp4 is only a comment\nmissing.mp4\n"
                        "player.py\nrecording.DBG\nsub/b.ogv\n")
    before = activation(samples_dir)
    r = mp("new", "s", playlist)
    assert r.code == 2
    r.assert_one_line_error("notes.txt", "missing.mp4", "player.py", "recording.DBG",
                            "sub/b.ogv", str(playlist))
    assert "gone.mp4" not in r.err and "'a.mp4'" not in r.err
    assert leftovers(samples_dir) == []
    assert activation(samples_dir) == before


@pytest.mark.parametrize("ext", [".dbg", ".htm", ".html", ".json", ".log", ".pkl", ".py",
                                 ".txt"])
def test_playlist_refuses_each_excluded_extension(mp, samples_dir, tmp_path, ext):
    (samples_dir / f"x{ext}").write_bytes(b"x")
    playlist = tmp_path / "pl"
    playlist.write_text(f"a.mp4\nx{ext}\n")
    r = mp("new", "s", playlist)
    assert r.code == 2
    r.assert_one_line_error(f"x{ext}", "excluded")
    assert leftovers(samples_dir) == []


def test_playlist_file_missing_refused(mp, samples_dir, tmp_path):
    r = mp("new", "s", tmp_path / "no-such-playlist")
    assert r.code == 2
    r.assert_one_line_error("no-such-playlist")
    assert leftovers(samples_dir) == []


def test_implicit_playlist_skips_excluded_files_and_subfolders(mp, samples_dir, h):
    for name in ("x.dbg", "x.htm", "x.html", "x.json", "x.log", "x.pkl", "x.py", "X.TXT"):
        (samples_dir / name).write_bytes(b"x")
    (samples_dir / "sub").mkdir()
    (samples_dir / "sub" / "deep.mp4").write_bytes(b"x")
    assert mp("new", "s").code == 0
    assert sessions.parse_playlist(h.paths(samples_dir, "s").playlist.read_text()) == \
        ["a.mp4", "b.ogv", "c.mkv"]


def test_new_session_skips_files_that_are_not_media(mp, samples_dir, h):
    (samples_dir / "LICENSE").write_bytes(b"MIT License\n")
    (samples_dir / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    r = mp("new", "s")
    assert r.code == 0
    assert "2 files skipped as not media" in r.err
    paths = h.paths(samples_dir, "s")
    assert sessions.parse_playlist(paths.playlist.read_text()) == ["a.mp4", "b.ogv", "c.mkv"]
    assert [f.name for f in sessions.load_skipped_files(paths)] == ["LICENSE", "cover.jpg"]


# -- session names -----------------------------------------------------------------


BAD_NAMES = {
    "empty": ("", "empty"),
    "blank": ("   ", "empty"),
    "slash": ("a/b", "'/'"),
    "backslash": ("a\\b", "'\\\\'"),
    "dotdot": ("..", "'..'"),
    "dotdot-inside": ("a..b", "'..'"),
    "nul": ("a\x00b", "\\x00"),
    "colon": ("a:b", "':'"),
    "star": ("a*b", "'*'"),
    "question": ("a?b", "'?'"),
    "quote": ('a"b', "'\"'"),
    "lt": ("a<b", "'<'"),
    "gt": ("a>b", "'>'"),
    "pipe": ("a|b", "'|'"),
    "control": ("a\x07b", "\\x07"),
    "trailing-dot": ("abc.", "end"),
    "trailing-space": ("abc ", "end"),
    "windows-reserved": ("CON", "reserved"),
    "windows-reserved-ext": ("lpt1.txt", "reserved"),
    "too-long": ("x" * 201, "too long"),
}


@pytest.mark.parametrize("name,fragment", list(BAD_NAMES.values()), ids=list(BAD_NAMES))
def test_new_refuses_bad_session_names(mp, samples_dir, name, fragment, fake_versions):
    r = mp("new", name)
    assert r.code == 2
    r.assert_one_line_error("session name" if name.strip() else "session", fragment)
    assert leftovers(samples_dir) == []
    assert activation(samples_dir) is None
    assert fake_versions == []  # refused before any work


@pytest.mark.parametrize("name", ["a/b", "..", "a\\b", "a\x00b"])
def test_activate_refuses_bad_session_names(mp, samples_dir, name):
    r = mp("activate", name)
    assert r.code == 2
    r.assert_one_line_error("session name")
    assert activation(samples_dir) is None


def test_new_refuses_a_name_already_used(mp, samples_dir, h):
    assert mp("new", "s1").code == 0
    (h.paths(samples_dir, "s1").dbg_dir / "keep.me").write_text("x")
    assert mp("new", "s2").code == 0
    r = mp("new", "s1")
    assert r.code == 2
    r.assert_one_line_error("'s1'", "already exists")
    assert (h.paths(samples_dir, "s1").dbg_dir / "keep.me").read_text() == "x"
    assert activation(samples_dir) == "s2"  # a refused new changes nothing


def test_new_refuses_a_name_taken_by_a_plain_folder_or_file(mp, samples_dir):
    (samples_dir / "folder").mkdir()
    r = mp("new", "folder")
    assert r.code == 2
    r.assert_one_line_error("already exists")
    # a sample's own name cannot become a session either
    r = mp("new", "a.mp4")
    assert r.code == 2
    r.assert_one_line_error("already exists")
    assert (samples_dir / "a.mp4").read_bytes() == b"not really media"


def test_unicode_and_dotted_names_are_fine(mp, samples_dir, h):
    for name in ("séance-ü_1", "v1.2-rc"):
        assert mp("new", name).code == 0, name
        assert h.paths(samples_dir, name).exists()


# -- activate / deactivate / list ---------------------------------------------------


def test_activate_deactivate_list(mp, samples_dir):
    assert mp("new", "one").code == 0
    assert mp("new", "two").code == 0
    r = mp("list")
    assert r.code == 0
    assert r.out.splitlines() == ["  one", "* two"]

    r = mp("activate", "one")
    assert r.code == 0 and "one" in r.out
    assert activation(samples_dir) == "one"
    assert mp("list").out.splitlines() == ["* one", "  two"]

    r = mp("deactivate")
    assert r.code == 0
    assert not (samples_dir / sessions.ACTIVATION_FILE).exists()
    assert mp("list").out.splitlines() == ["  one", "  two"]
    # deactivate twice is fine
    assert mp("deactivate").code == 0


def test_list_only_folders_with_a_configuration(mp, samples_dir):
    (samples_dir / "not-a-session").mkdir()
    r = mp("list")
    assert r.code == 0 and "no sessions" in r.out
    assert mp("new", "real").code == 0
    assert mp("list").out.split() == ["*", "real"]


def test_activate_unknown_session_refused(mp, samples_dir):
    assert mp("new", "one").code == 0
    r = mp("activate", "nope")
    assert r.code == 2
    r.assert_one_line_error("'nope'", "one")
    assert activation(samples_dir) == "one"


def test_activate_a_folder_without_configuration_refused(mp, samples_dir):
    (samples_dir / "half").mkdir()
    r = mp("activate", "half")
    assert r.code == 2
    r.assert_one_line_error("'half'")


# -- protect / status --------------------------------------------------------------


@pytest.mark.parametrize("target,raw,reports", [
    (None, True, True), ("all", True, True), ("raw", True, False), ("reports", False, True)])
def test_protect_targets(mp, samples_dir, h, target, raw, reports):
    assert mp("new", "s").code == 0
    r = mp("protect", *([target] if target else []))
    assert r.code == 0, r.output
    conf = h.config(samples_dir, "s")
    assert conf["protect_raw_data"] is raw and conf["protect_reports"] is reports
    assert f"protect_raw_data={raw}" in r.out


def test_protect_accumulates_and_never_unprotects(mp, samples_dir, h):
    assert mp("new", "s").code == 0
    assert mp("protect", "raw").code == 0
    assert mp("protect", "reports").code == 0
    conf = h.config(samples_dir, "s")
    assert conf["protect_raw_data"] and conf["protect_reports"]


def test_protect_bad_target_is_a_usage_error(mp, samples_dir, h):
    assert mp("new", "s").code == 0
    r = mp("protect", "everything")
    assert r.code == 2
    r.assert_one_line_error("everything")
    assert h.config(samples_dir, "s")["protect_raw_data"] is False


def test_status_prints_the_configuration(mp, samples_dir, h):
    assert mp("new", "s").code == 0
    h.write_recording(samples_dir, "s", "a.mp4", crashed=False)
    assert mp("protect", "raw").code == 0
    r = mp("status")
    assert r.code == 0
    assert f"samples_dir: {samples_dir}" in r.out
    assert "session: s" in r.out
    assert "protect_raw_data: True" in r.out and "protect_reports: False" in r.out
    assert "dev_debug: False" in r.out
    assert "3 in the playlist, 1 recorded" in r.out
    assert "9.9.9-fake" in r.out


@pytest.mark.parametrize("command", ["status", "protect"])
def test_session_commands_need_an_active_session(mp, samples_dir, command):
    r = mp(command)
    assert r.code == 2
    r.assert_one_line_error("no session is active")


def test_active_session_that_vanished_is_refused(mp, samples_dir):
    assert mp("new", "gone").code == 0
    (samples_dir / "gone" / "configuration.json").unlink()
    r = mp("status")
    assert r.code == 2
    r.assert_one_line_error("'gone'")


def test_corrupt_activation_file_is_a_one_line_error(mp, samples_dir):
    (samples_dir / sessions.ACTIVATION_FILE).write_text("{not json")
    r = mp("status")
    assert r.code == 2
    r.assert_one_line_error(sessions.ACTIVATION_FILE)


def test_corrupt_configuration_is_a_one_line_error(mp, samples_dir, h):
    assert mp("new", "s").code == 0
    h.paths(samples_dir, "s").configuration.write_text('{"protect_raw_data": "yes"}')
    r = mp("status")
    assert r.code == 2
    r.assert_one_line_error("configuration.json", "protect_raw_data")


# -- help --------------------------------------------------------------------------


def test_help_without_topic_lists_every_command(mp, samples_dir):
    r = mp("help")
    assert r.code == 0
    for command in ("new", "activate", "deactivate", "protect", "status", "list", "help",
                    "playmany", "retry-crashed", "summarize", "run-test-suite"):
        assert command in r.out
    assert "PYTEST_MP_SAMPLES_DIR" in r.out


@pytest.mark.parametrize("topic,fragment", [
    ("new", "PLAYLIST"), ("retry-crashed", "MAX_RETRIES"), ("protect", "reports"),
    ("run-test-suite", "SAMPLES_DIR"), ("playmany", "PYTEST_ARGS")])
def test_help_for_a_command(mp, topic, fragment):
    r = mp("help", topic)
    assert r.code == 0
    assert f"usage: pyglet-mp {topic}" in r.out
    assert fragment in r.out


def test_help_unknown_topic(mp):
    r = mp("help", "frobnicate")
    assert r.code == 2
    r.assert_one_line_error("frobnicate", "playmany")


def test_help_needs_no_samples_dir(mp, tmp_path):
    assert os.environ.get(sessions.SAMPLES_DIR_ENV) is None
    assert mp("help", "new").code == 0


def test_new_recursive_names_nested_samples_by_their_path(mp, samples_dir, h, monkeypatch):
    (samples_dir / "live").mkdir()
    (samples_dir / "live" / "concert.mkv").write_bytes(b"x")
    r = mp("new", "flat")
    assert "1 subfolder not searched" in r.err
    assert sessions.parse_playlist(h.paths(samples_dir, "flat").playlist.read_text()) == \
        ["a.mp4", "b.ogv", "c.mkv"]
    monkeypatch.setenv("PYTEST_MP_RECURSIVE", "yes")  # the variable pytest reads
    assert mp("new", "deep").code == 0
    assert sessions.parse_playlist(h.paths(samples_dir, "deep").playlist.read_text()) == \
        ["a.mp4", "b.ogv", "c.mkv", "live/concert.mkv"]
