"""Player double for tests/reliability: logs every play, then acts by the sample's prefix.

- every play appends "<sample>\t<xdist worker>" to the file named by
  MP_DOUBLE_LOG (when set): one short O_APPEND write, so lines never mix;
- `protector*`: switches protection on in its session's configuration.json
  (as `pyglet-mp protect raw` would, mid-run), then plays perfectly;
- `killer*`: writes the crash placeholder, kills its parent (the xdist worker
  running it) with SIGKILL, then plays on (sleeps) until killed itself;
- `inprogress*`: writes a recording of a play in progress (events, no end of
  stream), then never finishes;
- anything else: as doubles.by_name (`segfault_x` segfaults, default perfect).
"""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from doubles._common import by_name, parse, perfect, placeholder, synthetic_events
from pytest_pyglet_media.store import recording
from pytest_pyglet_media.store import sessions

LOG_ENV = "MP_DOUBLE_LOG"


def main() -> int:
    args = parse()
    if args is None:
        return 0
    log = os.environ.get(LOG_ENV)
    if log:
        line = f"{args.name}\t{os.environ.get('PYTEST_XDIST_WORKER', '-')}\n".encode()
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    out = Path(args.recording)
    if args.name.startswith("protector"):
        paths = sessions.SessionPaths(out.parent.parent.parent, out.parent.parent.name)
        sessions.update_configuration(paths, protect_raw_data=True)
        return perfect(args)
    if args.name.startswith("killer"):
        placeholder(args)
        os.kill(os.getppid(), signal.SIGKILL)
        while True:
            time.sleep(3600)
    if args.name.startswith("inprogress"):
        placeholder(args)
        events = synthetic_events(args.name)
        recording.save(out, events[: len(events) // 2])  # mid-play: no p.P.oe
        while True:
            time.sleep(3600)
    return by_name(args)


if __name__ == "__main__":
    sys.exit(main())
