"""The audio clock as a listener hears it (judge/audio_clock.py, judged in
file_checks): a late start, jumps, drift, and av_offset sampling every frame
shown while the file has audio.

Each rule loud on a recording made for it, quiet on correct plays under
every driver: silent-driver plays, audio only, video longer or shorter than
audio, a gap between frames, a slow frame rate, late audio in the file
itself (frames_not_shown and short_play's, not counted again). Recordings
are built (mp_support.clock_recordings) in the shapes pyglet logged here.
"""
from __future__ import annotations

import json

import pytest
from mp_support import clock_recordings as cr
from mp_support.clock_recordings import DRIVERS, STEP, frames, play, reference

from pytest_pyglet_media.judge import analysis
from pytest_pyglet_media.judge import audio_clock as ac
from pytest_pyglet_media.judge import file_checks as fc
from pytest_pyglet_media.judge.file_checks import check
from pytest_pyglet_media.judge.rules import DEFECT_KINDS, FILE_KINDS
from pytest_pyglet_media.play import sound_servers
from pytest_pyglet_media.report import text_reports

CLOCK_KINDS = {"audio_late_start", "audio_clock_jump", "audio_drift"}


def clock_counts(result: fc.FileChecks) -> dict[str, int]:
    return {k: n for k, n in result.counts.items() if k in CLOCK_KINDS}


# -- the table ---------------------------------------------------------------------


def test_the_clock_kinds_are_declared_once_and_machine_excusable():
    assert CLOCK_KINDS <= set(FILE_KINDS) and CLOCK_KINDS <= set(DEFECT_KINDS)
    assert CLOCK_KINDS <= analysis.LATE_KINDS


def test_the_private_daemons_mark_is_the_sound_servers_folder():
    assert ac.PRIVATE_PULSE_MARK == "/" + sound_servers.FOLDER_PREFIX
    assert ac.on_private_null_sink("pulse", cr.DETAILS["pulse"])
    assert not ac.on_private_null_sink("pulse", cr.DETAILS["pulse-desktop"])
    assert not ac.on_private_null_sink("openal", cr.DETAILS["pulse"])


# -- quiet on correct plays, under every driver ----------------------------------------


def correct_plays() -> dict[str, tuple[list[tuple], object]]:
    """name -> (events without their driver, reference), each a correct play."""
    times = frames(100)
    gap = frames(25) + frames(25, start=3.0)
    slow = frames(8, step=0.5)
    late_audio = frames(100)
    return {
        "silent-like clock": (dict(shown=times), reference(times)),
        "OpenAL's 30 ms steps": (dict(shown=times, clock=cr.openal_clock), reference(times)),
        "looks between frames": (dict(shown=times, clock=cr.openal_clock, looks_between=2),
                                 reference(times)),
        # the clock stops at the audio's end: the frames after it are correct
        "video longer than audio": (
            dict(shown=times, clock=lambda i, t: min(t, 1.5) - 0.02),
            reference(times, duration=4.0, audio_duration=1.5)),
        # the clock stops a little before ffprobe's audio end
        "audio ends early in the clock": (
            dict(shown=times, clock=lambda i, t: min(t, 1.45) - 0.02),
            reference(times, duration=4.0, audio_duration=1.5)),
        "video shorter than audio": (dict(shown=frames(25), duration=3.0),
                                     reference(frames(25), duration=3.0)),
        "a gap of 2 s between frames": (dict(shown=gap, duration=4.0),
                                        reference(gap, duration=4.0)),
        "2 frames a second": (dict(shown=slow, duration=4.0), reference(slow, duration=4.0)),
        # pyglet shifts the play by the audio's start and skips the frames
        # before it: frames_not_shown and short_play say so, nothing else
        "late audio in the file": (
            dict(shown=[round(t - 0.476, 6) for t in late_audio[12:]], duration=3.524),
            reference(late_audio, duration=4.0, audio_start=0.476, audio_duration=3.524)),
        "a long play": (dict(shown=frames(500)), reference(frames(500))),
    }


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("name", list(correct_plays()))
def test_correct_plays_are_quiet_under_every_driver(name, driver):
    kw, ref = correct_plays()[name]
    result = check(play(driver=driver, **kw), ref)
    assert clock_counts(result) == {} and "av_offset" not in result.counts, result.messages
    if name == "late audio in the file":
        assert set(result.counts) == {"frames_not_shown", "short_play"}
    else:
        assert result.counts == {}, result.messages


@pytest.mark.parametrize("driver", DRIVERS)
def test_audio_only_has_no_clock_to_judge_against_frames(driver):
    result = check(play([], driver=driver), reference([]))
    assert result.counts == {}


@pytest.mark.parametrize("driver", DRIVERS)
def test_no_audio_in_pyglet_no_clock(driver):
    times = frames(50)
    result = check(play(times, cr.late_clock(1.0), driver=driver, has_audio=False),
                   reference(times))
    assert result.counts == {}


