"""analysis with the file's reference: the file's kinds join the verdict.

Synthetic recordings (the shape pyglet 2.1.19 logs) and synthetic references
(the shapes ffprobe gave for tests/e2e/test_file_reference_e2e.py's clips).
No pyglet, no process, no ffprobe.
"""
from __future__ import annotations

import pickle

import pytest

from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.judge import results as res
from pytest_pyglet_media.judge.rules import FILE_KINDS
from pytest_pyglet_media.report import text_reports
from pytest_pyglet_media.store.reference import Reference, Stream

STEP = 0.04


def frames(n: int, start: float = 0.0) -> list[float]:
    return [round(start + i * STEP, 6) for i in range(n)]


def ref(frame_times=(), *, duration: float | None = None, cover: bool = False,
        audio: bool = True) -> Reference:
    frame_times = tuple(sorted(frame_times))
    if duration is None:
        duration = (frame_times[-1] + STEP) if frame_times else 1.0
    streams = []
    if frame_times:
        streams.append(Stream(0, "video", "h264", 0.0, duration))
    if audio:
        streams.append(Stream(len(streams), "audio", "aac", 0.0, duration))
    if cover:
        streams.append(Stream(len(streams), "video", "png", 0.0, duration, True))
    return Reference(duration=duration, start=0.0, streams=tuple(streams),
                     video_index=0 if frame_times else None, frame_times=frame_times)


def play(shown, *, duration: float = 1.0, end: float | None = None, discarded=(),
         cpu: tuple | None = None, walls=None) -> list[tuple]:
    """A finished play that shows `shown` (video times), on time unless `walls`."""
    walls = list(walls) if walls is not None else [t + 0.03 for t in shown]
    events: list[tuple] = [("version", 1.1), ("mp.im", "clip"),
                           ("mp.src", duration, (160, 120, 1.0, 25.0), (1, 32, 44100)),
                           ("p.P._sp", 0.0)]
    for v in discarded:
        events += [("p.P.ut.1.0", STEP, 0.0, 0.0, 0.0), ("p.P.ut.1.5", v)]
    for i, (v, w) in enumerate(zip(shown, walls)):
        nxt = shown[i + 1] if i + 1 < len(shown) else None
        events += [("p.P.ut.1.0", STEP, w - 0.03, max(0.0, w - 0.05), w),
                   ("p.P.ut.1.6", v), ("p.P.ut.1.9", STEP, nxt)]
    last = walls[-1] if walls else 0.0
    events += [("p.P.ut.1.0", STEP, last, last, last + STEP), ("p.P.ut.1.6", None),
               ("p.P.ut.1.7", STEP)]
    if cpu is not None:
        events.append(("mp.cpu", *cpu))
    events += [("mp.end", end if end is not None else max(duration, last) + 0.05), ("p.P.oe",)]
    an.validate(events)
    return events


def test_the_file_kinds_are_defect_kinds():
    for kind, description in FILE_KINDS.items():
        assert an.DEFECT_KINDS[kind].description == description
    assert {"av_offset", "stall"} <= an.LATE_KINDS


def test_perfect_against_the_file():
    times = frames(25)
    result = an.analyse(play(times), ref(times))
    assert result.outcome == an.PERFECT and result.checked is True
    assert result.checks.frames_in_file == result.checks.frames_shown == 25


def test_frames_not_shown_fail_the_play_with_their_times():
    times = frames(25)
    result = an.analyse(play(times[1:2] + times[3:-2]), ref(times))
    assert result.outcome == an.DEFECTS
    assert result.counts == {"frames_not_shown": 4}
    assert result.checks.missing_frames == (0.0, 0.08, 0.92, 0.96)
    message = text_reports.failure_message("clip.mp4", result, "rec.dbg")
    assert "   4 Frames of the file pyglet neither showed nor reported discarding" in message
    assert ("  frames_not_shown: 4 of 25 frames never shown: 2 at the start (0.00 s, 0.08 s), "
            "2 at the end (0.92 s, 0.96 s) (video stream 0, file times)") in message


def test_the_fast_and_the_careful_path_agree_with_a_reference():
    times = frames(25)
    events = play(times[2:], discarded=[0.0])
    fast = an.analyse(events, ref(times))
    slow = an.against_file(events, an._analyse_slow(events), ref(times))
    assert fast == slow
    assert fast.counts == {"discarded_late": 1, "frames_not_shown": 1}


def test_short_play_replaces_ended_early_and_names_both_durations():
    times = frames(25)
    events = play(times, duration=1.0, end=0.5)
    alone = an.analyse(events, no_reference="ffprobe is not available")
    assert alone.counts == {"ended_early": 1}
    assert alone.checked == "ffprobe is not available"
    result = an.analyse(events, ref(times, duration=1.0))
    assert "ended_early" not in result.counts and result.counts["short_play"] == 1
    assert all(a.kind != "ended_early" for a in result.anomalies)
    assert ("the play lasted 0.50 s of the file's 1.00 s (ffprobe; pyglet reported 1.00 s)"
            in result.checks.messages["short_play"])


