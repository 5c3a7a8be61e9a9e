"""The environment of the runs and players a test starts.

Everything the plugin, the `pyglet-mp` command and pytest-xdist read from the
environment is derived from the option table (pytest_pyglet_media.options.OPTIONS),
so a new environment option is cleared too; nothing here is listed by hand
but what the table cannot know.
"""
from __future__ import annotations

import os
from pathlib import Path

from doubles import _common as doubles_common
from doubles import reliability as doubles_reliability

from pytest_pyglet_media import options, shards
from pytest_pyglet_media.store import sessions

#: tests/: holds mp_support and the player doubles (tests/doubles)
TESTS_DIR = Path(__file__).resolve().parent.parent

#: a test may itself run in an xdist worker: the inner run must not think it is one
XDIST_ENV_VARS = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID")
#: playback is headless, as in CI
DISPLAY_ENV_VARS = ("DISPLAY", "WAYLAND_DISPLAY")
#: what the player doubles read (tests/doubles): never inherited from outside
DOUBLES_ENV_VARS = (doubles_common.MARKER_ENV, doubles_common.CRASHES_ENV,
                    doubles_common.PLAYS_ENV, doubles_reliability.LOG_ENV)

#: what the plugin, the CLI and pytest-xdist read from the environment
MEDIA_ENV_VARS = tuple(sorted(
    {spec.env for spec in options.OPTIONS if spec.env}
    | {sessions.SAMPLES_DIR_ENV, sessions.STORE_DIR_ENV, *sessions.DEPRECATED_ENV.values(),
       "PYTEST_ADDOPTS", *XDIST_ENV_VARS,
       *shards.CI_ENV_VARS}))

#: every variable clear_inner_env removes
CLEARED_ENV_VARS = tuple(sorted({*MEDIA_ENV_VARS, *DISPLAY_ENV_VARS, *DOUBLES_ENV_VARS}))


def pythonpath_with_tests(current: str | None = None) -> str:
    """PYTHONPATH with tests/ first, so child players import doubles and mp_support."""
    return os.pathsep.join(filter(None, [str(TESTS_DIR), current]))


def clear_inner_env(monkeypatch) -> None:
    """Environment for the pytest runs, `pyglet-mp` commands and players a test starts.

    Nothing of the outer run leaks in, playback is headless, and the player
    doubles (tests/doubles) are importable by the child players.
    """
    for name in CLEARED_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHONPATH", pythonpath_with_tests(os.environ.get("PYTHONPATH")))


def subprocess_env(**extra: str) -> dict[str, str]:
    """os.environ without CLEARED_ENV_VARS, tests/ on PYTHONPATH, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV_VARS}
    env["PYTHONPATH"] = pythonpath_with_tests(os.environ.get("PYTHONPATH"))
    env.update(extra)
    return env
