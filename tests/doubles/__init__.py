"""Every test double, in one home: tests/ goes on sys.path (the root conftest.py)
and on the children's PYTHONPATH (mp_support.env), so `doubles` imports anywhere.

Player doubles take the real player's command line (SAMPLE RECORDING --name
NAME --audio DRIVERS, or --info), run as `--mp-player=doubles.NAME`, and
misbehave in one way each. None imports pyglet.

- perfect, defects, segfault, abort, hang, no_recording, noisy_crash, flaky:
  one behaviour each, written in _common (their shared code);
- by_name: the behaviour named by the sample's prefix (`segfault_x.mp4` segfaults);
- cli_perfect, cli_crash: the `pyglet-mp` tests' players, logging each play;
- reliability, rendezvous, room: players of the reliability tests, of two
  runs at once, and of plays at once;
- instant_player: the benchmarks' player, a clean 2 s play written at once.

Stand-ins for what the runner talks to:

- ffprobe_stand_in: a script named ffprobe, alone on PATH, with a canned answer;
- fake_fork_server: a few lines of Python in place of the fork server.

A new double goes here: a player as a module of its own (behaviour that
several players share in _common), a stand-in as a module named after what
it replaces.
"""
