"""pyglet's real audio drivers, headless: the run provides them, and leaves nothing.

A machine without a sound card (CI) plays under `--mp-audio=silent`, `openal`
(OpenAL Soft's null backend) and `pulse` (the run's private PulseAudio
daemon with a null sink), and the recording's `mp.drv` names the driver
pyglet really created: pyglet falls back to silent without a word, so a
passing play alone proves nothing about the driver.

Then the private daemon and its runtime folder must be gone however the run
ends: normally, on Ctrl-C, with an xdist worker killed during a play, and
killed outright with SIGKILL (its watcher then ends it). Each inner run gets
a short temporary folder of its own (TMPDIR): the daemon's folder is made
there, and every process the run starts holds that path in its command line
(the daemon, its watcher) or its environment (workers, fork servers,
players), so "nothing left" is read from /proc, whatever else runs on the
machine (other runs' daemons are not ours to count).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mp_support.inner_runs import (ctrl_c, eventually, processes_mentioning, reap,
                                   start_inner_run, wait_until)

from pytest_pyglet_media.judge import analysis, audio_clock
from pytest_pyglet_media.play import sound_servers
from pytest_pyglet_media.store import recording as rec
from pytest_pyglet_media.store import reference

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the run provides sound servers on Linux only")

#: seconds what a run leaves may take to go once it has ended (the watcher
#: gives the daemon 2 s to exit on SIGTERM); bounds the wait, measures nothing
GONE_WITHIN = 30.0
#: the options of the runs started with popen (E2E.run passes the same)
RUN_OPTIONS = ("--mp-samples-dir=samples", "--mp-timeout=60", "--mp-retries=1",
               "--mp-pictures=off")  # the drivers' tests: no picture to compare
WHOLE_PLAY = "av_1s.mp4"
#: long enough to be caught mid-way, even on a loaded machine
LONG_PLAY = "av_3s.mp4"
#: what the inner run's end (the controller's, not a worker's) left in its
#: TMPDIR, seen after the plugin's pytest_unconfigure and before the process
#: exits: the run stopped its daemon itself, no watcher did it for a dead run
AT_EXIT = "at_exit.txt"
INNER_CONFTEST = f"""
import os
from pathlib import Path

import pytest


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    if hasattr(config, "workerinput"):
        return
    tmp = os.environ["TMPDIR"]
    left = [p.name for p in Path(tmp).glob("{sound_servers.FOLDER_PREFIX}*")]
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\\0")
        except OSError:
            continue
        if os.path.basename(argv[0]) == b"pulseaudio" and tmp.encode() in b" ".join(argv):
            left.append(f"pulseaudio {{entry.name}}")
    Path(__file__).with_name("{AT_EXIT}").write_text("\\n".join(left))
"""


# --- what a run leaves, read from /proc and its TMPDIR ---------------------------------

def pulse_folders(sound_tmp: Path) -> list[Path]:
    """The private daemons' runtime folders in a run's TMPDIR."""
    return sorted(sound_tmp.glob(f"{sound_servers.FOLDER_PREFIX}*"))


def daemons(sound_tmp: Path) -> list[int]:
    """The pulseaudio processes of a run (their command line names its folder)."""
    return sorted(pid for pid, cmdline in processes_mentioning(str(sound_tmp)).items()
                  if Path(cmdline.split(" ", 1)[0]).name == "pulseaudio")


def leftovers(sound_tmp: Path) -> dict[str, object]:
    """What a finished run left: its processes and private daemons' folders."""
    return {"processes": processes_mentioning(str(sound_tmp)), "folders": pulse_folders(sound_tmp)}


def assert_nothing_left(sound_tmp: Path, within: float = GONE_WITHIN) -> None:
    """No process of the run, no daemon's folder, once `within` seconds at most
    have passed (a killed run's watcher needs a moment)."""
    deadline = time.monotonic() + within
    while any(leftovers(sound_tmp).values()):
        if time.monotonic() > deadline:
            assert leftovers(sound_tmp) == {"processes": {}, "folders": []}
        time.sleep(0.1)


def left_at_exit(pytester: pytest.Pytester) -> list[str]:
    """What the inner run's end left (INNER_CONFTEST): daemons' folders and pids."""
    path = pytester.path / AT_EXIT
    assert path.exists(), "the inner run never reached its pytest_unconfigure"
    return path.read_text().splitlines()


def playing(sound_tmp: Path) -> list[int]:
    """The pids of the players whose stream is on the run's private daemon
    now (pactl, which pulseaudio brings on Debian): a play under way, audio
    flowing into the null sink."""
    folders = pulse_folders(sound_tmp)
    if len(folders) != 1:
        return []
    pactl = shutil.which("pactl")
    assert pactl is not None, "pactl is missing: apt-get install pulseaudio-utils"
    env = {**os.environ, "PULSE_SERVER": f"unix:{sound_servers.socket_path(folders[0])}",
           "PULSE_COOKIE": str(folders[0] / "cookie")}
    try:
        out = subprocess.run([pactl, "list", "sink-inputs"], env=env, capture_output=True,
                             text=True, timeout=10, stdin=subprocess.DEVNULL).stdout
    except subprocess.TimeoutExpired:
        return []
    return [int(pid) for pid in re.findall(r'application\.process\.id = "(\d+)"', out)]


