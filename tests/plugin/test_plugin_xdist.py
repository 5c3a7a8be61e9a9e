"""The same mixed corpus gives the same outcomes with and without xdist.

Session files are written once, by the controller: a conftest in the inner
run's rootdir logs every call of the reporter's writer, from any process.
"""
from __future__ import annotations

import os

import pytest

MIXED = ("perfect_a.mp4", "defects_b.mp4", "segfault_c.mp4", "flaky_d.mp4", "perfect_e.wav")
EXPECTED = {"perfect_a.mp4": "PASSED", "defects_b.mp4": "FAILED",
            "segfault_c.mp4": "FAILED", "flaky_d.mp4": "PASSED", "perfect_e.wav": "PASSED"}

COUNTING_CONFTEST = '''
import os
from pathlib import Path
import pytest_pyglet_media.reporter as reporter
import pytest_pyglet_media.report.session_writer as writer

_real = writer.write_session_reports
LOG = Path(__file__).parent / "writes.log"


def _counting(*args, **kwargs):
    with open(LOG, "a") as log:
        log.write(f"{os.getpid()} {os.environ.get('PYTEST_XDIST_WORKER', 'controller')}\\n")
    return _real(*args, **kwargs)


reporter.write_session_reports = _counting
writer.write_session_reports = _counting
'''

MODES = {
    "xdist-n2": ("-n", "2"),
    "no-xdist": ("-p", "no:xdist"),
    "xdist-loaded-not-used": (),
}


@pytest.mark.parametrize("mode", list(MODES))
def test_same_outcomes_and_one_summary(mp, monkeypatch, mode):
    monkeypatch.setenv("MP_DOUBLE_CRASHES", "1")
    mp.add(*MIXED)
    mp.pytester.makeconftest(COUNTING_CONFTEST)
    run = mp.run("-v", "--mp-retries=2", *MODES[mode])
    statuses = run.statuses()
    assert statuses == {mp.nodeid(s): st for s, st in EXPECTED.items()}, run.out
    assert run.outcomes() == {"passed": 3, "failed": 2, "rerun": 3}
    # one session, written once, by the controller
    assert run.sessions() == ["testrun_00"]
    writes = (mp.pytester.path / "writes.log").read_text().splitlines()
    assert len(writes) == 1 and writes[0].endswith(" controller"), writes
    assert run.out.count("pyglet media session") == 1
    # the workers' verdicts reached the controller's summary
    summary = run.summary()
    assert "Samples in the playlist: 5" in summary
    assert "Relevant samples with perfect play: 3 / 4" in summary
    assert "Samples that always crashed (in every attempt to play)\nsegfault_c.mp4\n" in summary
    assert "Samples that crashed but finally played entirely\nflaky_d.mp4\n" in summary
    assert "Sample: defects_b.mp4" in summary
    dbg = run.session_dir() / "dbg"
    assert sorted(p.name for p in dbg.glob("*.dbg")) == sorted(f"{s}.dbg" for s in MIXED)


def test_xdist_collect_only_creates_no_session(mp):
    mp.add(*MIXED)
    run = mp.run("--collect-only", "-q", "-n", "2")
    assert run.ret == 0
    assert run.sessions() == []


def test_xdist_workers_use_the_controllers_session(mp):
    """The controller picks testrun_01; workers must not pick their own."""
    mp.add(*MIXED)
    (mp.samples / "testrun_00").mkdir()  # taken (not a session): skipped
    run = mp.run("-n", "2")
    assert run.sessions() == ["testrun_00", "testrun_01"]
    assert sorted(p.name for p in (mp.samples / "testrun_01" / "dbg").glob("*.dbg")) == \
        sorted(f"{s}.dbg" for s in MIXED)
    assert not os.listdir(mp.samples / "testrun_00")


def test_xdist_with_named_and_active_session(mp):
    from pytest_pyglet_media.store import sessions
    mp.add("perfect_a.mp4", "perfect_b.mp4", "perfect_c.mp4")
    sessions.set_active_session(mp.samples, "act")
    run = mp.run("-n", "2")
    assert run.outcomes() == {"passed": 3}
    assert run.sessions() == ["act"]
    run = mp.run("-n", "2", "--mp-session=named")
    assert run.outcomes() == {"passed": 3}
    assert run.sessions() == ["act", "named"]
