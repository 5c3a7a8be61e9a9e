"""--mp-store: sessions and activation.json kept outside the samples folder."""
from __future__ import annotations

import pytest

from pytest_pyglet_media.store import sessions

MODES = pytest.mark.parametrize("extra", [(), ("-n", "2")], ids=["serial", "xdist"])


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


@MODES
def test_store_option_keeps_sessions_outside_the_samples_folder(mp, extra):
    mp.add("perfect_a.mp4", "perfect_b.mp4")
    kept = mp.pytester.path / "kept"
    for expected in ("testrun_00", "testrun_01"):
        run = mp.run("--mp-store=kept", *extra)
        assert run.ret == 0, run.out
        assert (kept / expected / "dbg" / "perfect_a.mp4.dbg").is_file()
        assert (kept / expected / "dbg" / "perfect_b.mp4.dbg").is_file()
        assert (kept / expected / "reports" / "00_summary.txt").is_file()
    assert _files(mp.samples) == ["perfect_a.mp4", "perfect_b.mp4"]
    assert sessions.list_sessions(kept) == ["testrun_00", "testrun_01"]


@pytest.mark.parametrize("how", ["env", "ini"])
def test_store_from_the_environment_or_the_ini_file(mp, monkeypatch, how):
    mp.add("perfect_a.mp4")
    if how == "env":
        monkeypatch.setenv("PYTEST_MP_STORE", "kept")
    else:
        mp.pytester.makeini("[pytest]\nmp_store = kept\n")
    run = mp.run()
    assert run.ret == 0, run.out
    assert (mp.pytester.path / "kept" / "testrun_00" / "dbg" / "perfect_a.mp4.dbg").is_file()
    assert _files(mp.samples) == ["perfect_a.mp4"]


def test_active_session_and_compare_are_read_from_the_store(mp):
    mp.add("perfect_a.mp4")
    kept = mp.pytester.path / "kept"
    assert mp.run("--mp-store=kept", "--mp-session=first").ret == 0
    sessions.set_active_session(kept, "planned")
    run = mp.run("--mp-store=kept", "--mp-compare=first")
    assert run.ret == 0, run.out
    assert sessions.list_sessions(kept) == ["first", "planned"]
    assert (kept / "planned" / "dbg" / "perfect_a.mp4.dbg").is_file()
    # the samples folder's own activation.json is not the store's
    assert not (mp.samples / sessions.ACTIVATION_FILE).exists()


def test_store_inside_the_samples_folder_holds_no_samples(mp):
    mp.add("perfect_a.mp4")
    for _ in range(2):
        run = mp.run("--mp-store=samples/_store", "-v")
        assert run.ret == 0, run.out
        assert list(run.statuses()) == ["samples/perfect_a.mp4::play"]
    assert sessions.list_sessions(mp.samples / "_store") == ["testrun_00", "testrun_01"]


def test_store_that_is_a_file_is_a_usage_error(mp):
    mp.add("perfect_a.mp4")
    (mp.pytester.path / "kept").write_text("a file")
    run = mp.run("--mp-store=kept")
    assert run.ret == int(pytest.ExitCode.USAGE_ERROR)
    assert "is not a folder" in run.err and "Traceback" not in run.err
