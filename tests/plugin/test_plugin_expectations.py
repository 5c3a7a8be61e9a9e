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
        # a broken file fails cleanly: a player that dies on it is no expected failure
        mp.nodeid("segfault_broken.mp4"): "FAILED",
    }, run.out
    assert run.outcomes() == {"passed": 1, "failed": 3, "xfailed": 1, "xpassed": 1}
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


def test_an_expectation_excuses_only_what_it_names(mp):
    """expect = "defect" (strict or not) never turns a crash, a hang, a play with
    no recording or a file pyglet cannot open into an expected failure."""
    names = ("segfault_a.mp4", "hang_b.mp4", "no_recording_c.mp4", "unplayable_d.mp4",
             "defects_e.mp4")
    mp.add(*names)
    mp.manifest("".join(f'[samples."{n}"]\nexpect = "defect"\nreason = "known"\n'
                        f'strict = {"true" if i % 2 else "false"}\n\n'
                        for i, n in enumerate(names)))
    run = mp.run("-v", "--mp-retries=0", "--mp-timeout=3", "--mp-stall-timeout=3")
    assert run.statuses() == {
        mp.nodeid("segfault_a.mp4"): "FAILED", mp.nodeid("hang_b.mp4"): "FAILED",
        mp.nodeid("no_recording_c.mp4"): "FAILED", mp.nodeid("unplayable_d.mp4"): "FAILED",
        mp.nodeid("defects_e.mp4"): "XFAIL"}, run.out
    assert "samples.toml expects 'defect' (known), which does not excuse 'crashed'" in run.out
    assert "which does not excuse 'unplayable'" in run.out
