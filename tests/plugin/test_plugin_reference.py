"""The file's reference in a run: probed once per sample and session, stored in
reference/, reused; without ffprobe the run works and says so.

ffprobe is a stand-in script on PATH (or absent); the players are the doubles,
whose play shows 12 frames of 0.04 s (doubles._common.synthetic_events).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from doubles import ffprobe_stand_in
from mp_support import call_counts


def ffprobe_answer(n_frames: int, duration: float) -> dict:
    return {
        "packets": [{"stream_index": 0, "pts_time": f"{i * 0.04:.6f}", "flags": "__"}
                    for i in range(n_frames)],
        "streams": [
            {"index": 0, "codec_name": "h264", "codec_type": "video",
             "start_time": "0.000000", "duration": f"{duration:.6f}"},
            {"index": 1, "codec_name": "aac", "codec_type": "audio",
             "start_time": "0.000000", "duration": f"{duration:.6f}"}],
        "format": {"start_time": "0.000000", "duration": f"{duration:.6f}"},
    }


def install_ffprobe(mp, monkeypatch: pytest.MonkeyPatch, answer: dict | None) -> Path:
    """A stand-in ffprobe (None: no ffprobe at all) alone on PATH."""
    bin_dir = mp.pytester.path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if answer is not None:
        ffprobe_stand_in.write(bin_dir, stdout=json.dumps(answer),
                               calls=mp.pytester.path / "probes.log")
    ffprobe_stand_in.alone_on_path(monkeypatch, bin_dir)
    return bin_dir


@pytest.mark.parametrize("extra", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_without_ffprobe_the_run_works_and_says_so_once(mp, inner_run_env, extra):
    install_ffprobe(mp, inner_run_env, None)
    mp.add("perfect_a.mp4", "defects_b.mp4", "perfect_c.mp4")
    xml = mp.pytester.path / "junit.xml"
    run = mp.run("-v", f"--junitxml={xml}", *extra)
    assert run.outcomes() == {"passed": 2, "failed": 1}
    note = ("reference checks skipped: ffprobe is not available, so 3 samples were not "
            "checked against the file; install it: apt-get install ffmpeg (or put ffprobe "
            "on PATH)")
    assert run.out.count(note) == 1
    assert ("not checked against the file: ffprobe is not available (not on PATH); install "
            "it: apt-get install ffmpeg" in run.section("defects_b.mp4"))
    cases = mp.junit_cases(xml)
    assert cases["perfect_a.mp4"]["mp_file_check"].startswith(
        "not checked against the file: ffprobe is not available")
    summary = run.summary()
    assert "*** Reference checks skipped: 3 played samples were not checked against the " \
           "file" in summary
    assert "Appendix, samples not checked against the file\n\tdefects_b.mp4: ffprobe is " \
           "not available" in summary
    assert "not checked against the file" in (run.reports() / "index.html").read_text()
    assert not (run.session_dir() / "reference").exists()
    # the play is judged on its events alone
    assert "Discard video frame too old" in run.section("defects_b.mp4")


def test_reference_stored_once_and_reused_while_the_file_is_unchanged(mp, inner_run_env):
    install_ffprobe(mp, inner_run_env, ffprobe_answer(12, 0.48))
    mp.add("perfect_a.mp4")
    xml = mp.pytester.path / "junit.xml"
    first = mp.run("--mp-session=s", f"--junitxml={xml}")
    assert first.outcomes() == {"passed": 1}
    assert mp.junit_cases(xml)["perfect_a.mp4"]["mp_file_check"] == \
        "checked against the file"
    stored = first.session_dir("s") / "reference" / "perfect_a.mp4.json"
    assert json.loads(stored.read_text())["reference"]["frame_times"][-1] == pytest.approx(0.44)
    mtime = stored.stat().st_mtime_ns
    second = mp.run("--mp-session=s")
    assert second.outcomes() == {"passed": 1}
    assert stored.stat().st_mtime_ns == mtime
    # the second run did not probe: the store's cache answered
    assert ffprobe_stand_in.calls_made(mp.pytester.path / "probes.log") == 1
    assert "not checked" not in second.out


def test_frames_the_file_has_and_pyglet_never_showed_fail_naming_them(mp, inner_run_env):
    install_ffprobe(mp, inner_run_env, ffprobe_answer(14, 0.56))
    mp.add("perfect_a.mp4")
    run = mp.run("-v", "--mp-plots=none")
    assert run.outcomes() == {"failed": 1}
    text = run.section("perfect_a.mp4")
    assert "   2 Frames of the file pyglet neither showed nor reported discarding" in text
    assert ("  frames_not_shown: 2 of 14 frames never shown: 2 at the end (0.48 s, 0.52 s) "
            "(video stream 0, file times)") in text
    anomalies = (run.reports() / "perfect_a.mp4.anomalies.txt").read_text()
    assert "frames never shown, file times:\n  0.480 s\n  0.520 s\n" in anomalies
    assert "Sample: perfect_a.mp4" in run.summary()
    page = (run.reports() / "index.html").read_text()
    assert "frames_not_shown: 2 of 14 frames never shown" in page


def test_compare_judges_the_other_sessions_recordings_with_its_stored_reference(
        mp, inner_run_env):
    """A session read back from its recordings (--mp-compare OTHER, as
    pyglet-mp summarize and compare) counts what its run counted: the stored
    reference is used. Without it, OTHER would look perfect, and this run
    regressed."""
    install_ffprobe(mp, inner_run_env, ffprobe_answer(14, 0.56))
    mp.add("perfect_a.mp4")
    first = mp.run("--mp-session=one", "--mp-plots=none")
    assert first.outcomes() == {"failed": 1}
    second = mp.run("--mp-session=two", "--mp-plots=none", "--mp-compare=one")
    assert re.search(r"compared with one: 0 regressed, 0 fixed, 0 changed", second.out), \
        second.out
    comparison = (second.reports("two") / "comparison_two_one.txt").read_text()
    assert "Regressed in 'two' (new defects, a crash or a timeout): 0" in comparison


@pytest.mark.parametrize("extra", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_a_run_judges_each_play_once_and_reads_each_reference_once(mp, inner_run_env, extra):
    """One judged read: a play is judged once, where it played; the end of the
    run keeps that verdict (it reads the events of the plays it shows, for
    their reports and pages, without judging them again); each process of the
    run reads a sample's stored reference once; a play is checked against the
    file once to judge it, and once more for its page's full detail."""
    install_ffprobe(mp, inner_run_env, ffprobe_answer(12, 0.48))
    samples = ("perfect_a.mp4", "defects_b.mp4", "segfault_c.mp4", "no_recording_d.mp4")
    mp.add(*samples)
    first = mp.run("--mp-session=s", "--mp-retries=0", *extra)  # stores the references
    assert first.outcomes() == {"passed": 1, "failed": 3}
    log = mp.pytester.path / "calls.log"
    inner_run_env.setenv(call_counts.LOG_ENV, str(log))
    run = mp.run("-p", "mp_support.call_counts", "--mp-session=s", "--mp-retries=0",
                 "--mp-plots=all", *extra)
    assert run.outcomes() == {"passed": 1, "failed": 3}
    counts = call_counts.counts(log)

    def per_sample(*whats: str) -> dict[str, int]:
        found = {s: sum(counts[(w, s)] for w in whats) for s in samples}
        return {s: n for s, n in found.items() if n}

    # no_recording_d left the crash placeholder: a verdict without judging any file
    assert per_sample(call_counts.JUDGE, call_counts.ANALYSE) == \
        {"perfect_a.mp4": 1, "defects_b.mp4": 1, "segfault_c.mp4": 1}
    # a crash is not judged against the file: its page alone checks it
    assert per_sample(call_counts.FILE_CHECK) == \
        {"perfect_a.mp4": 2, "defects_b.mp4": 2, "segfault_c.mp4": 1, "no_recording_d.mp4": 1}
    reads = {(pid, s): n for (what, pid, s), n in call_counts.counts_per_process(log).items()
             if what == call_counts.REFERENCE_LOAD}
    assert {s for _, s in reads} == set(samples)
    assert set(reads.values()) == {1}, reads
    processes = {pid for pid, _ in reads}
    assert len(processes) > 1 if extra else len(processes) == 1  # xdist: controller, workers
    pages = sorted(p.name for p in run.reports("s").glob("*.timeline.html"))
    assert pages == sorted(f"{s}.timeline.html" for s in samples)
