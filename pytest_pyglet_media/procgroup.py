"""Process-group helpers shared by the runner and the fork server.

A player runs in its own process group, so that a timeout or an interrupt
kills it together with anything it started; and it dies with the process
that started it (PR_SET_PDEATHSIG), so that a runner killed outright leaves
no player playing on as an orphan.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import Callable

_PR_SET_PDEATHSIG = 1


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
