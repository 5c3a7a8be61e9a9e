"""session.py: samples folder, playlists, names, sessions, configuration, activation."""
from __future__ import annotations

import json
import os
import time
from pathlib import PurePosixPath

import pytest

from pytest_pyglet_media.core.errors import (
    BadFileError,
    PlaylistError,
    ProtectedSessionError,
    SessionError,
    UsageError,
)
from pytest_pyglet_media.core import names
from pytest_pyglet_media.store import sample_folders, sessions


@pytest.fixture
def samples_dir(tmp_path):
    folder = tmp_path / "samples"
    folder.mkdir()
    for name in ("b.mp4", "a.webm", "c.MKV", "noext", "e.flv"):
        (folder / name).write_bytes(b"media")
    return folder


def _create(samples_dir, name="s1", samples=("a.webm", "b.mp4"), **kw):
    kw.setdefault("has_playlist", False)
    kw.setdefault("versions", {"pyglet": "2.1.19"})
    kw.setdefault("samples_version", "v1")
    return sessions.create_session(samples_dir, name, list(samples), **kw)


# -- implicit playlist ------------------------------------------------------------


def test_implicit_playlist_excludes(samples_dir):
    for name in ("x.dbg", "x.htm", "x.html", "x.json", "x.log", "x.pkl", "x.py", "x.txt",
                 "x.toml", "samples.toml", "X.TXT", "activation.json", ".hidden.mp4",
                 ".DS_Store"):
        (samples_dir / name).write_text("x")
    (samples_dir / "sub").mkdir()
    (samples_dir / "sub" / "inner.mp4").write_bytes(b"x")
    (samples_dir / "folder.mp4").mkdir()  # a folder, even with a media suffix
    # "noext" holds text and has no media extension: skipped as not media,
    # unlike the seed's rule (every file not excluded by its extension)
    assert sessions.implicit_playlist(samples_dir) == ["a.webm", "b.mp4", "c.MKV", "e.flv"]
    assert [(f.name, f.reason) for f in sessions.implicit_selection(samples_dir).skipped] \
        == [("noext", "text"), ("folder.mp4/", sample_folders.NOT_SEARCHED),
            ("sub/", sample_folders.NOT_SEARCHED)]


def test_recursive_selection_names_samples_by_their_relative_path(samples_dir):
    (samples_dir / "live" / "2024").mkdir(parents=True)
    (samples_dir / "live" / "concert.mkv").write_bytes(b"media")
    (samples_dir / "live" / "2024" / "encore.mp4").write_bytes(b"media")
    (samples_dir / "live" / "notes.md").write_text("# notes\n")
    (samples_dir / "live" / ".hidden").mkdir()
    (samples_dir / "live" / ".hidden" / "x.mp4").write_bytes(b"media")
    os.symlink(samples_dir.parent, samples_dir / "out")  # a linked folder: not followed
    _create(samples_dir)  # a session folder: the store's, never searched nor named
    selection = sessions.implicit_selection(samples_dir, recursive=True)
    assert selection.samples == ("a.webm", "b.mp4", "c.MKV", "e.flv", "live/2024/encore.mp4",
                                 "live/concert.mkv")
    assert [(f.name, f.reason) for f in selection.skipped] == [
        ("live/notes.md", "text"), ("noext", "text"), ("out/", sample_folders.LINKED_FOLDER)]
    # globs name a nested sample by its file name or its whole name
    assert sessions.implicit_playlist(samples_dir, exclude=["live/2024/*", "a.*"],
                                      recursive=True) == ["b.mp4", "c.MKV", "e.flv",
                                                          "live/concert.mkv"]


def test_nested_sample_names_keep_flat_distinct_store_names(samples_dir):
    paths = sessions.SessionPaths(samples_dir, "s")
    nested = paths.recording("live/concert.mkv")
    assert nested.parent == paths.dbg_dir and nested.name == "live..concert.mkv.dbg"
    assert paths.report("live/a.mp4", "all").parent == paths.reports_dir
    # no flat name holds '..', so none shares a nested one's file
    assert names.sample_name_problem("live..concert.mkv") is not None
    for good in ("live/concert.mkv", "a/b/c.mp4", "a./b.mp4"):
        assert names.sample_name_problem(good) is None, good
    for bad in ("/abs.mp4", "live/", "a//b.mp4", "a/../b.mp4", "./a.mp4", "a/.h/b.mp4",
                "a\\b.mp4", "#a/b.mp4", "a/b.json"):
        assert names.sample_name_problem(bad) is not None, bad


