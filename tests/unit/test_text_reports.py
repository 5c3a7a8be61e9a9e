"""report/text_reports.py: per-sample texts, failure messages, the session summary."""
from __future__ import annotations

from dataclasses import replace

import pytest

from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.judge import results as res
from pytest_pyglet_media.report import text_reports


@pytest.fixture
def defective(rec):
    # frame block 1: a late frame discarded; block 2: scheduling in the past
    return rec.play(4, inject={1: [("p.P.ut.1.5", 0.02)], 2: [("p.P.ut.1.9", -0.25, 0.1)]})


# -- per-sample reports ----------------------------------------------------------


def test_report_all_every_event_with_frame(defective):
    lines = text_reports.report_all(an.judge(defective)).splitlines()
    assert len(lines) == len(defective) - 1  # the version header is not an event
    assert lines[0] == "   0 Play sample: clip.mp4"
    assert lines[1].startswith("   0 Source duration: 0.1333")
    assert "video_format: (320, 240, 1.0, 30.0)" in lines[1]
    assert lines[2] == "   0 Start playing wall_time: 0.0"
    assert "   2     Discard video frame too old, video_time: 0.02 ; current_time: 0.0333" \
        in "\n".join(lines)
    assert any(line.startswith("   4     Re-scheduling, rescheduling_time: -0.25")
               for line in lines)
    assert lines[-1] == "   6 >>> play ends"
    # pyglet's update_texture entries are not indented, their details are
    assert all(line[5:].startswith("Enter") for line in lines if "update_texture" in line)
    assert all(line[5:].startswith("    ") for line in lines if "Current video" in line)


def test_report_all_pyglet_form(rec):
    text = text_reports.report_all(an.judge(rec.pyglet_play(2)))
    assert text.splitlines()[0] == "   0 Start playing wall_time: 0.0"
    assert text.endswith(">>> play ends\n")


def test_report_anomalies(defective):
    lines = text_reports.report_anomalies(an.judge(defective)).splitlines()
    assert lines == [
        "   0 Play sample: clip.mp4",
        lines[1],
        "   2 Discard video frame too old, video_time: 0.02 ; current_time: 0.03333333333333333",
        "   4 !!! Scheduling in the past, rescheduling_time: -0.250000",
        "   6 Early return doing nothing because video_time is None (likely EOV), "
        "rescheduling_time: 0.0333",
        "   6 End of stream reached end_wall_time: 0.13333333333333333",
        "   6 >>> play ends",
    ]
    assert lines[1].startswith("   0 Source duration:")
    # exactly one scheduling line: later events still hold -0.25 in the state
    assert sum("Scheduling in the past" in line for line in lines) == 1


def test_report_anomalies_clean_play_has_no_scheduling_line(rec):
    text = text_reports.report_anomalies(an.judge(rec.play(10)))
    assert "Scheduling" not in text and "Discard" not in text
    assert text.endswith(">>> play ends\n")


def test_report_counter(defective, rec):
    text = text_reports.report_counter(an.judge(defective))
    assert text == ("Counts of anomalies\nqtty anomaly\n"
                    "   1 Discard video frame too old,\n   1 Scheduling in the past\n")
    assert text_reports.report_counter(an.judge(rec.play(5))) == "No anomalies detected.\n"


def test_report_counter_crash_names_outcome(rec):
    text = text_reports.report_counter(an.judge(rec.placeholder("x")))
    assert text.startswith("Outcome: crashed (")
    assert "No anomalies detected." in text


@pytest.mark.parametrize("name", sorted(text_reports.AVAILABLE_REPORTS))
@pytest.mark.parametrize("events", [[], [("version", 2.0)], [("p.P.xx",)],
                                    [("p.P.ut.1.9", "x", 0.1), ("p.P.oe",)],
                                    [("p.P.ut.1.0", "x", 0, 0, 0), ("p.P.oe",)]])
def test_reports_take_only_judged_recordings(name, events):
    """Renderers never check events: judge() refuses what they could not render."""
    renderer, description = text_reports.AVAILABLE_REPORTS[name]
    assert description
    with pytest.raises(an.RecordingProblem):
        renderer(an.judge(events))


def test_reports_of_placeholder(rec):
    assert text_reports.report_all(an.judge(rec.placeholder("s.mp4"))) == \
        "   0 media_player crashed. sample: s.mp4\n"
    assert "crashed" in text_reports.report_anomalies(an.judge(rec.placeholder("s.mp4")))


def test_format_counts():
    assert text_reports.format_counts({}) == "No anomalies detected."
    assert text_reports.format_counts({}, "a.mp4") == "Sample: a.mp4\nNo anomalies detected."
    text = text_reports.format_counts({"no_image": 2}, "a.mp4")
    assert text == "Sample: a.mp4\nCounts of anomalies\nqtty anomaly\n   2 Image frame is None (?)"


# -- failure messages -------------------------------------------------------------------


