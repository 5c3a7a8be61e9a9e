"""The run's sound servers: provided when a play needs one, stopped at the end.

A run whose audio drivers include pulse gets a PulseAudio server before any
player, fork server or xdist worker starts (play/sound_servers.py): the
user's own when one answers, else a private daemon with a null sink. The
process that provides it (the controller, or a run without xdist) puts its
environment into os.environ, so workers and players inherit it and workers
start no second one. The private daemon is stopped in pytest_unconfigure
(a normal end, an error, Ctrl-C); a run killed outright leaves it to its
watcher, which ends it when the run's pipe closes.

OpenAL Soft needs no server: its null backend (runner.child_environment).
"""
from __future__ import annotations

import os
import sys
from typing import Sequence

import pytest

from .core.errors import UsageError
from .play import sound_servers

SERVER = pytest.StashKey[sound_servers.PulseServer]()


def needs_pulse(drivers: Sequence[str]) -> bool:
    return "pulse" in drivers


def provide(config: pytest.Config, drivers: Sequence[str]) -> str | None:
    """Provide the PulseAudio server `drivers` need; its description, or None
    when they need none. A server that cannot be had is a usage error."""
    if not needs_pulse(drivers):
        return None
    try:
        if sys.platform.startswith("linux"):
            server = sound_servers.provide_pulse()
        else:  # a private daemon only where it was built and tested: Linux
            server = sound_servers.user_pulse(os.environ) or _no_server_here()
    except sound_servers.SoundServerError as exc:
        raise UsageError(f"pyglet's pulse audio driver needs a PulseAudio server: {exc}") \
            from None
    os.environ.update(server.environment)
    config.stash[SERVER] = server
    return server.description


def _no_server_here() -> sound_servers.PulseServer:
    raise sound_servers.SoundServerError(
        f"no PulseAudio server answers, and this run starts a private one on Linux only "
        f"(not on {sys.platform}); start one, or ask for another driver")


def described(config: pytest.Config) -> str | None:
    server = config.stash.get(SERVER, None)
    return server.description if server is not None else None


def release(config: pytest.Config) -> None:
    """Stop the run's private daemon, if it started one; never the user's server."""
    server = config.stash.get(SERVER, None)
    if server is None:
        return
    del config.stash[SERVER]
    if server.private is not None:
        server.private.stop()
        for name in server.environment:
            os.environ.pop(name, None)
