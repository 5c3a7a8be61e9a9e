"""The runner's end of the fork server's protocol against a fake server (a few
lines of Python given as `ForkServer(argv=...)`, tests/doubles/fake_fork_server.py,
no pyglet): replies for plays running in several threads at once, in any
order, cut anywhere, reach their own play; a server that dies, or never says
ready, is reported with what it printed.

Real plays through the fork server are in tests/e2e/test_forkserver_runner.py.
"""
from __future__ import annotations

import signal
import sys
import threading
import time

import pytest
from doubles import fake_fork_server
from doubles.fake_fork_server import FAKE_PID
from mp_support.threads import in_threads

from pytest_pyglet_media.play import forkserver

# the fork server is Linux-only (elsewhere the runner uses fresh interpreters)
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the fork server runs on Linux only")


def test_replies_out_of_order_reach_their_own_plays(tmp_path):
    # three plays in flight: the replies come in reverse order, cut every 7
    # bytes across sends, with a reply for a request nobody made in between
    server = fake_fork_server.start(tmp_path, f"""
        requests = [request() for _ in range(3)]
        out = [{{"id": r["id"], "started": {FAKE_PID} + r["id"]}} for r in reversed(requests)]
        out.append({{"id": 999, "exited": 1, "status": 0}})
        out += [{{"id": r["id"], "exited": {FAKE_PID} + r["id"], "status": int(r["name"])}}
                for r in reversed(requests)]
        text = "".join(json.dumps(m) + "\\n" for m in out).encode()
        for i in range(0, len(text), 7):
            sock.sendall(text[i:i + 7])
            time.sleep(0.002)
        reader.read()
    """)
    try:
        kills: list[int] = []
        results = in_threads(*(lambda n=n: fake_fork_server.play(server, str(n), kills)
                               for n in (3, 5, 7)))
        assert results == [(3, False), (5, False), (7, False)]
        # each play killed its own child's group once, at its end
        assert sorted(kills) == [FAKE_PID + 1, FAKE_PID + 2, FAKE_PID + 3]
        assert server.alive
    finally:
        server.close()


def test_a_server_dying_loses_every_waiting_play(tmp_path):
    server = fake_fork_server.start(tmp_path, f"""
        requests = [request() for _ in range(2)]
        send(*({{"id": r["id"], "started": {FAKE_PID} + r["id"]}} for r in requests))
        sys.exit(3)
    """)
    try:
        kills: list[int] = []
        results = in_threads(*(lambda: fake_fork_server.play(server, "0", kills) for _ in range(2)))
        assert all(isinstance(r, forkserver.Lost) and r.started for r in results), results
        assert "exited with status 3" in str(results[0])
        assert sorted(kills) == [FAKE_PID + 1, FAKE_PID + 2]  # both children's groups
        assert not server.alive
        with pytest.raises(forkserver.Lost):  # and any later play
            fake_fork_server.play(server, "0", kills)
    finally:
        server.close()


def test_a_play_given_up_before_its_child_started_kills_it_when_it_starts(tmp_path):
    # the server holds back the answer to the first request until the second
    # comes; the first play is interrupted (Ctrl-C) meanwhile
    arrived = tmp_path / "first_request_arrived"
    server = fake_fork_server.start(tmp_path, f"""
        first = request()
        open({str(arrived)!r}, "w").close()
        second = request()
        send({{"id": first["id"], "started": {FAKE_PID} + 1}},
             {{"id": first["id"], "exited": {FAKE_PID} + 1, "status": 0}},
             {{"id": second["id"], "started": {FAKE_PID} + 2}},
             {{"id": second["id"], "exited": {FAKE_PID} + 2, "status": 5}})
        reader.read()
    """)
    main = threading.main_thread().ident

    def interrupt() -> None:
        deadline = time.monotonic() + 30
        while not arrived.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        signal.pthread_kill(main, signal.SIGINT)

    try:
        kills: list[int] = []
        interrupter = threading.Thread(target=interrupt)
        interrupter.start()
        with pytest.raises(KeyboardInterrupt):
            fake_fork_server.play(server, "0", kills)
        interrupter.join()
        assert kills == []  # no child yet
        # the next play reads the first one's `started`: that child is killed
        assert fake_fork_server.play(server, "0", kills) == (5, False)
        assert kills == [FAKE_PID + 1, FAKE_PID + 2]
    finally:
        server.close()


def test_a_server_that_dies_before_ready_says_what_it_printed(tmp_path):
    server = fake_fork_server.not_started(
        tmp_path, "dying_server.py",
        "import sys\nprint('cannot load libavcodec', file=sys.stderr)\nsys.exit(4)\n")
    with pytest.raises(forkserver.Unavailable) as info:
        server.start()
    assert "fork server exited with status 4" in str(info.value)
    assert "its output ends with: cannot load libavcodec" in str(info.value)
    assert server.proc is None and server.sock is None


def test_a_server_that_never_says_ready_is_unavailable(tmp_path, monkeypatch):
    monkeypatch.setattr(forkserver, "START_TIMEOUT", 0.3)
    server = fake_fork_server.not_started(
        tmp_path, "silent_server.py",
        "import socket, sys\nprint('importing', flush=True)\n"
        "socket.socket(fileno=int(sys.argv[-1].split('=')[1])).recv(1)\n")
    with pytest.raises(forkserver.Unavailable, match="did not start: no answer in 0.3 s; "
                                                     "its output ends with: importing"):
        server.start()
    assert server.proc is None and server.sock is None  # stopped, not left running
