"""One run at a time plays into a session (store/session_owner.py)."""
from __future__ import annotations

import json
import os
import socket

import pytest

from pytest_pyglet_media.core.errors import SessionBusyError
from pytest_pyglet_media.store import session_owner, sessions


@pytest.fixture
def paths(tmp_path):
    return sessions.create_session(tmp_path, "s1", ["a.mp4"], has_playlist=False,
                                   versions={}, samples_version="t")


def test_a_second_run_is_refused_naming_the_first(paths):
    first = session_owner.claim(paths)
    try:
        with pytest.raises(SessionBusyError) as refused:
            session_owner.claim(paths)
        message = str(refused.value)
        assert f"pid {os.getpid()} on host {socket.gethostname()}, since " in message
        assert "\n" not in message and "--mp-session" in message
        assert session_owner.busy(paths).startswith(f"pid {os.getpid()}")
    finally:
        first.release()
    assert session_owner.busy(paths) is None
    assert not paths.owner.exists()
    session_owner.claim(paths).release()  # free again


def test_a_stale_owner_of_a_dead_run_is_taken_over(paths):
    """A run killed outright leaves its owner file; the lock died with it."""
    paths.owner.write_text(json.dumps({"pid": 999999999, "host": "gone", "since": 0}))
    assert session_owner.busy(paths) is None
    claim = session_owner.claim(paths)
    try:
        assert json.loads(paths.owner.read_text())["pid"] == os.getpid()
    finally:
        claim.release()


def test_an_unreadable_owner_file_still_refuses_a_second_run(paths):
    first = session_owner.claim(paths)
    try:
        paths.owner.write_text("garbage")
        with pytest.raises(SessionBusyError, match="who and since when is not known"):
            session_owner.claim(paths)
    finally:
        first.release()
