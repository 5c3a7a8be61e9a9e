"""Late frames on an overloaded machine are the machine's fault.

The player records how long it waited for a CPU (`mp.cpu`, from the kernel's
run-queue delay); late-frame defects during a long wait judge the play
OVERLOADED instead of blaming the sample.
"""
from __future__ import annotations

from mp_support import recordings

from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.judge import comparison
from pytest_pyglet_media.judge import results as res
from pytest_pyglet_media.report import text_reports


def play(*, late: int = 0, no_image: int = 0, cpu_wait: float | None = 0.001,
         wall: float = 2.0) -> list[tuple]:
    """60 frames over 2 s; the first `late` frames discarded late, the first
    `no_image` without an image; ("mp.cpu", 0.5, cpu_wait) unless None."""
    return recordings.play(60, sample="s.mp4", duration=2.0, audio_format=(2, 16, 48000),
                           wall_offset=0.0, late=range(late), no_image=range(no_image),
                           no_video_time=1 / 30,
                           cpu=None if cpu_wait is None else (0.5, cpu_wait), end_wall=wall)


def test_late_frames_during_a_long_cpu_wait_blame_the_machine():
    result = an.analyse(play(late=3, cpu_wait=0.4))
    assert result.outcome == an.OVERLOADED
    assert result.counts == {"discarded_late": 3}
    assert "waited 0.40 s of its 2.00 s play for a CPU (20 %)" in result.reason


def test_late_frames_on_an_idle_machine_are_defects():
    assert an.analyse(play(late=3, cpu_wait=0.002)).outcome == an.DEFECTS
    # recordings without our CPU event (pyglet's own logger) judge as before
    assert an.analyse(play(late=3, cpu_wait=None)).outcome == an.DEFECTS


def test_a_short_absolute_wait_is_not_overload():
    # 5 % of a 0.4 s play is 0.02 s: below the 0.05 s floor
    assert an.analyse(play(late=1, cpu_wait=0.03, wall=0.4)).outcome == an.DEFECTS


def test_a_long_play_that_waited_a_while_in_all_blames_the_machine():
    """Measured: 0.28 s of an 8 s play (3.5 %) among 16 players cost a frame;
    an idle machine makes a player wait ~0.1 %: 8 ms in 8 s."""
    assert an.analyse(play(late=1, cpu_wait=0.28, wall=8.0)).outcome == an.OVERLOADED
    assert an.analyse(play(late=1, cpu_wait=0.008, wall=8.0)).outcome == an.DEFECTS
    assert an.analyse(play(late=1, cpu_wait=0.14, wall=8.0)).outcome == an.DEFECTS


def test_defects_that_cpu_starvation_cannot_cause_still_blame_the_sample():
    result = an.analyse(play(late=2, no_image=1, cpu_wait=0.9))
    assert result.outcome == an.DEFECTS
    assert result.counts == {"discarded_late": 2, "no_image": 1}


def test_a_perfect_play_on_a_busy_machine_is_perfect():
    assert an.analyse(play(cpu_wait=0.9)).outcome == an.PERFECT


def test_summary_and_message_say_the_machine_was_overloaded():
    busy = res.SampleResult("busy.mp4", an.analyse(play(late=4, cpu_wait=0.5)))
    fine = res.SampleResult("fine.mp4", an.analyse(play()))
    totals = res.session_totals([busy, fine])
    assert totals.overloaded == ("busy.mp4",)
    assert totals.relevant == 1 and totals.non_perfect == {}
    text = text_reports.summary("s", "v", totals)
    assert "Samples played while the machine was overloaded: 1" in text
    assert "Appendix, samples played while the machine was overloaded\n\tbusy.mp4" in text
    assert "1 overloaded" in text_reports.headline(totals)
    message = text_reports.failure_message("busy.mp4", busy.verdict, "/r/busy.mp4.dbg")
    assert message.startswith("busy.mp4: 4 late frames, but the player waited")
    assert "recording: /r/busy.mp4.dbg" in message


def test_an_overloaded_play_is_no_regression():
    before = {"a.mp4": res.SampleResult("a.mp4", an.analyse(play()))}
    after = {"a.mp4": res.SampleResult("a.mp4", an.analyse(play(late=5, cpu_wait=0.6)))}
    result = comparison.compare("new", after, "old", before)
    assert result.regressed == () and result.regressions_from_perfect == ()
    assert result.compared == ()