def test_nested_playlist_entry_through_a_link_out_is_refused(samples_dir, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.mp4").write_bytes(b"media")
    os.symlink(outside, samples_dir / "linked")
    (samples_dir / "live").mkdir()
    (samples_dir / "live" / "in.mp4").write_bytes(b"media")
    playlist = tmp_path / "list.txt"
    playlist.write_text("live/in.mp4\n")
    assert sessions.read_playlist_file(playlist, samples_dir) == ["live/in.mp4"]
    playlist.write_text("linked/x.mp4\n")
    with pytest.raises(PlaylistError, match="outside the samples folder"):
        sessions.read_playlist_file(playlist, samples_dir)


def test_implicit_playlist_excludes_sessions(samples_dir):
    _create(samples_dir)
    assert "s1" not in sessions.implicit_playlist(samples_dir)


def test_implicit_playlist_of_missing_folder(tmp_path):
    with pytest.raises(UsageError, match="cannot list samples folder"):
        sessions.implicit_playlist(tmp_path / "nope")


def test_resolve_samples_dir(samples_dir, tmp_path, monkeypatch):
    monkeypatch.delenv(sessions.SAMPLES_DIR_ENV, raising=False)
    assert sessions.resolve_samples_dir(str(samples_dir), source="--x") == samples_dir.resolve()
    with pytest.raises(UsageError, match=r"does not exist") as info:
        sessions.resolve_samples_dir(tmp_path / "nope", source="--mp-samples-dir")
    assert "--mp-samples-dir" in str(info.value)
    with pytest.raises(UsageError, match="is not a folder"):
        sessions.resolve_samples_dir(samples_dir / "b.mp4", source="x")
    with pytest.raises(UsageError, match=sessions.SAMPLES_DIR_ENV):
        sessions.resolve_samples_dir(None, source="x")
    monkeypatch.setenv(sessions.SAMPLES_DIR_ENV, str(samples_dir))
    assert sessions.resolve_samples_dir("", source="x") == samples_dir.resolve()


# -- playlists ---------------------------------------------------------------------------


def test_parse_playlist():
    text = "# a comment\n\n  b.mp4  \n#c.mp4\na.webm\n\t\n  # indented comment\nd e.mp4\r\n"
    assert sessions.parse_playlist(text) == ["b.mp4", "a.webm", "d e.mp4"]
    assert sessions.parse_playlist("") == []


def test_check_playlist_good(samples_dir):
    source = samples_dir / "list.txt"
    assert sessions.check_playlist(["b.mp4", "a.webm", "b.mp4"], samples_dir, source) == \
        ["a.webm", "b.mp4"]


def test_check_playlist_names_every_bad_line(samples_dir):
    (samples_dir / "notes.txt").write_text("x")
    (samples_dir / "sub").mkdir()
    source = samples_dir / "list.txt"
    bad = ["missing.mp4", "notes.txt", "samples.toml", "../b.mp4", "sub/x.mp4", "a\\b.mp4",
           "..", "sub", "x.JSON"]
    with pytest.raises(PlaylistError) as info:
        sessions.check_playlist(["b.mp4"] + bad, samples_dir, source)
    message = str(info.value)
    assert message.startswith(str(source))
    for entry in bad:
        assert repr(entry) in message, entry
    assert "'b.mp4'" not in message
    assert "excluded extension" in message and "is not a file" in message


def test_read_playlist_file(samples_dir, tmp_path):
    path = tmp_path / "pl.txt"
    path.write_text("# mine\nb.mp4\n\nnoext\n")
    assert sessions.read_playlist_file(path, samples_dir) == ["b.mp4", "noext"]
    with pytest.raises(PlaylistError, match="cannot read"):
        sessions.read_playlist_file(tmp_path / "none.txt", samples_dir)
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(PlaylistError, match="UTF-8") as info:
        sessions.read_playlist_file(path, samples_dir)
    assert str(path) in str(info.value)


def test_corpus_version(samples_dir):
    assert sessions.corpus_version(samples_dir, "1.2").startswith("1.2")
    assert sessions.corpus_version(samples_dir, None).startswith("unknown")
    (samples_dir / "_version.txt").write_text("  v7 \n")
    assert sessions.corpus_version(samples_dir, None) == "v7"


# -- session names ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "", "   ", "a/b", "/abs", "a\\b", "..", ".", "a..b", "x\x00y", "c:d", "a*", "what?",
    "<x>", "a|b", 'q"q', "tab\tname", "CON", "con", "nul.txt", "COM1", "lpt9",
    "trailing.", "trailing ", " leading", "x" * 201,
])
def test_check_session_name_refuses(name):
    with pytest.raises(UsageError) as info:
        sessions.check_session_name(name)
    assert "session name" in str(info.value)


