"""stored_references.StoredReferences: a run reads each stored reference once,
and again only when the file was rewritten since; file_stamp.FileStamp."""
from __future__ import annotations

import os
import threading

import pytest

from pytest_pyglet_media.core.errors import BadReferenceError
from pytest_pyglet_media.core.file_stamp import FileStamp
from pytest_pyglet_media.store import reference as r
from pytest_pyglet_media.store.stored_references import StoredReferences

REF = r.Reference(duration=1.0, start=0.0, streams=(r.Stream(0, "video", "h264", 0.0, 1.0),),
                  video_index=0, frame_times=(0.0, 0.04, 0.08))
OTHER = r.Reference(duration=2.0, start=0.0, streams=(r.Stream(0, "video", "h264", 0.0, 2.0),),
                    video_index=0, frame_times=(0.0, 0.5))
KEY = {"device": 2049, "inode": 1234, "size": 10, "mtime_ns": 1,
       "head_tail": "0" * 32, "ffmpeg": "ffprobe version 5.1.9"}


@pytest.fixture
def reads(monkeypatch):
    """The paths reference.load was asked to read, in order."""
    asked: list[str] = []
    original = r.load

    def counted(path):
        asked.append(os.path.basename(path))
        return original(path)

    monkeypatch.setattr(r, "load", counted)
    return asked


def test_a_reference_is_read_once(tmp_path, reads):
    path = tmp_path / "a.json"
    r.save(path, REF, KEY)
    stored = StoredReferences()
    assert stored.load(path) == (KEY, REF)
    assert stored.load(path) == (KEY, REF)
    assert reads == ["a.json"]


def test_a_reference_rewritten_since_is_read_again(tmp_path, reads):
    path = tmp_path / "a.json"
    r.save(path, REF, KEY)
    stored = StoredReferences()
    stored.load(path)
    r.save(path, OTHER, KEY)  # another process probed the sample again
    assert stored.load(path) == (KEY, OTHER)
    assert stored.load(path) == (KEY, OTHER)
    assert reads == ["a.json", "a.json"]


def test_what_it_saves_needs_no_read(tmp_path, reads):
    path = tmp_path / "a.json"
    stored = StoredReferences()
    stored.save(path, REF, KEY)
    assert stored.load(path) == (KEY, REF)
    assert r.load(path) == (KEY, REF)  # and the file holds it
    assert reads == ["a.json"]  # the check just above


def test_a_missing_or_bad_reference_is_remembered_until_the_file_changes(tmp_path, reads):
    missing, bad = tmp_path / "missing.json", tmp_path / "bad.json"
    bad.write_text("{")
    stored = StoredReferences()
    for _ in range(2):
        for path in (missing, bad):
            with pytest.raises(BadReferenceError) as caught:
                stored.load(path)
            assert caught.value.path == path
    assert reads == ["missing.json", "bad.json"]
    r.save(missing, REF, KEY)
    assert stored.load(missing) == (KEY, REF)
    assert reads == ["missing.json", "bad.json", "missing.json"]


def test_beyond_its_budget_references_are_read_each_time(tmp_path, reads):
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    r.save(small, OTHER, KEY)  # 2 frame times
    r.save(large, REF, KEY)  # 3
    stored = StoredReferences(max_frames=4)
    for _ in range(2):
        assert stored.load(small) == (KEY, OTHER)
        assert stored.load(large) == (KEY, REF)
    assert reads == ["small.json", "large.json", "large.json"]


def test_threads_asking_at_once_read_it_once(tmp_path, reads):
    path = tmp_path / "a.json"
    r.save(path, REF, KEY)
    stored = StoredReferences()
    start = threading.Barrier(8)
    found = []

    def ask():
        start.wait()
        found.append(stored.load(path))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [(KEY, REF)] * 8
    assert reads == ["a.json"]


def test_file_stamp(tmp_path):
    path = tmp_path / "f"
    assert FileStamp.of(path) is None
    assert FileStamp.of("bad\0path") is None
    path.write_bytes(b"one")
    stamp = FileStamp.of(path)
    assert stamp is not None and stamp.size == 3
    assert FileStamp.from_builtins(stamp.to_builtins()) == stamp
    assert FileStamp.of_stat(os.stat(path)) == stamp
    # an atomic rewrite is another file: another stamp
    replacement = tmp_path / "g"
    replacement.write_bytes(b"one")
    os.replace(replacement, path)
    assert FileStamp.of(path) != stamp


@pytest.mark.parametrize("data", [None, [], [1, 2, 3], [1, 2, 3, "4"], [1, 2, 3, True],
                                  "1234", {"a": 1}])
def test_a_stamp_that_is_no_stamp_is_none(data):
    assert FileStamp.from_builtins(data) is None
