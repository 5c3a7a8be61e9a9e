"""pytest-timeout and pytest-rerunfailures beside
the plugin's own limits and retries (both installed by the test extra)."""
from __future__ import annotations

import re

import pytest
from mp_support import junit

pytest.importorskip("pytest_rerunfailures")  # the test extra installs it

TIMEOUT_MARK_CONFTEST = """
import pytest

def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.timeout(1))
"""


def test_global_timeout_does_not_cut_the_plays_of_a_sample(mp):
    """--timeout=1 for the run; the sample's plays (2 x 2 s) run to their own limit."""
    mp.add("a.mp4")
    run = mp.run("--timeout=1", "--mp-timeout=2", "--mp-stall-timeout=60", "--mp-retries=1",
                 player="hang")
    assert run.outcomes() == {"failed": 1, "rerun": 1}
    text = run.section("a.mp4")
    assert text.startswith("a.mp4: the player timed out: still playing at the timeout "
                           "(--mp-timeout 2 s)"), text
    assert "pytest-timeout" not in text
    # a timeout is said to be one everywhere, never a crash
    why = "timed out: still playing at the timeout (--mp-timeout 2 s)"
    assert f"played again after play 1: {why}" in text
    assert f"RERUN a.mp4: {why}" in run.out
    assert re.search(r"session testrun_00: 1 sample, 0 perfect, 0 with defects, 1 timed out, "
                     r"1 timeout retry$", run.out, re.M), run.out
    summary = run.summary()
    assert "Samples that always timed out (in every attempt to play)\na.mp4" in summary
    assert "crashed" not in summary.replace("No sample crashed", "").replace(
        "Crash retries in this run: 0", "").replace("with no crash", "").replace(
        "all - no_dbg - crashed", ""), summary


def test_pytest_timeout_firing_is_a_timeout_verdict(mp, tmp_path):
    """An explicit timeout marker is kept; when it fires the player group is
    killed and the verdict is a timeout with its junit properties."""
    mp.pytester.makeconftest(TIMEOUT_MARK_CONFTEST)
    mp.add("a.mp4")
    xml = tmp_path / "out.xml"
    run = mp.run("--mp-timeout=60", "--mp-stall-timeout=60", "--mp-retries=0",
                 f"--junitxml={xml}", player="hang")
    assert run.outcomes() == {"failed": 1}
    text = run.section("a.mp4")
    assert text.startswith("a.mp4: the player timed out: stopped by pytest-timeout "
                           "(Timeout (>1.0s) from pytest-timeout.)"), text
    junit.validate(xml, "xunit2")  # pytest's default family: no testcase properties
    (props,) = mp.junit_cases(xml).values()
    assert props["mp_verdict"] == "timeout"
    assert props["mp_attempts"] == "1"
    # no player is left behind, nor a "playing" marker
    assert mp.live_processes_with(str(mp.samples / "a.mp4")) == []
    assert not (mp.samples / "testrun_00" / "dbg" / "a.mp4.playing").exists()
    assert "Samples that always timed out" in run.summary()  # never "crashed"


def test_reruns_do_not_compound_with_the_plugin_retries(mp):
    mp.add("segfault_a.mp4")
    run = mp.run("--reruns=1", "--mp-retries=2")
    assert run.outcomes() == {"failed": 1, "rerun": 2}
    assert re.search(r"^samples/segfault_a\.mp4 RRF\s", run.out, re.M), run.out


def test_an_unplayable_sample_is_never_rerun(mp):
    mp.add("unplayable_a.mp4")
    run = mp.run("--reruns=2", "--mp-retries=2")
    assert run.outcomes() == {"failed": 1}
    assert "cannot be played" in run.section("unplayable_a.mp4") or \
        "unplayable" in run.section("unplayable_a.mp4"), run.section("unplayable_a.mp4")
    assert re.search(r"^samples/unplayable_a\.mp4 F\s", run.out, re.M), run.out