@pytest.mark.parametrize("name", [
    "s1", "testrun_00", "before-fix", "run 2024-06-01", "v1.2.3", "séance_été", "日本語",
    "Ω", "console", "CONx", "a.b", "x" * 200, "_private",
])
def test_check_session_name_accepts(name):
    sessions.check_session_name(name)


# -- sessions ---------------------------------------------------------------------------------


def test_create_session(samples_dir):
    paths = _create(samples_dir, samples=["b.mp4", "a.webm"], has_playlist=True,
                    versions={"pyglet": "2.1.19", "ffmpeg_libraries": {"avcodec": 59}},
                    samples_version="corpus v3")
    assert paths.session_dir == samples_dir / "s1"
    assert paths.exists()
    assert paths.dbg_dir.is_dir() and paths.reports_dir.is_dir()
    assert sessions.session_playlist(paths) == ["b.mp4", "a.webm"]
    assert sessions.load_versions(paths) == {"pyglet": "2.1.19",
                                          "ffmpeg_libraries": {"avcodec": 59}}
    assert paths.samples_version.read_text() == "corpus v3\n"
    conf = sessions.load_configuration(paths)
    assert conf == sessions.Configuration(has_playlist=True, created=conf.created)
    assert sessions.list_sessions(samples_dir) == ["s1"]
    # nothing else left beside it (no staging folder)
    assert sorted(p.name for p in samples_dir.iterdir() if p.is_dir()) == ["s1"]
    assert sessions.open_session(samples_dir, "s1") == paths


def test_session_paths(samples_dir):
    paths = sessions.SessionPaths(samples_dir, "s")
    assert paths.recording("a.mp4") == samples_dir / "s" / "dbg" / "a.mp4.dbg"
    assert paths.report("a.mp4", "all") == samples_dir / "s" / "reports" / "a.mp4.all.txt"
    assert paths.special_report("summary").name == "00_summary.txt"
    assert paths.special_report("pyglet_info").name == "03_pyglet_info.txt"
    assert paths.special_report("pyglet_revision").name == "04_pyglet_revision.txt"
    assert paths.sample("a.mp4") == samples_dir / "a.mp4"
    assert not paths.exists()


def test_session_relative_names(samples_dir):
    """What modules outside sessions.py ask for instead of spelling names."""
    paths = sessions.SessionPaths(samples_dir, "s")
    relative = PurePosixPath(paths.recording("a.mp4").relative_to(paths.session_dir).as_posix())
    assert sessions.is_recording_relpath(relative)
    assert not sessions.is_recording_relpath(PurePosixPath("reports/a.mp4.dbg"))
    assert not sessions.is_recording_relpath(PurePosixPath("dbg/_versions.json"))
    assert sessions.is_recording_name(paths.recording("a.mp4").name)
    assert not sessions.is_recording_name(paths.playing("a.mp4").name)
    link = paths.reports_dir / sessions.recording_link_from_reports("a.mp4")
    assert os.path.normpath(link) == str(paths.recording("a.mp4"))
    assert sessions.comparison_file_name("new", "base") == "comparison_new_base.txt"
    assert sessions.is_comparison_report(sessions.comparison_file_name("groupb", "groupa"))
    assert sessions.LINKED_SPECIAL_REPORTS == ("00_summary.txt", "03_pyglet_info.txt",
                                            "04_pyglet_revision.txt")


def test_staged_session_is_named_as_it_will_be(samples_dir):
    final = sessions.SessionPaths(samples_dir, "s2")
    with sessions.staged_session(final) as staged:
        assert staged.name == "s2" and staged.store == final.store
        assert staged.session_dir.parent == samples_dir
        assert staged.session_dir.name.startswith(".new-s2.") and staged.session_dir.is_dir()
        assert staged.dbg_dir == staged.session_dir / final.dbg_dir.name
        assert staged.group(1).session_dir.parent == staged.groups_dir
        staged.dbg_dir.mkdir()
        sessions.save_configuration(staged, sessions.Configuration())
    assert final.exists() and final.dbg_dir.is_dir()
    assert not [n for n in os.listdir(samples_dir) if n.startswith(".new-")]