# -- audio_late_start -------------------------------------------------------------


def test_a_late_start_under_a_real_device_names_times_and_frames():
    times = frames(100)
    result = check(play(times, cr.late_clock(1.2), driver="pulse-desktop"), reference(times))
    assert result.counts == {"audio_late_start": 1, "av_offset": 1}
    assert result.messages["audio_late_start"] == (
        "the audio clock stood at 0.00 s from 0.00 s to 1.20 s of the play while 31 frames "
        "were shown (file times 0.00 s to 1.20 s): picture 1.20 s ahead of sound that had "
        "not started (ITU-R BT.1359: audio behind the picture is detectable from 125 ms)")
    # av_offset now samples the frames of the standstill too
    assert result.worst_av_offset[1] == pytest.approx(-1.2, abs=0.05)
    (mark,) = [m for m in result.clock_marks if m[0] == "audio_late_start"]
    assert mark[1:3] == pytest.approx((0.001, 1.201))


@pytest.mark.parametrize("driver", ["pulse-desktop", "openal", None])
def test_a_clock_that_never_moves_is_a_late_start(driver):
    """No sound at all (pyglet #407)."""
    times = frames(50)
    result = check(play(times, lambda i, t: 0.0, driver=driver), reference(times))
    assert result.counts["audio_late_start"] == 1
    assert result.messages["audio_late_start"].endswith(
        "and never moved while the file had audio: picture 1.96 s ahead of sound that had not "
        "started (ITU-R BT.1359: audio behind the picture is detectable from 125 ms)")
    assert result.counts["av_offset"] == 1


@pytest.mark.parametrize("still, fires", [(0.08, False), (0.12, False), (0.2, True)])
def test_late_start_threshold_is_bt1359s_125_ms(still, fires):
    times = frames(100)
    result = check(play(times, cr.late_clock(still, catch_up=0.04), driver="openal"),
                   reference(times))
    assert ("audio_late_start" in result.counts) is fires, result.messages


def test_the_silent_driver_is_not_judged_for_its_clock():
    times = frames(100)
    result = check(play(times, cr.late_clock(1.2), driver="silent"), reference(times))
    assert clock_counts(result) == {}
    assert result.counts == {"av_offset": 1}  # its lip sync still is judged


def test_the_private_null_sinks_start_up_is_noted_not_counted():
    """Measured under the run's private daemon: the clock stands 0.4-2 s,
    runs that far behind, leaps back beside the picture within 0.4 s."""
    times = frames(100)
    result = check(play(times, cr.late_clock(1.16, catch_up=0.32)), reference(times))
    assert result.counts == {}, result.messages
    assert result.note == (
        "the audio clock stood still from 0.00 s to 1.16 s of the play (30 frames, file times "
        "0.00 s to 1.16 s) and was back beside the picture at 1.48 s: the start-up of the "
        "run's private PulseAudio null sink (up to 2 s), not counted; judge a late start "
        "under pulse on a real device")
    # the same play on a desktop's server is three defects a listener hears
    desktop = check(play(times, cr.late_clock(1.16, catch_up=0.32), driver="pulse-desktop"),
                    reference(times))
    assert desktop.counts == {"audio_late_start": 1, "av_offset": 1, "audio_clock_jump": 1}


def test_a_play_too_short_to_see_the_null_sinks_start_up_end_is_not_judged_there():
    """Measured: a 1 s clip's clock never moved under the private daemon (2
    plays of 3), or moved at 0.52 s then went back 0.46 s."""
    times = frames(25)
    result = check(play(times, lambda i, t: 0.0), reference(times))
    assert result.counts == {}, result.messages
    assert result.note.startswith(
        "the audio clock stood still from 0.00 s to 0.96 s of the play (25 frames, file times "
        "0.00 s to 0.96 s) and the file's audio ended before it could be back beside the "
        "picture: the start-up of the run's private PulseAudio null sink")
    clock = cr.jumping_clock({0.84: -0.46})
    result = check(play(times, lambda i, t: 0.0 if t < 0.52 else clock(i, t) - 0.52),
                   reference(times))
    assert result.counts == {}, result.messages


@pytest.mark.parametrize("still, catch_up", [(2.2, 0.32), (1.0, 1.0), (1.0, None)])
def test_what_no_null_sink_start_up_looks_like_is_counted_there_too(still, catch_up):
    times = frames(150)
    result = check(play(times, cr.late_clock(still, catch_up)), reference(times))
    assert result.counts["audio_late_start"] == 1 and result.counts["av_offset"] >= 1
    assert result.note == ""


# -- audio_clock_jump --------------------------------------------------------------


