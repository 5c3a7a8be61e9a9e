"""The store's own files and names, crafted, give one line, never a traceback.

State files (activation, configuration, versions, retry state, playlists)
hold values of the admitted JSON types that break readers; names and paths
the store keeps for itself; two runs racing for a new session name.
"""
from __future__ import annotations

import threading

import pytest

from pytest_pyglet_media import context
from pytest_pyglet_media.core.errors import BadFileError, SessionExistsError, UsageError
from pytest_pyglet_media.store import sessions

HOSTILE_JSON = {
    "huge int": "1" + "0" * 5000,
    "big int": "1" + "0" * 40,
    "NaN": "NaN",
    "deep": "[" * 200_000 + "]" * 200_000,
    "surrogate": '"\\udc80"',
}


@pytest.fixture
def session(tmp_path):
    (tmp_path / "a.mp4").write_bytes(b"x")
    paths = sessions.create_session(tmp_path, "s", ["a.mp4"], has_playlist=False,
                                 versions={"pyglet": "2.1.19"}, samples_version="t")
    sessions.set_active_session(tmp_path, "s")
    return paths


def _hostile(kind: str, wrap: str) -> str:
    return wrap.replace("VALUE", HOSTILE_JSON[kind])


@pytest.mark.parametrize("kind", sorted(HOSTILE_JSON))
@pytest.mark.parametrize("which, wrap", [
    ("activation", "VALUE"),
    ("configuration", '{"protect_raw_data": VALUE}'),
    ("versions", '{"pyglet": VALUE}'),
    ("retry_state", '{"a.mp4": {"attempts": VALUE, "crashed_attempts": 0}}'),
])
def test_state_files_with_hostile_values_name_the_file(session, mpcli, which, wrap, kind):
    target = {"activation": session.samples_dir / sessions.ACTIVATION_FILE,
              "configuration": session.configuration, "versions": session.versions,
              "retry_state": session.retry_state}[which]
    target.write_text(_hostile(kind, wrap))
    # the active session is what activation.json names: read it without --session
    command = ["status"] if which == "activation" else ["summarize", "--session", "s"]
    result = mpcli(*command, "--samples-dir", session.samples_dir)
    line = result.one_line_error(str(target))
    assert len(line) < 400  # never echoes the value


_REASONS = b'{"a.mp4": {"attempts": 2, "crashed_attempts": 0, "retry_reasons": REASONS}}'


@pytest.mark.parametrize("content", [b'{"a.mp4": {"attempts": "x", "crashed_attempts": 0}}',
                                     b'{"a.mp4": 3}', b"[1, 2]",
                                     _REASONS.replace(b"REASONS", b'"crashed"'),
                                     _REASONS.replace(b"REASONS", b'[["crashed", 3]]'),
                                     _REASONS.replace(b"REASONS", b'[["crashed"]]')])
def test_retry_state_of_wrong_types(session, mpcli, content):
    session.retry_state.write_bytes(content)
    result = mpcli("summarize", "--samples-dir", session.samples_dir, "--session", "s")
    result.one_line_error(str(session.retry_state))


def test_session_playlist_not_utf8(session, mpcli):
    session.playlist.write_bytes(b"a.mp4\n\xff\xfe.mp4\n")
    result = mpcli("summarize", "--samples-dir", session.samples_dir, "--session", "s")
    result.one_line_error(str(session.playlist), "is not UTF-8 text")


@pytest.mark.parametrize("line, problem", [
    ("a.mp4\na.mp4", "is listed twice"),
    ("activation.json", "has an excluded extension"),
    ("s", None),  # the session folder itself: not a file of the folder
    ("../x.mp4", "leads out of its folder"),
])
def test_session_playlist_naming_the_stores_own_files(session, mpcli, line, problem):
    session.playlist.write_text(line + "\n")
    result = mpcli("summarize", "--samples-dir", session.samples_dir, "--session", "s")
    if problem is None:
        # a folder is not a sample: summarize says it has no recording, nothing breaks
        assert result.code == 0, result.output
    else:
        result.one_line_error(str(session.playlist), problem)


@pytest.mark.parametrize("name", [sessions.ACTIVATION_FILE, "samples.toml", ".hidden",
                                  "x.mp-bundle.tar.gz"])
def test_session_names_the_store_keeps_are_refused(tmp_path, mpcli, name):
    (tmp_path / "a.mp4").write_bytes(b"x")
    result = mpcli("new", name, "--samples-dir", tmp_path)
    result.one_line_error(repr(name))
    assert not (tmp_path / name).is_dir()


def test_activation_naming_no_valid_session(session, mpcli):
    (session.samples_dir / sessions.ACTIVATION_FILE).write_text('"../elsewhere"')
    result = mpcli("status", "--samples-dir", session.samples_dir)
    result.one_line_error(sessions.ACTIVATION_FILE, "names no valid session")