def test_pyglets_short_duration_is_not_trusted():
    """pyglet says 0.6 s (an audio stream starting late), the file 1 s: the
    events alone see a complete play; the file sees a short one."""
    times = frames(25)
    events = play(times[:15], duration=0.6, end=0.62)
    assert an.analyse(events).outcome == an.PERFECT
    assert an.analyse(events, ref(times, duration=1.0)).counts == {
        "frames_not_shown": 10, "short_play": 1}


def test_not_checked_says_why_everywhere():
    events = play(frames(25))
    why = "ffprobe cannot read the file: ffprobe: Invalid data found when processing input"
    result = an.analyse(events, None, no_reference=why)
    assert result.outcome == an.PERFECT and result.not_checked == why
    failed = an.analyse(play(frames(25), end=0.5), None, no_reference=why)
    assert f"not checked against the file: {why}" in \
        text_reports.failure_message("clip", failed, "rec.dbg").splitlines()
    assert text_reports.file_check_report(failed).endswith(f"Not checked against the file: {why}\n")
    # a caller that had no reference to offer does not claim anything
    assert an.analyse(events).checked is None and an.analyse(events).not_checked == ""


@pytest.mark.parametrize("value", [-0.025057, -9223372036854.775])
def test_cover_art_only_frame_discarded_is_not_a_defect(value):
    """pyglet takes an attached picture as video and discards its only frame:
    in mp3 at -0.025 s, in m4a at FFmpeg's "no timestamp" (measured)."""
    events = play([], discarded=[value])
    assert an.analyse(events).counts == {"discarded_late": 1}
    cover = ref([], cover=True)
    result = an.analyse(events, cover)
    assert result.outcome == an.PERFECT and result.counts == {} and result.anomalies == ()
    # audio only (no picture at all): a discarded frame stays a defect
    assert an.analyse(events, ref([])).counts == {"discarded_late": 1}


def test_cover_art_excuses_one_discard_only():
    events = play([], discarded=[-0.025, 0.5])
    result = an.analyse(events, ref([], cover=True))
    assert result.counts == {"discarded_late": 1}
    assert [a.value for a in result.anomalies] == [0.5]


def test_stall_and_av_offset_on_an_overloaded_machine_are_the_machines_fault():
    times = frames(25)
    walls = [t + 0.03 + (0.5 if t > 0.5 else 0.0) for t in times]
    events = play(times, walls=walls, cpu=(2.0, 0.6), end=1.6)
    result = an.analyse(events, ref(times, duration=1.0))
    # the audio clock ran on while the picture froze: apart, too
    assert result.outcome == an.OVERLOADED and result.counts == {"stall": 1, "av_offset": 1}
    quiet = an.analyse(play(times, walls=walls, cpu=(2.0, 0.001), end=1.6),
                       ref(times, duration=1.0))
    assert quiet.outcome == an.DEFECTS and quiet.counts == {"stall": 1, "av_offset": 1}


def test_frames_not_shown_while_the_player_waited_for_a_cpu_are_the_machines():
    """Measured (14 players on 2 CPUs): an MJPEG clip whose player
    waited 23 % of its play for a CPU lost 2 frames it shows on an idle
    machine. Such a play is overloaded (retried on a calm machine); the same
    frames lost without waiting are the sample's defects."""
    times = frames(25)
    waited = play(times[:-2], discarded=[0.1], cpu=(2.0, 0.6))
    assert an.analyse(waited, ref(times)).outcome == an.OVERLOADED
    idle = play(times[:-2], discarded=[0.1], cpu=(2.0, 0.0))
    result = an.analyse(idle, ref(times))
    assert result.outcome == an.DEFECTS and result.counts["frames_not_shown"] == 2


def test_a_read_recording_is_judged_once_with_its_reference(tmp_path):
    """One judged read: the stored events, loaded and judged against the file
    in one step, give analyse()'s verdict (an overloaded play included)."""
    from pytest_pyglet_media.store import recording

    times = frames(25)
    for events in (play(times[2:]), play(times[:-2], discarded=[0.1], cpu=(2.0, 0.6))):
        path = tmp_path / "clip.dbg"
        path.unlink(missing_ok=True)
        recording.save(path, events)
        rec = an.read(path, ref(times))
        assert rec.events == events
        assert rec.verdict == an.analyse(events, ref(times))
    assert rec.verdict.outcome == an.OVERLOADED


def test_the_page_reuses_the_checks_its_judgement_computed(monkeypatch):
    """The verdict keeps trimmed lists; the judged recording keeps them all,
    so the page's detail needs no second check against the same reference."""
    from pytest_pyglet_media.judge import file_checks

    times = frames(2 * an.MAX_FILE_DETAIL + 50)
    events = play(times[::2])
    rec = an.judge(events, ref(times))
    full = file_checks.check(events, ref(times))
    assert rec.full_checks == full and len(full.missing_frames) > an.MAX_FILE_DETAIL
    checks = []
    original = file_checks.check
    monkeypatch.setattr(file_checks, "check", lambda *a: checks.append(1) or original(*a))
    assert rec.checks_against(ref(times)) == full and checks == []
    # against another reference, or without a judgement against the file: computed
    assert rec.checks_against(ref(times[:-4])) == original(events, ref(times[:-4]))
    crashed = an.judge(events[:-1], ref(times))
    assert crashed.full_checks is None
    assert crashed.checks_against(ref(times)) == original(events[:-1], ref(times))
    assert an.judge(events).checks_against(ref(times)) == full
    assert checks == [1, 1, 1]


