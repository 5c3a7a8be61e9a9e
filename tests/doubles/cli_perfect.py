"""Player double of the CLI tests: logs the play, writes a perfect frameless recording, exits 0."""
from mp_support.recordings import bare_play

from doubles._common import log_play, parse
from pytest_pyglet_media.store import recording

args = parse()
if args is not None:
    log_play("perfect", args.name)
    recording.save(args.recording, bare_play(args.name))
