"""playback.file_reference: the sample's reference, stored once and reused.

ffprobe is a stand-in script on PATH that counts its runs, no real probe
(tests/doubles/ffprobe_stand_in.py).
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Callable

import pytest
from doubles import ffprobe_stand_in

from pytest_pyglet_media.options import Settings
from pytest_pyglet_media.play import playback
from pytest_pyglet_media.store import reference as r
from pytest_pyglet_media.store import sessions
from pytest_pyglet_media.store.reference_cache import ReferenceCache
from pytest_pyglet_media.store.sessions import SessionPaths
from pytest_pyglet_media.store.stored_references import StoredReferences

ANSWER = {
    "packets": [{"stream_index": 0, "pts_time": f"{i * 0.04:.6f}", "flags": "__"}
                for i in range(5)],
    "streams": [{"index": 0, "codec_name": "h264", "codec_type": "video",
                 "start_time": "0.000000", "duration": "0.200000"}],
    "format": {"start_time": "0.000000", "duration": "0.200000"},
}


@pytest.fixture
def ffprobe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """Install a stand-in ffprobe; returns a function giving its number of probes."""
    bin_dir = tmp_path / "bin"
    runs = tmp_path / "runs"
    ffprobe_stand_in.write(bin_dir, stdout=json.dumps(ANSWER), calls=runs)
    ffprobe_stand_in.alone_on_path(monkeypatch, bin_dir)
    return lambda: ffprobe_stand_in.calls_made(runs)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"media")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    folder.mkdir()
    return folder


def a_run(store: Path) -> StoredReferences:
    """What a run of the plugin has: its stored references and the store's cache."""
    return StoredReferences(cache_dir=sessions.reference_cache_dir(store))


def test_session_paths_name_the_reference():
    paths = SessionPaths(Path("/s"), "run")
    assert paths.reference_dir == Path("/s/run/reference")
    assert paths.reference("clip.mp4") == Path("/s/run/reference/clip.mp4.json")
    assert len(paths.reference("x" * 255).name.encode()) <= 255
    # one cache per store, inside it, hidden from sessions' names
    assert paths.reference_cache_dir == Path("/s/.reference-cache")
    assert SessionPaths(Path("/s"), "run", Path("/t")).reference_cache_dir == \
        Path("/t/.reference-cache")


def test_probed_once_per_store_not_once_per_session(store, ffprobe, sample):
    first = store / "one" / "reference" / "clip.mp4.json"  # folder made lazily
    ref, why = playback.file_reference(sample, first, a_run(store))
    assert why == "" and ref.frame_times == (0.0, 0.04, 0.08, 0.12, 0.16)
    assert ffprobe() == 1 and r.load(first)[1] == ref
    mtime = first.stat().st_mtime_ns
    # another run into the same session: nothing probed, nothing rewritten
    again, why = playback.file_reference(sample, first, a_run(store))
    assert (again, why, ffprobe(), first.stat().st_mtime_ns) == (ref, "", 1, mtime)
    # another session of the store: not probed either, its copy written
    other = store / "two" / "reference" / "clip.mp4.json"
    assert playback.file_reference(sample, other, a_run(store)) == (ref, "")
    assert ffprobe() == 1 and r.load(other) == r.load(first)
    # the cache's only files: its secret and one entry
    assert sorted(p.suffix for p in sessions.reference_cache_dir(store).iterdir()) == \
        ["", ".json"]


