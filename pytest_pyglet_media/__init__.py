"""pytest-pyglet-media: media samples as pytest test items, played by pyglet.

Importing this package must stay cheap and must never import pyglet: only the
child player process (`pytest_pyglet_media.player`) does.
"""
__version__ = "0.1.0"
