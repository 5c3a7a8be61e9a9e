"""Player double for plays at once: players meet in a room (a folder).

The folder is named by MP_DOUBLE_ROOM. Each play writes `<name>.log` lines
"start <monotonic>" and "end <monotonic>" (monotonic clocks agree between
processes on Linux), and keeps `<name>.playing` while it plays. By the
sample name's prefix:

- `together_*`: plays perfectly only once MP_DOUBLE_TOGETHER players
  (default 2) are in the room at once; alone for 60 s, it crashes. A run
  passes only if its plays really overlap.
- `slow_*`: plays perfectly, in MP_DOUBLE_SECONDS (default 0.5) seconds.
- `overloaded_*`: its first play is judged overloaded (late frames while
  the player waited for a CPU, its waits recorded with them: mp.wait); a
  later play writes the players it saw in the room into `<name>.retry-saw`
  (and `<name>.saw-<play>`), then plays perfectly. `overloaded2_*`: its
  first two plays are overloaded.
- `waiting_*`: plays perfectly once an overloaded play was played again
  (it writes `release` into the room), or after LINGER_SECONDS.
- `busydefects_*`: late frames while the player did not wait, though it
  waited long elsewhere (its main thread half the play: the whole-play
  rule would blame the machine): the sample's defects, never retried.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from mp_support import recordings

from doubles._common import DURATION, FRAME_DT, FRAMES, _defect_blocks, parse, synthetic_events
from pytest_pyglet_media.store import recording

ROOM_ENV = "MP_DOUBLE_ROOM"
TOGETHER_ENV = "MP_DOUBLE_TOGETHER"
SECONDS_ENV = "MP_DOUBLE_SECONDS"
WAIT_SECONDS = 60.0
LINGER_SECONDS = 5.0  # below the stall timeout (10 s): on failure, no hang verdict


def _log(room: Path, name: str, what: str) -> None:
    with open(room / f"{name}.log", "a") as log:
        log.write(f"{what} {time.monotonic()}\n")


def _others(room: Path, name: str) -> list[str]:
    return sorted(p.name[:-len(".playing")] for p in room.glob("*.playing")
                  if p.name != f"{name}.playing")


#: seconds the overloaded plays waited, from where to where (wall times)
WAITED = DURATION * 0.5


def _overloaded(name: str, where: tuple[float, float] = (0.0, DURATION)) -> list[tuple]:
    """Late frames; the play waited WAITED s between the wall times `where`."""
    late, past = _defect_blocks()
    events = recordings.play(FRAMES, sample=name, dt=FRAME_DT, duration=DURATION,
                             video_format=(160, 120, 1.0, 25.0), audio_format=(1, 2, 44100),
                             wall_offset=0.0, late=late, past=(), stream_end=False,
                             end_wall=DURATION, cpu=(0.1, WAITED))
    events.insert(len(events) - 3, ("mp.wait", *where, WAITED))  # before mp.cpu
    return events


def _overloaded_plays(name: str) -> int:
    return 2 if name.startswith("overloaded2_") else 1


def main() -> int:
    args = parse()
    if args is None:
        return 0
    room = Path(os.environ[ROOM_ENV])
    out = Path(args.recording)
    name = args.name
    recording.save(out, recording.crash_placeholder(name))
    playing = room / f"{name}.playing"
    _log(room, name, "start")
    playing.touch()
    try:
        if name.startswith("together_"):
            wanted = int(os.environ.get(TOGETHER_ENV, "2"))
            deadline = time.monotonic() + WAIT_SECONDS
            while len(_others(room, name)) + 1 < wanted:
                if time.monotonic() > deadline:
                    os.abort()
                time.sleep(0.02)
            time.sleep(0.2)  # the others see this one too
        elif name.startswith("waiting_"):
            deadline = time.monotonic() + LINGER_SECONDS
            while not (room / "release").exists() and time.monotonic() < deadline:
                time.sleep(0.02)
        elif name.startswith("busydefects_"):
            # waited from 10 s on: far from every late frame (0.1-0.3 s)
            recording.save(out, _overloaded(name, (10.0, 10.5)))
            return 0
        elif name.startswith("overloaded"):
            attempts = room / f"{name}.attempts"
            done = int(attempts.read_text()) if attempts.exists() else 0
            attempts.write_text(f"{done + 1}\n")
            if done:
                saw = " ".join(_others(room, name))
                (room / f"{name}.retry-saw").write_text(saw)
                (room / f"{name}.saw-{done + 1}").write_text(saw)
                (room / "release").touch()
            if done < _overloaded_plays(name):
                time.sleep(float(os.environ.get(SECONDS_ENV, "0.5")) / 4)
                recording.save(out, _overloaded(name))
                return 0
        else:
            time.sleep(float(os.environ.get(SECONDS_ENV, "0.5")))
        recording.save(out, synthetic_events(name))
        return 0
    finally:
        playing.unlink(missing_ok=True)
        _log(room, name, "end")


if __name__ == "__main__":
    sys.exit(main())