def test_the_key_names_the_file_and_ffmpeg(store, ffprobe, sample):
    stored = store / "s" / "clip.mp4.json"
    playback.file_reference(sample, stored, a_run(store))
    key = r.load(stored)[0]
    stat = sample.stat()
    assert (key["device"], key["inode"], key["size"], key["mtime_ns"]) == \
        (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    assert key["ffmpeg"].startswith(ffprobe_stand_in.VERSION)
    assert r.is_current(key, sample)


def test_a_changed_sample_is_probed_again(store, ffprobe, sample):
    stored = store / "s" / "clip.mp4.json"
    playback.file_reference(sample, stored, a_run(store))
    sample.write_bytes(b"other media, longer")
    playback.file_reference(sample, stored, a_run(store))
    assert ffprobe() == 2
    assert r.is_current(r.load(stored)[0], sample)


def test_a_touched_sample_is_probed_again(store, ffprobe, sample):
    # its mtime is part of its identity: a file rewritten with the same bytes
    # costs one probe, a file read whole on every run would cost more
    playback.file_reference(sample, None, a_run(store))
    os.utime(sample, ns=(1, 1))
    playback.file_reference(sample, None, a_run(store))
    assert ffprobe() == 2


def test_another_ffmpeg_probes_again(tmp_path, store, ffprobe, sample):
    playback.file_reference(sample, None, a_run(store))
    ffprobe_stand_in.write(tmp_path / "bin", stdout=json.dumps(ANSWER), calls=tmp_path / "runs",
                           version="ffprobe version 7.1")
    playback.file_reference(sample, None, a_run(store))
    assert ffprobe() == 2


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"format": "x"}', b"\xff\xfe"])
def test_a_corrupt_session_reference_is_replaced_without_probing(store, ffprobe, sample,
                                                                  content):
    playback.file_reference(sample, None, a_run(store))
    stored = store / "s" / "clip.mp4.json"
    stored.parent.mkdir()
    stored.write_bytes(content)
    ref, why = playback.file_reference(sample, stored, a_run(store))
    assert why == "" and ref is not None and ffprobe() == 1
    assert r.load(stored)[1] == ref


def test_an_edited_session_reference_is_never_trusted(store, ffprobe, sample):
    """Its key still matches the file, its video is gone: the play is judged
    against the probed reference, and the session's copy is put right."""
    stored = store / "s" / "clip.mp4.json"
    ref, _ = playback.file_reference(sample, stored, a_run(store))
    document = json.loads(stored.read_text())
    document["reference"]["streams"] = []
    document["reference"]["video_index"] = None
    document["reference"]["frame_times"] = []
    stored.write_text(json.dumps(document))
    assert r.load(stored)[1].frame_times == ()  # a valid reference, shown as it is
    for run in (a_run(store), StoredReferences()):  # the store's cache, or none at all
        assert playback.file_reference(sample, stored, run) == (ref, "")
    assert r.load(stored)[1] == ref


def _entry(store: Path) -> Path:
    return next(sessions.reference_cache_dir(store).glob("*.json"))


def _edit_entry(store: Path, edit: Callable[[dict], None]) -> None:
    """Edit the cache entry's document, keeping its checksum line as it was."""
    checksum, body = _entry(store).read_bytes().split(b"\n", 1)
    document = json.loads(body)
    edit(document)
    _entry(store).write_bytes(checksum + b"\n" + json.dumps(document).encode())


@pytest.mark.parametrize("edit", [
    lambda d: d["reference"].update(frame_times=[]),
    lambda d: d["reference"]["streams"][0].update(duration=99.0),
    lambda d: d["key"].update(ffmpeg="ffprobe version 9"),
], ids=["frames emptied", "duration changed", "key changed"])
def test_an_edited_cache_entry_is_probed_again(store, ffprobe, sample, edit):
    ref, _ = playback.file_reference(sample, None, a_run(store))
    _edit_entry(store, edit)
    assert playback.file_reference(sample, None, a_run(store)) == (ref, "")
    assert ffprobe() == 2


@pytest.mark.parametrize("damage", [b"", b"garbage", b"0" * 64 + b"\n{}"])
def test_a_corrupt_cache_entry_is_probed_again(store, ffprobe, sample, damage):
    ref, _ = playback.file_reference(sample, None, a_run(store))
    _entry(store).write_bytes(damage)
    assert playback.file_reference(sample, None, a_run(store)) == (ref, "")
    assert ffprobe() == 2


def test_an_entry_of_another_store_is_not_trusted(tmp_path, store, ffprobe, sample):
    """Copied with its checksum from another store (another machine, a
    bundle): that store's secret made it, this one's cannot prove it."""
    playback.file_reference(sample, None, a_run(store))
    other = tmp_path / "other"
    other.mkdir()
    playback.file_reference(sample, None, a_run(other))
    assert ffprobe() == 2
    _entry(store).write_bytes(_entry(other).read_bytes())
    playback.file_reference(sample, None, a_run(store))
    assert ffprobe() == 3


def test_the_secret_is_the_owners_alone(store, ffprobe, sample):
    playback.file_reference(sample, None, a_run(store))
    secret = sessions.reference_cache_dir(store) / "secret"
    assert secret.stat().st_mode & 0o777 == 0o600


def test_a_read_only_store_keeps_no_cache_and_still_probes(tmp_path, ffprobe, sample):
    missing = tmp_path / "no-store"  # never made by the cache
    ref, why = playback.file_reference(sample, None, a_run(missing))
    assert why == "" and ref is not None and not missing.exists()


