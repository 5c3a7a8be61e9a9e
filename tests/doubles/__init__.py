"""Player test doubles, the only family: run as `python -m doubles.NAME` with tests/ on PYTHONPATH.

Each takes the real player's command line (SAMPLE RECORDING --name NAME
--audio DRIVERS, or --info) and misbehaves in one way. None imports pyglet.
"""
