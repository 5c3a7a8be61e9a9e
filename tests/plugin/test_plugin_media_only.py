"""The implicit playlist holds media only: the other files of the samples
folder are skipped, listed once in the summary with their reason."""
from __future__ import annotations

import os

SAMPLES = ("perfect_a.mp4", "perfect_b.wav", "song")
NOT_MEDIA = {"LICENSE": b"MIT License\n\nPermission is hereby granted\n",
             "notes.md": b"# Notes\n\nthe corpus\n",
             "cover.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(64),
             "subtitles.srt": b"1\n00:00:01,000 --> 00:00:02,000\nhello\n",
             "Thumbs.db": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64),
             "checksums.md5": b"d41d8cd98f00b204e9800998ecf8427e  perfect_a.mp4\n"}
SKIPPED_LINE = "Skipped files (not media): 7"


def _folder(mp):
    mp.add("perfect_a.mp4", "perfect_b.wav")
    mp.add("song", content=b"OggS\x00\x02" + bytes(64))  # no extension: its bytes say Ogg
    for name, content in NOT_MEDIA.items():
        mp.add(name, content=content)
    os.mkfifo(mp.samples / "pipe")


def _listed(run):
    return sorted(line for line in run.out.splitlines() if "::" in line)


def test_only_media_become_items(mp):
    _folder(mp)
    run = mp.run("--collect-only", "-q")
    assert run.ret == 0, run.err
    assert _listed(run) == sorted(mp.nodeid(s) for s in SAMPLES)
    assert "pyglet-media: 7 files skipped as not media" in run.out


def test_summary_lists_each_skipped_file_once_with_its_reason(mp):
    _folder(mp)
    run = mp.run("-v")
    assert run.outcomes() == {"passed": 3}
    assert run.out.count("skipped as not media") == 1
    assert "not a sample" not in run.out  # no warning per file
    summary = run.summary()
    assert summary.count(SKIPPED_LINE) == 1
    section = summary.split(SKIPPED_LINE, 1)[1]
    for name, reason in (("LICENSE", "text"), ("notes.md", "text"), ("cover.jpg", "JPEG"),
                         ("subtitles.srt", "subtitles"), ("Thumbs.db", "thumbnail"),
                         ("checksums.md5", "checksums"), ("pipe", "FIFO")):
        lines = [line for line in section.splitlines() if line.startswith(f"  {name}: ")]
        assert len(lines) == 1 and reason in lines[0], (name, section)
    # a later run of the session keeps the list; nothing new is announced
    again = mp.run("--mp-session=testrun_00")
    assert again.outcomes() == {"passed": 3}
    assert "skipped as not media" not in again.out
    assert again.summary().count(SKIPPED_LINE) == 1


def test_include_forces_a_file_in_and_exclude_keeps_one_out(mp):
    _folder(mp)
    run = mp.run("--collect-only", "-q", "--mp-include=cover.*", "--mp-exclude=perfect_b.*")
    assert run.ret == 0, run.err
    assert _listed(run) == sorted(mp.nodeid(s) for s in ("perfect_a.mp4", "cover.jpg", "song"))


def test_globs_from_the_ini_file(mp):
    _folder(mp)
    mp.pytester.makeini("[pytest]\nmp_include = LICENSE, notes.md\nmp_exclude = song\n")
    run = mp.run("--collect-only", "-q")
    assert run.ret == 0, run.err
    assert _listed(run) == sorted(mp.nodeid(s) for s in ("perfect_a.mp4", "perfect_b.wav",
                                                          "LICENSE", "notes.md"))


def test_explicit_playlist_plays_every_file_named(mp):
    _folder(mp)
    named = ("LICENSE", "cover.jpg", "subtitles.srt", "perfect_a.mp4")
    playlist = mp.pytester.path / "chosen.txt"
    playlist.write_text("".join(f"{n}\n" for n in named))
    run = mp.run("-v", f"--mp-playlist={playlist}")
    assert run.statuses() == {mp.nodeid(n): "PASSED" for n in named}
    assert "skipped as not media" not in run.out
    assert "Skipped files" not in run.summary()