def parent(pid: int) -> int:
    return int((Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()[1])


def ancestor_below(pid: int, top: int) -> int:
    """The ancestor of `pid` whose parent is `top` (a player's xdist worker,
    under the controller: the player's parent is the worker's fork server)."""
    while (up := parent(pid)) != top:
        assert up > 1, f"process {pid} is not under {top}"
        pid = up
    return pid


def playing_worker(sound_tmp: Path, controller: int) -> int | None:
    """The xdist worker of a player streaming now, or None."""
    for pid in playing(sound_tmp):
        try:
            return ancestor_below(pid, controller)
        except OSError:
            continue  # that play ended meanwhile
    return None


def driver_event(recording: Path) -> tuple:
    events = rec.load(recording)
    assert events[-1] == ("p.P.oe",), f"{recording.name} did not play to its end"
    return next(event for event in events if event[0] == "mp.drv")


# --- the drivers, really used ---------------------------------------------------------

DRIVERS = ("silent", "openal", "pulse")


def test_each_driver_plays_its_own_item_and_the_run_leaves_nothing(av_e2e, sound_tmp):
    """One run, every driver (--mp-drivers), two xdist workers: an item per
    driver, each recording naming the driver pyglet really created."""
    av_e2e.add(WHOLE_PLAY, manifest=False)
    av_e2e.pytester.makeconftest(INNER_CONFTEST)
    run = av_e2e.run(f"--mp-drivers={','.join(DRIVERS)}", "-n", "2", "-v")
    assert "INTERNALERROR" not in run.out
    for driver in DRIVERS:
        # judged, never an error; a real PulseAudio play's clock varies run to
        # run (a loaded CI runner once put its audio 133 ms behind for 13
        # frames), so only the other drivers' verdicts are asserted
        outcome = "(PASSED|FAILED)" if driver == "pulse" else "PASSED"
        assert re.search(rf"{outcome} samples/{re.escape(WHOLE_PLAY)}::play\[{driver}\]",
                         run.out), run.out
    session = run.samples / "testrun_00"
    for number, driver in enumerate(DRIVERS, start=1):
        group = session / "groups" / f"{number:02d}"
        _, used, detail, failures = driver_event(group / "dbg" / f"{WHOLE_PLAY}.dbg")
        # not a fallback: pyglet created the driver asked for, and none failed
        assert (used, failures) == (driver, ""), detail
        if driver == "pulse":
            # the run's own daemon, in its TMPDIR, served the play
            match = re.fullmatch(rf"server unix:({re.escape(str(sound_tmp))}/"
                                 rf"{sound_servers.FOLDER_PREFIX}\d+-\w+)/pulse/native", detail)
            assert match, detail
        elif driver == "openal":
            assert detail.startswith("device "), detail
        # each group's summary and 03_pyglet_info.txt say which driver played
        reports = group / "reports"
        summary = (reports / "00_summary.txt").read_text()
        assert f"Audio drivers pyglet used (asked for: {driver}): {driver}" in summary
        assert ("PulseAudio server for pyglet's pulse driver: " in summary) == \
            (driver == "pulse")
        assert f"Audio drivers pyglet used (asked for: {driver})" in \
            (reports / "03_pyglet_info.txt").read_text()
    # the session's summary sets the drivers side by side; its index says the driver
    summary = (session / "reports" / "00_summary.txt").read_text()
    assert "Played once per audio driver (--mp-drivers): audio silent: " in summary
    assert "audio pulse" in summary.split("Side by side")[1]
    assert "<th>audio</th>" in (session / "reports" / "index.html").read_text()
    # stopped by the run's end, before its process exited
    assert left_at_exit(av_e2e.pytester) == []
    assert_nothing_left(sound_tmp)
    for number, driver in enumerate(DRIVERS, start=1):
        assert_clock_judged(session / "groups" / f"{number:02d}" / "dbg" / f"{WHOLE_PLAY}.dbg",
                            run.samples / WHOLE_PLAY, driver)


#: the audio clock's kinds (judge/audio_clock.py)
CLOCK_KINDS = ("audio_late_start", "audio_clock_jump", "audio_drift")


def standstill(recording: Path) -> float:
    """How long the audio clock stood at its first value while frames were
    shown, read from the recording itself (wall of the last such frame)."""
    looks = [e for e in rec.load(recording) if e[0] == "p.P.ut.1.0" and e[3] is not None]
    first = looks[0][3]
    still = [e[4] for e in looks if e[3] == first]
    return still[-1] - looks[0][4] if still else 0.0


def assert_clock_judged(recording: Path, clip: Path, driver: str) -> None:
    """The clock rules on a real play: quiet under silent (not applied) and
    OpenAL's null backend (its clock starts within 0.04 s, steps 30 ms:
    measured); under the private null sink a real play varies run to run,
    so no verdict is asserted, only that a standstill at the start is never
    ignored: counted as audio_late_start, or noted as the sink's start-up."""
    judged = analysis.read(recording, reference.probe(clip))
    checks, counts = judged.full_checks, judged.verdict.counts
    assert checks is not None and checks.judged, judged.verdict
    if driver != "pulse":
        assert not set(CLOCK_KINDS) & set(counts), checks.messages
        return
    stood = standstill(recording)
    said = "audio_late_start" in counts or "private PulseAudio null sink" in checks.note
    # (within a frame of the threshold, looks and frames shown may disagree)
    if stood > audio_clock.LATE_START_MAX_SECONDS + 0.05:
        assert said, (stood, checks.messages, checks.note)
    elif stood < audio_clock.LATE_START_MAX_SECONDS - 0.05:
        assert not said, (stood, checks.messages, checks.note)


# --- the private daemon goes however the run ends ----------------------------------------

def _start_playing(pytester: pytest.Pytester, sound_tmp: Path, log: Path,
                   *args: str) -> subprocess.Popen:
    """An inner run under pulse, returned once a play streams to its daemon."""
    proc = start_inner_run(pytester, log, *RUN_OPTIONS, "--mp-audio=pulse", *args)
    try:
        wait_until(proc, log, lambda: bool(playing(sound_tmp)),
                   "no play reached the run's PulseAudio daemon")
        # one daemon for the run (with xdist: started by the controller, shared)
        assert len(pulse_folders(sound_tmp)) == 1 and len(daemons(sound_tmp)) == 1
    except BaseException:
        reap(proc)
        raise
    return proc


def test_ctrl_c_during_a_pulse_play_leaves_nothing(av_e2e, sound_tmp):
    av_e2e.add(LONG_PLAY, manifest=False)
    av_e2e.pytester.makeconftest(INNER_CONFTEST)
    log = av_e2e.pytester.path / "inner.log"
    proc = _start_playing(av_e2e.pytester, sound_tmp, log, "-p", "no:xdist")
    try:
        ctrl_c(proc)
    finally:
        reap(proc)
    out = log.read_text(errors="replace")
    assert proc.returncode == int(pytest.ExitCode.INTERRUPTED), out
    assert "INTERNALERROR" not in out
    assert left_at_exit(av_e2e.pytester) == []  # the interrupted run stopped it
    assert_nothing_left(sound_tmp)


def test_a_worker_killed_during_a_pulse_play_leaves_nothing(av_e2e, sound_tmp):
    av_e2e.add(LONG_PLAY, WHOLE_PLAY, manifest=False)
    log = av_e2e.pytester.path / "inner.log"
    proc = _start_playing(av_e2e.pytester, sound_tmp, log, "-n", "2", "-v")
    try:
        worker: list[int | None] = [None]

        def found() -> bool:
            worker[0] = playing_worker(sound_tmp, proc.pid)
            return worker[0] is not None

        wait_until(proc, log, found, "no worker's play streams to the daemon")
        os.kill(worker[0], signal.SIGKILL)
        proc.wait(timeout=120)
    finally:
        reap(proc)
    out = log.read_text(errors="replace")
    assert "crashed while running" in out  # xdist saw the worker die
    assert "INTERNALERROR" not in out
    killed = re.findall(r"(\S+): its xdist worker died while playing it", out)
    assert len(killed) == 1 and killed[0] in (LONG_PLAY, WHOLE_PLAY), out
    # the other sample still played, on the run's one server
    (other,) = {LONG_PLAY, WHOLE_PLAY} - set(killed)
    _, used, detail, _ = driver_event(av_e2e.samples / "testrun_00" / "dbg" / f"{other}.dbg")
    assert used == "pulse" and str(sound_tmp) in detail, detail
    assert_nothing_left(sound_tmp)


def test_sigkill_of_the_whole_run_during_a_pulse_play_leaves_nothing(av_e2e, sound_tmp):
    av_e2e.add(LONG_PLAY, manifest=False)
    log = av_e2e.pytester.path / "inner.log"
    proc = _start_playing(av_e2e.pytester, sound_tmp, log, "-p", "no:xdist")
    try:
        (daemon,) = daemons(sound_tmp)
        # the run's process group: pytest and its fork server, nothing of
        # what runs in sessions of its own (the watcher, the daemon, players)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        reap(proc)
    # nobody stopped it: the watcher saw the run's pipe close
    assert eventually(lambda: not sound_servers.process_running(daemon), GONE_WITHIN), \
        f"the daemon {daemon} outlived its run:\n{log.read_text(errors='replace')}"
    assert_nothing_left(sound_tmp)
