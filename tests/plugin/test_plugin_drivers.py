"""--mp-drivers: one item per sample and audio driver, each driver's plays a
group of the session, shown side by side (store/driver_groups.py).

The `driven` double says which driver it used, as the player does: the one
asked for, except pulse, where it falls back to silent and says why; under
openal it plays with defects."""
from __future__ import annotations

import json

from mp_support import junit

from pytest_pyglet_media.judge import baseline as bl


def test_one_item_per_driver_each_in_its_group_side_by_side(mp):
    mp.add("driven_a.mp4", "driven_b.mp4")
    junit_path = mp.pytester.path / "junit.xml"
    run = mp.run("--mp-drivers=silent,openal,pulse", "--mp-session=drv", "-v",
                 f"--junitxml={junit_path}", "-o", "junit_family=xunit1")
    # one item per sample and driver, named like a parameter
    assert run.statuses() == {
        f"samples/driven_{s}.mp4::play[{d}]": want
        for s in "ab" for d, want in (("silent", "PASSED"), ("openal", "FAILED"),
                                      ("pulse", "FAILED"))}, run.out
    # an item that got another driver fails, naming both and why
    assert "asked for pulse, pyglet used silent: pulse: Connection refused (double)" in run.out
    # each driver plays into its group, with its own reports
    session = mp.samples / "drv"
    drivers = {json.loads((session / "groups" / n / "dbg" / "_versions.json").read_text())["audio"]: n
               for n in ("01", "02", "03")}
    assert drivers == {"silent": "01", "openal": "02", "pulse": "03"}
    for n in drivers.values():
        assert (session / "groups" / n / "dbg" / "driven_a.mp4.dbg").is_file()
        assert (session / "groups" / n / "reports" / "00_summary.txt").is_file()
    # the top level shows the first driver's play of each sample
    assert (session / "dbg" / "driven_a.mp4.dbg").read_bytes() == \
        (session / "groups" / "01" / "dbg" / "driven_a.mp4.dbg").read_bytes()
    # what only one driver shows comes first, then the totals side by side
    summary = run.summary("drv")
    assert summary.startswith("Played once per audio driver (--mp-drivers): audio silent: "
                              "perfect; audio openal: 2 of 2 not perfect; audio pulse: 2 of 2")
    first = summary.index("Played differently by the groups")
    assert "driven_a.mp4: audio openal: defects (discarded_late 3, scheduling_in_past 1); " \
           "audio pulse: defects (driver_not_used 1)" in summary[first:]
    assert summary.index("Side by side") > first
    assert "did not play on pulse" in summary
    # one junit row per driver, with the driver pyglet used
    cases = junit.cases(junit_path)
    assert {"driven_a.mp4[silent]", "driven_a.mp4[openal]", "driven_a.mp4[pulse]"} <= set(cases)
    assert cases["driven_a.mp4[openal]"]["mp_audio_driver"] == "openal"
    assert cases["driven_a.mp4[pulse]"]["mp_audio_driver"] == "silent"
    # the session line per driver
    assert "  silent: 2 samples, 2 perfect" in run.out and "  openal: 2 samples" in run.out
    # -k selects one driver's items; a baseline entry may name a driver
    (mp.samples / bl.DEFAULT_NAME).write_text(json.dumps(
        {"format": bl.FORMAT, "version": bl.FORMAT_VERSION, "samples": {
            "driven_a.mp4[openal]": {"outcome": "played", "counts": {
                "discarded_late": 3, "scheduling_in_past": 1}}}}))
    # ... and so may a samples.toml expectation
    mp.manifest('[samples."driven_b.mp4"]\nexpect = "defect"\nreason = "late under OpenAL"\n'
                'drivers = ["openal"]\n')
    picked = mp.run("--mp-drivers=silent,openal", "--mp-session=drv_k", "-k", "openal", "-v")
    assert picked.statuses() == {"samples/driven_a.mp4::play[openal]": "PASSED",
                                 "samples/driven_b.mp4::play[openal]": "XFAIL"}, picked.out
    assert picked.outcomes() == {"passed": 1, "xfailed": 1, "deselected": 2}, picked.out


def test_drivers_refused_with_audio_and_where_the_platform_has_none(mp):
    mp.add("driven_a.mp4")
    both = mp.run("--mp-drivers=silent,openal", "--mp-audio=openal")
    assert both.ret == 4 and "cannot be used together" in both.err
    windows_only = mp.run("--mp-drivers=silent,xaudio2")
    assert windows_only.ret == 4 and "no 'xaudio2' audio driver on linux" in windows_only.err


def test_a_driver_items_retries_stay_in_its_one_junit_row(mp):
    # pytest >= 9 keys junit rows by the item's structured id: a rerun report
    # made from the nodeid string opened a second, empty row for `play[silent]`
    mp.add("segfault_c.mp4")
    junit_path = mp.pytester.path / "junit.xml"
    run = mp.run("--mp-drivers=silent", "--mp-retries=2", f"--junitxml={junit_path}")
    assert run.outcomes() == {"failed": 1, "rerun": 2}
    cases = junit.cases(junit_path)  # raises on a row written twice
    assert cases["segfault_c.mp4[silent]"]["mp_attempts"] == "3"
    junit.validate(junit_path, "xunit2")
