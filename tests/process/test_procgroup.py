"""procgroup: a player started or waited for while Ctrl-C or pytest-timeout's
alarm lands is still killed and reaped, never waited for forever."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from pytest_pyglet_media.play import procgroup

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="process groups and signal masks")

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def _sleeper() -> "subprocess.Popen[bytes]":
    return subprocess.Popen(SLEEPER, start_new_session=True,
                            preexec_fn=procgroup.die_with_parent_hook())


def test_kill_and_reap_returns_when_popen_lost_its_waitpid_lock():
    """The lock a signal left held (CPython takes it just before a try):
    Popen.wait() alone would block for ever; kill_and_reap reaps the player."""
    proc = _sleeper()
    # the state an interrupted wait leaves: Popen's private lock, held
    assert proc._waitpid_lock.acquire(False)
    done = threading.Event()

    def reap() -> None:
        procgroup.kill_and_reap(proc, grace=0.2)
        done.set()

    threading.Thread(target=reap, daemon=True).start()
    finished = done.wait(timeout=30)
    if not finished:  # never leave the sleeper behind, even when failing
        os.killpg(proc.pid, signal.SIGKILL)
    assert finished, "kill_and_reap blocked on Popen's lock"
    assert proc.returncode == -signal.SIGKILL
    with pytest.raises(ChildProcessError):  # reaped: no zombie left
        os.waitpid(proc.pid, os.WNOHANG)


def test_kill_and_reap_kills_the_whole_group():
    proc = subprocess.Popen([sys.executable, "-c", (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n")], stdout=subprocess.PIPE, start_new_session=True)
    assert proc.stdout is not None
    grandchild = int(proc.stdout.readline())
    procgroup.kill_and_reap(proc)
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(grandchild):
        time.sleep(0.05)
    assert not _alive(grandchild)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_interrupts_are_held_while_a_child_starts_and_raised_after():
    """Ctrl-C during the start is raised when the block ends, where the
    caller holds the Popen to kill; the handlers are back afterwards."""
    proc = None
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        with procgroup.interrupts_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # would have raised here without the hold
            proc = subprocess.Popen([sys.executable, "-c", "pass"])
    assert proc is not None, "the interrupt was raised before the child was ours"
    assert proc.wait(timeout=30) == 0
    assert signal.getsignal(signal.SIGINT) is before


def test_a_held_alarm_reaches_its_own_handler_once():
    """pytest-timeout's handler (here a stand-in) runs after the block, once."""
    calls: list[int] = []

    def on_alarm(signum, frame):
        calls.append(signum)
        raise TimeoutError("from the alarm handler")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        with pytest.raises(TimeoutError, match="from the alarm handler"):
            with procgroup.interrupts_deferred():
                signal.setitimer(signal.ITIMER_REAL, 0.01)
                time.sleep(0.2)
                assert calls == []
        assert calls == [signal.SIGALRM]
        assert signal.getsignal(signal.SIGALRM) is on_alarm
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_nothing_held_nothing_raised():
    with procgroup.interrupts_deferred():
        pass
