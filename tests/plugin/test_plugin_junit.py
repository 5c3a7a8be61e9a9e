"""--junitxml: one testcase per sample, with the verdict as properties."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("extra", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_junit_properties(mp, extra):
    mp.add("perfect_a.mp4", "defects_b.mp4", "segfault_c.mp4")
    xml = mp.pytester.path / "junit.xml"
    run = mp.run(f"--junitxml={xml}", "--mp-retries=1", *extra)
    assert run.outcomes() == {"passed": 1, "failed": 2, "rerun": 1}
    cases = mp.junit_cases(xml)
    assert set(cases) == {"samples.perfect_a.mp4::play", "samples.defects_b.mp4::play",
                          "samples.segfault_c.mp4::play"}
    perfect = cases["samples.perfect_a.mp4::play"]
    assert perfect["mp_verdict"] == "perfect"
    assert perfect["mp_defects"] == "none"
    assert perfect["mp_recording"] == str(run.recording("perfect_a.mp4"))
    defects = cases["samples.defects_b.mp4::play"]
    assert defects["mp_verdict"] == "defects"
    assert defects["mp_defects"] == "discarded_late=3, scheduling_in_past=1"
    assert defects["mp_recording"] == str(run.recording("defects_b.mp4"))
    crashed = cases["samples.segfault_c.mp4::play"]
    assert crashed["mp_verdict"] == "crashed"
    assert crashed["mp_attempts"] == "2"
