"""Verdicts from the player doubles: defects and crash retries.

Faults of the child (segfault, abort, hang, no recording, noisy stderr), the
untrusted recording and Ctrl-C are held in tests/reliability/."""
from __future__ import annotations

import re

from pytest_pyglet_media.store import recording as rec


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
        # the doubles' samples are text: ffprobe cannot describe them
        "not checked against the file: ffprobe cannot read the file: "
        "ffprobe: Invalid data found when processing input",
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
    # each retry says why, and only crashes count as crash retries
    assert run.out.count("RERUN a.mp4: crashed: the player exited with status 1") == 2, run.out
    assert "Crash retries in this run: 2\n" in summary
    assert summary.count("\ta.mp4: crashed: the player exited with status 1") == 2, summary
    assert "1 passed, 2 rerun" in run.out and "2 crash retries" in run.out


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
