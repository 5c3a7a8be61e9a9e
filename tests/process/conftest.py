"""Tests that start child processes of their own, stand-ins only.

A test lands here when the code under test starts a process and the test
gives it something small to start: the fork server's runner end against a
fake server, process groups and deferred signals around a sleeper, the
probe and the stored reference against a stand-in ffprobe, imports in a
fresh interpreter. The stand-ins live in tests/doubles.

Not here: a pytest run of the plugin (tests/plugin), a `pyglet-mp` command
(tests/cli), real media, FFmpeg or a browser (tests/e2e), hostile input,
kills and interruptions of a whole run (tests/reliability). A test that
starts no process is a unit test (tests/unit, whose conftest refuses any
process).
"""
