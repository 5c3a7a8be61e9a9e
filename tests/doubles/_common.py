"""Shared behaviour of the player doubles (no pyglet: synthetic recordings only)."""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mp_support import recordings

from pytest_pyglet_media.core.events import VERSION
from pytest_pyglet_media.core.exits import EXIT_UNPLAYABLE
from pytest_pyglet_media.store import recording

#: env var holding a unique marker the hang double puts in its grandchild's argv
MARKER_ENV = "MP_DOUBLE_MARKER"
#: env var: how many attempts the flaky double crashes before it plays
CRASHES_ENV = "MP_DOUBLE_CRASHES"
#: env var naming a file where the cli_* doubles log each play ("<double> <name>")
PLAYS_ENV = "MP_DOUBLE_PLAYS"

FRAMES = 12
FRAME_DT = 0.04
DURATION = FRAMES * FRAME_DT
#: frames (1-based, as the analysis counts them) where the defects double
#: discards a late frame
LATE_FRAMES = (3, 5, 7)
#: frame where the defects double schedules in the past
PAST_FRAME = 10


def parse(argv: list[str] | None = None) -> argparse.Namespace | None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sample", nargs="?")
    parser.add_argument("recording", nargs="?")
    parser.add_argument("--name")
    parser.add_argument("--audio", default="silent")
    parser.add_argument("--info", action="store_true")
    parser.add_argument("--pictures")  # the doubles keep none
    args = parser.parse_args(argv)
    if args.info:  # the plugin asks for versions when it creates a session
        print(json.dumps({"pyglet": "double", "ffmpeg": "double"}))
        return None
    args.name = args.name or os.path.basename(args.sample)
    return args


def _defect_blocks() -> tuple[list[int], list[int]]:
    """Frame blocks (0-based) whose frame is late / scheduled in the past, as
    the analysis counts frames (1-based; a discarded late frame counts too)."""
    late, past, frame = [], [], 0
    for i in range(FRAMES):
        frame += 1
        if frame in LATE_FRAMES:
            late.append(i)
            frame += 1
        if frame == PAST_FRAME:
            past.append(i)
    return late, past


def synthetic_events(name: str, *, defects: bool = False) -> list[tuple]:
    """A well-formed play of FRAMES frames; with `defects`, some late frames."""
    late, past = _defect_blocks() if defects else ((), ())
    return recordings.play(FRAMES, sample=name, dt=FRAME_DT, duration=DURATION,
                           video_format=(160, 120, 1.0, 25.0), audio_format=(1, 2, 44100),
                           wall_offset=0.0, late=late, past=past, stream_end=False,
                           end_wall=DURATION)


def log_play(double: str, name: str) -> None:
    """Append "<double> <name>" to the file named by MP_DOUBLE_PLAYS, when set."""
    path = os.environ.get(PLAYS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{double} {name}\n")


def placeholder(args: argparse.Namespace) -> None:
    recording.save(Path(args.recording), recording.crash_placeholder(args.name))


def perfect(args: argparse.Namespace) -> int:
    placeholder(args)
    recording.save(Path(args.recording), synthetic_events(args.name))
    return 0


def defects(args: argparse.Namespace) -> int:
    placeholder(args)
    recording.save(Path(args.recording), synthetic_events(args.name, defects=True))
    return 0


def segfault(args: argparse.Namespace) -> int:
    placeholder(args)
    os.kill(os.getpid(), signal.SIGSEGV)
    time.sleep(60)  # not reached
    return 99


def abort(args: argparse.Namespace) -> int:
    placeholder(args)
    os.abort()


def hang(args: argparse.Namespace) -> int:
    placeholder(args)
    marker = os.environ.get(MARKER_ENV, "no-marker")
    # a grandchild in the same process group: the runner must kill it too
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)", marker])
    Path(args.recording + ".grandchild").write_text(f"{child.pid}\n")
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # only SIGKILL ends us
    while True:
        time.sleep(3600)


def unplayable(args: argparse.Namespace) -> int:
    """As the player does when pyglet cannot open the source."""
    placeholder(args)
    recording.save(Path(args.recording), [("version", VERSION), ("mp.im", args.name),
                                           ("mp.err", "pyglet could not open it (double)")])
    return EXIT_UNPLAYABLE


def no_recording(args: argparse.Namespace) -> int:
    return 0


NOISY_FIRST = "NOISY-FIRST-LINE"
NOISY_LAST = "NOISY-LAST-LINE"


def noisy_crash(args: argparse.Namespace) -> int:
    placeholder(args)
    err = sys.stderr
    err.write(NOISY_FIRST + "\n")
    line = "x" * 99 + "\n"
    for _ in range(30_000):  # about 3 MB
        err.write(line)
    err.write(NOISY_LAST + "\n")
    err.flush()
    return 1


def flaky(args: argparse.Namespace) -> int:
    """Crash on the first MP_DOUBLE_CRASHES attempts, then play perfectly."""
    crashes = int(os.environ.get(CRASHES_ENV, "2"))
    counter = Path(args.recording + ".attempts")
    done = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(f"{done + 1}\n")
    if done < crashes:
        placeholder(args)
        return 1
    return perfect(args)


def driven(args: argparse.Namespace) -> int:
    """Says which audio driver it used, as the player does: the first asked
    for, except pulse, which it cannot have (it falls back to silent, as
    pyglet does, and says why); under openal it plays with defects, so the
    drivers disagree on it."""
    placeholder(args)
    asked = args.audio.split(",")[0]
    used, why = (("silent", "pulse: Connection refused (double)") if asked == "pulse"
                 else (asked, ""))
    events = synthetic_events(args.name, defects=asked == "openal")
    events.insert(2, ("mp.drv", used, "", why))
    recording.save(Path(args.recording), events)
    return 0


BEHAVIOURS = {f.__name__: f for f in (perfect, defects, segfault, abort, hang, no_recording,
                                      noisy_crash, flaky, unplayable, driven)}


def by_name(args: argparse.Namespace) -> int:
    """Pick the behaviour from the sample name's prefix: `segfault_x.mp4` segfaults."""
    for key in sorted(BEHAVIOURS, key=len, reverse=True):
        if args.name.rsplit("/", 1)[-1].startswith(key):  # a sample in a subfolder too
            return BEHAVIOURS[key](args)
    return perfect(args)


def main(behaviour: str) -> None:
    args = parse()
    if args is None:
        sys.exit(0)
    func = by_name if behaviour == "by_name" else BEHAVIOURS[behaviour]
    sys.exit(func(args))
