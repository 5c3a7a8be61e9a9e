"""--mp-baseline-update writes known defect counts; later runs fail only what got worse.

The by_name double plays `defects_*` with discarded_late=3, scheduling_in_past=1,
`perfect_*` perfectly, and crashes `segfault_*`.
"""
from __future__ import annotations

import json

import pytest

from pytest_pyglet_media.judge import baseline as bl
from pytest_pyglet_media.store import sessions

MODES = pytest.mark.parametrize("extra", [("-p", "no:xdist"), ("-n", "2")],
                                ids=["serial", "xdist"])
DOUBLE_COUNTS = {"discarded_late": 3, "scheduling_in_past": 1}


def baseline_file(mp, name: str = bl.DEFAULT_NAME):
    return mp.samples / name


def write_baseline(mp, samples: dict, name: str = bl.DEFAULT_NAME) -> None:
    document = {"format": bl.FORMAT, "version": bl.FORMAT_VERSION, "samples": samples}
    baseline_file(mp, name).write_text(json.dumps(document))


def counts(**kinds: int) -> dict:
    return {"outcome": "played", "counts": kinds}


@MODES
def test_update_writes_once_and_stable(mp, extra):
    mp.add("defects_a.mp4", "perfect_b.mp4", "segfault_c.mp4")
    run = mp.run("-v", "--mp-retries=0", "--mp-baseline-update", *extra)
    # syrupy's way: the plays pass and are written; a crash still fails
    assert run.statuses() == {mp.nodeid("defects_a.mp4"): "PASSED",
                              mp.nodeid("perfect_b.mp4"): "PASSED",
                              mp.nodeid("segfault_c.mp4"): "FAILED"}, run.out
    path = baseline_file(mp)
    first = path.read_text(encoding="utf-8")
    assert json.loads(first)["samples"] == {
        "defects_a.mp4": {"outcome": "played", "counts": DOUBLE_COUNTS},
        "perfect_b.mp4": {"outcome": "played", "counts": {}},
        "segfault_c.mp4": {"outcome": "crashed"}}
    assert first == bl.render(bl.load(path))  # sorted, indented, trailing newline
    assert f"baseline {bl.DEFAULT_NAME} written: 3 samples of this run, 0 others kept" \
        in run.out
    # no temporary file left (the store's reference cache is no temporary file)
    assert [p.name for p in mp.samples.iterdir() if p.name.startswith(".")
            and p != sessions.reference_cache_dir(mp.samples)] == []
    # written once, by the controller: a second update with nothing changed is
    # byte for byte the same file
    mp.pytester.makeconftest(WRITE_LOGGER)
    again = mp.run("--mp-retries=0", "--mp-baseline-update", "--mp-session=second", *extra)
    assert "baseline samples.baseline.json written: 3 samples" in again.out
    assert path.read_text(encoding="utf-8") == first
    writes = (mp.pytester.path / "writes.log").read_text().splitlines()
    assert writes == ["controller"], writes  # never a worker


#: a conftest (loaded by the controller and every worker) logging who writes the baseline
WRITE_LOGGER = """
import os
from pytest_pyglet_media.judge import baseline

_write = baseline.write

def _logged(new):
    with open(os.path.join(os.path.dirname(__file__), "writes.log"), "a") as log:
        log.write(os.environ.get("PYTEST_XDIST_WORKER", "controller") + "\\n")
    _write(new)

baseline.write = _logged
"""


