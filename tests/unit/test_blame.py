"""Blame per defect: the machine answers only for defects where the player waited.

Recordings built by hand with the player's waits (mp.wait: from, until,
seconds) placed before or away from their defects; the file's reference is
synthetic. No pyglet, no process.
"""
from __future__ import annotations

import pytest
from mp_support import recordings

from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.judge import blame
from pytest_pyglet_media.report import text_reports
from pytest_pyglet_media.store.reference import Reference, Stream

DT = 1 / 30


def wait(start: float, end: float, seconds: float) -> tuple:
    return ("mp.wait", start, end, seconds)


def play(*, late=(), no_image=(), waits=(), cpu_wait: float | None = 0.001,
         n: int = 60) -> list[tuple]:
    """n frames over n/30 s (frame i at wall i/30); `waits` close the play
    before mp.cpu, as the player writes its last stretch there."""
    events = recordings.play(n, sample="s.mp4", duration=n * DT, audio_format=(2, 16, 48000),
                             wall_offset=0.0, late=late, no_image=no_image,
                             no_video_time=DT,
                             cpu=None if cpu_wait is None else (0.5, cpu_wait),
                             end_wall=n * DT)
    at = next(i for i, e in enumerate(events) if e[0] in ("mp.cpu", "mp.end"))
    events[at:at] = list(waits) or [wait(n * DT - 0.05, n * DT, 0.0)]
    an.validate(events)
    return events


def test_a_wait_near_each_late_frame_blames_the_machine():
    # frames 30 and 31 (1.0 s, 1.03 s) late; 0.12 s waited from 0.9 s to 1.0 s
    result = an.analyse(play(late=[30, 31], waits=[wait(0.9, 1.0, 0.12)]))
    assert result.outcome == an.OVERLOADED
    assert result.counts == {"discarded_late": 2}
    assert "waited 0.12 s of its 2.00 s play for a CPU" in result.reason
    assert f"its defects, each within {blame.WINDOW:g} s of a wait, are not counted" \
        in result.reason


def test_a_wait_elsewhere_does_not_excuse_a_defect():
    # the same late frames, but the play waited at its start only, and long
    result = an.analyse(play(late=[30, 31], waits=[wait(0.0, 0.5, 0.45)], cpu_wait=0.45))
    assert result.outcome == an.DEFECTS
    assert result.counts == {"discarded_late": 2} and not result.excused


def test_a_short_wait_near_a_defect_does_not_excuse_it():
    result = an.analyse(play(late=[30], waits=[wait(0.95, 1.0, blame.MIN_WAIT_NEAR / 2)]))
    assert result.outcome == an.DEFECTS


def test_defects_the_machine_caused_are_left_out_beside_those_that_stand():
    # frame 10 late where the play waited; frame 50 late where it did not
    result = an.analyse(play(late=[10, 50], waits=[wait(0.25, 0.33, 0.1)]))
    assert result.outcome == an.DEFECTS
    assert result.counts == {"discarded_late": 1}
    assert result.excused == {"discarded_late": 1}
    assert [a.frame > 40 for a in result.anomalies] == [True]  # frame 50's, not 10's
    message = text_reports.failure_message("s.mp4", result, "/r/s.mp4.dbg")
    assert "not counted: 1 defect where the player waited for a CPU" in message
    assert an.Verdict.from_builtins(result.to_builtins()) == result


def test_a_defect_starvation_cannot_cause_stands_beside_excused_ones():
    result = an.analyse(play(late=[30], no_image=[5], waits=[wait(0.95, 1.0, 0.2)]))
    assert result.outcome == an.DEFECTS
    assert result.counts == {"no_image": 1} and result.excused == {"discarded_late": 1}


def test_recordings_without_waits_keep_the_whole_play_rule():
    # older players wrote only mp.cpu: 0.4 s of a 2 s play overloads, wherever it was
    events = [e for e in play(late=[30], cpu_wait=0.4) if e[0] != "mp.wait"]
    assert an.analyse(events).outcome == an.OVERLOADED
    events = [e for e in play(late=[30], cpu_wait=0.002) if e[0] != "mp.wait"]
    assert an.analyse(events).outcome == an.DEFECTS


