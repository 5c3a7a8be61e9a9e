"""Fake fork servers: a few lines of Python in place of the real server.

The runner's end of the fork server (play.forkserver.ForkServer) starts
whatever `argv` it is given and speaks the protocol over the socket it
passes as `--fd=N`. A fake server is a Python script written by the test:
`start` prepends PRELUDE (the socket, `send`, `request()`, and the ready
message) to the test's own body, so each test scripts only the replies it
needs, in any order and cut anywhere. No pyglet, no real child: the pids a
fake reports are FAKE_PID and above, which `play` records as killed.
"""
from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

from pytest_pyglet_media.play import forkserver

#: the start of every fake server: the socket, `send`, `request()`, and ready
PRELUDE = """
import json, socket, sys, time
sock = socket.socket(fileno=int(sys.argv[-1].split("=")[1]))
reader = sock.makefile("rb")
def send(*messages):
    sock.sendall("".join(json.dumps(m) + "\\n" for m in messages).encode())
def request():
    return json.loads(reader.readline())
send({"ready": True, "pid": 1})
"""
#: fake children's pids: never real processes, so `kill` only records them
FAKE_PID = 100000


def not_started(folder: Path, name: str, script: str) -> forkserver.ForkServer:
    """The runner's end of a server that runs `script` as it is (no PRELUDE), not started yet."""
    path = folder / name
    path.write_text(script)
    return forkserver.ForkServer(dict(os.environ), argv=[sys.executable, str(path)])


def start(folder: Path, body: str) -> forkserver.ForkServer:
    """A started fake server: PRELUDE, then `body` (dedented)."""
    server = not_started(folder, "fake_server.py", PRELUDE + textwrap.dedent(body))
    server.start()
    return server


def play(server: forkserver.ForkServer, name: str, kills: list[int],
         timeout: float = 60.0) -> tuple[int | None, bool]:
    """One play through `server`; the pids it kills are appended to `kills`."""
    return server.play("sample", "recording", name, ("silent",), os.devnull,
                       deadline=time.monotonic() + timeout, kill=kills.append)
