"""Process-group helpers shared by the runner and the fork server.

A player runs in its own process group, so that a timeout or an interrupt
kills it together with anything it started; and it dies with the process
that started it (PR_SET_PDEATHSIG), so that a runner killed outright leaves
no player playing on as an orphan.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
from types import FrameType
from typing import Callable, Iterator

_PR_SET_PDEATHSIG = 1
#: the signals that raise inside Python while we start or wait for a child:
#: Ctrl-C and pytest-timeout's alarm (its signal method)
INTERRUPTS = frozenset({signal.SIGINT, signal.SIGALRM})
#: seconds Popen.wait gets to reap a killed child before we reap it ourselves
REAP_GRACE = 2.0


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


def die_with(parent: int, prctl: Callable[..., int] | None = None) -> None:
    """Have the kernel SIGKILL this process when `parent` dies (Linux only)."""
    prctl = prctl or _prctl()
    if prctl is None:
        return
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def die_with_parent_hook() -> Callable[[], None] | None:
    """A `preexec_fn` making the child die with this process (Linux), else None.

    prctl is looked up here, before the fork: the hook itself only makes
    system calls, as a preexec_fn must.
    """
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def hook() -> None:
        die_with(parent, prctl)

    return hook


def kill_group(pid: int) -> None:
    """SIGKILL the process group led by `pid`; a group already gone is fine."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C and pytest-timeout's alarm while a child starts.

    Raised inside Popen() after the fork, they would leave a started child
    that nobody holds and so nobody kills. Held, they reach their own
    handlers when the block ends, when the caller has the Popen to kill.
    (Handlers, not a signal mask: a mask is per thread, and the signal goes
    to any thread that does not block it, such as xdist's execnet threads.)
    Python runs signal handlers in the main thread only: elsewhere there is
    nothing to hold.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[tuple[int, FrameType | None]] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append((signum, frame))

    previous = {signum: signal.signal(signum, hold) for signum in INTERRUPTS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum, frame in held:
            handler = previous[signum]
            if callable(handler):
                handler(signum, frame)  # raises: KeyboardInterrupt, pytest-timeout's failure
            elif handler != signal.SIG_IGN:
                signal.raise_signal(signum)  # the default action, as it would have been


def kill_and_reap(proc: "subprocess.Popen[bytes]", grace: float = REAP_GRACE) -> None:
    """SIGKILL the group `proc` leads, and reap `proc`.

    Popen.wait() alone could block for ever: a signal (Ctrl-C,
    pytest-timeout) raised in an earlier wait or poll just after Popen took
    its internal waitpid lock, and before the try that releases it (CPython
    runs signal handlers right after a C call returns), leaves the lock
    held. After `grace` seconds we reap the child ourselves.
    """
    kill_group(proc.pid)
    try:
        proc.wait(timeout=grace)
        return
    except subprocess.TimeoutExpired:
        pass
    try:
        _, status = os.waitpid(proc.pid, 0)
    except ChildProcessError:  # reaped meanwhile
        return
    proc.returncode = os.waitstatus_to_exitcode(status)
