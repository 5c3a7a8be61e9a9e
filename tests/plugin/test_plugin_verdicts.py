"""Verdicts from the player doubles: defects, crashes, retries, timeouts."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid

import pytest

from pytest_pyglet_media import recording as rec


def _section(out: str, sample: str) -> str:
    """The failure section pytest printed for a sample."""
    match = re.search(rf"_+ play {re.escape(sample)} _+\n(.*?)(?=\n_{{3,}} |\n=+ )", out, re.S)
    assert match, f"no failure section for {sample} in:\n{out}"
    return match.group(1)


def test_defects_fail_with_counts_anomalies_and_recording(mp):
    mp.add("defects_a.mp4")
    run = mp.run("-v", player="defects")
    assert run.outcomes() == {"failed": 1}
    text = _section(run.out, "defects_a.mp4")
    recording = run.recording("defects_a.mp4")
    assert text.splitlines() == [
        "defects_a.mp4: 4 defects while playing a 0.48 s source",
        "   3 Discard video frame too old,",
        "   1 Scheduling in the past",
        "first anomalies:",
        "  frame 3: Discard video frame too old, (0.08)",
        "  frame 5: Discard video frame too old, (0.12)",
        "  frame 7: Discard video frame too old, (0.16)",
        "  frame 10: Scheduling in the past (-0.01)",
        f"recording: {recording}",
    ]
    assert "Traceback" not in run.out
    assert rec.load(recording)[-1] == ("p.P.oe",)
    # the session reports name the sample and its defects
    summary = run.summary()
    assert "Relevant samples with anomalies   : 1 / 1" in summary
    assert "Sample: defects_a.mp4" in summary
    reports = run.session_dir() / "reports"
    assert "Discard video frame too old" in (reports / "defects_a.mp4.anomalies.txt").read_text()
    assert (reports / "defects_a.mp4.all.txt").is_file()


def test_perfect_play_passes_and_leaves_no_sample_reports(mp):
    mp.add("perfect_a.mp4")
    run = mp.run(player="perfect")
    assert run.outcomes() == {"passed": 1}
    assert "Relevant samples with perfect play: 1 / 1" in run.summary()
    assert not (run.session_dir() / "reports" / "perfect_a.mp4.all.txt").exists()


@pytest.mark.parametrize("player, signame", [("segfault", "SIGSEGV"), ("abort", "SIGABRT")])
def test_crash_is_retried_then_fails_as_always_crashed(mp, player, signame):
    mp.add("a.mp4")
    run = mp.run("--mp-retries=2", player=player)
    assert run.outcomes() == {"failed": 1, "rerun": 2}
    # the progress line: two reruns, then the failure
    assert re.search(r"^samples/a\.mp4 RRF\s", run.out, re.M), run.out
    text = _section(run.out, "a.mp4")
    assert text.startswith(f"a.mp4: the player crashed: the player was killed by {signame}")
    assert f"recording: {run.recording('a.mp4')}" in text
    summary = run.summary()
    assert "Samples that always crashed: 1" in summary
    assert "Samples that always crashed (in every attempt to play)\na.mp4\n" in summary
    assert "Crash retries in this run: 2" in summary
    # the placeholder is what remains of a crashed play
    assert rec.load(run.recording("a.mp4")) == rec.crash_placeholder("a.mp4")


def test_no_retry_with_zero_retries(mp):
    mp.add("a.mp4")
    run = mp.run("--mp-retries=0", player="segfault")
    assert run.outcomes() == {"failed": 1}
    assert re.search(r"^samples/a\.mp4 F\s", run.out, re.M)


def test_crash_then_play_passes_after_reruns(mp, monkeypatch):
    monkeypatch.setenv("MP_DOUBLE_CRASHES", "2")
    mp.add("a.mp4")
    run = mp.run("--mp-retries=3", player="flaky")
    assert run.outcomes() == {"passed": 1, "rerun": 2}
    assert re.search(r"^samples/a\.mp4 RR\.\s", run.out, re.M), run.out
    summary = run.summary()
    assert "Samples that crashed but finally played entirely\na.mp4\n" in summary
    assert "Samples that always crashed (in every attempt" not in summary
    assert "All samples (finally) got a report with no crash." in summary
    assert (run.recording("a.mp4").parent / "a.mp4.dbg.attempts").read_text() == "3\n"


def test_crashes_beyond_retries_fail(mp, monkeypatch):
    monkeypatch.setenv("MP_DOUBLE_CRASHES", "3")
    mp.add("a.mp4")
    run = mp.run("--mp-retries=2", player="flaky")
    assert run.outcomes() == {"failed": 1, "rerun": 2}
    assert "the player exited with status 1" in _section(run.out, "a.mp4")


def test_retries_from_environment(mp, monkeypatch):
    monkeypatch.setenv("PYTEST_MP_RETRIES", "1")
    mp.add("a.mp4")
    run = mp.run(player="segfault")
    assert run.outcomes() == {"failed": 1, "rerun": 1}


def test_hang_times_out_and_leaves_no_process(mp, monkeypatch):
    marker = f"mp-hang-{uuid.uuid4().hex}"
    monkeypatch.setenv("MP_DOUBLE_MARKER", marker)
    mp.add("a.mp4")
    run = mp.run("--mp-timeout=1", "--mp-retries=0", player="hang")
    assert run.outcomes() == {"failed": 1}
    text = _section(run.out, "a.mp4")
    assert text.startswith("a.mp4: the player timed out: still playing at the timeout")
    # the double did start its grandchild, and nothing of it survives
    pid_file = run.recording("a.mp4").with_name("a.mp4.dbg.grandchild")
    assert int(pid_file.read_text())
    assert mp.live_processes_with(marker) == []
    summary = run.summary()
    assert "Samples that always crashed (in every attempt to play)\na.mp4\n" in summary


def test_no_recording_is_a_crash_saying_so(mp):
    mp.add("a.mp4")
    run = mp.run("--mp-retries=1", player="no_recording")
    assert run.outcomes() == {"failed": 1, "rerun": 1}
    text = _section(run.out, "a.mp4")
    assert "the player wrote no recording" in text
    assert "exited with status 0" in text


def test_megabytes_of_stderr_show_only_the_tail(mp):
    mp.add("a.mp4")
    run = mp.run("--mp-retries=0", player="noisy_crash")
    assert run.outcomes() == {"failed": 1}
    text = _section(run.out, "a.mp4")
    assert "player stderr (last lines):" in text
    assert "NOISY-LAST-LINE" in text
    assert "NOISY-FIRST-LINE" not in run.out
    assert len(text) < 4096
    assert len(run.out) < 64 * 1024


def test_unreadable_recording_fails_cleanly(mp):
    # the double writes junk where the recording goes: judged unreadable, not retried
    mp.add("a.mp4")
    double = mp.pytester.path / "junk_player.py"
    double.write_text(
        "import sys\n"
        "if '--info' in sys.argv: print('{}'); sys.exit(0)\n"
        "open(sys.argv[2], 'wb').write(b'cos\\nsystem\\n(S\"true\"\\ntR.')\n")
    # a module in the rootdir (pytester puts it on PYTHONPATH)
    run = mp.run("--mp-retries=3", "--mp-player=junk_player", player=None)
    assert run.outcomes() == {"failed": 1}
    text = _section(run.out, "a.mp4")
    assert "is unreadable" in text and "os.system" in text
    assert os.path.exists(run.recording("a.mp4"))


def test_interrupt_kills_the_player_group_and_writes_an_interrupted_summary(mp, monkeypatch):
    marker = f"mp-int-{uuid.uuid4().hex}"
    monkeypatch.setenv("MP_DOUBLE_MARKER", marker)
    mp.add("a.mp4")
    log = mp.pytester.path / "inner.log"
    with open(log, "wb") as out_file:
        proc = mp.pytester.popen(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
             "--mp-samples-dir=samples", "--mp-player=doubles.hang", "--mp-timeout=600"],
            stdout=out_file, stderr=subprocess.STDOUT)
    try:
        pid_file = mp.samples / "testrun_00" / "dbg" / "a.mp4.dbg.grandchild"
        deadline = time.monotonic() + 60  # a bound on waiting, not a measurement
        while not (pid_file.exists() and pid_file.read_text().strip()):
            assert proc.poll() is None and time.monotonic() < deadline, "the player never started"
            time.sleep(0.05)
        assert mp.live_processes_with(marker)  # the grandchild runs now
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = log.read_text()
    assert proc.returncode == int(pytest.ExitCode.INTERRUPTED), out
    assert "KeyboardInterrupt" in out
    assert mp.live_processes_with(marker) == []
    summary = (mp.samples / "testrun_00" / "reports" / "00_summary.txt").read_text()
    assert "interrupted" in summary