def test_create_session_refuses_existing_name(samples_dir):
    _create(samples_dir)
    (samples_dir / "s1" / "dbg" / "mine.dbg").write_bytes(b"keep")
    with pytest.raises(SessionError, match="already exists"):
        _create(samples_dir)
    assert (samples_dir / "s1" / "dbg" / "mine.dbg").read_bytes() == b"keep"
    # a plain folder or file of that name is refused too
    (samples_dir / "taken").mkdir()
    with pytest.raises(SessionError, match="already exists"):
        _create(samples_dir, "taken")
    with pytest.raises(SessionError, match="already exists"):
        _create(samples_dir, "b.mp4")


def test_create_session_refuses_bad_name(samples_dir):
    before = sorted(os.listdir(samples_dir))
    with pytest.raises(UsageError):
        _create(samples_dir, "../escape")
    assert sorted(os.listdir(samples_dir)) == before


def test_create_session_leaves_nothing_on_failure(samples_dir, monkeypatch):
    before = sorted(os.listdir(samples_dir))
    with pytest.raises(TypeError):  # versions that JSON cannot hold
        _create(samples_dir, versions={"x": object()})
    assert sorted(os.listdir(samples_dir)) == before

    def broken(paths, conf):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sessions, "save_configuration", broken)
    with pytest.raises(OSError):
        _create(samples_dir)
    assert sorted(os.listdir(samples_dir)) == before


def test_create_session_lost_race(samples_dir, monkeypatch):
    real_rename = os.rename

    def racing_rename(src, dst):
        os.mkdir(dst)
        (open(os.path.join(dst, "other"), "w")).close()
        return real_rename(src, dst)

    monkeypatch.setattr(sessions.os, "rename", racing_rename)
    with pytest.raises(SessionError, match="already exists"):
        _create(samples_dir)
    assert os.listdir(samples_dir / "s1") == ["other"]
    assert not [n for n in os.listdir(samples_dir) if n.startswith(".new-")]


def test_open_session_missing(samples_dir):
    _create(samples_dir, "here")
    with pytest.raises(SessionError) as info:
        sessions.open_session(samples_dir, "there")
    assert "'there'" in str(info.value) and "here" in str(info.value)


def test_next_testrun_name(samples_dir):
    assert sessions.next_testrun_name(samples_dir) == "testrun_00"
    _create(samples_dir, "testrun_00")
    (samples_dir / "testrun_01").write_text("a file takes the name too")
    assert sessions.next_testrun_name(samples_dir) == "testrun_02"


def test_testrun_numbers_never_go_back_and_widen_past_99(samples_dir):
    _create(samples_dir, "testrun_00")
    _create(samples_dir, "testrun_05")
    assert sessions.next_testrun_name(samples_dir) == "testrun_06"  # not 01: never reused
    _create(samples_dir, "testrun_99")
    assert sessions.next_testrun_name(samples_dir) == "testrun_100"


def test_a_session_records_when_it_was_created(samples_dir):
    before = time.time()
    paths = _create(samples_dir)
    assert before - 1 <= sessions.created_at(paths) <= time.time() + 1
    # a session from before the time was recorded: when its versions were written
    sessions.update_configuration(paths, created="")
    os.utime(paths.versions, (1_000_000, 1_000_000))
    assert sessions.created_at(paths) == 1_000_000


# -- configuration -------------------------------------------------------------------------------


def test_configuration_flags():
    conf = sessions.Configuration()
    assert conf.raw_data_writable and conf.reports_writable
    conf = sessions.Configuration(protect_raw_data=True, protect_reports=True)
    assert not conf.raw_data_writable and not conf.reports_writable
    conf = sessions.Configuration(protect_raw_data=True, protect_reports=True, dev_debug=True)
    assert conf.raw_data_writable and conf.reports_writable


def test_update_configuration_round_trip(samples_dir):
    paths = _create(samples_dir)
    new = sessions.update_configuration(paths, protect_reports=True)
    assert new.protect_reports and not new.protect_raw_data
    assert sessions.load_configuration(paths) == new
    assert json.loads(paths.configuration.read_text())["protect_reports"] is True


@pytest.mark.parametrize("content, words", [
    ("{not json", ["not valid JSON", "line 1"]),
    ("[1, 2]", ["not a JSON object"]),
    ('{"protect_raw_data": "yes"}', ["protect_raw_data", "true or false"]),
    ('{"config_vs": 1}', ["config_vs", "a string"]),
])
def test_load_configuration_errors_name_the_file(samples_dir, content, words):
    paths = _create(samples_dir)
    paths.configuration.write_text(content)
    with pytest.raises(BadFileError) as info:
        sessions.load_configuration(paths)
    assert str(paths.configuration) in str(info.value)
    assert info.value.path == paths.configuration
    for word in words:
        assert word in str(info.value)


