"""Player double for the benchmarks: writes a perfect synthetic recording at once.

    PYTHONPATH=tests pytest --mp-player=doubles.instant_player ...

No pyglet, no media: the sample file is not even read. The recording is what
a clean 2 s play at 30 fps records (our header, the source, 60 frames, the
end of play), so the controller handles realistic results.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pytest_pyglet_media.store import recording

FPS = 30
SECONDS = 2.0


def events(name: str) -> list[tuple]:
    dt = 1.0 / FPS
    out: list[tuple] = [("version", 1.1), ("mp.im", name),
                        ("mp.src", SECONDS, (320, 240, 1.0, float(FPS)), (2, 16, 44100)),
                        ("p.P._sp", 0.0)]
    frames = int(SECONDS * FPS)
    for i in range(frames):
        t = i * dt
        out += [("p.P.ut.1.0", dt, t, t, t + 0.001), ("p.P.ut.1.6", t),
                ("p.P.ut.1.9", dt, t + dt)]
    t = frames * dt
    out += [("p.P.ut.1.0", dt, t, t, t + 0.001), ("p.P.ut.1.6", None),
            ("p.P.ut.1.7", dt), ("mp.end", SECONDS), ("p.P.oe",)]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("sample", nargs="?")
    parser.add_argument("recording", nargs="?")
    parser.add_argument("--name")
    parser.add_argument("--audio", default="silent")
    parser.add_argument("--info", action="store_true")
    args = parser.parse_args(argv)
    if args.info:
        print(json.dumps({"pyglet": "instant double", "ffmpeg": "none"}))
        return 0
    name = args.name or os.path.basename(args.sample)
    recording.save(Path(args.recording), events(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
