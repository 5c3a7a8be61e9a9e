"""What the player child and its parent agree on: exit statuses and environment names.

The player (play/player.py) imports pyglet, so the runner, which must not,
cannot read these from it; and the fork server forks players that must
exit as a fresh one would. One module that imports nothing holds them for
all three.
"""
from __future__ import annotations

#: the sample was played to its end (the recording is the play's)
EXIT_PLAYED = 0
#: the player failed: a Python error, or a loop that ended without the end
#: of the sample (the pre-written crash recording stays in place)
EXIT_CRASHED = 1
#: pyglet could not open the source; the recording says why
EXIT_UNPLAYABLE = 3

#: names the heartbeat file a fresh player touches while it makes progress
#: (a forked player gets it in its request instead)
HEARTBEAT_ENV = "PYTEST_MP_HEARTBEAT"
