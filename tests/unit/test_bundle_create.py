"""create_bundle and the round trip through extract_bundle."""
from __future__ import annotations

import hashlib
import os
import re
import stat
import sys
import tarfile
from pathlib import Path

import pytest

from pytest_pyglet_media.core.errors import BadFileError, SessionError
from mp_support.recordings import placeholder

from pytest_pyglet_media.store import bundle, recording
from pytest_pyglet_media.store import sessions as session

#: durability is not under test here (see the no_fsync fixture)
pytestmark = pytest.mark.usefixtures("no_fsync")


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_round_trip_restores_every_byte(made_session, dst_dir):
    archive = bundle.create_bundle(made_session)
    restored = bundle.extract_bundle(archive, dst_dir)

    assert restored == session.SessionPaths(dst_dir, "s1")
    original = _files(made_session.session_dir)
    assert "dbg/a.mp4.dbg" in original and "reports/00_summary.txt" in original
    assert _files(restored.session_dir) == original
    # the checksum list is bundle metadata, not part of the session
    assert not (restored.session_dir / bundle.SUMS_NAME).exists()
    assert session.list_sessions(dst_dir) == ["s1"]
    assert session.load_configuration(restored).has_playlist is False
    assert recording.load(restored.recording("a.mp4")) == [("version", 1.1), ("crash", "a.mp4")]
    # no staging folder left behind
    assert sorted(os.listdir(dst_dir)) == ["s1"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_round_trip_modes(made_session, dst_dir):
    restored = bundle.extract_bundle(bundle.create_bundle(made_session), dst_dir)
    assert stat.S_IMODE(restored.recording("a.mp4").stat().st_mode) == 0o444
    assert stat.S_IMODE(restored.configuration.stat().st_mode) == 0o644
    assert stat.S_IMODE(restored.special_report("summary").stat().st_mode) == 0o644
    assert stat.S_IMODE(restored.dbg_dir.stat().st_mode) == 0o755


def test_empty_reports_folder_is_restored(src_dir, dst_dir):
    paths = session.create_session(src_dir, "bare", [], has_playlist=True, versions={},
                                   samples_version="t")
    restored = bundle.extract_bundle(bundle.create_bundle(paths), dst_dir)
    assert restored.reports_dir.is_dir()
    assert list(restored.reports_dir.iterdir()) == []


def test_default_location_name_and_layout(made_session):
    archive = bundle.create_bundle(made_session)
    assert archive == made_session.samples_dir / "s1.mp-bundle.tar.gz"
    with tarfile.open(archive, "r:gz") as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names[0] == "s1"
    assert all(name == "s1" or name.startswith("s1/") for name in names)
    assert names[-1] == "s1/SHA256SUMS"
    body = names[:-1]
    assert body == sorted(body, key=lambda n: n.split("/"))
    assert {"s1/configuration.json", "s1/dbg", "s1/dbg/a.mp4.dbg", "s1/dbg/_versions.json",
            "s1/dbg/_session_playlist.txt", "s1/reports",
            "s1/reports/00_summary.txt", "s1/reports/a.mp4.all.txt"} <= set(names)
    assert all(m.isdir() or m.isfile() for m in members)
    assert all(m.uid == 0 and m.uname == "" for m in members)
    modes = {m.name: m.mode for m in members}
    assert modes["s1/dbg/a.mp4.dbg"] == 0o444
    assert modes["s1/configuration.json"] == 0o644
    assert modes["s1/dbg"] == 0o755


def test_checksum_list_matches_sha256sum_format(made_session):
    archive = bundle.create_bundle(made_session)
    with tarfile.open(archive, "r:gz") as tar:
        text = tar.extractfile("s1/SHA256SUMS").read().decode("utf-8")
    lines = text.splitlines()
    listed = {}
    for line in lines:
        match = re.fullmatch(r"([0-9a-f]{64})  (\S.*)", line)
        assert match, line
        listed[match.group(2)] = match.group(1)
    expected = {rel: hashlib.sha256(data).hexdigest()
                for rel, data in _files(made_session.session_dir).items()}
    assert listed == expected


def test_bundles_of_the_same_session_are_identical(made_session, tmp_path):
    one = bundle.create_bundle(made_session, tmp_path / "one.tar.gz")
    two = bundle.create_bundle(made_session, tmp_path / "two.tar.gz")
    assert one.read_bytes() == two.read_bytes()


def test_explicit_destination_and_replacing_an_old_bundle(made_session, tmp_path):
    dest = tmp_path / "attach-me.tar.gz"
    dest.write_bytes(b"old")
    assert bundle.create_bundle(made_session, dest) == dest
    assert tarfile.is_tarfile(dest)
    assert not (made_session.samples_dir / "s1.mp-bundle.tar.gz").exists()


def test_missing_session_is_refused(src_dir):
    with pytest.raises(SessionError, match="no session 'ghost'"):
        bundle.create_bundle(session.SessionPaths(src_dir, "ghost"))
    assert not (src_dir / "ghost.mp-bundle.tar.gz").exists()


def test_destination_inside_the_session_is_refused(made_session):
    dest = made_session.reports_dir / "b.tar.gz"
    with pytest.raises(SessionError, match="inside the session folder"):
        bundle.create_bundle(made_session, dest)
    assert not dest.exists()


def _no_bundle_left(folder: Path) -> None:
    leftovers = [n for n in os.listdir(folder) if "mp-bundle" in n or n.endswith(".tmp")]
    assert leftovers == []


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges")
def test_symlink_in_session_is_refused_by_name(made_session, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    link = made_session.reports_dir / "link.txt"
    link.symlink_to(secret)
    with pytest.raises(BadFileError, match="symbolic link") as info:
        bundle.create_bundle(made_session)
    assert info.value.path == link
    _no_bundle_left(made_session.samples_dir)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no fifos")
def test_fifo_in_session_is_refused_by_name(made_session):
    fifo = made_session.dbg_dir / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(BadFileError, match="fifo") as info:
        bundle.create_bundle(made_session)
    assert info.value.path == fifo
    _no_bundle_left(made_session.samples_dir)


def test_own_checksum_name_in_session_is_refused(made_session):
    (made_session.session_dir / "SHA256SUMS").write_text("x")
    with pytest.raises(BadFileError, match="SHA256SUMS"):
        bundle.create_bundle(made_session)
    _no_bundle_left(made_session.samples_dir)


def test_size_and_count_caps_apply_when_bundling(made_session):
    with pytest.raises(SessionError, match="more than 10 bytes"):
        bundle.create_bundle(made_session, max_bytes=10)
    with pytest.raises(SessionError, match="more than 3 files and folders"):
        bundle.create_bundle(made_session, max_members=3)
    _no_bundle_left(made_session.samples_dir)


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_interrupted_bundle_leaves_no_archive_and_no_temp_file(made_session, monkeypatch, error):
    real_add_file = bundle._add_file
    calls = []

    def failing_add_file(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise error
        return real_add_file(*args, **kwargs)

    monkeypatch.setattr(bundle, "_add_file", failing_add_file)
    expected = SessionError if isinstance(error, OSError) else KeyboardInterrupt
    with pytest.raises(expected):
        bundle.create_bundle(made_session)
    assert len(calls) == 3   # it did fail mid-write
    _no_bundle_left(made_session.samples_dir)
    assert sorted(os.listdir(made_session.samples_dir)) == ["a.mp4", "s1"]


def test_interrupted_bundle_keeps_the_previous_one(made_session, monkeypatch):
    archive = bundle.create_bundle(made_session)
    before = archive.read_bytes()
    made_session.special_report("summary").write_text("changed\n")

    def failing_add_file(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(bundle, "_add_file", failing_add_file)
    with pytest.raises(SessionError, match="Input/output error"):
        bundle.create_bundle(made_session)
    assert archive.read_bytes() == before
    assert [n for n in os.listdir(made_session.samples_dir) if n.endswith(".tmp")] == []


def test_failed_extract_of_truncated_real_bundle_leaves_nothing(made_session, dst_dir, tmp_path, kit):
    archive = bundle.create_bundle(made_session)
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(BadFileError) as info:
        bundle.extract_bundle(cut, dst_dir)
    assert info.value.path == cut
    assert "damaged" in info.value.problem or "not a bundle" in info.value.problem
    assert kit.tree(dst_dir) == []


@pytest.mark.parametrize("where", ["recording", "dbg", "reports"])
def test_no_bundle_is_written_into_another_session(made_session, where):
    """A protected session's read-only recording is never replaced by an archive."""
    other = session.create_session(made_session.samples_dir, "s2", ["a.mp4"],
                                   has_playlist=False, versions={}, samples_version="t")
    recording.save(other.recording("a.mp4"), placeholder("a.mp4"))
    session.save_configuration(other, session.Configuration(protect_raw_data=True))
    before = other.recording("a.mp4").read_bytes()
    dest = {"recording": other.recording("a.mp4"), "dbg": other.dbg_dir / "x.tar.gz",
            "reports": other.reports_dir / "x.tar.gz"}[where]
    with pytest.raises(SessionError, match="inside session folder"):
        bundle.create_bundle(made_session, dest)
    assert other.recording("a.mp4").read_bytes() == before
    assert not (other.dbg_dir / "x.tar.gz").exists()


def test_a_read_only_file_is_not_replaced_by_a_bundle(made_session, tmp_path):
    dest = tmp_path / "kept.tar.gz"
    dest.write_bytes(b"keep me")
    dest.chmod(0o444)
    with pytest.raises(SessionError, match="exists and is read-only"):
        bundle.create_bundle(made_session, dest)
    assert dest.read_bytes() == b"keep me"
