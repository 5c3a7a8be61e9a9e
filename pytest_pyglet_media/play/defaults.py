"""The player and how it starts, by default: constants only, so that the
options (read by every pytest run in the environment, media or not) name
them without importing the runner and its subprocess machinery."""
from __future__ import annotations

import sys

#: the module run as the player; tests substitute doubles that crash or hang
DEFAULT_PLAYER = "pytest_pyglet_media.play.player"
#: how a play's process starts (see runner.py)
SPAWN_METHODS = ("fork", "fresh")
DEFAULT_SPAWN = "fork" if sys.platform.startswith("linux") else "fresh"
#: which pictures pyglet shows the player keeps (frame_keeper.py)
PICTURE_MODES = ("sample", "all", "off")
DEFAULT_PICTURES = "sample"
