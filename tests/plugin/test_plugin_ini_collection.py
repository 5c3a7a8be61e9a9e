"""mp_samples_dir in an ini file adds the samples to what pytest collects.

It never replaces testpaths or the user's path arguments, and a run that
plays no sample writes no session output and prints no media section.
--mp-samples-dir on the command line with no paths
still collects only the samples.
"""
from __future__ import annotations

TESTS = {"tests/test_project.py": "def test_ok():\n    pass\n\n"
                                  "def test_broken():\n    assert False\n"}


def _project(mp, ini: str) -> None:
    mp.add("a.mp4", "b.webm")
    mp.pytester.makefile(".py", **{k[:-3]: v for k, v in TESTS.items()})
    mp.pytester.makeini("[pytest]\nmp_samples_dir = samples\n" + ini)


def test_ini_with_testpaths_collects_tests_and_samples(mp):
    _project(mp, "testpaths = tests\n")
    run = mp.run("-v", samples_dir=None, player="perfect")
    assert run.outcomes() == {"passed": 3, "failed": 1}, run.out
    assert "tests/test_project.py::test_broken FAILED" in run.out
    assert run.statuses() == {mp.nodeid("a.mp4"): "PASSED", mp.nodeid("b.webm"): "PASSED"}
    assert run.sessions() == ["testrun_00"] and "pyglet media session" in run.out


def test_ini_without_testpaths_collects_the_whole_folder(mp):
    _project(mp, "")
    run = mp.run("-v", samples_dir=None, player="perfect")
    assert run.outcomes() == {"passed": 3, "failed": 1}, run.out
    assert run.statuses() == {mp.nodeid("a.mp4"): "PASSED", mp.nodeid("b.webm"): "PASSED"}


def test_ini_with_a_path_argument_collects_only_that_path(mp):
    _project(mp, "testpaths = tests\n")
    run = mp.run("tests", samples_dir=None, player="perfect")
    assert run.outcomes() == {"passed": 1, "failed": 1}, run.out
    assert run.sessions() == []  # no session created
    assert "pyglet media session" not in run.out


def test_ini_with_a_path_argument_leaves_an_existing_session_alone(mp):
    _project(mp, "testpaths = tests\n")
    first = mp.run("--mp-session=kept", samples_dir=None, player="perfect")
    assert first.sessions() == ["kept"]
    reports = first.reports("kept")
    before = {p.name: p.read_bytes() for p in reports.iterdir() if p.is_file()}
    stamps = {p.name: p.stat().st_mtime_ns for p in reports.iterdir()}
    again = mp.run("tests", samples_dir=None, player="perfect")
    assert again.outcomes() == {"passed": 1, "failed": 1}
    assert "pyglet media session" not in again.out
    assert {p.name: p.read_bytes() for p in reports.iterdir() if p.is_file()} == before
    assert {p.name: p.stat().st_mtime_ns for p in reports.iterdir()} == stamps


def test_ini_with_a_node_id_of_a_sample_plays_it(mp):
    _project(mp, "testpaths = tests\n")
    run = mp.run("-v", mp.nodeid("a.mp4"), samples_dir=None, player="perfect")
    assert run.statuses() == {mp.nodeid("a.mp4"): "PASSED"}
    assert run.outcomes() == {"passed": 1}


def test_the_command_line_option_without_paths_collects_only_the_samples(mp):
    _project(mp, "testpaths = tests\n")
    run = mp.run("-v", player="perfect")  # --mp-samples-dir=samples
    assert run.outcomes() == {"passed": 2}, run.out
    assert "test_project" not in run.out


def test_ini_with_testpaths_under_xdist(mp):
    _project(mp, "testpaths = tests\n")
    run = mp.run("-n", "2", samples_dir=None, player="perfect")
    assert run.outcomes() == {"passed": 3, "failed": 1}, run.out
    assert run.sessions() == ["testrun_00"]
