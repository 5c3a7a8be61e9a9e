"""Player double: writes a perfect synthetic recording and exits 0."""
from pytest_pyglet_media import recording

from doubles_cli._common import log, parse

args = parse()
log("perfect", args.name)
recording.save(args.recording, [("version", 1.1), ("mp.im", args.name), ("p.P._sp", 0.0),
                                ("mp.end", 0.5), ("p.P.oe",)])
