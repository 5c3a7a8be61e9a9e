"""What was under test, captured when a session is created.

pyglet and FFmpeg versions come from a child interpreter (`player --info`),
since this process must not import pyglet. The revision of the pyglet under
test comes from git or hg when pyglet runs from a clone.
"""
from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from .runner import DEFAULT_PLAYER


def _run(argv: list[str], cwd: Path | None = None, timeout: float = 30.0) -> str | None:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace").strip()


def player_versions(player_module: str = DEFAULT_PLAYER) -> dict[str, Any]:
    out = _run([sys.executable, "-m", player_module, "--info"], timeout=60.0)
    if not out:
        return {"error": "the player could not report versions (is pyglet installed?)"}
    try:
        data = json.loads(out.splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return {"error": "the player printed no version information"}
    return data if isinstance(data, dict) else {}


def pyglet_location() -> Path | None:
    """pyglet's package folder, found without importing it."""
    spec = importlib.util.find_spec("pyglet")
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).parent


def pyglet_revision(location: Path | None) -> str:
    """The VCS revision of a pyglet clone, or a line saying it is a release."""
    if location is None:
        return "pyglet is not installed"
    checkout = location.parent
    if shutil.which("git") and (found := _run(["git", "rev-parse", "--show-toplevel"], checkout)):
        if Path(found).resolve() == checkout.resolve():
            head = _run(["git", "log", "-1", "--format=%H %cd %s", "--date=iso"], checkout)
            dirty = _run(["git", "status", "--porcelain", "--untracked-files=no"], checkout)
            state = " (with uncommitted changes)" if dirty else ""
            return f"git revision {head}{state}"
    if shutil.which("hg") and (head := _run(["hg", "parents", "--encoding", "utf8"], checkout)):
        return f"hg revision\n{head}"
    return f"installed release, not a repository clone ({location})"


def capture(player_module: str = DEFAULT_PLAYER) -> dict[str, Any]:
    info = player_versions(player_module)
    info["pyglet_revision"] = pyglet_revision(pyglet_location())
    return info
