"""The fork server's pure checks: the thread check and the --mp-spawn option.

The runner's end of the protocol against a fake server is in
tests/process/test_forkserver_fake_server.py; real plays through the fork
server in tests/e2e/test_forkserver_runner.py.
"""
from __future__ import annotations

import os
import sys
import threading

import pytest

from pytest_pyglet_media import options
from pytest_pyglet_media.core.errors import UsageError
from pytest_pyglet_media.play import forkserver, runner

# the fork server is Linux-only (elsewhere the runner uses fresh interpreters)
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the fork server runs on Linux only")


def test_threads_problem_sees_a_second_thread():
    assert forkserver._threads_problem() is None or threading.active_count() > 1 \
        or len(os.listdir("/proc/self/task")) > 1
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert "threads" in forkserver._threads_problem()
    finally:
        stop.set()
        thread.join()


def test_spawn_option():
    assert options.resolve({}, {}, {}).spawn == runner.DEFAULT_SPAWN == "fork"
    assert options.resolve({"mp_spawn": "fresh"}, {"mp_spawn": "fork"}, {}).spawn == "fresh"
    assert options.resolve({}, {"mp_spawn": "fresh"}, {"PYTEST_MP_SPAWN": "fork"}).spawn \
        == "fresh"
    assert options.resolve({}, {}, {"PYTEST_MP_SPAWN": "fresh"}).spawn == "fresh"
    with pytest.raises(UsageError, match="--mp-spawn: bad value 'thread' from environment "
                                         "variable PYTEST_MP_SPAWN: choose one of fork, fresh"):
        options.resolve({}, {}, {"PYTEST_MP_SPAWN": "thread"})
