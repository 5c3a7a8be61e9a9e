"""Recordings: read-only files, protected sessions, one writer per file.

A protected session is refused before any sample plays, by the plugin and
by `pyglet-mp playmany`; protection switched on mid-run stops the items that
follow; under xdist no two workers write the same recording.
"""
from __future__ import annotations

import stat

import pytest

from pytest_pyglet_media.store import recording as rec
from pytest_pyglet_media.store import sessions

USAGE_ERROR = int(pytest.ExitCode.USAGE_ERROR)


def _snapshot(dbg):
    return {p.name: p.read_bytes() for p in sorted(dbg.glob("*.dbg"))}


def test_recordings_are_written_read_only(mp):
    mp.add("perfect_a.mp4", "defects_b.mp4", "segfault_c.mp4")
    run = mp.run("--mp-retries=0")
    assert run.outcomes() == {"passed": 1, "failed": 2}
    recordings = sorted((run.session_dir() / "dbg").glob("*.dbg"))
    assert [p.name for p in recordings] == ["defects_b.mp4.dbg", "perfect_a.mp4.dbg",
                                            "segfault_c.mp4.dbg"]
    for path in recordings:  # the crash placeholder too
        assert stat.S_IMODE(path.stat().st_mode) == rec.RECORDING_MODE, path


def test_protected_session_is_refused_by_plugin_and_playmany(mp, pyglet_mp, monkeypatch,
                                                              no_internal_error):
    mp.add("perfect_a.mp4", "defects_b.mp4")
    assert mp.run("--mp-session=keep").ret == 1
    dbg = mp.samples / "keep" / "dbg"
    before = _snapshot(dbg)
    assert len(before) == 2
    protected = pyglet_mp("protect", "raw", "--samples-dir=samples", "--session=keep")
    assert protected.code == 0, protected.output
    play_log = mp.pytester.path / "plays.log"
    monkeypatch.setenv("MP_DOUBLE_LOG", str(play_log))

    run = mp.run("--mp-session=keep", player="reliability")
    assert run.ret == USAGE_ERROR
    no_internal_error(run.out + run.err)
    assert "protect_raw_data" in run.err and "keep" in run.err
    for args in (["--session=keep"], []):  # named, and active
        if not args:
            sessions.set_active_session(mp.samples, "keep")
        cli = pyglet_mp("playmany", "--samples-dir=samples", *args, "--",
                        "--mp-player=doubles.reliability")
        assert cli.code == 2, cli.output
        no_internal_error(cli.output)
        assert len(cli.err.strip().splitlines()) == 1 and "protect_raw_data" in cli.err
    assert not play_log.exists(), "a sample was played"
    assert _snapshot(dbg) == before


def test_protection_switched_on_mid_run_stops_later_items(mp, monkeypatch):
    mp.add("protector_a.mp4", "zz_b.mp4", "zz_c.mp4")
    assert mp.run("--mp-session=s").ret == 0  # a first play of every sample
    dbg = mp.samples / "s" / "dbg"
    before = _snapshot(dbg)
    play_log = mp.pytester.path / "plays.log"
    monkeypatch.setenv("MP_DOUBLE_LOG", str(play_log))
    # protector_a (played first) protects the session while it plays; one
    # player at a time, so that the others start after (a play started ahead
    # checks the protection when it starts: see test_plugin_concurrency.py)
    run = mp.run("-v", "-p", "no:xdist", "--mp-session=s", "--mp-players=1",
                 player="reliability")
    assert run.statuses() == {mp.nodeid("protector_a.mp4"): "PASSED",
                              mp.nodeid("zz_b.mp4"): "FAILED",
                              mp.nodeid("zz_c.mp4"): "FAILED"}, run.out
    for sample in ("zz_b.mp4", "zz_c.mp4"):
        text = run.section(sample)
        assert text.startswith(f"{sample}: not played: "), text
        assert "protect_raw_data" in text
    assert play_log.read_text().splitlines() == ["protector_a.mp4\t-"]
    after = _snapshot(dbg)
    assert after["zz_b.mp4.dbg"] == before["zz_b.mp4.dbg"]
    assert after["zz_c.mp4.dbg"] == before["zz_c.mp4.dbg"]
    assert sessions.load_configuration(sessions.SessionPaths(mp.samples, "s")).protect_raw_data
    assert "Traceback" not in run.out


SAMPLES = tuple(f"s{i:02d}.mp4" for i in range(10))


def test_xdist_workers_never_write_the_same_recording(mp, monkeypatch):
    play_log = mp.pytester.path / "plays.log"
    monkeypatch.setenv("MP_DOUBLE_LOG", str(play_log))
    mp.add(*SAMPLES)
    run = mp.run("-n", "2", player="reliability")
    assert run.outcomes() == {"passed": len(SAMPLES)}
    plays = [line.split("\t") for line in play_log.read_text().splitlines()]
    # every sample played exactly once, each by an xdist worker
    assert sorted(name for name, _ in plays) == sorted(SAMPLES)
    assert {worker for _, worker in plays} <= {"gw0", "gw1"}
    dbg = run.session_dir() / "dbg"
    assert sorted(p.name for p in dbg.glob("*.dbg")) == sorted(f"{s}.dbg" for s in SAMPLES)
    for sample in SAMPLES:  # each recording names its own sample
        events = rec.load(dbg / f"{sample}.dbg")
        assert [e for e in events if e[0] == "mp.im"] == [("mp.im", sample)]
        assert events[-1] == ("p.P.oe",)
    assert not [p.name for p in dbg.iterdir() if p.name.startswith(".")]  # no temp left