def test_a_long_main_thread_wait_no_longer_excuses_defects_away_from_it():
    # mp.cpu says 0.4 s (the old rule: overloaded); the waits say where
    result = an.analyse(play(late=[55], cpu_wait=0.4, waits=[wait(0.0, 0.4, 0.4)]))
    assert result.outcome == an.DEFECTS


def test_waits_sum_the_stretches_overlapping_the_window():
    waits = blame.Waits(((0.0, 0.5, 0.3), (0.5, 0.55, 0.04), (1.0, 1.05, 0.02)))
    assert waits.total == 0.36
    assert abs(waits.near(0.6, 0.6) - 0.34) < 1e-9  # touches 0.5-0.55 and 0.0-0.5
    assert waits.near(0.8, 0.8) == 0.0
    assert blame.waits_of([("p.P._sp", 0.0)]) is None
    assert blame.waits_of([wait(0.0, 0.1, 0.0)]) == blame.Waits(((0.0, 0.1, 0.0),))


# -- against the file --------------------------------------------------------------------------


def reference(n: int, codec: str) -> Reference:
    times = tuple(round(i * DT, 6) for i in range(n))
    return Reference(duration=n * DT, start=0.0,
                     streams=(Stream(0, "video", codec, 0.0, n * DT),),
                     video_index=0, frame_times=times)


def file_play(shown: list[int], waits, n: int = 60, held: float = 0.0,
              end: float | None = None) -> list[tuple]:
    """A play showing frames `shown` of n, each at its own time; from frame
    31 on, `held` s later (frame 30 frozen that long); ended at `end`."""
    events: list[tuple] = [("version", 1.1), ("mp.im", "clip"),
                           ("mp.src", n * DT, (160, 120, 1.0, 30.0), None), ("p.P._sp", 0.0)]
    for i in shown:
        t = round(i * DT, 6)
        wall = t + (held if i > 30 else 0.0)
        events += [("p.P.ut.1.0", DT, t, None, wall), ("p.P.ut.1.6", t),
                   ("p.P.ut.1.9", DT, t + DT)]
    events += [*waits, ("mp.end", n * DT + held if end is None else end), ("p.P.oe",)]
    an.validate(events)
    return events


def test_frames_lost_mid_stream_where_the_player_waited_are_the_machines():
    shown = [i for i in range(60) if i not in (30, 31)]
    result = an.analyse(file_play(shown, [wait(0.9, 1.0, 0.15)]), reference(60, "vp8"))
    assert result.outcome == an.OVERLOADED and result.counts == {"frames_not_shown": 2}
    result = an.analyse(file_play(shown, [wait(1.6, 1.7, 0.15)]), reference(60, "vp8"))
    assert result.outcome == an.DEFECTS


def test_b_frame_edge_losses_are_pyglets_even_where_the_player_waited():
    # pyglet never shows frames 2-3 and the last 2 of an H.264 stream with
    # B-frames, on every play; starved players wait most at their start
    shown = [i for i in range(60) if i not in (2, 3, 58, 59)]
    waits = [wait(0.0, 0.2, 0.19), wait(1.8, 2.0, 0.19)]
    result = an.analyse(file_play(shown, waits), reference(60, "h264"))
    assert result.outcome == an.DEFECTS and result.counts == {"frames_not_shown": 4}
    # the same losses in a stream without B-frames are the machine's there
    assert an.analyse(file_play(shown, waits), reference(60, "vp8")).outcome == an.OVERLOADED


