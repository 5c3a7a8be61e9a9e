"""recording.py: .dbg round trip, read-only atomic saves, safe loading."""
from __future__ import annotations

import os
import pickle
import random
import stat

import pytest

from pytest_pyglet_media.core.errors import BadFileError, UnreadableRecordingError
from pytest_pyglet_media.store import recording


def test_round_trip_both_forms(tmp_path, rec):
    for name, events in (("ours.dbg", rec.play(30)), ("pyglet.dbg", rec.pyglet_play(30))):
        path = tmp_path / name
        recording.save(path, events)
        assert recording.load(path) == events
        assert recording.load(str(path)) == events  # str paths too


def test_loads_what_pyglet_buffered_logger_writes(tmp_path, rec):
    # pyglet pickles with the default protocol; older recordings used 2
    for protocol in (2, pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL):
        path = tmp_path / f"p{protocol}.dbg"
        path.write_bytes(pickle.dumps(rec.pyglet_play(10), protocol=protocol))
        assert recording.load(path) == rec.pyglet_play(10)


def test_saved_file_is_read_only_and_atomic(tmp_path, rec):
    path = tmp_path / "clip.mp4.dbg"
    recording.save(path, rec.placeholder("clip.mp4"))
    assert stat.S_IMODE(path.stat().st_mode) == recording.RECORDING_MODE == 0o444
    # the finished play replaces the read-only placeholder
    recording.save(path, rec.play(5))
    assert recording.load(path) == rec.play(5)
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4.dbg"]


def test_crash_placeholder():
    assert recording.crash_placeholder("a b.mp4") == [("version", 1.1), ("crash", "a b.mp4")]


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_refuses_pickle_that_would_run_code(tmp_path):
    marker = tmp_path / "PWNED"
    path = tmp_path / "evil.dbg"
    path.write_bytes(pickle.dumps([("version", 1.1), _Evil(str(marker))]))
    with pytest.raises(UnreadableRecordingError) as info:
        recording.load(path)
    assert not marker.exists()
    assert str(path) in str(info.value)
    assert info.value.path == path
    assert "builtins.open" in str(info.value) or "io.open" in str(info.value)


def test_refuses_os_system(tmp_path):
    marker = tmp_path / "PWNED2"

    class Shell:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "shell.dbg"
    path.write_bytes(pickle.dumps([Shell()], protocol=2))
    with pytest.raises(UnreadableRecordingError, match="shell.dbg"):
        recording.load(path)
    assert not marker.exists()


def test_refuses_classes_even_harmless_ones(tmp_path):
    import collections
    path = tmp_path / "od.dbg"
    path.write_bytes(pickle.dumps([collections.OrderedDict()]))
    with pytest.raises(UnreadableRecordingError, match="builtin data"):
        recording.load(path)


def _assert_unreadable(path, *words):
    with pytest.raises(UnreadableRecordingError) as info:
        recording.load(path)
    assert isinstance(info.value, BadFileError)
    assert str(path) in str(info.value)
    for word in words:
        assert word in str(info.value)
    return info.value


def test_refuses_empty_file(tmp_path):
    path = tmp_path / "empty.dbg"
    path.write_bytes(b"")
    _assert_unreadable(path, "empty")


def test_refuses_missing_file(tmp_path):
    _assert_unreadable(tmp_path / "nope.dbg", "cannot read")


def test_refuses_folder(tmp_path):
    folder = tmp_path / "dir.dbg"
    folder.mkdir()
    _assert_unreadable(folder)


def test_refuses_truncated_pickles(tmp_path, rec):
    data = recording.dumps(rec.play(10))
    path = tmp_path / "cut.dbg"
    for cut in (1, 2, 5, len(data) // 3, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:cut])
        _assert_unreadable(path, "not a recording")


@pytest.mark.parametrize("value", [{"a": 1}, ("version", 1.1), "text", 42, None, b"x"])
def test_refuses_non_list(tmp_path, value):
    path = tmp_path / "other.dbg"
    path.write_bytes(pickle.dumps(value))
    _assert_unreadable(path, type(value).__name__)


def test_refuses_text_files(tmp_path):
    path = tmp_path / "notes.dbg"
    path.write_text("this is not a pickle\n")
    _assert_unreadable(path, "not a recording")


@pytest.mark.parametrize("data", [
    # LONG_BINPUT with a memo index of 1.3e9: the C unpickler would allocate GBs
    b"\x89r\x89\xc8NO \xd9\xe4\x7fK\r\x00",
    # FRAME / BINBYTES8 lengths beyond sys.maxsize: OverflowError
    b"\x80\x04\x95d\x00\x00\x00\x00\x84\x00\xbe]\x94(",
    b"\x8e[\xf0\xddq@<\xde\xdb\xbcr",
], ids=["huge-memo", "huge-frame", "huge-binbytes"])
def test_refuses_hostile_lengths_quickly(tmp_path, data):
    path = tmp_path / "hostile.dbg"
    path.write_bytes(data)
    _assert_unreadable(path)


def test_random_bytes_and_corruptions_never_escape(tmp_path, rec):
    rng = random.Random(20240601)
    good = [recording.dumps(rec.play(3)), pickle.dumps(rec.pyglet_play(3), protocol=2)]
    path = tmp_path / "fuzz.dbg"
    unreadable = 0
    for i in range(250):
        if i % 2:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 48)))
        else:
            b = bytearray(good[i % 4 // 2])
            for _ in range(rng.randrange(1, 4)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            data = bytes(b[:rng.randrange(1, len(b) + 1)])
        path.write_bytes(data)
        try:
            recording.load(path)  # a corruption may still be a list
        except UnreadableRecordingError as exc:
            assert str(path) in str(exc)
            unreadable += 1
    assert unreadable > 180


def test_too_large_is_refused_without_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.dbg"
    path.write_bytes(b"x" * 100)
    monkeypatch.setattr(recording, "MAX_RECORDING_BYTES", 10)
    _assert_unreadable(path, "too large")
