"""sample_selection.py: the sniff steered by include and exclude globs, and
the summary's list of skipped files."""
from __future__ import annotations

import os

import pytest

from pytest_pyglet_media.core.errors import UsageError
from pytest_pyglet_media.options import resolve
from pytest_pyglet_media.store import sample_selection as sel
from pytest_pyglet_media.store import sessions

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


@pytest.fixture
def folder(tmp_path):
    for name, content in (("clip.mp4", b"fake\n"), ("song.ogg", b"OggS\x00\x02"),
                          ("cover.jpg", JPEG), ("LICENSE", b"MIT License\n"),
                          ("subtitles.srt", b"1\n00:00:01,000 --> 00:00:02,000\nhi\n")):
        (tmp_path / name).write_bytes(content)
    os.mkfifo(tmp_path / "pipe")
    return tmp_path


def _names(selection):
    return list(selection.samples), [f.name for f in selection.skipped]


def test_parse_patterns_splits_on_commas_and_spaces():
    assert sel.parse_patterns(" *.jpg, cover.*  LICENSE,,") == ("*.jpg", "cover.*", "LICENSE")


def test_the_sniff_alone(folder):
    selection = sel.select(folder, os.listdir(folder))
    assert _names(selection) == (["clip.mp4", "song.ogg"],
                                 ["LICENSE", "cover.jpg", "pipe", "subtitles.srt"])
    reasons = {f.name: f.reason for f in selection.skipped}
    assert reasons["pipe"] == "a FIFO (named pipe), not a file"
    assert "JPEG" in reasons["cover.jpg"]


def test_include_forces_a_file_in(folder):
    selection = sel.select(folder, os.listdir(folder), include=("*.jpg",))
    assert "cover.jpg" in selection.samples


def test_exclude_forces_a_file_out_and_wins_over_include(folder):
    selection = sel.select(folder, os.listdir(folder), include=("*.mp4",), exclude=("clip.*",))
    assert "clip.mp4" not in selection.samples
    reason = {f.name: f.reason for f in selection.skipped}["clip.mp4"]
    assert reason == "excluded by the pattern 'clip.*' (--mp-exclude)"


def test_include_cannot_force_in_a_fifo(folder):
    selection = sel.select(folder, os.listdir(folder), include=("*",))
    assert "pipe" not in selection.samples
    assert "cover.jpg" in selection.samples and "LICENSE" in selection.samples


def test_skipped_section_lists_each_file_once_with_its_reason():
    text = sel.skipped_section([sel.SkippedFile("LICENSE", "text"),
                                sel.SkippedFile("pipe", "a FIFO (named pipe), not a file")])
    assert text == ("Skipped files (not media): 2\n  LICENSE: text\n"
                    "  pipe: a FIFO (named pipe), not a file\n")
    assert sel.skipped_section([]) == ""


def test_skipped_files_round_trip_as_text():
    files = (sel.SkippedFile("a b.jpg", "a JPEG image"), sel.SkippedFile("x", "text"))
    assert sel.from_text(sel.to_text(files)) == files


def test_session_keeps_the_files_its_implicit_playlist_skipped(folder):
    selection = sessions.implicit_selection(folder)
    paths = sessions.create_session(folder, "s1", list(selection.samples), has_playlist=False,
                                    versions={}, samples_version="v1",
                                    skipped=selection.skipped)
    assert sessions.load_skipped_files(paths) == selection.skipped
    # a later listing of the folder does not see the session as a candidate
    assert "s1" not in [f.name for f in sessions.implicit_selection(folder).skipped]


def test_options_read_globs_from_each_source():
    assert resolve({"mp_include": "*.jpg,*.png"}, {}, {}).include == ("*.jpg", "*.png")
    assert resolve({}, {"mp_exclude": "LICENSE notes.*"}, {}).exclude == ("LICENSE", "notes.*")
    assert resolve({}, {}, {"PYTEST_MP_EXCLUDE": "*.bak"}).exclude == ("*.bak",)
    with pytest.raises(UsageError, match="--mp-include"):
        resolve({"mp_include": " , "}, {}, {})
