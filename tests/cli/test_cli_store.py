"""pyglet-mp --store (and $PYTEST_MP_STORE); pyglet-mp prune."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest
from mp_support.recordings import bare_play
from mp_support.sessions import FAKE_VERSIONS

from pytest_pyglet_media.store import recording
from pytest_pyglet_media.store import sessions

PERFECT_ARGS = ("--", "-q", "--mp-player=doubles.cli_perfect")


@pytest.fixture
def kept(tmp_path):
    return tmp_path / "kept"


def _untouched(samples_dir):
    assert sorted(p.name for p in samples_dir.iterdir()) == \
        ["a.mp4", "b.ogv", "c.mkv", "notes.txt"]


@pytest.mark.parametrize("how", ["global", "command", "env"])
def test_session_commands_use_the_store(mp, samples_dir, kept, monkeypatch, how):
    if how == "env":
        monkeypatch.setenv(sessions.STORE_DIR_ENV, str(kept))
        before, after = (), ()
    elif how == "global":
        before, after = (f"--store={kept}",), ()
    else:
        before, after = (), (f"--store={kept}",)
    r = mp(*before, "new", "s1", *after)
    assert r.code == 0, r.output
    assert str(kept) in r.out
    assert sessions.SessionPaths(samples_dir, "s1", kept).exists()
    assert json.loads((kept / sessions.ACTIVATION_FILE).read_text()) == "s1"
    assert mp(*before, "new", "s2", *after).code == 0
    assert mp(*before, "activate", "s1", *after).code == 0
    r = mp(*before, "list", *after)
    assert r.out.splitlines() == ["* s1", "  s2"]
    r = mp(*before, "status", *after)
    assert f"store: {kept}" in r.out and "session: s1" in r.out
    _untouched(samples_dir)
    # without the store, the samples folder has no sessions
    monkeypatch.delenv(sessions.STORE_DIR_ENV, raising=False)
    assert "no sessions in" in mp("list").out


def test_playmany_records_into_the_store(mp, samples_dir, kept, doubles):
    assert mp("--store", str(kept), "new", "s").code == 0
    r = mp("--store", str(kept), "playmany", *PERFECT_ARGS)
    assert r.code == 0, r.output
    for sample in ("a.mp4", "b.ogv", "c.mkv"):
        assert (kept / "s" / "dbg" / f"{sample}.dbg").is_file()
    assert (kept / "s" / "reports" / "00_summary.txt").is_file()
    _untouched(samples_dir)


def test_bundle_and_unbundle_with_a_store(mp, samples_dir, kept, tmp_path):
    assert mp("--store", str(kept), "new", "s").code == 0
    r = mp("--store", str(kept), "bundle")
    assert r.code == 0, r.output
    archive = kept / "s.mp-bundle.tar.gz"
    assert archive.is_file()
    other = tmp_path / "other"
    r = mp("--store", str(other), "unbundle", str(archive))
    assert r.code == 0, r.output
    assert sessions.SessionPaths(samples_dir, "s", other).exists()
    _untouched(samples_dir)


def test_compare_reldir_is_inside_the_store(mp, samples_dir, kept):
    assert mp("--store", str(kept), "new", "old").code == 0
    assert mp("--store", str(kept), "new", "now").code == 0
    r = mp("--store", str(kept), "compare", "old", "--reldir", "cmp")
    assert r.code == 0, r.output
    assert (kept / "cmp").is_dir() and str(kept / "cmp") in r.out
    _untouched(samples_dir)


# -- prune ---------------------------------------------------------------------------


def _session(samples_dir, name, crashed=(), store_dir=None, **conf):
    samples = ["a.mp4", "b.ogv"]
    paths = sessions.create_session(samples_dir, name, samples, has_playlist=True,
                                 versions=FAKE_VERSIONS, samples_version="t",
                                 store_dir=store_dir)
    for sample in samples:
        recording.save(paths.recording(sample), recording.crash_placeholder(sample)
                       if sample in crashed else bare_play(sample))
    if conf:
        sessions.update_configuration(paths, **conf)
    return paths


def _sessions(folder):
    return sessions.list_sessions(folder)


def test_prune_removes_older_testruns_that_repeat_a_newer_one(mp, samples_dir):
    _session(samples_dir, "testrun_00")                      # same as 03: removed
    _session(samples_dir, "testrun_01", crashed=["a.mp4"])   # same as 02: removed
    _session(samples_dir, "testrun_02", crashed=["a.mp4"])   # new against 03, 04: kept
    _session(samples_dir, "testrun_03")                      # among the 2 newest
    _session(samples_dir, "testrun_04", crashed=["b.ogv"])   # among the 2 newest
    _session(samples_dir, "mine")                            # named: never
    r = mp("prune", "--keep", "2", "--dry-run")
    assert r.code == 0, r.output
    assert r.out.splitlines() == ["would remove testrun_01: same verdicts as testrun_02",
                                  "would remove testrun_00: same verdicts as testrun_03"]
    assert len(_sessions(samples_dir)) == 6
    r = mp("prune", "--keep", "2")
    assert r.code == 0, r.output
    assert r.out.splitlines() == ["removed testrun_01: same verdicts as testrun_02",
                                  "removed testrun_00: same verdicts as testrun_03"]
    assert _sessions(samples_dir) == ["mine", "testrun_02", "testrun_03", "testrun_04"]
    assert not [p for p in samples_dir.iterdir() if p.name.startswith(".")]
    assert mp("prune", "--keep", "2").out.strip() == f"nothing to prune in {samples_dir}"


def test_prune_keeps_protected_active_and_different_sessions(mp, samples_dir):
    _session(samples_dir, "testrun_00", protect_raw_data=True)
    _session(samples_dir, "testrun_01")
    _session(samples_dir, "testrun_02", crashed=["b.ogv"])
    _session(samples_dir, "testrun_03")
    sessions.set_active_session(samples_dir, "testrun_01")
    r = mp("prune", "--keep", "1")
    assert r.code == 0, r.output
    assert r.out.strip() == f"nothing to prune in {samples_dir}"
    assert len(_sessions(samples_dir)) == 4
    sessions.set_active_session(samples_dir, None)
    r = mp("prune", "--keep", "1")
    assert r.out.splitlines() == ["removed testrun_01: same verdicts as testrun_03"]


def test_prune_in_a_store(mp, samples_dir, kept):
    kept.mkdir()
    _session(samples_dir, "testrun_00", store_dir=kept)
    _session(samples_dir, "testrun_01", store_dir=kept)
    r = mp("--store", str(kept), "prune", "--keep", "1")
    assert r.out.splitlines() == ["removed testrun_00: same verdicts as testrun_01"]
    assert _sessions(kept) == ["testrun_01"]


def _created(paths, seconds_ago):
    stamp = datetime.fromtimestamp(time.time() - seconds_ago, timezone.utc).isoformat()
    sessions.update_configuration(paths, created=stamp)


def test_prune_orders_by_creation_and_keeps_the_newest_run(mp, samples_dir):
    """A run made at 18:36 is never taken for a repeat of the 18:30 one because
    its number is lower (a number prune freed, given again by an older version)."""
    _created(_session(samples_dir, "testrun_00"), 60)         # the newest: kept
    _created(_session(samples_dir, "testrun_01"), 600)        # repeats the newest: removed
    _created(_session(samples_dir, "testrun_02"), 3600)       # the highest number: kept
    r = mp("prune", "--keep", "0")
    assert r.out.splitlines() == ["removed testrun_01: same verdicts as testrun_00"]
    assert _sessions(samples_dir) == ["testrun_00", "testrun_02"]
    # new runs number after the highest, never into a number prune freed
    assert sessions.next_testrun_name(samples_dir) == "testrun_03"


def test_prune_older_than_an_age(mp, samples_dir):
    _created(_session(samples_dir, "testrun_00", crashed=["a.mp4", "b.ogv"]), 10 * 86400)
    _created(_session(samples_dir, "testrun_01", crashed=["a.mp4"]), 9 * 86400)
    _created(_session(samples_dir, "testrun_02", crashed=["b.ogv"]), 3600)
    _created(_session(samples_dir, "testrun_03"), 60)
    r = mp("prune", "--older-than", "7d", "--dry-run")
    assert r.out.splitlines() == ["would remove testrun_01: older than 7d (created 9d ago)",
                                  "would remove testrun_00: older than 7d (created 10d ago)"]
    assert mp("prune", "--older-than", "1w", "--keep", "3").out.splitlines() == \
        ["removed testrun_00: older than 7d (created 10d ago)"]
    for bad, fragment in ((("--older-than", "soon"), "12h"), ((), "--keep N")):
        mp("prune", *bad).one_line_error(fragment)
    assert len(_sessions(samples_dir)) == 3


@pytest.mark.parametrize("keep", ["-1", "two", "1.5"])
def test_prune_refuses_a_bad_count(mp, samples_dir, keep):
    _session(samples_dir, "testrun_00")
    _session(samples_dir, "testrun_01")
    r = mp("prune", f"--keep={keep}")
    r.one_line_error("--keep", "whole number")
    assert len(_sessions(samples_dir)) == 2


def test_former_variable_names_are_read_with_a_warning(mp, samples_dir, kept, monkeypatch):
    """One name per setting (PYTEST_MP_SAMPLES_DIR, PYTEST_MP_STORE, read by pytest
    too); the names pyglet-mp read before still work for a release, with a warning."""
    monkeypatch.delenv(sessions.SAMPLES_DIR_ENV)
    monkeypatch.setenv("pyglet_mp_samples_dir", str(samples_dir))
    monkeypatch.setenv("pyglet_mp_store_dir", str(kept))
    r = mp("new", "s1")
    assert r.code == 0, r.output
    assert sessions.SessionPaths(samples_dir, "s1", kept).exists()
    warnings = [line for line in r.err.splitlines() if "warning" in line]
    assert len(warnings) == 2 and "set PYTEST_MP_STORE instead" in r.err \
        and "set PYTEST_MP_SAMPLES_DIR instead" in r.err
    # the new name wins, and the old one is said to be ignored
    monkeypatch.setenv(sessions.STORE_DIR_ENV, str(samples_dir))
    r = mp("list")
    assert "no sessions in" in r.out
    assert "pyglet_mp_store_dir is ignored: PYTEST_MP_STORE is set too" in r.err