def test_failure_message_defects(defective):
    result = an.analyse(defective)
    text = text_reports.failure_message("clip.mp4", result, "/s/dbg/clip.mp4.dbg")
    assert text.splitlines() == [
        "clip.mp4: 2 defects while playing a 0.13 s source",
        "   1 Discard video frame too old,",
        "   1 Scheduling in the past",
        "first anomalies:",
        "  frame 2: Discard video frame too old, (0.02)",
        "  frame 4: Scheduling in the past (-0.25)",
        "recording: /s/dbg/clip.mp4.dbg",
    ]


def test_failure_message_one_defect_pyglet_form(rec):
    result = an.analyse(rec.pyglet_play(10, inject={3: [("p.P.ut.1.8",)]}))
    text = text_reports.failure_message("p.mp4", result, "r.dbg")
    first = text.splitlines()[0]
    assert first == "p.mp4: 1 defect while playing"  # no duration known, singular
    assert "  frame 3: Image frame is None (?)" in text


def test_failure_message_ended_early(rec):
    result = an.analyse(rec.play(6, duration=2.0, end_wall=0.2))
    text = text_reports.failure_message("cut.mp4", result, "cut.dbg")
    assert "cut.mp4: 1 defect while playing a 2.00 s source" in text
    assert "(at 0.20 s of wall time)" in text


def test_failure_message_shows_at_most_max_anomalies(rec):
    n = an.MAX_ANOMALIES + 5
    result = an.analyse(rec.play(n + 1, inject={i: [("p.P.ut.1.8",)] for i in range(n)}))
    text = text_reports.failure_message("s", result, "r")
    assert f"  {n} Image frame is None (?)" in text
    assert text.count("  frame ") == an.MAX_ANOMALIES


def test_failure_message_crash(rec):
    result = an.analyse(rec.placeholder("s.mp4"))
    text = text_reports.failure_message("s.mp4", result, "/x/s.mp4.dbg")
    assert text.startswith("s.mp4: the player crashed: the recording ends with 'crash'")
    assert text.endswith("recording: /x/s.mp4.dbg")
    text = text_reports.failure_message("s.mp4", replace(result, reason="exit code -11"),
                                   "/x/s.mp4.dbg")
    assert text.splitlines()[0] == "s.mp4: the player crashed: exit code -11"


def test_failure_message_timeout():
    result = an.Verdict(an.TIMEOUT, reason="killed after 5.0 s")
    text = text_reports.failure_message("s.mp4", result, "r.dbg")
    assert text.splitlines() == ["s.mp4: the player timed out: killed after 5.0 s",
                                 "recording: r.dbg"]


def test_failure_message_unplayable_is_one_line():
    result = an.Verdict(an.UNPLAYABLE, reason="pyglet could not open it (X)")
    text = text_reports.failure_message("bad.mp4", result, "r.dbg")
    assert text == "bad.mp4: cannot be played: pyglet could not open it (X)"
    assert "\n" not in text


def test_failure_message_unreadable_and_missing():
    result = an.analyse([("version", 9.9)])
    text = text_reports.failure_message("s.mp4", result, "/x/s.mp4.dbg")
    assert text.startswith("s.mp4: the recording /x/s.mp4.dbg is unreadable: ")
    assert "version" in text
    missing = an.Verdict(an.MISSING, reason="no recording was made")
    assert text_reports.failure_message("s", missing, "r") == "s: no recording was made"


# -- session summary ----------------------------------------------------------------------


def _r(sample, outcome, counts=None, attempts=1, crashed=0):
    return res.SampleResult(sample, an.Verdict(outcome, counts=counts or {}),
                           attempts=attempts, crashed_attempts=crashed)


@pytest.fixture
def totals():
    return res.session_totals([
        _r("a.mp4", an.PERFECT),
        _r("b.mp4", an.DEFECTS, {"no_image": 3, "discarded_late": 1}),
        _r("c.mp4", an.CRASHED, attempts=6, crashed=6),
        _r("d.mp4", an.PERFECT, attempts=2, crashed=1),
        _r("e.webm", an.UNPLAYABLE),
        _r("f.mp4", an.UNREADABLE),
    ], playlist=["g.mp4"])


