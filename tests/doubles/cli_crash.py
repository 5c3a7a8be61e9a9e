"""Player double: writes the crash placeholder, then dies by SIGABRT (no core file)."""
import os
import resource

from pytest_pyglet_media import recording

from doubles_cli._common import log, parse

args = parse()
log("crash", args.name)
recording.save(args.recording, recording.crash_placeholder(args.name))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
os.abort()