def test_the_verdict_crosses_xdist_bounded():
    times = frames(2 * an.MAX_FILE_DETAIL + 50)
    result = an.analyse(play(times[::2]), ref(times))
    assert result.counts["frames_not_shown"] == an.MAX_FILE_DETAIL + 25
    assert len(result.checks.missing_frames) == an.MAX_FILE_DETAIL
    data = res.SampleResult("clip", result).to_builtins()
    pickle.dumps(data)  # builtins only
    assert res.SampleResult.from_builtins(data).verdict == result
    report = text_reports.file_check_report(result)
    assert f"frames never shown, file times (the first {an.MAX_FILE_DETAIL} of " \
           f"{an.MAX_FILE_DETAIL + 25}):" in report


def test_old_verdicts_without_the_new_fields_still_load():
    data = an.analyse(play(frames(3))).to_builtins()
    del data["checked"], data["file_checks"]
    assert an.Verdict.from_builtins(data).checked is None


def test_outcomes_without_a_whole_play_are_not_compared():
    events = play(frames(5))[:-1]  # no end of play: a crash
    result = an.analyse(events, ref(frames(5)))
    assert result.outcome == an.CRASHED and result.checked is None


def test_summary_lists_the_samples_not_checked():
    a = res.SampleResult("a.mp4", an.analyse(play(frames(3)), no_reference="no ffprobe"))
    totals = res.session_totals([a])
    text = text_reports.summary("s", "v", totals, not_checked={"a.mp4": "no ffprobe"})
    assert "*** Reference checks skipped: 1 played sample was not checked against the file" \
        in text
    assert "Appendix, samples not checked against the file\n\ta.mp4: no ffprobe" in text


@pytest.mark.parametrize("case", ["frame gap", "video shorter than audio", "audio only",
                                  "cover art"])
def test_correct_unusual_plays_on_a_busy_machine_stay_perfect(case):
    """The machine-blame rules (frames not shown, a long wait in all) only
    turn defects into 'overloaded': a correct play of an unusual file whose
    player waited long for a CPU is perfect, never blamed on anything."""
    busy = (2.0, 0.9)  # waited 0.9 s: far beyond both overload thresholds
    if case == "frame gap":  # 2 s between two frames, held by a correct player
        times = frames(5) + frames(5, start=2.2)
        events, reference = play(times, duration=2.4, cpu=busy), ref(times)
    elif case == "video shorter than audio":
        times = frames(5)
        events, reference = play(times, duration=3.0, cpu=busy), ref(times, duration=3.0)
    elif case == "audio only":
        events, reference = play([], duration=1.0, cpu=busy), ref(audio=True)
    else:
        times = frames(10)
        events, reference = play(times, cpu=busy), ref(times, cover=True)
    result = an.analyse(events, reference)
    assert result.outcome == an.PERFECT, (result.counts, result.reason)


def test_the_pictures_compared_at_the_play_join_every_later_reading(tmp_path):
    """The comparison's numbers, kept beside the recording, join its verdict
    when it is read again (reports, compare), here or copied (a bundle, a
    merge), while it is that recording."""
    from pytest_pyglet_media.judge.pictures import Difference, PictureCheck, PictureChecks
    from pytest_pyglet_media.store import pictures, recording

    times = frames(25)
    path = tmp_path / "clip.mp4.dbg"
    recording.save(path, play(times))
    differs = PictureChecks((PictureCheck(0.0, 6, 4, (6, 4), Difference(28.1, 43, (1, 2)),
                                          "colour matrix: ..."),))
    checks = pictures.checks_beside(path)
    pictures.save_checks(checks, pictures.recording_digest(path), differs.to_builtins())
    verdict = an.read(path, ref(times)).verdict
    assert verdict.outcome == an.DEFECTS and verdict.counts == {"picture_differs": 1}
    assert verdict.checks.messages["picture_differs"] == (
        "1 of 1 pictures compared are not FFmpeg's picture of the same file frame: frame "
        "0.000 s: PSNR 28.1 dB, worst pixel (1, 2) off by 43. Likely cause: colour matrix: ...")
    assert PictureChecks.from_builtins(verdict.checks.pictures) == differs

    copy = tmp_path / "copied" / "clip.mp4.dbg"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    pictures.checks_beside(copy).write_bytes(checks.read_bytes())
    assert an.read(copy, ref(times)).verdict.counts == {"picture_differs": 1}

    recording.save(path, play(times[1:]))  # played again: another recording
    assert "picture_differs" not in an.read(path, ref(times)).verdict.counts
    checks.write_text('{"format": "pytest-pyglet-media picture checks 1", "recording": '
                      f'"{pictures.recording_digest(path)}", "checks": {{"compared": 3}}}}')
    assert "picture_differs" not in an.read(path, ref(times)).verdict.counts  # damaged
