"""Stand-in ffprobe: a shell script named `ffprobe` that gives a canned answer.

The file's reference is probed by running `ffprobe` from PATH
(store.reference.probe). A test writes a stand-in into a folder of its own
and puts that folder alone on PATH, so the real ffprobe can never answer
instead: the test chooses what the probe prints, its message, its exit
status, and can count its runs. No media is read.
"""
from __future__ import annotations

import shlex
import textwrap
from pathlib import Path

import pytest


def write(bin_dir: Path, *, stdout: str = "", stderr: str = "", status: int = 0,
          calls: Path | None = None) -> Path:
    """Write `bin_dir/ffprobe`: it prints `stdout` and `stderr` as given and exits
    with `status`; with `calls`, it first appends its arguments there, one line a run."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    # the answer is read from a file beside the script: a probe's JSON can be
    # longer than a shell line should be
    answer = bin_dir / "ffprobe.stdout"
    answer.write_text(stdout)
    log = f"echo \"$@\" >> {shlex.quote(str(calls))}\n" if calls is not None else ""
    script = bin_dir / "ffprobe"
    script.write_text("#!/bin/sh\n" + log + textwrap.dedent(f"""\
        /bin/cat {shlex.quote(str(answer))}
        printf '%s' {shlex.quote(stderr)} >&2
        exit {status}
        """))
    script.chmod(0o755)
    return script


def write_hanging(bin_dir: Path, seconds: int = 10) -> Path:
    """Write `bin_dir/ffprobe`: it answers nothing for `seconds` (needs `sleep` on PATH)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "ffprobe"
    script.write_text(f"#!/bin/sh\nexec sleep {seconds}\n")
    script.chmod(0o755)
    return script


def calls_made(calls: Path) -> int:
    """How many times the stand-in writing to `calls` ran."""
    return len(calls.read_text().splitlines()) if calls.exists() else 0


def alone_on_path(monkeypatch: pytest.MonkeyPatch, bin_dir: Path) -> None:
    """PATH is `bin_dir` only: the stand-in (or, when none was written, no ffprobe at all)."""
    monkeypatch.setenv("PATH", str(bin_dir))
