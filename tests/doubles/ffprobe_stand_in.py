"""Stand-in ffprobe: a shell script named `ffprobe` that gives a canned answer.

The file's reference is probed by running `ffprobe` from PATH
(store.reference.probe). A test writes a stand-in into a folder of its own
and puts that folder alone on PATH, so the real ffprobe can never answer
instead: the test chooses what the probe prints, its message, its exit
status, and can count its runs. No media is read.

A probe asks ffprobe three things: `-version` (once per process: FFmpeg's
version keys the reference cache), the container's description (JSON) and,
for a file with video, its video packets (`-select_streams N`, CSV). The
stand-in is given the description as ffprobe's JSON with a "packets" list,
as one run of old answered, and answers the packet run with those packets
as CSV.
"""
from __future__ import annotations

import json
import shlex
import textwrap
from pathlib import Path

import pytest


#: what the stand-in says to `-version`
VERSION = "ffprobe version stand-in"


def packets_csv(stdout: str) -> str:
    """The packet run's answer: the "packets" of a JSON answer as ffprobe's
    CSV (stream_index,pts_time,dts_time,flags); any other answer as it is."""
    try:
        packets = json.loads(stdout).get("packets")
    except (ValueError, AttributeError):
        return stdout
    if not isinstance(packets, list):
        return ""
    return "".join(f"{p.get('stream_index', '')},{p.get('pts_time', 'N/A')},"
                   f"{p.get('dts_time', 'N/A')},{p.get('flags', '')}\n"
                   for p in packets if isinstance(p, dict))


def write(bin_dir: Path, *, stdout: str = "", stderr: str = "", status: int = 0,
          calls: Path | None = None, version: str = VERSION) -> Path:
    """Write `bin_dir/ffprobe`: it prints `stdout` and `stderr` as given and exits
    with `status` (to `-version`, it prints `version`; to a packet run, the
    packets of `stdout` as CSV); with `calls`, it first appends its arguments
    there, one line a run."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    # the answer is read from a file beside the script: a probe's JSON can be
    # longer than a shell line should be
    answer = bin_dir / "ffprobe.stdout"
    answer.write_text(stdout)
    packets = bin_dir / "ffprobe.packets"
    packets.write_text(packets_csv(stdout))
    log = f"echo \"$@\" >> {shlex.quote(str(calls))}\n" if calls is not None else ""
    script = bin_dir / "ffprobe"
    script.write_text("#!/bin/sh\n" + log + textwrap.dedent(f"""\
        case " $* " in
            *" -version "*) printf '%s\\n' {shlex.quote(version)}; exit 0 ;;
            *" -select_streams "*) /bin/cat {shlex.quote(str(packets))} ;;
            *) /bin/cat {shlex.quote(str(answer))} ;;
        esac
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
    """How many files the stand-in writing to `calls` described: its runs
    but `-version` and the packet runs that follow a description."""
    if not calls.exists():
        return 0
    return sum(1 for line in calls.read_text().splitlines()
               if f" {line} ".find(" -version ") < 0 and " -select_streams " not in f" {line} ")


def runs_made(calls: Path) -> int:
    """Every run of the stand-in writing to `calls`, `-version` included."""
    return len(calls.read_text().splitlines()) if calls.exists() else 0


def alone_on_path(monkeypatch: pytest.MonkeyPatch, bin_dir: Path) -> None:
    """PATH is `bin_dir` only: the stand-in (or, when none was written, no ffprobe at all)."""
    monkeypatch.setenv("PATH", str(bin_dir))
