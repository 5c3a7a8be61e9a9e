"""Fixtures for the reliability tests: hostile inputs, kills, interrupts, faults.

The `mp` fixture (MediaTester), `setpriv` (the wrapper that makes root obey
permission bits) and `no_internal_error` come from tests/conftest.py. Here:
the `pyglet-mp` command run in a subprocess. Hostile media played by the real
player is in tests/e2e (test_bad_media_real_player.py).
"""
from __future__ import annotations

import subprocess
import sys

import pytest
from mp_support.cli_result import CliResult


@pytest.fixture
def pyglet_mp(mp, inner_run_env):
    """Runs `pyglet-mp ARGS` in a subprocess, in the samples' parent folder."""

    def run(*args: str, prefix: tuple[str, ...] = ()) -> CliResult:
        proc = subprocess.run([*prefix, sys.executable, "-m", "pytest_pyglet_media", *args],
                              cwd=mp.pytester.path, capture_output=True, text=True,
                              errors="replace", timeout=120, stdin=subprocess.DEVNULL)
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run
