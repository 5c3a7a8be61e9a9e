"""extract_bundle refuses every untrustworthy bundle and leaves nothing behind."""
from __future__ import annotations

import os
import stat
import sys
import tarfile
from pathlib import Path

import pytest

from pytest_pyglet_media.core.errors import BadFileError, SessionError
from pytest_pyglet_media.store import bundle
from pytest_pyglet_media.store import sessions as session

#: durability is not under test here (see the no_fsync fixture)
pytestmark = pytest.mark.usefixtures("no_fsync")


@pytest.fixture
def refused(tmp_path, dst_dir, kit):
    """extract_bundle(archive) must raise BadFileError and change nothing on disk."""

    def check(archive: Path, *fragments: str, **kwargs) -> BadFileError:
        before = kit.tree(tmp_path)
        with pytest.raises(BadFileError) as info:
            bundle.extract_bundle(archive, dst_dir, **kwargs)
        assert info.value.path == archive
        for fragment in fragments:
            assert fragment in info.value.problem, (fragment, info.value.problem)
        assert kit.tree(tmp_path) == before
        assert kit.tree(dst_dir) == []
        return info.value

    return check


def test_a_crafted_valid_bundle_is_accepted(craft, dst_dir, kit):
    # the baseline the refusals below differ from by one thing each
    restored = bundle.extract_bundle(craft("ok.tar.gz", kit.valid_entries()), dst_dir)
    assert restored.exists()
    assert (restored.reports_dir / "00_summary.txt").read_bytes() == b"summary\n"


def test_absolute_path(craft, refused, tmp_path, kit):
    target = tmp_path / "abs_escape.txt"
    entries = kit.valid_entries() + [("file", str(target), b"owned")]
    refused(craft("abs.tar.gz", entries), repr(str(target)), "absolute path")
    assert not target.exists()


def test_absolute_path_as_first_member(craft, refused, tmp_path, kit):
    target = tmp_path / "abs_first.txt"
    refused(craft("abs1.tar.gz", [("file", str(target), b"owned")] + kit.valid_entries(), sums=None),
            "absolute path")
    assert not target.exists()


@pytest.mark.parametrize("name", ["../escape.txt", "s1/../../escape.txt", "s1/dbg/../../../escape.txt"])
def test_dot_dot_escape(craft, refused, tmp_path, dst_dir, name, kit):
    entries = kit.valid_entries() + [("file", name, b"owned")]
    if name.startswith(".."):
        entries = [("file", name, b"owned")] + kit.valid_entries()
    refused(craft("dotdot.tar.gz", entries), repr(name), "'..'")
    assert not (tmp_path / "escape.txt").exists()
    assert not (dst_dir.parent / "escape.txt").exists()


def test_symlink_member(craft, refused, kit):
    entries = kit.valid_entries() + [("symlink", "s1/reports/passwd", "/etc/passwd")]
    refused(craft("sym.tar.gz", entries), "'s1/reports/passwd'", "symbolic link", "/etc/passwd")


def test_symlink_then_write_through_it(craft, refused, tmp_path, kit):
    # the classic: a link to a folder outside, then a file "inside" the link
    outside = tmp_path / "outside"
    outside.mkdir()
    entries = kit.valid_entries() + [("symlink", "s1/out", str(outside)),
                                 ("file", "s1/out/pwned.txt", b"owned")]
    refused(craft("symdir.tar.gz", entries), "'s1/out'", "symbolic link")
    assert list(outside.iterdir()) == []


def test_hardlink_member(craft, refused, kit):
    entries = kit.valid_entries() + [("hardlink", "s1/hl", "s1/configuration.json")]
    refused(craft("hard.tar.gz", entries), "'s1/hl'", "hard link")


@pytest.mark.parametrize("kind, words", [("fifo", "fifo"), ("chr", "character device")])
def test_special_members(craft, refused, kind, words, kit):
    entries = kit.valid_entries() + [(kind, "s1/dev")]
    refused(craft(f"{kind}.tar.gz", entries), "'s1/dev'", words)


def test_checksum_mismatch(craft, refused, kit):
    entries = kit.valid_entries()
    sums = kit.sums_for("s1", entries)
    tampered = [e if e[1] != "s1/reports/00_summary.txt" else ("file", e[1], b"altered\n")
                for e in entries]
    refused(craft("mismatch.tar.gz", tampered, sums=sums),
            "'s1/reports/00_summary.txt'", "does not match")


def test_unlisted_file(craft, refused, kit):
    entries = kit.valid_entries()
    sums = kit.sums_for("s1", entries)
    entries.append(("file", "s1/reports/extra.txt", b"sneaked in"))
    refused(craft("unlisted.tar.gz", entries, sums=sums),
            "'s1/reports/extra.txt'", "not listed")


def test_listed_file_missing_from_archive(craft, refused, kit):
    entries = kit.valid_entries()
    sums = kit.sums_for("s1", entries) + "0" * 64 + "  dbg/gone.mp4.dbg\n"
    refused(craft("listed.tar.gz", entries, sums=sums), "'dbg/gone.mp4.dbg'", "does not hold")


def test_missing_checksum_list(craft, refused, kit):
    refused(craft("nosums.tar.gz", kit.valid_entries(), sums=None), "s1/SHA256SUMS", "not a bundle")


def test_malformed_checksum_list(craft, refused, kit):
    refused(craft("badsums.tar.gz", kit.valid_entries(), sums="this is not a checksum\n"),
            "SHA256SUMS", "line 1")


