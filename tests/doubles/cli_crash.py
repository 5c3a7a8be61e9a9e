"""Player double of the CLI tests: logs the play, writes the crash placeholder, then
dies by SIGABRT (no core file)."""
import os
import resource

from doubles._common import log_play, parse
from pytest_pyglet_media.store import recording

args = parse()
if args is not None:
    log_play("crash", args.name)
    recording.save(args.recording, recording.crash_placeholder(args.name))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.abort()
