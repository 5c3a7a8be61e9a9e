"""samples.toml expectations: known defects xfail, strict ones must not pass."""
from __future__ import annotations

import re


def test_expectations_from_manifest(mp):
    mp.add("defects_known.mp4", "defects_new.mp4", "perfect_strict.mp4",
           "perfect_lenient.mp4", "perfect_plain.mp4", "segfault_broken.mp4")
    mp.manifest('''
[samples."defects_known.mp4"]
expect = "defect"
reason = "pyglet drops late frames here (issue 1234)"

[samples."perfect_strict.mp4"]
expect = "broken"
reason = "should never open"
strict = true

[samples."perfect_lenient.mp4"]
expect = "defect"
reason = "sometimes late"

[samples."perfect_plain.mp4"]
expect = "pass"

[samples."segfault_broken.mp4"]
expect = "broken"
reason = "kills the player"
''')
    run = mp.run("-v", "-rxXf", "--mp-retries=0")
    assert run.statuses() == {
        mp.nodeid("defects_known.mp4"): "XFAIL",
        mp.nodeid("defects_new.mp4"): "FAILED",
        mp.nodeid("perfect_strict.mp4"): "FAILED",
        mp.nodeid("perfect_lenient.mp4"): "XPASS",
        mp.nodeid("perfect_plain.mp4"): "PASSED",
        mp.nodeid("segfault_broken.mp4"): "XFAIL",
    }, run.out
    assert run.outcomes() == {"passed": 1, "failed": 2, "xfailed": 2, "xpassed": 1}
    assert re.search(r"XFAIL samples/defects_known\.mp4::play - "
                     r"defect: pyglet drops late frames here \(issue 1234\)", run.out), run.out
    assert re.search(r"FAILED samples/perfect_strict\.mp4::play.*XPASS\(strict\)", run.out)
    assert "broken: should never open" in run.out
    summary = run.summary()
    assert "Samples version: test-1" in summary


def test_xfail_only_for_sample_failures_not_for_tool_errors(mp):
    """raises=SampleFailed: a bug in the plugin must not hide behind an xfail."""
    mp.add("defects_known.mp4")
    mp.manifest('[samples."defects_known.mp4"]\nexpect = "defect"\nreason = "late"\n')
    mp.pytester.makeconftest('''
import pytest_pyglet_media.items as items

def _boom(*args, **kwargs):
    raise RuntimeError("a bug in the harness")

items.play_with_retries = _boom
''')
    run = mp.run("-v")
    assert run.statuses() == {mp.nodeid("defects_known.mp4"): "FAILED"}
    assert "a bug in the harness" in run.out


def test_bad_manifest_is_a_usage_error(mp):
    mp.add("perfect_a.mp4")
    mp.manifest('[samples."perfect_a.mp4"]\nexpect = "flaky"\n')
    run = mp.run()
    assert run.ret == 4
    assert "samples.toml" in run.err and "'flaky'" in run.err
    assert run.sessions() == []