def test_jumps_forward_and_back_name_play_and_file_times():
    times = frames(100)
    clock = cr.jumping_clock({1.0: 0.5, 3.0: -0.3})
    result = check(play(times, clock, driver="openal"), reference(times))
    assert result.counts["audio_clock_jump"] == 2
    assert result.messages["audio_clock_jump"] == (
        "the audio clock leapt: 2 jumps: 0.50 s forward at 1.00 s of the play (file time "
        "0.94 s to 1.48 s in 0.04 s, frame 0.96 s on screen); 0.30 s back at 3.00 s of the "
        "play (file time 3.44 s to 3.18 s in 0.04 s, frame 2.96 s on screen)")
    marks = [m for m in result.clock_marks if m[0] == "audio_clock_jump"]
    assert [round(m[2], 3) for m in marks] == [1.001, 3.001]


@pytest.mark.parametrize("leap, fires", [(0.09, False), (0.12, True), (-0.09, False),
                                         (-0.12, True)])
def test_jump_threshold(leap, fires):
    times = frames(100)
    result = check(play(times, cr.jumping_clock({2.0: leap}), driver="pulse-desktop"),
                   reference(times))
    assert ("audio_clock_jump" in result.counts) is fires, result.messages


def test_a_player_held_up_with_its_clock_is_a_stall_not_a_jump():
    times = frames(50)
    walls = [t + 0.001 + (0.3 if t >= 1.0 else 0.0) for t in times]
    result = check(play(times, walls=walls, driver="pulse-desktop"), reference(times))
    assert result.counts == {"stall": 1}


# -- audio_drift -------------------------------------------------------------------


def test_drift_over_a_long_play_names_its_slope_and_stretch():
    times = frames(300)  # 12 s: the offset goes from -20 ms to +52 ms
    result = check(play(times, cr.drifting_clock(0.006), driver="pulse-desktop"),
                   reference(times))
    assert result.counts["audio_drift"] == 1
    assert result.av_slope == pytest.approx(0.006, abs=1e-4)
    message = result.messages["audio_drift"]
    assert message == ("audio drifted 6.0 ms per second ahead of the picture from 1.04 s to "
                       "11.96 s of the play (274 frames, file times 1.04 s to 11.96 s; offset "
                       "-14 ms to +52 ms); beyond 5 ms per second")


@pytest.mark.parametrize("slope, fires", [(0.0018, False), (-0.004, False), (-0.007, True)])
def test_drift_threshold_from_correct_plays(slope, fires):
    times = frames(300)
    result = check(play(times, cr.drifting_clock(slope), driver="openal"), reference(times))
    assert ("audio_drift" in result.counts) is fires


def test_a_short_play_is_not_judged_for_drift():
    times = frames(200)  # 8 s, of which 7 s after the settling second
    result = check(play(times, cr.drifting_clock(0.02), driver="openal"), reference(times))
    assert "audio_drift" not in result.counts and result.av_slope is None


# -- av_offset over every frame with audio -------------------------------------------


def test_av_offset_samples_the_frames_of_a_standstill():
    """The issue's finding: 1.8 s of picture without sound counted for nothing."""
    times = frames(100)
    result = check(play(times, cr.late_clock(1.8, catch_up=0.04), driver="silent"),
                   reference(times))
    assert result.counts == {"av_offset": 1}
    assert "for 42 frames in 1 stretch" in result.messages["av_offset"]
    assert len(result.av_offsets) == 100


def test_a_clock_that_stopped_mid_file_is_judged():
    times = frames(100)
    result = check(play(times, lambda i, t: min(t, 1.0), driver="openal"),
                   reference(times, duration=4.0, audio_duration=4.0))
    assert result.counts["av_offset"] == 1


# -- the findings cross xdist ---------------------------------------------------------


def test_clock_findings_cross_xdist_as_builtins():
    times = frames(100)
    result = check(play(times, cr.late_clock(1.2), driver="pulse-desktop"), reference(times))
    data = json.loads(json.dumps(result.to_builtins(), allow_nan=False))
    assert fc.FileChecks.from_builtins(data) == result
    old = {k: v for k, v in data.items() if k not in ("clock_marks", "av_slope")}
    assert fc.FileChecks.from_builtins(old).clock_marks == ()


def test_a_starved_player_is_excused_for_its_clock():
    times = frames(100)
    events = play(times, cr.late_clock(1.2), driver="pulse-desktop")
    events.insert(-2, ("mp.cpu", 1.0, 0.5))
    verdict = analysis.analyse(events, reference(times))
    assert verdict.outcome == analysis.OVERLOADED


def test_the_per_sample_report_shows_the_findings_and_the_slope():
    times = frames(300)
    verdict = analysis.analyse(play(times, cr.drifting_clock(0.006), driver="pulse-desktop"),
                               reference(times))
    report = text_reports.file_check_report(verdict)
    assert "audio_drift: audio drifted 6.0 ms per second ahead of the picture" in report
    assert "A/V offset slope: +6.00 ms per second of play" in report
