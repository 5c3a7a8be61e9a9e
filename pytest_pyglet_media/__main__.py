"""`python -m pytest_pyglet_media` is `pyglet-mp`."""
import sys

from .cli.main import main

sys.exit(main())