@pytest.mark.parametrize("content", [b"just some text\n" * 40, b"", b"\x1f\x8b\x08garbage"])
def test_not_a_tar(tmp_path, refused, content):
    archive = tmp_path / "inbox_not_a_tar.tar.gz"
    archive.write_bytes(content)
    refused(archive, "not a bundle")


def test_missing_archive(tmp_path, dst_dir):
    with pytest.raises(BadFileError, match="is missing"):
        bundle.extract_bundle(tmp_path / "nowhere.tar.gz", dst_dir)


def test_two_top_level_folders(craft, refused, kit):
    entries = kit.valid_entries() + [("dir", "s2"), ("file", "s2/configuration.json", b"{}")]
    refused(craft("two.tar.gz", entries), "'s2'", "outside the session folder 's1'")


def test_file_at_top_level(craft, refused, kit):
    refused(craft("topfile.tar.gz", [("file", "README", b"hi")] + kit.valid_entries(), sums=None),
            "'README'", "outside any session folder")


@pytest.mark.parametrize("name", ["bad|name", "con", "trailing.", " spaced"])
def test_bad_session_name(craft, refused, name, kit):
    refused(craft("badname.tar.gz", kit.valid_entries(name)), repr(name), "not a valid session name")


def test_backslash_in_member_name(craft, refused, kit):
    entries = kit.valid_entries() + [("file", "s1/..\\..\\evil.txt", b"x")]
    refused(craft("backslash.tar.gz", entries), "backslash")


def test_duplicate_member(craft, refused, kit):
    entries = kit.valid_entries()
    entries.append(("file", "s1/reports/00_summary.txt", b"summary\n"))
    refused(craft("dup.tar.gz", entries), "'s1/reports/00_summary.txt'", "twice")


def test_file_and_folder_of_one_name(craft, refused, kit):
    entries = kit.valid_entries() + [("file", "s1/x", b"f"), ("file", "s1/x/y", b"g")]
    refused(craft("clash.tar.gz", entries), "'s1/x/y'", "under a file member")


def test_missing_configuration(craft, refused, kit):
    entries = [e for e in kit.valid_entries() if not e[1].endswith("configuration.json")]
    refused(craft("noconf.tar.gz", entries), "configuration.json", "not a session")


def test_member_count_cap(craft, refused, kit):
    entries = kit.valid_entries() + [("file", f"s1/reports/{i}.txt", b"x") for i in range(20)]
    refused(craft("many.tar.gz", entries), "more than 10 members", "archive bomb",
            max_members=10)


def test_size_cap(craft, refused, kit):
    entries = kit.valid_entries() + [("file", "s1/reports/big.txt", b"x" * 5000)]
    refused(craft("big.tar.gz", entries), "more than 4096 bytes", "'s1/reports/big.txt'",
            "archive bomb", max_bytes=4096)


def test_default_size_cap_stops_before_reading_the_data(tmp_path, refused):
    # a header declaring 3 GiB and no data: refused on the header alone
    info = tarfile.TarInfo("s1/huge.bin")
    info.size = 3 * 1024 ** 3
    archive = tmp_path / "inbox_bomb.tar"
    archive.write_bytes(info.tobuf(tarfile.PAX_FORMAT) + b"\0" * 1024)
    refused(archive, "more than 2147483648 bytes", "archive bomb")


def test_existing_session_is_not_overwritten(craft, dst_dir, tmp_path, kit):
    existing = session.create_session(dst_dir, "s1", [], has_playlist=False, versions={},
                                      samples_version="mine")
    before = {p: p.read_bytes() for p in existing.session_dir.rglob("*") if p.is_file()}
    listing = kit.tree(tmp_path / "dst_samples")
    with pytest.raises(SessionError, match="remove or rename it"):
        bundle.extract_bundle(craft("ok.tar.gz", kit.valid_entries()), dst_dir)
    assert {p: p.read_bytes() for p in existing.session_dir.rglob("*") if p.is_file()} == before
    assert kit.tree(dst_dir) == listing


def test_existing_file_of_the_session_name_is_not_overwritten(craft, dst_dir, kit):
    (dst_dir / "s1").write_text("not a session")
    with pytest.raises(SessionError, match="'s1' already exists"):
        bundle.extract_bundle(craft("ok.tar.gz", kit.valid_entries()), dst_dir)
    assert (dst_dir / "s1").read_text() == "not a session"
    assert os.listdir(dst_dir) == ["s1"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_member_modes_and_owners_are_not_trusted(craft, dst_dir, kit):
    entries = kit.valid_entries()
    sums = kit.sums_for("s1", entries + [("file", "s1/dbg/tool", b"#!/bin/sh\n")])
    setuid = tarfile.TarInfo("s1/dbg/tool")
    setuid.size, setuid.mode, setuid.uid, setuid.uname = 10, 0o6777, 0, "root"
    entries.append(("raw", setuid, b"#!/bin/sh\n"))
    restored = bundle.extract_bundle(craft("modes.tar.gz", entries, sums=sums), dst_dir)
    tool = restored.dbg_dir / "tool"
    assert tool.read_bytes() == b"#!/bin/sh\n"
    assert stat.S_IMODE(tool.stat().st_mode) == 0o644
    assert stat.S_IMODE(restored.recording("a.mp4").stat().st_mode) == 0o444
