"""pytest-pyglet-media: media samples as pytest test items, played by pyglet.

Importing this package must stay cheap and must never import pyglet: only the
child player process (`pytest_pyglet_media.play.player`) does.

PYTEST_DONT_REWRITE: `pyglet-mp playmany` imports this package before it
runs pytest in-process; pytest then marks the plugin's distribution for
assertion rewriting and, finding it imported, warned
(PytestAssertRewriteWarning). The plugin has no test assertions to rewrite.
"""
__version__ = "0.1.0"