def test_summary_content(totals):
    text = text_reports.summary("s1", "corpus 1.2", totals)
    lines = text.splitlines()
    assert lines[0] == "Summary of media_player debug info for session: s1"
    assert lines[1] == "Samples version: corpus 1.2"
    for expected in [
        "Samples in the playlist: 7",
        "Samples with no .dbg recording: 1",
        "Samples that always crashed: 1",
        "Samples the player could not open: 1",
        "Samples with an unreadable recording: 1",
        "Relevant samples (all - no_dbg - crashed - unplayable): 3",
        "Naive quality number (anomalies / samples): 1.333333",
        "Relevant samples with perfect play: 2 / 3",
        "Relevant samples with anomalies   : 1 / 3",
        # crash retries
        "Crash retries in this run: 6",
        "Samples that always crashed (in every attempt to play)",
        "Samples that crashed but finally played entirely",
    ]:
        assert expected in lines, expected
    # the crash section lists the samples under their headings
    always = lines.index("Samples that always crashed (in every attempt to play)")
    assert lines[always + 1] == "c.mp4"
    finally_ = lines.index("Samples that crashed but finally played entirely")
    assert lines[finally_ + 1] == "d.mp4"
    # per sample paragraph, only for the sample with defects
    assert "Sample: b.mp4" in lines
    assert "Sample: a.mp4" not in text and "Sample: c.mp4" not in text
    para = lines.index("Sample: b.mp4")
    assert lines[para + 1:para + 5] == ["Counts of anomalies", "qtty anomaly",
                                        "   3 Image frame is None (?)",
                                        "   1 Discard video frame too old,"]
    # appendices
    for title, sample in (("Appendix, samples the player could not open", "e.webm"),
                          ("Appendix, samples with an unreadable recording", "f.mp4"),
                          ("Appendix, list of samples without dbg", "g.mp4")):
        assert lines[lines.index(title) + 1] == f"\t{sample}"
    assert "interrupted" not in text
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_summary_all_perfect():
    totals = res.session_totals([_r("a", an.PERFECT), _r("b", an.PERFECT)], ["a", "b"])
    text = text_reports.summary("s", "v", totals)
    assert "All samples have a .dbg recording." in text
    assert "All samples (finally) got a report with no crash." in text
    assert "No sample crashed the player." in text
    assert "Naive quality number (anomalies / samples): 0.000000" in text
    assert "Relevant samples with perfect play: 2 / 2" in text
    assert "Per sample defects info" not in text
    assert "Appendix" not in text


def test_summary_no_relevant_samples_and_interrupted():
    totals = res.session_totals([_r("c", an.CRASHED, attempts=2, crashed=2)], ["c", "m"])
    text = text_reports.summary("s", "v", totals, interrupted=True, notes=["a note"])
    lines = text.splitlines()
    assert lines[2] == "*** The run was interrupted: only the samples played so far are counted."
    assert lines[3] == "a note"
    assert "*** Error, no relevant samples remains to calculate score." in lines
    assert "Naive quality number" not in text
    assert "Samples that crashed but finally played entirely" in lines
    assert lines[lines.index("Samples that crashed but finally played entirely") + 1] == "<none>"


def test_crash_retries_only_sometimes():
    totals = res.session_totals([_r("d", an.PERFECT, attempts=3, crashed=2)])
    assert text_reports.crash_retries(totals) == (
        "Crash retries in this run: 2\nSamples that crashed but finally played entirely\nd")


def test_headline(totals):
    assert text_reports.headline(totals) == (
        "7 samples, 2 perfect, 1 with defects, 1 crashed, 1 unplayable, 1 unreadable, "
        "1 not played, 6 crash retries")
    clean = res.session_totals([_r("a", an.PERFECT)])
    assert text_reports.headline(clean) == "1 sample, 1 perfect, 0 with defects"


# -- versions ------------------------------------------------------------------------------


def test_pyglet_info():
    assert text_reports.pyglet_info({}) == "No version information was captured for this session.\n"
    text = text_reports.pyglet_info({
        "pyglet": "2.1.19", "ffmpeg": "5.1", "python": "3.11.7",
        "ffmpeg_libraries": {"avformat": 59, "avcodec": 59},
        "platform": "Linux-6", "unknown_key": "hidden"})
    lines = text.splitlines()
    assert lines[0] == "Captured when the session was created."
    assert "pyglet: 2.1.19" in lines
    assert "FFmpeg: 5.1" in lines
    assert "FFmpeg libraries (major versions): avformat 59, avcodec 59" in lines
    assert "Python: 3.11.7" in lines
    assert "OS: Linux-6" in lines
    assert "hidden" not in text
    assert "error: boom" in text_reports.pyglet_info({"error": "boom"})


def test_pyglet_revision():
    assert text_reports.pyglet_revision({}) == "unknown: not captured\n"
    assert text_reports.pyglet_revision({"pyglet_revision": "git revision abc"}) == \
        "git revision abc\n"


def test_headline_counts_one_of_a_kind_in_the_singular():
    totals = res.session_totals([_r("d", an.PERFECT, attempts=2, crashed=1)])
    assert text_reports.headline(totals) == \
        "1 sample, 1 perfect, 0 with defects, 1 crash retry"


def test_summary_says_what_the_naive_quality_number_means(totals):
    lines = text_reports.summary("s1", "corpus 1.2", totals).splitlines()
    score = lines.index("Naive quality number (anomalies / samples): 1.333333")
    assert lines[score + 1] == ("  (every anomaly counted, divided by the relevant samples: "
                                "anomalies per relevant sample; 0 is perfect, lower is better)")


def test_one_unchecked_sample_is_said_in_the_singular():
    totals = res.session_totals([_r("a", an.PERFECT)])
    text = text_reports.summary("s", "v", totals, not_checked={"a": "no ffprobe"})
    assert "*** Reference checks skipped: 1 played sample was not checked against the file " \
        "(see the appendix)" in text.splitlines()