@MODES
def test_later_run_within_worse_better(mp, extra):
    mp.add("defects_same.mp4", "defects_worse.mp4", "defects_better.mp4", "perfect_fixed.mp4",
           "defects_new_sample.mp4", "perfect_plain.mp4")
    write_baseline(mp, {
        "defects_same.mp4": counts(**DOUBLE_COUNTS),
        "defects_worse.mp4": counts(discarded_late=1),
        "defects_better.mp4": counts(discarded_late=5, scheduling_in_past=1),
        "perfect_fixed.mp4": counts(no_image=2),
        "perfect_plain.mp4": counts(),
        "gone.mp4": {"outcome": "crashed"},
    })
    xml = mp.pytester.path / "junit.xml"
    run = mp.run("-v", f"--junitxml={xml}", *extra)
    assert run.statuses() == {mp.nodeid("defects_same.mp4"): "PASSED",
                              mp.nodeid("defects_worse.mp4"): "FAILED",
                              mp.nodeid("defects_better.mp4"): "PASSED",
                              mp.nodeid("perfect_fixed.mp4"): "PASSED",
                              mp.nodeid("defects_new_sample.mp4"): "FAILED",
                              mp.nodeid("perfect_plain.mp4"): "PASSED"}, run.out
    worse = run.section("defects_worse.mp4")
    assert ("defects_worse.mp4: worse than its baseline: discarded_late 1 -> 3, "
            "scheduling_in_past 0 -> 1 (new kind) (baseline samples.baseline.json)") in worse
    assert "discarded_late" in worse and "recording:" in worse  # the usual message follows
    new = run.section("defects_new_sample.mp4")
    assert "not in the baseline samples.baseline.json: any defect fails" in new
    # better ones are listed so people regenerate
    assert "better than baseline samples.baseline.json (regenerate it with " \
        "--mp-baseline-update):" in run.out
    assert "  defects_better.mp4: discarded_late 5 -> 3" in run.out
    assert "  perfect_fixed.mp4: no_image 2 -> 0" in run.out
    assert "defects_same.mp4:" not in run.out.split("better than baseline")[1]
    # the baselined defects stay visible: junit, summary, index
    cases = mp.junit_cases(xml)
    same = cases["defects_same.mp4"]
    assert same["mp_verdict"] == "defects"
    assert same["mp_defects"] == "discarded_late=3, scheduling_in_past=1"
    assert same["mp_baseline"] == "discarded_late=3, scheduling_in_past=1"
    assert same["mp_baseline_change"] == "same"
    assert cases["defects_worse.mp4"]["mp_baseline_change"] == \
        "worse: discarded_late 1 -> 3, scheduling_in_past 0 -> 1 (new kind)"
    assert cases["defects_new_sample.mp4"]["mp_baseline"] == "not in baseline"
    summary = run.summary()
    assert "Sample: defects_same.mp4" in summary  # still among the defects
    assert "\tdefects_same.mp4: discarded_late=3, scheduling_in_past=1 | " \
        "discarded_late=3, scheduling_in_past=1 | same" in summary
    assert "\tperfect_fixed.mp4: none | no_image=2 | better: no_image 2 -> 0" in summary
    page = (run.reports() / "index.html").read_text(encoding="utf-8")
    assert "<th>baseline</th>" in page
    assert "<td>discarded_late=1<br><small>worse: discarded_late 1 -&gt; 3" in page
    # the run never writes the baseline without --mp-baseline-update
    assert json.loads(baseline_file(mp).read_text())["samples"]["defects_worse.mp4"] == \
        counts(discarded_late=1)


def test_k_run_updates_only_what_it_played(mp):
    mp.add("defects_a.mp4", "perfect_b.mp4")
    write_baseline(mp, {"defects_a.mp4": counts(no_image=9), "perfect_b.mp4": counts(no_image=7),
                        "other.mp4": {"outcome": "timeout"}})
    run = mp.run("--mp-baseline-update", "-k", "defects_a")
    assert run.outcomes() == {"passed": 1, "deselected": 1}
    samples = json.loads(baseline_file(mp).read_text())["samples"]
    assert samples == {"defects_a.mp4": counts(**DOUBLE_COUNTS),
                       "perfect_b.mp4": counts(no_image=7), "other.mp4": {"outcome": "timeout"}}
    assert "written: 1 sample of this run, 2 others kept" in run.out


def test_crash_fails_even_when_baselined(mp):
    mp.add("segfault_a.mp4")
    write_baseline(mp, {"segfault_a.mp4": {"outcome": "crashed"}})
    run = mp.run("--mp-retries=0")
    assert run.outcomes() == {"failed": 1}
    assert "segfault_a.mp4: crashed; the baseline samples.baseline.json has crashed, and a " \
        "baseline excuses defect counts only" in run.section("segfault_a.mp4")


def test_crash_where_the_baseline_played_names_it(mp):
    mp.add("segfault_a.mp4")
    write_baseline(mp, {"segfault_a.mp4": counts(no_image=1)})
    run = mp.run("--mp-retries=0")
    assert run.outcomes() == {"failed": 1}
    assert "segfault_a.mp4: crashed; the baseline samples.baseline.json has no_image=1" \
        in run.section("segfault_a.mp4")


def test_expectation_wins_over_baseline(mp):
    mp.add("defects_known.mp4", "defects_other.mp4")
    mp.manifest('[samples."defects_known.mp4"]\nexpect = "defect"\nreason = "late"\n')
    write_baseline(mp, {"defects_known.mp4": counts(**DOUBLE_COUNTS),
                        "defects_other.mp4": counts(**DOUBLE_COUNTS)})
    run = mp.run("-v", "-rx")
    assert run.statuses() == {mp.nodeid("defects_known.mp4"): "XFAIL",
                              mp.nodeid("defects_other.mp4"): "PASSED"}, run.out
    update = mp.run("-v", "--mp-baseline-update")
    assert update.statuses() == {mp.nodeid("defects_known.mp4"): "XFAIL",
                                 mp.nodeid("defects_other.mp4"): "PASSED"}, update.out


