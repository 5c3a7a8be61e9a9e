"""--mp-recursive: media in subfolders are samples named by their relative path,
everywhere (node ids, dbg/, reports, the index, `pyglet-mp` commands);
without it each subfolder is named once as not searched."""
from __future__ import annotations

import os

from mp_support import junit

NESTED = ("live/perfect_b.mp4", "live/deep/defects_c.mp4")


def _folder(mp):
    mp.add("perfect_a.mp4")
    (mp.samples / "live" / "deep").mkdir(parents=True)
    (mp.samples / "other").mkdir()
    mp.add(*NESTED, "other/perfect_d.mp4")


def _files(folder):
    return sorted(os.path.relpath(os.path.join(d, f), folder)
                  for d, _, names in os.walk(folder) for f in names)


def test_subfolders_are_named_not_searched_without_the_option(mp):
    _folder(mp)
    run = mp.run("--collect-only", "-q")
    assert sorted(line for line in run.out.splitlines() if "::" in line) == \
        [mp.nodeid("perfect_a.mp4")]
    assert "2 subfolders not searched (--mp-recursive searches them)" in run.out


def test_recursive_run_names_nested_samples_by_their_path_everywhere(mp, mpcli):
    _folder(mp)
    before = _files(mp.samples)
    xml = mp.pytester.path / "out.xml"
    run = mp.run("-v", "--mp-recursive", "--mp-exclude=other/*", f"--junitxml={xml}")
    assert run.statuses() == {mp.nodeid("perfect_a.mp4"): "PASSED",
                              mp.nodeid("live/perfect_b.mp4"): "PASSED",
                              mp.nodeid("live/deep/defects_c.mp4"): "FAILED"}
    cases = junit.cases(xml)  # one row each, named by the whole name
    assert sorted(cases) == ["live/deep/defects_c.mp4", "live/perfect_b.mp4", "perfect_a.mp4"]
    assert cases["live/deep/defects_c.mp4"]["mp_verdict"] == "defects"
    # every file it wrote is in the session, each sample's under one flat name
    written = [f for f in _files(mp.samples) if f not in before]
    assert all(f.startswith("testrun_00/") for f in written), written
    dbg = os.listdir(run.session_dir() / "dbg")
    assert "live..perfect_b.mp4.dbg" in dbg and "live..deep..defects_c.mp4.dbg" in dbg
    assert "live/deep/defects_c.mp4" in run.summary()
    index = (run.reports() / "index.html").read_text()
    assert "live/deep/defects_c.mp4" in index
    # a pasted node id, or a subfolder, selects its samples
    again = mp.run("--collect-only", "-q", "--mp-session=testrun_00",
                   mp.nodeid("live/perfect_b.mp4"), "samples/live/deep")
    assert sorted(line for line in again.out.splitlines() if "::" in line) == \
        sorted(mp.nodeid(s) for s in NESTED)
    # the CLI takes the same name
    report = mpcli("report", "live/deep/defects_c.mp4", "all", "--samples-dir", mp.samples,
                   "--session", "testrun_00")
    assert report.code == 0, report.err
    assert report.out.strip().endswith("reports/live..deep..defects_c.mp4.all.txt")
