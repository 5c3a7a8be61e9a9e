"""order.py: the collection order, longest first from stored durations or sizes."""
from __future__ import annotations

import os

from pytest_pyglet_media.play import order
from pytest_pyglet_media.store import reference
from pytest_pyglet_media.store.reference import Reference


def _ref(duration):
    return Reference(duration=duration, start=0.0, streams=())


def test_sizes_alone_bigger_first_ties_by_name():
    sizes = {"a.mp4": 10, "b.mp4": 30, "c.mp4": 10, "d.mp4": 20}
    assert order.longest_first(["c.mp4", "a.mp4", "b.mp4", "d.mp4"], {}, sizes) == \
        ["b.mp4", "d.mp4", "a.mp4", "c.mp4"]


def test_durations_win_over_sizes():
    # the small file is the long one: durations decide, not sizes
    sizes = {"big_short.mp4": 1000, "small_long.wav": 10}
    durations = {"big_short.mp4": 1.0, "small_long.wav": 60.0}
    assert order.longest_first(sizes, durations, sizes) == ["small_long.wav", "big_short.mp4"]


def test_equal_durations_keep_name_order():
    sizes = {"b": 5, "a": 9, "c": 1}
    durations = {"a": 2.0, "b": 2.0, "c": 2.0}
    assert order.longest_first(["c", "b", "a"], durations, sizes) == ["a", "b", "c"]


def test_unknown_durations_estimated_from_the_known_rate():
    # 100 bytes a second from the measured ones: 'new' (500 bytes) is ~5 s
    sizes = {"one_s": 100, "ten_s": 1000, "new": 500}
    durations = {"one_s": 1.0, "ten_s": 10.0, "new": None}
    assert order.longest_first(["one_s", "ten_s", "new"], durations, sizes) == \
        ["ten_s", "new", "one_s"]


def test_unknown_size_and_duration_go_last():
    sizes = {"gone": None, "x": 1, "y": 2}
    assert order.longest_first(["gone", "x", "y"], {}, sizes) == ["y", "x", "gone"]


def test_a_zero_or_missing_duration_counts_as_unknown():
    sizes = {"a": 100, "b": 300, "c": 200}
    durations = {"a": 1.0, "b": 0.0, "c": None}
    assert order.longest_first(sizes, durations, sizes) == ["b", "c", "a"]


def test_playlist_order_is_kept(tmp_path):
    (tmp_path / "small").write_bytes(b"x")
    (tmp_path / "big").write_bytes(b"x" * 100)
    assert order.play_order("playlist", ["small", "big"], tmp_path, None) == ["small", "big"]
    assert order.play_order("longest", ["small", "big"], tmp_path, None) == ["big", "small"]


def test_play_order_reads_stored_references(tmp_path):
    refs = tmp_path / "reference"
    refs.mkdir()
    for name, size, duration in (("a", 10, 30.0), ("b", 1000, 2.0), ("c", 500, None)):
        (tmp_path / name).write_bytes(b"x" * size)
        if duration is not None:
            reference.save(refs / f"{name}.json", _ref(duration),
                           reference.file_key(tmp_path / name))
    got = order.play_order("longest", ["b", "c", "a"], tmp_path, lambda s: refs / f"{s}.json")
    # a: 30 s; b: 2 s; c: no reference, 500 bytes at b's and a's rate (~10 s)
    assert got == ["a", "c", "b"]


def test_a_reference_for_another_size_or_unreadable_is_ignored(tmp_path):
    sample = tmp_path / "s.mp4"
    sample.write_bytes(b"x" * 10)
    path = tmp_path / "s.json"
    reference.save(path, _ref(5.0), reference.file_key(sample))
    assert order.stored_duration(path, 10) == 5.0
    sample.write_bytes(b"x" * 11)  # the file changed since it was probed
    assert order.stored_duration(path, os.stat(sample).st_size) is None
    path.write_text("{not json")
    assert order.stored_duration(path, 10) is None
    assert order.stored_duration(tmp_path / "missing.json", 10) is None


def test_the_seconds_past_plays_took_win_over_the_files_length(tmp_path):
    # a 1.2 s file pyglet never ends plays 6.5 s: started first, it no longer
    # plays alone at the end of the run (the durations file, store/durations.py)
    for name, size in (("long.mp4", 1000), ("hangs.webm", 10), ("short.mp4", 50)):
        (tmp_path / name).write_bytes(b"x" * size)
    got = order.play_order("longest", ["long.mp4", "hangs.webm", "short.mp4"], tmp_path, None,
                           played={"hangs.webm": 6.5, "long.mp4": 3.0})
    assert got == ["hangs.webm", "long.mp4", "short.mp4"]
    # the playlist's order stays the playlist's
    assert order.play_order("playlist", ["long.mp4", "hangs.webm"], tmp_path, None,
                            played={"hangs.webm": 6.5}) == ["long.mp4", "hangs.webm"]


def test_a_new_sessions_first_run_orders_by_the_stores_cache(tmp_path):
    # no session reference yet, but the store's cache knows the lengths
    for name, size in (("big_short.mp4", 1000), ("small_long.mp4", 10)):
        (tmp_path / name).write_bytes(b"x" * size)
    lengths = {"big_short.mp4": 1.0, "small_long.mp4": 10.0}
    got = order.play_order("longest", ["big_short.mp4", "small_long.mp4"], tmp_path, None,
                           cached_length=lambda path: lengths[path.name])
    assert got == ["small_long.mp4", "big_short.mp4"]