def test_without_ffprobe_the_reason_says_how_to_install_it(tmp_path, monkeypatch, sample):
    monkeypatch.setenv("PATH", str(tmp_path))
    stored = tmp_path / "clip.mp4.json"
    ref, why = playback.file_reference(sample, stored)
    assert ref is None and not stored.exists()
    assert why == ("ffprobe is not available (not on PATH); install it: "
                   "apt-get install ffmpeg (or put ffprobe on PATH)")
    assert why.startswith(playback.PROBE_UNAVAILABLE)


def test_a_file_ffprobe_cannot_read_is_noted_without_its_path_and_remembered(
        tmp_path, monkeypatch, sample, store):
    bin_dir = tmp_path / "bin"
    runs = tmp_path / "runs"
    ffprobe_stand_in.write(bin_dir, stderr=f"{sample}: Invalid data found when processing input\n",
                           status=1, calls=runs)
    ffprobe_stand_in.alone_on_path(monkeypatch, bin_dir)
    for _ in range(2):  # two runs: the second asks ffprobe nothing of the file
        ref, why = playback.file_reference(sample, tmp_path / "clip.mp4.json", a_run(store))
        assert ref is None
        assert why == ("ffprobe cannot read the file: ffprobe: Invalid data found when "
                       "processing input")
    assert ffprobe_stand_in.calls_made(runs) == 1


def test_the_runs_references_are_read_once_and_the_probed_one_not_at_all(
        tmp_path, ffprobe, sample, monkeypatch, store):
    reads: list[Path] = []
    original = r.load
    monkeypatch.setattr(r, "load", lambda path: reads.append(path) or original(path))
    stored = tmp_path / "clip.mp4.json"
    references = a_run(store)
    first, _ = playback.file_reference(sample, stored, references)  # probed and stored
    assert playback.play_limit(Settings(), tmp_path, sample.name, stored, references) > 0
    assert playback.expected_cost(tmp_path, sample.name, tmp_path / "none.dbg", stored,
                                  references) > 0
    again, _ = playback.file_reference(sample, stored, references)
    assert again == first and ffprobe() == 1
    assert reads == [stored]  # asked before it was written, when there was no file yet
    # another run reads the stored one once, and probes nothing
    later = a_run(store)
    for _ in range(3):
        assert playback.file_reference(sample, stored, later) == (first, "")
    assert reads == [stored, stored] and ffprobe() == 1


def test_runs_filling_the_cache_at_once_agree(store, ffprobe, sample):
    """xdist workers and runs beside each other: each makes the store's
    secret or takes the first one's, each entry is one whole file."""
    found: list = []
    runs = [a_run(store) for _ in range(6)]
    threads = [threading.Thread(target=lambda run=run: found.append(
        playback.file_reference(sample, None, run))) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 6 and all(why == "" and ref == found[0][0] for ref, why in found)
    probes = ffprobe()
    assert [p.name for p in sessions.reference_cache_dir(store).iterdir()
            if p.name.startswith(".")] == []  # no temporary file left
    assert playback.file_reference(sample, None, a_run(store)) == found[0]
    assert ffprobe() == probes  # the entry written is one a later run proves


def test_beyond_its_budget_the_cache_reads_its_entry_again(store, ffprobe, sample):
    """Memory holds MAX_HELD_FRAMES frame times in all; a reference beyond
    is read from the store's cache at each request, never probed again."""
    run = a_run(store)
    run.cache = ReferenceCache(sessions.reference_cache_dir(store), max_frames=4)  # 5 frames
    first = playback.file_reference(sample, None, run)
    assert playback.file_reference(sample, None, run) == first and ffprobe() == 1
    assert not run.cache._known


def test_the_cache_tells_a_files_length_for_ordering_without_probing_or_hashing(
        store, ffprobe, sample):
    run = a_run(store)
    # no cache yet: none is made for a question of order
    assert run.cache.length_hint(sample) is None
    assert not sessions.reference_cache_dir(store).exists()
    playback.file_reference(sample, store / "one" / "reference" / "clip.mp4.json", run)
    assert a_run(store).cache.length_hint(sample) == pytest.approx(0.2)
    assert ffprobe() == 1
    sample.write_bytes(b"other media")  # changed since: no length to tell
    assert a_run(store).cache.length_hint(sample) is None