def test_a_last_frame_the_end_overtook_is_the_machines_where_a_wait_covers_its_lead():
    # frame 59 due at 1.967 s; pyglet's end of stream came at 1.979 s, before
    # its update: a 17 ms wait there (under MIN_WAIT_NEAR) is enough to lose
    # it (measured: a VP9/Opus play beside a CPU hog, perfect when serial)
    shown = list(range(59))
    due = 59 * DT
    raced = file_play(shown, [wait(1.94, 1.98, 0.017)], end=due + 0.012)
    assert an.analyse(raced, reference(60, "vp8")).outcome == an.OVERLOADED
    # a wait shorter than the frame's lead over the end does not excuse it
    early = file_play(shown, [wait(1.94, 1.98, 0.008)], end=due + 0.012)
    assert an.analyse(early, reference(60, "vp8")).outcome == an.DEFECTS
    # a frame due after the end: the play ended before its time, a short wait
    # excuses nothing (pyglet ended on its audio first)
    after = file_play(shown, [wait(1.94, 1.96, 0.017)], end=due - 0.01)
    assert an.analyse(after, reference(60, "vp8")).outcome == an.DEFECTS
    # mid-stream, a short wait keeps standing: the race is the end's only
    mid = file_play([i for i in range(60) if i != 30], [wait(0.98, 1.02, 0.017)])
    assert an.analyse(mid, reference(60, "vp8")).outcome == an.DEFECTS


def test_a_stall_is_placed_where_the_picture_froze():
    # frame 30 held from 1.0 s to 1.43 s
    frozen = file_play(list(range(60)), [wait(0.95, 1.05, 0.2)], held=0.4)
    result = an.analyse(frozen, reference(60, "vp8"))
    assert result.outcome == an.OVERLOADED and result.counts == {"stall": 1}
    elsewhere = file_play(list(range(60)), [wait(0.2, 0.3, 0.2)], held=0.4)
    assert an.analyse(elsewhere, reference(60, "vp8")).outcome == an.DEFECTS


def test_a_long_defect_needs_waits_all_along():
    assert blame.needed(1.0, 1.0) == blame.MIN_WAIT_NEAR
    assert blame.needed(0.0, 9.8) == pytest.approx(50 * blame.MIN_WAIT_NEAR)
    drift = blame.Waits(((3.0, 3.05, 0.2),))  # one wait in a 10 s play
    assert drift.near(0.0, 10.0) < blame.needed(0.0, 10.0)


def test_the_audio_clocks_findings_are_placed_at_their_walls():
    from pytest_pyglet_media.judge.file_checks import FileChecks

    checks = FileChecks(counts={"audio_clock_jump": 2},
                        clock_marks=(("audio_clock_jump", 0.5, 0.55, 1.0, 1.3),
                                     ("audio_clock_jump", 1.5, 1.55, 2.0, 2.3)))
    waits = blame.Waits(((0.45, 0.5, 0.2),))
    who = blame.blame([("p.P._sp", 0.0)], {"audio_clock_jump": 2}, an.LATE_KINDS, waits,
                      checks, None)
    assert (who.excused, who.standing, who.unplaced) == (
        {"audio_clock_jump": 1}, {"audio_clock_jump": 1}, ())
    # a late kind nothing places leaves the play to the whole-play rule
    who = blame.blame([("p.P._sp", 0.0)], {"audio_drift": 1}, an.LATE_KINDS, waits,
                      FileChecks(), None)
    assert who.unplaced == ("audio_drift",)


def test_a_play_pyglet_never_ended_is_a_defect_that_stands_on_an_idle_machine():
    # pyglet's end of video before the tool's stop is its usual end noise, not counted twice
    result = an.analyse(recordings.hung_play(30))
    assert result.outcome == an.DEFECTS
    assert result.counts == {"no_end_of_stream": 1}
    assert "still playing at 6.00 s of wall time: ended by the tool" in \
        result.anomalies[0].describe()


def test_a_play_never_ended_where_the_player_waited_all_along_is_the_machines():
    # from the end's due time (1 s) to the stop (6 s) the player's threads
    # (and the sound server's) waited 6 s in all: enough to keep it from ending
    starved = recordings.hung_play(30, waits=[wait(1.0, 6.0, 6.0)])
    assert an.analyse(starved).outcome == an.OVERLOADED
    # 2 s of those 5 s delay an end by 2 s at most: it still did not end
    # (measured: a PulseAudio play beside 15 others, its server busy with them)
    busy = recordings.hung_play(30, waits=[wait(1.0, 6.0, 2.0)])
    assert an.analyse(busy).counts == {"no_end_of_stream": 1}