def test_compare_reldir_into_a_protected_session_is_refused(session, mpcli):
    other = sessions.create_session(session.samples_dir, "o", ["a.mp4"], has_playlist=False,
                                 versions={}, samples_version="t")
    sessions.update_configuration(other, protect_reports=True)
    before = sorted(p.name for p in other.session_dir.rglob("*"))
    result = mpcli("compare", "o", "--reldir", "o/reports", "--samples-dir",
                   session.samples_dir)
    result.one_line_error("protects its reports")
    assert sorted(p.name for p in other.session_dir.rglob("*")) == before


def test_two_runs_creating_a_new_session_at_once_take_two_names(tmp_path, monkeypatch):
    """The loser of the race for testrun_00 takes the next free name."""
    (tmp_path / "a.mp4").write_bytes(b"x")
    monkeypatch.setattr(context.versions, "capture", lambda player: {"pyglet": "test"})
    real_next = sessions.next_testrun_name
    both_chose = threading.Barrier(2)
    first_choice = threading.local()

    def next_name_after_the_other_chose_too(samples_dir):
        name = real_next(samples_dir)
        if not getattr(first_choice, "done", False):
            first_choice.done = True
            both_chose.wait(timeout=10)  # both pick testrun_00 before either creates it
        return name

    monkeypatch.setattr(sessions, "next_testrun_name", next_name_after_the_other_chose_too)
    made, errors = [], []

    def create():
        try:
            made.append(context.create_session(tmp_path, None, ["a.mp4"], False, None, "x").name)
        except Exception as exc:  # noqa: BLE001 - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(made) == ["testrun_00", "testrun_01"]


def test_a_named_session_that_exists_is_still_refused(session):
    with pytest.raises(SessionExistsError, match="already exists"):
        context.create_session(session.samples_dir, "s", ["a.mp4"], False, None, "x")


def test_hostile_json_never_escapes_as_another_exception(tmp_path):
    for kind, text in HOSTILE_JSON.items():
        path = tmp_path / f"{kind}.json"
        path.write_text(text)
        with pytest.raises(BadFileError):
            sessions._load_json(path)
    with pytest.raises(UsageError):
        sessions.check_session_name(sessions.ACTIVATION_FILE)


def test_a_sample_replaced_by_a_link_out_of_the_folder_is_not_played(mp, tmp_path):
    mp.add("perfect_a.mp4")
    assert mp.run("--mp-session=s", player="perfect").ret == 0
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(b"elsewhere")
    sample = mp.samples / "perfect_a.mp4"
    sample.unlink()
    sample.symlink_to(outside)  # after the session was made
    recorded = (mp.samples / "s" / "dbg" / "perfect_a.mp4.dbg").read_bytes()
    run = mp.run("--mp-session=s", player="perfect")
    assert run.outcomes() == {"failed": 1}
    assert "is a link to" in run.section("perfect_a.mp4")
    assert "outside the samples folder" in run.section("perfect_a.mp4")
    # nothing recorded is lost
    assert (mp.samples / "s" / "dbg" / "perfect_a.mp4.dbg").read_bytes() == recorded


@pytest.mark.parametrize("value", ["1" * 5000, "0." + "1" * 300, "1e999"])
def test_samples_toml_with_hostile_numbers_is_one_usage_error(mp, value):
    mp.add("a.mp4")
    (mp.samples / "samples.toml").write_text(
        '[corpus]\nversion = "x"\n[samples."a.mp4"]\ntext = "x"\nffmpeg = ["-i", "x"]\n'
        f"truncate = {value}\n")
    run = mp.run()
    assert run.ret == 4, run.out + run.err  # pytest's usage error
    assert "Traceback" not in run.out + run.err and "INTERNALERROR" not in run.out + run.err
    line = next(line for line in run.err.splitlines() if "samples.toml" in line)
    assert len(line) < 400


@pytest.mark.parametrize("which", ["retry_state", "versions"])
def test_a_bad_state_file_is_refused_before_anything_plays(mp, which):
    mp.add("perfect_a.mp4")
    assert mp.run("--mp-session=s", player="perfect").ret == 0
    target = mp.samples / "s" / "dbg" / ("_crash_retries.json" if which == "retry_state"
                                         else "_versions.json")
    target.write_text('{"a": ' + "1" * 5000 + "}")
    recorded = (mp.samples / "s" / "dbg" / "perfect_a.mp4.dbg").read_bytes()
    run = mp.run("--mp-session=s", player="perfect")
    assert run.ret == 4, run.out + run.err  # a usage error, before any play
    assert str(target) in run.err and "Traceback" not in run.err
    assert (mp.samples / "s" / "dbg" / "perfect_a.mp4.dbg").read_bytes() == recorded
