"""Player double proving two runs overlap: it waits for the other run's player.

Each player marks its arrival in the samples folder (a hidden file, never a
sample) and plays perfectly only once players of two different sessions have
both arrived; alone, it gives up after a while and crashes. So two runs pass
only if they really play at the same time.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from doubles._common import parse, synthetic_events
from pytest_pyglet_media.store import recording

WAIT_SECONDS = 60.0


def main() -> int:
    args = parse()
    if args is None:
        return 0
    out = Path(args.recording)
    session = out.parent.parent.name
    samples_dir = out.parent.parent.parent
    recording.save(out, recording.crash_placeholder(args.name))
    (samples_dir / f".arrived-{session}").touch()
    deadline = time.monotonic() + WAIT_SECONDS
    while len(list(samples_dir.glob(".arrived-*"))) < 2:
        if time.monotonic() > deadline:
            os.abort()
        time.sleep(0.05)
    recording.save(out, synthetic_events(args.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
