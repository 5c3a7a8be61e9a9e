"""End to end: --mp-spawn=fork (the default on Linux) against --mp-spawn=fresh.

The other e2e tests already play through the fork server, as it is the
default; these compare it with the fresh interpreter and check that a
timeout leaves no process behind.
"""
from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

SAMPLES = ("h264_aac.mp4", "tone.wav", "not_media.mp4")
TIMING_DEFECTS = {"discarded_late", "scheduling_in_past"}


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-nostdin", *args], check=True,
                   timeout=60, stdin=subprocess.DEVNULL, capture_output=True)


def _verdicts(e2e, *args: str) -> dict[str, dict[str, str]]:
    xml = e2e.pytester.path / f"junit{len(list(e2e.pytester.path.glob('junit*.xml')))}.xml"
    run = e2e.run("-v", f"--junitxml={xml}", *args)
    assert run.result.ret in (0, 1), run.out
    return e2e.junit_cases(xml)


@pytest.mark.parametrize("extra", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_fork_and_fresh_reach_the_same_verdicts(e2e, extra):
    e2e.add(*SAMPLES, manifest=False)
    forked = _verdicts(e2e, "--mp-session=forked", "--mp-spawn=fork", *extra)
    fresh = _verdicts(e2e, "--mp-session=fresh", "--mp-spawn=fresh", *extra)
    assert set(forked) == set(fresh) == set(SAMPLES)
    for cases in (forked, fresh):
        assert cases["tone.wav"]["mp_verdict"] == "perfect"
        assert cases["not_media.mp4"]["mp_verdict"] == "unplayable"
        video = cases["h264_aac.mp4"]
        if video["mp_verdict"] != "perfect":  # a busy machine may drop a late frame
            assert video["mp_verdict"] == "defects"
            kinds = {d.split("=")[0] for d in video["mp_defects"].split(", ")}
            assert kinds <= TIMING_DEFECTS, video


def test_env_selects_fresh(e2e, inner_run_env):
    e2e.add("tone.wav", manifest=False)
    inner_run_env.setenv("PYTEST_MP_SPAWN", "fresh")
    run = e2e.run("-v")
    assert run.statuses() == {"tone.wav": "PASSED"}, run.out


def test_bad_spawn_value_is_a_usage_error(e2e):
    e2e.add("tone.wav", manifest=False)
    run = e2e.run("--mp-spawn=thread")
    assert run.result.ret != 0
    assert "--mp-spawn: bad value 'thread'" in run.result.stderr.str() + run.out
    assert run.sessions() == []


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in environ and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def test_timeout_through_the_fork_server_leaves_no_process(e2e, inner_run_env):
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=1",
            "-c:a", "pcm_s16le", str(e2e.samples / "long.wav"))
    marker = f"mp-e2e-{uuid.uuid4().hex}"
    inner_run_env.setenv("MP_E2E_MARKER", marker)
    xml = e2e.pytester.path / "junit.xml"
    run = e2e.run("-v", "--mp-spawn=fork", "--mp-timeout=0.2", "--mp-retries=0",
                  f"--junitxml={xml}")
    assert run.statuses() == {"long.wav": "FAILED"}, run.out
    assert e2e.junit_cases(xml)["long.wav"]["mp_verdict"] == "timeout"
    assert "still playing at the timeout" in run.out
    # the inner pytest, its fork server and every player are gone
    deadline = time.monotonic() + 30
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_with(marker) == []