def test_load_configuration_missing_and_binary(samples_dir):
    paths = _create(samples_dir)
    paths.configuration.write_bytes(b"\xff\xfe{")
    with pytest.raises(BadFileError, match="UTF-8"):
        sessions.load_configuration(paths)
    paths.configuration.unlink()
    with pytest.raises(BadFileError, match="is missing"):
        sessions.load_configuration(paths)


def test_load_configuration_ignores_unknown_keys(samples_dir):
    paths = _create(samples_dir)
    paths.configuration.write_text('{"dev_debug": true, "future_key": 3}')
    conf = sessions.load_configuration(paths)
    assert conf == sessions.Configuration(dev_debug=True, created=conf.created)


def test_require_raw_writable(samples_dir):
    paths = _create(samples_dir)
    conf = sessions.require_raw_writable(paths)
    assert conf == sessions.Configuration(created=conf.created)
    sessions.update_configuration(paths, protect_raw_data=True)
    with pytest.raises(ProtectedSessionError) as info:
        sessions.require_raw_writable(paths)
    message = str(info.value)
    assert "'s1'" in message and "protect_raw_data" in message
    assert str(paths.configuration) in message and "dev_debug" in message
    sessions.update_configuration(paths, dev_debug=True)
    assert sessions.require_raw_writable(paths).dev_debug


def test_load_versions_missing_or_not_a_dict(samples_dir):
    paths = _create(samples_dir)
    paths.versions.unlink()
    assert sessions.load_versions(paths) == {}
    paths.versions.write_text("[1]")  # named, not silently ignored
    with pytest.raises(BadFileError, match="is not a JSON object of versions"):
        sessions.load_versions(paths)
    paths.versions.write_text("{oops")
    with pytest.raises(BadFileError):
        sessions.load_versions(paths)


def test_session_playlist_missing(samples_dir):
    paths = _create(samples_dir)
    paths.playlist.unlink()
    with pytest.raises(BadFileError) as info:
        sessions.session_playlist(paths)
    assert str(paths.playlist) in str(info.value)


# -- activation ------------------------------------------------------------------------------------


def test_activation_set_get_clear(samples_dir):
    assert sessions.active_session(samples_dir) is None
    sessions.set_active_session(samples_dir, "séance")
    assert sessions.active_session(samples_dir) == "séance"
    sessions.set_active_session(samples_dir, "other")
    assert sessions.active_session(samples_dir) == "other"
    sessions.set_active_session(samples_dir, None)
    assert sessions.active_session(samples_dir) is None
    assert not (samples_dir / sessions.ACTIVATION_FILE).exists()
    sessions.set_active_session(samples_dir, None)  # clearing twice is fine


@pytest.mark.parametrize("content, word", [("{broken", "not valid JSON"),
                                           ("42", "JSON string"), ('{"a": 1}', "JSON string")])
def test_corrupt_activation(samples_dir, content, word):
    path = samples_dir / sessions.ACTIVATION_FILE
    path.write_text(content)
    with pytest.raises(BadFileError) as info:
        sessions.active_session(samples_dir)
    assert str(path) in str(info.value)
    assert word in str(info.value)


def test_the_baseline_a_run_used_is_remembered(samples_dir, tmp_path):
    paths = _create(samples_dir)
    assert sessions.load_baseline_used(paths) == sessions.BASELINE_NOT_RECORDED
    sessions.save_baseline_used(paths, tmp_path / "elsewhere.json")
    assert sessions.load_baseline_used(paths) == tmp_path / "elsewhere.json"
    sessions.save_baseline_used(paths, None)
    assert sessions.load_baseline_used(paths) is None
    paths.baseline_used.write_text('{"path": 3}')
    with pytest.raises(BadFileError, match="path"):
        sessions.load_baseline_used(paths)


def test_a_link_to_a_device_is_left_out_with_its_reason(tmp_path):
    """A link to /dev/zero is no regular file: it is still named, never dropped in silence."""
    import os as _os

    samples = tmp_path / "samples"
    samples.mkdir()
    _os.symlink("/dev/zero", samples / "zero.mp4")
    notes = sessions.left_out_samples(samples)
    assert len(notes) == 1 and "'zero.mp4' is a link to /dev/zero" in notes[0], notes