def test_custom_baseline_path(mp, mpcli):
    mp.add("defects_a.mp4")
    target = mp.pytester.path / "elsewhere.json"
    run = mp.run(f"--mp-baseline={target}", "--mp-baseline-update")
    assert run.ret == 0
    assert not baseline_file(mp).exists()
    assert json.loads(target.read_text())["samples"] == {"defects_a.mp4": counts(**DOUBLE_COUNTS)}
    later = mp.run(f"--mp-baseline={target}")
    assert later.ret == 0 and later.outcomes() == {"passed": 1}
    # summarize remembers the baseline the run used, outside the samples folder
    summary, index = later.summary("testrun_01"), later.reports("testrun_01") / "index.html"
    assert f"Baseline {target}" in summary and "<th>baseline</th>" in index.read_text()
    again = mpcli("summarize", "--samples-dir", mp.samples, "--session", "testrun_01")
    assert again.code == 0, again.output
    section = summary[summary.index(f"Baseline {target}"):]
    assert later.summary("testrun_01").endswith(section)
    assert "<th>baseline</th>" in index.read_text()
    # or is told which one to show
    other = mp.pytester.path / "other.json"
    other.write_text(target.read_text())
    named = mpcli("summarize", "--samples-dir", mp.samples, "--session", "testrun_01",
                  "--baseline", other)
    assert named.code == 0, named.output
    assert f"Baseline {other}" in later.summary("testrun_01")


BAD_FILES = [
    (b"{oops", "not valid JSON"),
    (b"\xff\xfe\x00", "not UTF-8"),
    (json.dumps({"format": bl.FORMAT, "version": 1,
                 "samples": {"a.mp4": counts(no_image="many")}}).encode(), "whole number"),
    (json.dumps({"format": bl.FORMAT, "version": 1,
                 "samples": {"a.mp4": counts(no_image=10**40)}}).encode(), "outside 0.."),
    (json.dumps({"format": bl.FORMAT, "version": 1,
                 "samples": {"../a.mp4": counts()}}).encode(), "is not a sample name"),
]


@pytest.mark.parametrize("data, problem", BAD_FILES, ids=range(len(BAD_FILES)))
@MODES
def test_bad_baseline_is_a_usage_error(mp, data, problem, extra, no_internal_error):
    mp.add("defects_a.mp4")
    baseline_file(mp).write_bytes(data)
    run = mp.run(*extra)
    assert run.ret == 4, run.out + run.err
    lines = [line for line in run.err.splitlines() if problem in line]
    assert len(lines) == 1 and f"{baseline_file(mp).name}:" in lines[0], run.err
    no_internal_error(run.out + run.err)
    assert run.sessions() == []  # refused before anything played
    assert baseline_file(mp).read_bytes() == data


def test_named_baseline_must_exist_unless_written(mp):
    mp.add("defects_a.mp4")
    run = mp.run("--mp-baseline=missing.json")
    assert run.ret == 4
    assert "missing.json: no such baseline file; write it with --mp-baseline-update" in run.err


@pytest.mark.parametrize("where", ["PYTEST_ADDOPTS", "ini addopts"])
def test_the_update_switched_on_anywhere_but_the_command_line_is_refused(mp, where, monkeypatch):
    mp.add("perfect_a.mp4")
    if where == "PYTEST_ADDOPTS":
        monkeypatch.setenv("PYTEST_ADDOPTS", "--mp-baseline-update")
    else:
        mp.pytester.makeini("[pytest]\naddopts = --mp-baseline-update\n")
    run = mp.run("--mp-retries=0")
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR, run.out
    assert "--mp-baseline-update is read from the command line only" in run.result.stderr.str()
    assert not baseline_file(mp).exists()
    assert not (mp.samples / "testrun_00").exists()  # nothing played, no session made


def test_an_update_during_which_a_player_crashes_keeps_the_recorded_play(mp):
    """A crashed entry would let any number of defects pass later: the update
    keeps the play it had and says which sample it could not update."""
    mp.add("a.mp4")
    write_baseline(mp, {"a.mp4": counts(no_image=2)})
    run = mp.run("--mp-retries=0", "--mp-baseline-update", player="segfault")
    assert run.outcomes() == {"failed": 1}
    assert json.loads(baseline_file(mp).read_text())["samples"] == {"a.mp4": counts(no_image=2)}
    assert "not updated for 1 sample:\n    a.mp4: crashed this time; its recorded play is " \
        "kept" in run.out
    # and an entry that is no play excuses nothing
    write_baseline(mp, {"a.mp4": {"outcome": "crashed"}})
    later = mp.run("--mp-retries=0", "--mp-session=later", player="defects")
    assert later.outcomes() == {"failed": 1}
    assert "has crashed, not a play: a baseline excuses the defect counts of plays only" \
        in later.out
