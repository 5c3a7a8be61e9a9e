"""The project's own tests use pytester to run the plugin in isolated pytest runs."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_pyglet_media import options
from pytest_pyglet_media import session as store

pytest_plugins = ["pytester"]

TESTS_DIR = Path(__file__).resolve().parent / "tests"

#: what the plugin, the CLI and pytest-xdist read from the environment: derived
#: from the option table, so a new environment option is scrubbed too
MEDIA_ENV_VARS = tuple(sorted(
    {spec.env for spec in options.OPTIONS if spec.env}
    | {store.SAMPLES_DIR_ENV, "PYTEST_ADDOPTS",
       # a test may run in an xdist worker: the inner run must not think it is one
       "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"}))


@pytest.fixture
def inner_run_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Environment for the pytest runs and players a test starts.

    Nothing of the outer run leaks in, playback is headless as in CI, and the
    player doubles (tests/doubles) are importable by the child players.
    """
    for name in (*MEDIA_ENV_VARS, "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(TESTS_DIR), path])))
    return monkeypatch
